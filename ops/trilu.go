package ops

import (
	"fmt"
)

func init() {
	Register(Spec{Op: "Trilu", Since: 14}, newTrilu)
}

func newTrilu(b *Build) (Kernel, error) {
	upper, err := b.Node.AttrInt("upper", 1)
	if err != nil {
		return nil, err
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		if x.Rank() < 2 {
			return nil, fmt.Errorf("input 0 %s: want rank >= 2", x)
		}
		k := int64(0)
		if kt, err := OptTensor(in, 1); err != nil {
			return nil, err
		} else if kt != nil {
			v, err := ToInt64s(kt)
			if err != nil || len(v) != 1 {
				return nil, fmt.Errorf("input 1 (k) %s: want one integer", kt)
			}
			k = v[0]
		}
		out, err := mvNew(x.DType, x.Shape)
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		rows, cols := x.Shape[r-2], x.Shape[r-1]
		// Row i keeps columns [lo, hi).
		lo := make([]int, rows)
		hi := make([]int, rows)
		for i := range lo {
			d := int64(i) + max(min(k, int64(cols)+1), -int64(rows)-1) // clamp k to avoid overflow
			if upper != 0 {
				lo[i], hi[i] = int(min(max(d, 0), int64(cols))), cols
			} else {
				lo[i], hi[i] = 0, int(min(max(d+1, 0), int64(cols)))
			}
		}
		f, err := mvPick(x.DType, triluT[uint8], triluT[uint16], triluT[uint32], triluT[uint64],
			triluT[[2]uint32], triluT[[2]uint64], triluT[string])
		if err != nil {
			return nil, err
		}
		f(out.Data, x.Data, lo, hi, cols)
		return []Value{out}, nil
	}), nil
}

func triluT[W mvWord](dstAny, srcAny any, lo, hi []int, cols int) {
	dst, src := mvView[W](dstAny), mvView[W](srcAny)
	rows := len(lo)
	plane := rows * cols
	if plane == 0 {
		return
	}
	for p := 0; p < len(dst); p += plane {
		for i := 0; i < rows; i++ {
			o := p + i*cols
			copy(dst[o+lo[i]:o+hi[i]], src[o+lo[i]:o+hi[i]])
		}
	}
}
