package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
)

// Det: the determinant of each square matrix in the last two dims, by LU
// decomposition with partial pivoting in float64.

func init() {
	registerRange("Det", []int64{11, 22}, func(b *Build) (Kernel, error) {
		return elemKernel(1, func(in []*Tensor) (*Tensor, error) { return det(in[0]) }), nil
	})
}

func det(x *Tensor) (*Tensor, error) {
	r := len(x.Shape)
	if r < 2 || x.Shape[r-1] != x.Shape[r-2] {
		return nil, fmt.Errorf("input 0: shape %v, want [*, M, M]", x.Shape)
	}
	switch x.DType {
	case graph.Float, graph.Double, graph.Float16, graph.BFloat16:
	default:
		return nil, fmt.Errorf("element type %s is not supported", x.DType)
	}
	v, err := ToFloat64s(x)
	if err != nil {
		return nil, err
	}
	n := x.Shape[r-1]
	batch := Size(x.Shape[:r-2])
	out := make([]float64, batch)
	m := make([]float64, n*n)
	for b := range out {
		copy(m, v[b*n*n:(b+1)*n*n])
		out[b] = luDet(m, n)
	}
	return fromFloat64s(x.DType, slices.Clone(x.Shape[:r-2]), out)
}

// luDet returns the determinant of the n×n matrix m, destroying m.
func luDet(m []float64, n int) float64 {
	d := 1.0
	for c := 0; c < n; c++ {
		p := c
		for i := c + 1; i < n; i++ {
			if math.Abs(m[i*n+c]) > math.Abs(m[p*n+c]) {
				p = i
			}
		}
		if m[p*n+c] == 0 {
			return 0
		}
		if p != c {
			for j := 0; j < n; j++ {
				m[p*n+j], m[c*n+j] = m[c*n+j], m[p*n+j]
			}
			d = -d
		}
		piv := m[c*n+c]
		d *= piv
		for i := c + 1; i < n; i++ {
			f := m[i*n+c] / piv
			if f == 0 {
				continue
			}
			for j := c + 1; j < n; j++ {
				m[i*n+j] -= f * m[c*n+j]
			}
		}
	}
	return d
}
