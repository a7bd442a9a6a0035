package ops

import (
	"fmt"
)

func init() {
	Register(Spec{Op: "Concat", Since: 1, Until: 3}, newConcat)
	Register(Spec{Op: "Concat", Since: 4, Until: 10}, newConcat)
	Register(Spec{Op: "Concat", Since: 11}, newConcat)
}

func newConcat(b *Build) (Kernel, error) {
	def := int64(1) // opset 1-3 default; the attribute is required from 4
	if b.Spec.Since >= 4 {
		if !b.Node.HasAttr("axis") {
			return nil, b.Errorf("attribute axis is required")
		}
	}
	axis, err := b.Node.AttrInt("axis", def)
	if err != nil {
		return nil, err
	}
	// Negative axes count from the back. The schema allows them from opset 11;
	// exporters emit them earlier too, and the meaning is unambiguous.
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
		if len(in) == 0 {
			return nil, fmt.Errorf("no inputs")
		}
		ts := make([]*Tensor, len(in))
		for i := range in {
			t, err := TensorInput(in, i)
			if err != nil {
				return nil, err
			}
			ts[i] = t
		}
		if err := rc.checkConcat(ts); err != nil {
			return nil, err
		}
		out, err := concatTensors(rc, ts, axis)
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	}), nil
}

// ConcatTensors joins tensors of one element type and rank along axis
// (negative counts from the end); their other dims must be equal.
func ConcatTensors(ts []*Tensor, axis int64) (*Tensor, error) {
	return concatTensors(nil, ts, axis)
}

// concatTensors is ConcatTensors with the output from the run's buffers
// (for the element types the pool keeps) when rc has them.
func concatTensors(rc *RunContext, ts []*Tensor, axis int64) (*Tensor, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("nothing to concatenate")
	}
	first := ts[0]
	ax, err := NormAxis(axis, first.Rank())
	if err != nil {
		return nil, fmt.Errorf("input 0 %s: %w", first, err)
	}
	shape := append([]int{}, first.Shape...)
	shape[ax] = 0
	for i, t := range ts {
		if t.DType != first.DType {
			return nil, fmt.Errorf("input %d is %s, input 0 is %s", i, t, first)
		}
		if t.Rank() != first.Rank() {
			return nil, fmt.Errorf("input %d %s and input 0 %s differ in rank", i, t, first)
		}
		for d := range t.Shape {
			if d != ax && t.Shape[d] != first.Shape[d] {
				return nil, fmt.Errorf("input %d %s and input 0 %s differ in dim %d", i, t, first, d)
			}
		}
		shape[ax] += t.Shape[ax]
	}
	if _, err := mvCheckShape("output", shape); err != nil {
		return nil, err
	}
	if len(ts) == 1 {
		return mvShare(first, shape), nil
	}
	out, err := mvOut(rc, first.DType, shape)
	if err != nil {
		return nil, err
	}
	f, err := mvPick(first.DType, concatT[uint8], concatT[uint16], concatT[uint32], concatT[uint64],
		concatT[[2]uint32], concatT[[2]uint64], concatT[string])
	if err != nil {
		return nil, err
	}
	f(out, ts, ax)
	return out, nil
}

func concatT[W mvWord](out *Tensor, ts []*Tensor, ax int) {
	dst := mvView[W](out.Data)
	outer := Size(out.Shape[:ax])
	inner := Size(out.Shape[ax+1:])
	rowLen := out.Shape[ax] * inner
	off := 0
	for _, t := range ts {
		src := mvView[W](t.Data)
		blk := t.Shape[ax] * inner
		if blk == 0 {
			continue
		}
		for o := 0; o < outer; o++ {
			copy(dst[o*rowLen+off:o*rowLen+off+blk], src[o*blk:(o+1)*blk])
		}
		off += blk
	}
}
