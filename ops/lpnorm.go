package ops

import (
	"fmt"
	"math"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	registerRange("LpNormalization", []int64{1, 22}, newLpNormalization)
}

// lpNormKernel divides input 0 by its L1 or L2 norm along one axis. A zero
// norm gives zeros (as ONNX Runtime does), not NaN.
type lpNormKernel struct {
	axis int64
	p    int64
}

func newLpNormalization(b *Build) (Kernel, error) {
	axis, err := b.Node.AttrInt("axis", -1)
	if err != nil {
		return nil, err
	}
	p, err := b.Node.AttrInt("p", 2)
	if err != nil {
		return nil, err
	}
	if p != 1 && p != 2 {
		return nil, b.Errorf("attribute p is %d, want 1 or 2", p)
	}
	return &lpNormKernel{axis: axis, p: p}, nil
}

// Run normalizes; norms accumulate in float64.
func (k *lpNormKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	switch x.DType {
	case graph.Float, graph.Double, graph.Float16, graph.BFloat16:
	default:
		return nil, fmt.Errorf("input 0 %s: want a floating-point tensor", x)
	}
	ax, err := NormAxis(k.axis, x.Rank())
	if err != nil {
		return nil, fmt.Errorf("attribute axis: %w", err)
	}
	v, err := ToFloat64s(x)
	if err != nil {
		return nil, err
	}
	if x.DType == graph.Double {
		v = append([]float64(nil), v...) // ToFloat64s may share the input's data
	}
	n := x.Shape[ax]
	inner := Size(x.Shape[ax+1:])
	outer := Size(x.Shape[:ax])
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			var s float64
			for j := 0; j < n; j++ {
				e := v[base+j*inner]
				if k.p == 1 {
					s += math.Abs(e)
				} else {
					s += e * e
				}
			}
			if k.p == 2 {
				s = math.Sqrt(s)
			}
			for j := 0; j < n; j++ {
				if s == 0 {
					v[base+j*inner] = 0
				} else {
					v[base+j*inner] /= s
				}
			}
		}
	}
	y, err := fromFloat64s(x.DType, x.Shape, v)
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}
