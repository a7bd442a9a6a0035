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
	f, err := mvPick(first.DType, concatCopy[uint8], concatCopy[uint16], concatCopy[uint32], concatCopy[uint64],
		concatCopy[[2]uint32], concatCopy[[2]uint64], concatCopy[string])
	if err != nil {
		return nil, err
	}
	f(out, ts, ax, threadsOf(rc))
	return out, nil
}

// concatPiece is the element count from which Concat splits its copies
// across threads, and the size of the pieces it splits them into.
const concatPiece = 1 << 14

// concatCopy copies the inputs' blocks into out, split into pieces of about
// concatPiece elements shared among up to threads goroutines when out is
// large.
func concatCopy[W mvWord](out *Tensor, ts []*Tensor, ax int, threads int) {
	dst := mvView[W](out.Data)
	outer := Size(out.Shape[:ax])
	inner := Size(out.Shape[ax+1:])
	rowLen := out.Shape[ax] * inner
	if threads == 1 || len(dst) < 4*concatPiece {
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
		return
	}
	// One task per (input, row) block, cut into pieces; each goroutine
	// takes a contiguous range of pieces.
	type piece struct{ d, s, n, in int }
	var pieces []piece
	off := 0
	for i, t := range ts {
		blk := t.Shape[ax] * inner
		if blk == 0 {
			continue
		}
		for o := 0; o < outer; o++ {
			for p := 0; p < blk; p += concatPiece {
				pieces = append(pieces, piece{d: o*rowLen + off + p, s: o*blk + p, n: min(concatPiece, blk-p), in: i})
			}
		}
		off += blk
	}
	srcs := make([][]W, len(ts))
	for i, t := range ts {
		srcs[i] = mvView[W](t.Data)
	}
	parallelChunks(threads, len(pieces), func(lo, hi int) {
		for _, p := range pieces[lo:hi] {
			copy(dst[p.d:p.d+p.n], srcs[p.in][p.s:p.s+p.n])
		}
	})
}
