package ops

import (
	"fmt"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
)

// CumSum along the axis given by a scalar input, with the exclusive and
// reverse attributes.

func init() {
	registerRange("CumSum", []int64{11, 14}, func(b *Build) (Kernel, error) {
		excl, err := b.Node.AttrInt("exclusive", 0)
		if err != nil {
			return nil, err
		}
		rev, err := b.Node.AttrInt("reverse", 0)
		if err != nil {
			return nil, err
		}
		return elemKernel(2, func(in []*Tensor) (*Tensor, error) {
			if in[1].Len() != 1 || len(in[1].Shape) > 1 {
				return nil, fmt.Errorf("input 1 (axis): shape %v, want a scalar", in[1].Shape)
			}
			a, err := ToInt64s(in[1])
			if err != nil {
				return nil, fmt.Errorf("input 1 (axis): %v", err)
			}
			return cumsum(in[0], a[0], excl != 0, rev != 0)
		}), nil
	})
}

func cumsum(x *Tensor, axis int64, excl, rev bool) (*Tensor, error) {
	ax, err := NormAxis(axis, len(x.Shape))
	if err != nil {
		return nil, err
	}
	outer, n, inner := Size(x.Shape[:ax]), x.Shape[ax], Size(x.Shape[ax+1:])
	shape := slices.Clone(x.Shape)
	switch d := x.Data.(type) {
	case []float32:
		// Accumulate in float64 for accuracy.
		f := convertSlice[float32, float64](d)
		r := make([]float64, len(f))
		cumsumT(f, r, outer, n, inner, excl, rev)
		return New(shape, convertSlice[float64, float32](r)), nil
	case []float64:
		return New(shape, cumsumNew(d, outer, n, inner, excl, rev)), nil
	case []int32:
		return New(shape, cumsumNew(d, outer, n, inner, excl, rev)), nil
	case []int64:
		return New(shape, cumsumNew(d, outer, n, inner, excl, rev)), nil
	case []uint32:
		return New(shape, cumsumNew(d, outer, n, inner, excl, rev)), nil
	case []uint64:
		return New(shape, cumsumNew(d, outer, n, inner, excl, rev)), nil
	}
	switch x.DType {
	case graph.Float16, graph.BFloat16:
		f, _ := ToFloat32s(x)
		r := make([]float32, len(f))
		cumsumT(f, r, outer, n, inner, excl, rev)
		return FromFloat32s(x.DType, shape, r)
	}
	return nil, fmt.Errorf("element type %s is not supported", x.DType)
}

func cumsumNew[T numeric](x []T, outer, n, inner int, excl, rev bool) []T {
	r := make([]T, len(x))
	cumsumT(x, r, outer, n, inner, excl, rev)
	return r
}

func cumsumT[T numeric](x, r []T, outer, n, inner int, excl, rev bool) {
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			var s T
			for jj := 0; jj < n; jj++ {
				j := jj
				if rev {
					j = n - 1 - jj
				}
				p := base + j*inner
				if excl {
					r[p] = s
					s += x[p]
				} else {
					s += x[p]
					r[p] = s
				}
			}
		}
	}
}
