package ops

import (
	"fmt"
)

func init() {
	Register(Spec{Op: "ReverseSequence", Since: 10}, newReverseSequence)
}

func newReverseSequence(b *Build) (Kernel, error) {
	batchAxis, err := b.Node.AttrInt("batch_axis", 1)
	if err != nil {
		return nil, err
	}
	timeAxis, err := b.Node.AttrInt("time_axis", 0)
	if err != nil {
		return nil, err
	}
	if !(batchAxis == 0 && timeAxis == 1 || batchAxis == 1 && timeAxis == 0) {
		return nil, b.Errorf("batch_axis %d and time_axis %d must be 0 and 1 in some order", batchAxis, timeAxis)
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		lt, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		if x.Rank() < 2 {
			return nil, fmt.Errorf("input 0 %s: want rank >= 2", x)
		}
		lens, err := ToInt64s(lt)
		if err != nil {
			return nil, fmt.Errorf("input 1 (sequence_lens): %w", err)
		}
		batch, steps := x.Shape[batchAxis], x.Shape[timeAxis]
		if lt.Rank() != 1 || len(lens) != batch {
			return nil, fmt.Errorf("input 1 (sequence_lens) %s: want %d values", lt, batch)
		}
		for i, l := range lens {
			if l < 0 || l > int64(steps) {
				return nil, fmt.Errorf("input 1 (sequence_lens): value %d at position %d is out of range [0, %d]", l, i, steps)
			}
		}
		inner := Size(x.Shape[2:])
		st := Strides(x.Shape)
		bst, tst := st[batchAxis], st[timeAxis]
		// Block (b, t) of the output comes from block (b, lens[b]-1-t) for t < lens[b].
		pos := make([]int, 0, batch*steps)
		dst := make([]int, 0, batch*steps)
		for b := 0; b < batch; b++ {
			for t := 0; t < steps; t++ {
				s := t
				if int64(t) < lens[b] {
					s = int(lens[b]) - 1 - t
				}
				dst = append(dst, b*bst+t*tst)
				pos = append(pos, b*bst+s*tst)
			}
		}
		out, err := mvNew(x.DType, x.Shape)
		if err != nil {
			return nil, err
		}
		f, err := mvPick(x.DType, moveBlocksT[uint8], moveBlocksT[uint16], moveBlocksT[uint32], moveBlocksT[uint64],
			moveBlocksT[[2]uint32], moveBlocksT[[2]uint64], moveBlocksT[string])
		if err != nil {
			return nil, err
		}
		f(out.Data, x.Data, dst, pos, inner)
		return []Value{out}, nil
	}), nil
}

// moveBlocksT copies n elements from src[pos[i]:] to dst[at[i]:] for each i.
func moveBlocksT[W mvWord](dstAny, srcAny any, at, pos []int, n int) {
	dst, src := mvView[W](dstAny), mvView[W](srcAny)
	for i, p := range pos {
		copy(dst[at[i]:at[i]+n], src[p:p+n])
	}
}
