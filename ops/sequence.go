package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register(Spec{Op: "SequenceEmpty", Since: 11}, newSequenceEmpty)
	Register(Spec{Op: "SequenceConstruct", Since: 11}, func(*Build) (Kernel, error) { return KernelFunc(sequenceConstruct), nil })
	Register(Spec{Op: "SequenceInsert", Since: 11}, func(*Build) (Kernel, error) { return KernelFunc(sequenceInsert), nil })
	Register(Spec{Op: "SequenceAt", Since: 11}, func(*Build) (Kernel, error) { return KernelFunc(sequenceAt), nil })
	Register(Spec{Op: "SequenceErase", Since: 11}, func(*Build) (Kernel, error) { return KernelFunc(sequenceErase), nil })
	Register(Spec{Op: "SequenceLength", Since: 11}, func(*Build) (Kernel, error) { return KernelFunc(sequenceLength), nil })
	Register(Spec{Op: "SplitToSequence", Since: 11}, newSplitToSequence)
	Register(Spec{Op: "ConcatFromSequence", Since: 11}, newConcatFromSequence)
	Register(Spec{Op: "SequenceMap", Since: 17}, newSequenceMap)
}

// mSeqInput returns input i as a sequence, or an error naming the input.
func mSeqInput(in []Value, i int) (*Sequence, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("input %d is missing", i)
	}
	s, ok := in[i].(*Sequence)
	if !ok {
		return nil, fmt.Errorf("input %d is a %T, want a sequence", i, in[i])
	}
	return s, nil
}

func newSequenceEmpty(b *Build) (Kernel, error) {
	dt, err := b.Node.AttrInt("dtype", int64(graph.Float))
	if err != nil {
		return nil, err
	}
	if _, err := Zeros(graph.DType(dt), nil); err != nil {
		return nil, b.Errorf("dtype %s: %v", graph.DType(dt), err)
	}
	return KernelFunc(func(*RunContext, []Value) ([]Value, error) {
		return []Value{&Sequence{Elem: graph.DType(dt)}}, nil
	}), nil
}

func sequenceConstruct(_ *RunContext, in []Value) ([]Value, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("want at least one input")
	}
	s := &Sequence{}
	for i := range in {
		t, err := TensorInput(in, i)
		if err != nil {
			return nil, err
		}
		if i > 0 && t.DType != s.Elem {
			return nil, fmt.Errorf("input %d is %s, input 0 is %s: a sequence holds one element type", i, t.DType, s.Elem)
		}
		s.Elem = t.DType
		s.Items = append(s.Items, t)
	}
	return []Value{s}, nil
}

// mSeqPos reads an optional position input and maps it into [0, n] (insert)
// or [0, n) (at, erase); def is used when it is omitted.
func mSeqPos(in []Value, i, n, def int, inclusive bool) (int, error) {
	t, err := OptTensor(in, i)
	if err != nil || t == nil {
		return def, err
	}
	p, err := mScalarInt(t)
	if err != nil {
		return 0, fmt.Errorf("input %d (position): %w", i, err)
	}
	hi := int64(n - 1)
	if inclusive {
		hi = int64(n)
	}
	if p < -int64(n) || p > hi {
		return 0, fmt.Errorf("position %d is out of range for a sequence of length %d", p, n)
	}
	if p < 0 {
		p += int64(n)
	}
	return int(p), nil
}

func sequenceInsert(_ *RunContext, in []Value) ([]Value, error) {
	s, err := mSeqInput(in, 0)
	if err != nil {
		return nil, err
	}
	t, err := TensorInput(in, 1)
	if err != nil {
		return nil, err
	}
	if s.Elem != graph.Undefined && t.DType != s.Elem {
		return nil, fmt.Errorf("cannot insert %s into a sequence of %s", t.DType, s.Elem)
	}
	p, err := mSeqPos(in, 2, len(s.Items), len(s.Items), true)
	if err != nil {
		return nil, err
	}
	items := make([]*Tensor, 0, len(s.Items)+1)
	items = append(items, s.Items[:p]...)
	items = append(items, t)
	items = append(items, s.Items[p:]...)
	return []Value{&Sequence{Elem: t.DType, Items: items}}, nil
}

func sequenceAt(_ *RunContext, in []Value) ([]Value, error) {
	s, err := mSeqInput(in, 0)
	if err != nil {
		return nil, err
	}
	if _, err := TensorInput(in, 1); err != nil {
		return nil, err
	}
	p, err := mSeqPos(in, 1, len(s.Items), 0, false)
	if err != nil {
		return nil, err
	}
	return []Value{s.Items[p]}, nil
}

func sequenceErase(_ *RunContext, in []Value) ([]Value, error) {
	s, err := mSeqInput(in, 0)
	if err != nil {
		return nil, err
	}
	if len(s.Items) == 0 {
		return nil, fmt.Errorf("cannot erase from an empty sequence")
	}
	p, err := mSeqPos(in, 1, len(s.Items), len(s.Items)-1, false)
	if err != nil {
		return nil, err
	}
	items := make([]*Tensor, 0, len(s.Items)-1)
	items = append(items, s.Items[:p]...)
	items = append(items, s.Items[p+1:]...)
	return []Value{&Sequence{Elem: s.Elem, Items: items}}, nil
}

func sequenceLength(_ *RunContext, in []Value) ([]Value, error) {
	s, err := mSeqInput(in, 0)
	if err != nil {
		return nil, err
	}
	return []Value{Scalar(int64(len(s.Items)))}, nil
}

