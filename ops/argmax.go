package ops

import (
	"fmt"
	"slices"
)

// ArgMax and ArgMin: the int64 index of the extreme element along axis,
// the first occurrence unless select_last_index (opset 12+) is set. A NaN
// counts as the extreme value (as numpy does).

func init() {
	for _, op := range []struct {
		name string
		max  bool
	}{{"ArgMax", true}, {"ArgMin", false}} {
		registerRange(op.name, []int64{1, 11, 12, 13}, func(b *Build) (Kernel, error) {
			axis, err := b.Node.AttrInt("axis", 0)
			if err != nil {
				return nil, err
			}
			keep, err := b.Node.AttrInt("keepdims", 1)
			if err != nil {
				return nil, err
			}
			last, err := b.Node.AttrInt("select_last_index", 0)
			if err != nil {
				return nil, err
			}
			return elemKernel(1, func(in []*Tensor) (*Tensor, error) {
				return argExtreme(in[0], axis, keep != 0, last != 0, op.max)
			}), nil
		})
	}
}

func argExtreme(x *Tensor, axis int64, keep, last, isMax bool) (*Tensor, error) {
	rank := len(x.Shape)
	ax, err := NormAxis(axis, max(rank, 1))
	if err != nil {
		return nil, err
	}
	if rank == 0 {
		return New([]int{}, []int64{0}), nil
	}
	n := x.Shape[ax]
	if n == 0 {
		return nil, fmt.Errorf("axis %d of shape %v is empty", axis, x.Shape)
	}
	outer, inner := Size(x.Shape[:ax]), Size(x.Shape[ax+1:])
	var v []float64
	var iv []int64
	var uv []uint64
	switch d := x.Data.(type) {
	case []uint64:
		uv = d
	default:
		if x.DType.IsInt() {
			if iv, err = ToInt64s(x); err != nil {
				return nil, err
			}
		} else if v, err = ToFloat64s(x); err != nil {
			return nil, err
		}
	}
	// better reports whether a should replace the current best b.
	better := func(a, b int) bool {
		switch {
		case v != nil:
			x, y := v[a], v[b]
			if y != y {
				return false
			}
			if x != x {
				return true
			}
			if isMax {
				return x > y || (last && x == y)
			}
			return x < y || (last && x == y)
		case iv != nil:
			if isMax {
				return iv[a] > iv[b] || (last && iv[a] == iv[b])
			}
			return iv[a] < iv[b] || (last && iv[a] == iv[b])
		}
		if isMax {
			return uv[a] > uv[b] || (last && uv[a] == uv[b])
		}
		return uv[a] < uv[b] || (last && uv[a] == uv[b])
	}
	out := make([]int64, outer*inner)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			best := 0
			for j := 1; j < n; j++ {
				if better(base+j*inner, base+best*inner) {
					best = j
				}
			}
			out[o*inner+i] = int64(best)
		}
	}
	shape := slices.Clone(x.Shape)
	if keep {
		shape[ax] = 1
	} else {
		shape = slices.Delete(shape, ax, ax+1)
	}
	return New(shape, out), nil
}
