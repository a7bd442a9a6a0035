package ops

import (
	"fmt"
	"math"
)

func init() {
	Register(Spec{Op: "OneHot", Since: 9, Until: 10}, newOneHot)
	Register(Spec{Op: "OneHot", Since: 11}, newOneHot)
}

func newOneHot(b *Build) (Kernel, error) {
	axis, err := b.Node.AttrInt("axis", -1)
	if err != nil {
		return nil, err
	}
	negIdx := b.Spec.Since >= 11
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
		idx, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		dt, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		vals, err := TensorInput(in, 2)
		if err != nil {
			return nil, err
		}
		if dt.Len() != 1 {
			return nil, fmt.Errorf("input 1 (depth) %s: want one value", dt)
		}
		dv, err := ToFloat64s(dt)
		if err != nil {
			return nil, fmt.Errorf("input 1 (depth): %w", err)
		}
		if !(dv[0] >= 1 && dv[0] <= MaxElements) {
			return nil, fmt.Errorf("input 1 (depth) %v is out of range [1, %d]", dv[0], int64(MaxElements))
		}
		depth := int(dv[0])
		if vals.Len() != 2 || vals.Rank() > 1 {
			return nil, fmt.Errorf("input 2 (values) %s: want [off_value, on_value]", vals)
		}
		iv, err := ToFloat64s(idx)
		if err != nil {
			return nil, fmt.Errorf("input 0 (indices): %w", err)
		}
		r := idx.Rank() + 1
		ax, err := NormAxis(axis, r)
		if err != nil {
			return nil, fmt.Errorf("axis: %w", err)
		}
		shape := append(append(append([]int{}, idx.Shape[:ax]...), depth), idx.Shape[ax:]...)
		if err := rc.CheckAlloc(vals.DType, shape); err != nil {
			return nil, err
		}
		if _, err := mvCheckShape("output", shape); err != nil {
			return nil, err
		}
		out, err := mvNew(vals.DType, shape)
		if err != nil {
			return nil, err
		}
		inner := Size(idx.Shape[ax:])
		// pos lists the flat output offsets that take on_value.
		pos := make([]int, 0, len(iv))
		for i, v := range iv {
			v = math.Trunc(v)
			if v < 0 && negIdx {
				v += float64(depth)
			}
			if !(v >= 0 && v < float64(depth)) {
				continue // out of range: all off_value
			}
			o, j := i/inner, i%inner
			pos = append(pos, (o*depth+int(v))*inner+j)
		}
		f, err := mvPick(vals.DType, oneHotT[uint8], oneHotT[uint16], oneHotT[uint32], oneHotT[uint64],
			oneHotT[[2]uint32], oneHotT[[2]uint64], oneHotT[string])
		if err != nil {
			return nil, err
		}
		f(out.Data, vals.Data, pos)
		return []Value{out}, nil
	}), nil
}

func oneHotT[W mvWord](dstAny, valsAny any, pos []int) {
	dst, v := mvView[W](dstAny), mvView[W](valsAny)
	for i := range dst {
		dst[i] = v[0]
	}
	for _, p := range pos {
		dst[p] = v[1]
	}
}
