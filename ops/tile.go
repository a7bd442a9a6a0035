package ops

import (
	"fmt"
	"slices"
)

func init() {
	Register(Spec{Op: "Tile", Since: 1, Until: 5}, func(*Build) (Kernel, error) { return KernelFunc(tile1), nil })
	Register(Spec{Op: "Tile", Since: 6}, func(*Build) (Kernel, error) { return KernelFunc(tile6), nil })
	Register(Spec{Op: "Expand", Since: 8}, func(*Build) (Kernel, error) { return KernelFunc(expand), nil })
}

// tile1 is Tile-1: input 1 is the number of copies along the axis in input 2.
func tile1(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	var vals [2]int64
	for i, name := range []string{"tiles", "axis"} {
		t, err := TensorInput(in, i+1)
		if err != nil {
			return nil, err
		}
		v, err := ToInt64s(t)
		if err != nil || len(v) != 1 {
			return nil, fmt.Errorf("input %d (%s) %s: want one integer", i+1, name, t)
		}
		vals[i] = v[0]
	}
	ax, err := NormAxis(vals[1], x.Rank())
	if err != nil {
		return nil, fmt.Errorf("input 2 (axis): %w", err)
	}
	reps := make([]int64, x.Rank())
	for i := range reps {
		reps[i] = 1
	}
	reps[ax] = vals[0]
	if err := rc.checkTile(x, reps); err != nil {
		return nil, err
	}
	out, err := TileTensor(x, reps)
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

func tile6(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	reps, err := mvInt64sRequired(in, 1, "repeats")
	if err != nil {
		return nil, err
	}
	if err := rc.checkTile(x, reps); err != nil {
		return nil, err
	}
	out, err := TileTensor(x, reps)
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

// TileTensor repeats t reps[i] times along each axis i.
func TileTensor(t *Tensor, reps []int64) (*Tensor, error) {
	r := t.Rank()
	if len(reps) != r {
		return nil, fmt.Errorf("input 1 (repeats) %v: want %d values for input 0 %s", reps, r, t)
	}
	shape := make([]int, r)
	view := make([]int, 2*r)
	stride := make([]int, 2*r)
	st := Strides(t.Shape)
	for i, n := range reps {
		if n < 0 || n > MaxElements {
			return nil, fmt.Errorf("input 1 (repeats) %v: %d is out of range [0, %d]", reps, n, int64(MaxElements))
		}
		if t.Shape[i] != 0 && int(n) > MaxElements/t.Shape[i] {
			return nil, fmt.Errorf("input 1 (repeats) %v: output is too large", reps)
		}
		shape[i] = t.Shape[i] * int(n)
		view[2*i], view[2*i+1] = int(n), t.Shape[i]
		stride[2*i], stride[2*i+1] = 0, st[i]
	}
	if _, err := mvCheckShape("output", shape); err != nil {
		return nil, err
	}
	out, err := mvStridedTensor(t, view, stride, 0)
	if err != nil {
		return nil, err
	}
	out.Shape = shape
	return out, nil
}

func expand(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	s, err := mvInt64sRequired(in, 1, "shape")
	if err != nil {
		return nil, err
	}
	want := make([]int, len(s))
	for i, d := range s {
		if d < 0 || d > MaxElements {
			return nil, fmt.Errorf("input 1 (shape) %v: dim %d is out of range", s, d)
		}
		want[i] = int(d)
	}
	shape, err := BroadcastShapes(x.Shape, want)
	if err != nil {
		return nil, fmt.Errorf("input 1 (shape) %v does not broadcast with input 0 %s", s, x)
	}
	if err := rc.CheckAlloc(x.DType, shape); err != nil {
		return nil, err
	}
	out, err := expandTo(rc, x, shape)
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

// ExpandTensor broadcasts t to shape (which t must broadcast to). When shape
// equals t's shape the result shares t's data.
func ExpandTensor(t *Tensor, shape []int) (*Tensor, error) {
	return expandTo(nil, t, shape)
}

// expandTo is ExpandTensor with the output from rc's buffers.
func expandTo(rc *RunContext, t *Tensor, shape []int) (*Tensor, error) {
	if _, err := mvCheckShape("output", shape); err != nil {
		return nil, err
	}
	if len(shape) < t.Rank() {
		return nil, fmt.Errorf("cannot expand %s to %v", t, shape)
	}
	if slices.Equal(shape, t.Shape) {
		return mvShare(t, append([]int{}, shape...)), nil
	}
	st := Strides(t.Shape)
	stride := make([]int, len(shape))
	off := len(shape) - t.Rank()
	for i, d := range t.Shape {
		switch {
		case d == shape[off+i]:
			stride[off+i] = st[i]
		case d == 1:
		default:
			return nil, fmt.Errorf("cannot expand %s to %v", t, shape)
		}
	}
	out, err := fullBuffer(rc, t.DType, shape)
	if err != nil {
		return nil, err
	}
	f, err := mvPick(t.DType, mvStridedAny[uint8], mvStridedAny[uint16], mvStridedAny[uint32], mvStridedAny[uint64],
		mvStridedAny[[2]uint32], mvStridedAny[[2]uint64], mvStridedAny[string])
	if err != nil {
		return nil, err
	}
	f(out.Data, t.Data, out.Shape, stride, 0)
	return out, nil
}