func newSplitToSequence(b *Build) (Kernel, error) {
	axis, err := b.Node.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	keep, err := b.Node.AttrInt("keepdims", 1)
	if err != nil {
		return nil, err
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		a, err := NormAxis(axis, x.Rank())
		if err != nil {
			return nil, err
		}
		n := x.Shape[a]
		split, err := OptTensor(in, 1)
		if err != nil {
			return nil, err
		}
		var sizes []int
		squeeze := false
		switch {
		case split == nil:
			for range n {
				sizes = append(sizes, 1)
			}
			squeeze = keep == 0
		case split.Rank() == 0:
			c, err := mScalarInt(split)
			if err != nil {
				return nil, err
			}
			if c <= 0 {
				return nil, fmt.Errorf("input 1 (split) is %d, want > 0", c)
			}
			for off := 0; off < n; off += int(c) {
				sizes = append(sizes, min(int(c), n-off))
			}
		case split.Rank() == 1:
			v, err := ToInt64s(split)
			if err != nil {
				return nil, err
			}
			sum := int64(0)
			for _, s := range v {
				if s < 0 {
					return nil, fmt.Errorf("input 1 (split) %v has a negative size", v)
				}
				sum += s
				sizes = append(sizes, int(s))
			}
			if sum != int64(n) {
				return nil, fmt.Errorf("input 1 (split) %v sums to %d, axis %d has %d", v, sum, a, n)
			}
		default:
			return nil, fmt.Errorf("input 1 (split) is %s, want a scalar or 1-D tensor", split)
		}
		s := &Sequence{Elem: x.DType}
		off := 0
		for _, sz := range sizes {
			var t *Tensor
			if squeeze {
				t, err = mTake(x, a, off)
			} else {
				t, err = mSliceAxis(x, a, off, off+sz)
			}
			if err != nil {
				return nil, err
			}
			s.Items = append(s.Items, t)
			off += sz
		}
		return []Value{s}, nil
	}), nil
}

func newConcatFromSequence(b *Build) (Kernel, error) {
	if !b.Node.HasAttr("axis") {
		return nil, b.Errorf("attribute axis is required")
	}
	axis, err := b.Node.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	newAxis, err := b.Node.AttrInt("new_axis", 0)
	if err != nil {
		return nil, err
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		s, err := mSeqInput(in, 0)
		if err != nil {
			return nil, err
		}
		if len(s.Items) == 0 {
			return nil, fmt.Errorf("cannot concatenate an empty sequence")
		}
		r := s.Items[0].Rank()
		if newAxis == 1 {
			a, err := NormAxis(axis, r+1)
			if err != nil {
				return nil, err
			}
			t, err := mStack(s.Items, a)
			return []Value{t}, err
		}
		a, err := NormAxis(axis, r)
		if err != nil {
			return nil, err
		}
		t, err := ConcatTensors(s.Items, int64(a))
		if err != nil {
			return nil, err
		}
		return []Value{t}, nil
	}), nil
}

type sequenceMapKernel struct {
	body    *Plan
	bodyOut []*graph.ValueInfo
}

func newSequenceMap(b *Build) (Kernel, error) {
	g, err := b.Node.AttrGraph("body")
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, b.Errorf("attribute body is required")
	}
	if len(g.Inputs) != len(b.Node.Inputs) {
		return nil, b.Errorf("body takes %d inputs, node has %d", len(g.Inputs), len(b.Node.Inputs))
	}
	if len(g.Outputs) != len(b.Node.Outputs) {
		return nil, b.Errorf("body gives %d outputs, node has %d", len(g.Outputs), len(b.Node.Outputs))
	}
	p, err := b.Subgraph(g)
	if err != nil {
		return nil, err
	}
	return &sequenceMapKernel{body: p, bodyOut: g.Outputs}, nil
}

func (k *sequenceMapKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	s0, err := mSeqInput(in, 0)
	if err != nil {
		return nil, err
	}
	n := len(s0.Items)
	for i := 1; i < len(in); i++ {
		if s, ok := in[i].(*Sequence); ok && len(s.Items) != n {
			return nil, fmt.Errorf("input %d has %d items, input 0 has %d", i, len(s.Items), n)
		}
	}
	res := make([]*Sequence, len(k.bodyOut))
	for j, o := range k.bodyOut {
		res[j] = &Sequence{}
		if o.Type != nil && o.Type.Kind == graph.TypeSequence && o.Type.Inner != nil {
			res[j].Elem = o.Type.Inner.Elem
		}
	}
	args := make([]Value, len(in))
	for it := range n {
		if err := rc.Ctx.Err(); err != nil {
			return nil, err
		}
		for i, v := range in {
			if s, ok := v.(*Sequence); ok {
				args[i] = s.Items[it]
			} else {
				args[i] = v
			}
		}
		outs, err := rc.RunSubgraph(k.body, args)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", it, err)
		}
		for j, o := range outs {
			t, ok := o.(*Tensor)
			if !ok {
				return nil, fmt.Errorf("item %d: body output %d is a %T, want a tensor", it, j, o)
			}
			res[j].Elem = t.DType
			res[j].Items = append(res[j].Items, t)
		}
	}
	out := make([]Value, len(res))
	for j, s := range res {
		out[j] = s
	}
	return out, nil
}
