package ops

import (
	"fmt"
)

func init() {
	Register(Spec{Op: "Slice", Since: 1, Until: 9}, newSlice)
	Register(Spec{Op: "Slice", Since: 10, Until: 10}, newSlice)
	Register(Spec{Op: "Slice", Since: 11}, newSlice)
}

type sliceKernel struct {
	// Opset 1-9: the attributes.
	starts, ends, axes []int64
	attrs              bool
}

func newSlice(b *Build) (Kernel, error) {
	k := &sliceKernel{attrs: b.Spec.Since < 10}
	if k.attrs {
		var err error
		if k.starts, err = b.Node.AttrInts("starts", nil); err != nil {
			return nil, err
		}
		if k.ends, err = b.Node.AttrInts("ends", nil); err != nil {
			return nil, err
		}
		if k.axes, err = b.Node.AttrInts("axes", nil); err != nil {
			return nil, err
		}
		if k.starts == nil || k.ends == nil {
			return nil, b.Errorf("attributes starts and ends are required")
		}
	}
	return k, nil
}

func (k *sliceKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	starts, ends, axes := k.starts, k.ends, k.axes
	var steps []int64
	if !k.attrs {
		if starts, err = mvInt64sRequired(in, 1, "starts"); err != nil {
			return nil, err
		}
		if ends, err = mvInt64sRequired(in, 2, "ends"); err != nil {
			return nil, err
		}
		if axes, _, err = mvInt64Input(in, 3, "axes"); err != nil {
			return nil, err
		}
		if steps, _, err = mvInt64Input(in, 4, "steps"); err != nil {
			return nil, err
		}
	}
	out, err := SliceTensor(x, starts, ends, axes, steps)
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

// SliceRange clamps a slice of one axis of size dim as ONNX Slice (opset
// 10+) does and returns the first index, the step and the output length.
func SliceRange(start, end, step int64, dim int) (first, n int) {
	d := int64(dim)
	if d == 0 {
		return 0, 0
	}
	if start < 0 {
		start += d
	}
	if end < 0 {
		end += d
	}
	if step > 0 {
		start = max(0, min(start, d))
		end = max(0, min(end, d))
		if end > start {
			return int(start), int((end - start + step - 1) / step)
		}
		return int(start), 0
	}
	start = max(0, min(start, d-1))
	end = max(-1, min(end, d-1))
	if start > end {
		return int(start), int((start - end - step - 1) / -step)
	}
	return int(start), 0
}

// SliceTensor applies Slice to t. axes nil means [0, len(starts)); steps
// nil means all 1. The result shares t's data when it is one contiguous run.
func SliceTensor(t *Tensor, starts, ends, axes, steps []int64) (*Tensor, error) {
	if len(starts) != len(ends) {
		return nil, fmt.Errorf("starts %v and ends %v differ in length", starts, ends)
	}
	if axes != nil && len(axes) != len(starts) {
		return nil, fmt.Errorf("axes %v and starts %v differ in length", axes, starts)
	}
	if steps != nil && len(steps) != len(starts) {
		return nil, fmt.Errorf("steps %v and starts %v differ in length", steps, starts)
	}
	r := t.Rank()
	shape := append([]int{}, t.Shape...)
	st := Strides(t.Shape)
	stride := append([]int{}, st...)
	seen := make([]bool, r)
	base := 0
	for i := range starts {
		a := int64(i)
		if axes != nil {
			a = axes[i]
		}
		ax, err := NormAxis(a, r)
		if err != nil {
			return nil, fmt.Errorf("axes: %w", err)
		}
		if seen[ax] {
			return nil, fmt.Errorf("axes %v repeat axis %d", axes, a)
		}
		seen[ax] = true
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return nil, fmt.Errorf("steps %v: a step is 0", steps)
		}
		// Keep steps within int: a step beyond the dim takes one element.
		if step > int64(t.Shape[ax]) {
			step = max(int64(t.Shape[ax]), 1)
		} else if step < -int64(t.Shape[ax]) {
			step = -max(int64(t.Shape[ax]), 1)
		}
		first, n := SliceRange(starts[i], ends[i], step, t.Shape[ax])
		shape[ax] = n
		stride[ax] = st[ax] * int(step)
		if n > 0 {
			base += first * st[ax]
		}
	}
	if Size(shape) == 0 {
		return mvNew(t.DType, shape)
	}
	// One contiguous run: every axis before the last sliced one is whole or
	// of size 1, and all steps on non-unit axes are 1.
	contiguous := true
	partial := false
	for ax := r - 1; ax >= 0; ax-- {
		if shape[ax] != 1 && stride[ax] != st[ax] {
			contiguous = false
			break
		}
		if partial && shape[ax] != 1 {
			contiguous = false
			break
		}
		if shape[ax] != t.Shape[ax] {
			partial = true
		}
	}
	if contiguous {
		n := Size(shape)
		return &Tensor{DType: t.DType, Shape: shape, Data: mvSub(t, base, base+n)}, nil
	}
	return mvStridedTensor(t, shape, stride, base)
}
