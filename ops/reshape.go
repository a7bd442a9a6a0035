package ops

import (
	"fmt"
)

// Reshape, Flatten, Squeeze, Unsqueeze and Identity change only a value's
// shape: their outputs share the input's data (kernels never modify their
// inputs, so sharing is safe).

func init() {
	Register(Spec{Op: "Reshape", Since: 1, Until: 4}, newReshape)
	Register(Spec{Op: "Reshape", Since: 5, Until: 13}, newReshape)
	Register(Spec{Op: "Reshape", Since: 14}, newReshape)
	Register(Spec{Op: "Flatten", Since: 1}, newFlatten)
	Register(Spec{Op: "Squeeze", Since: 1, Until: 12}, newSqueeze)
	Register(Spec{Op: "Squeeze", Since: 13}, newSqueeze)
	Register(Spec{Op: "Unsqueeze", Since: 1, Until: 12}, newUnsqueeze)
	Register(Spec{Op: "Unsqueeze", Since: 13}, newUnsqueeze)
	Register(Spec{Op: "Identity", Since: 1}, func(*Build) (Kernel, error) { return KernelFunc(identity), nil })
}

// ReshapeShape computes the output shape of Reshape for an input of shape
// in and a requested shape: -1 (at most once) is inferred, 0 copies the
// input's dim at that index unless allowZero is set (then it is a zero dim).
func ReshapeShape(in []int, shape []int64, allowZero bool) ([]int, error) {
	out := make([]int, len(shape))
	infer := -1
	known := 1
	hasZero := false
	for i, d := range shape {
		switch {
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", shape)
			}
			infer = i
			continue
		case d < -1:
			return nil, fmt.Errorf("shape %v has an invalid dim %d", shape, d)
		case d == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v copies dim %d (0) but the input %v has rank %d", shape, i, in, len(in))
			}
			out[i] = in[i]
		default:
			if int64(int(d)) != d || d > MaxElements {
				return nil, fmt.Errorf("shape %v has a dim %d that is too large", shape, d)
			}
			out[i] = int(d)
		}
		if out[i] == 0 {
			hasZero = true
		} else if known > MaxElements/out[i] {
			return nil, fmt.Errorf("shape %v has more than %d elements", shape, int64(MaxElements))
		}
		known *= out[i]
	}
	total := Size(in)
	if infer >= 0 {
		if hasZero {
			if allowZero {
				return nil, fmt.Errorf("shape %v has both -1 and a zero dim (allowzero)", shape)
			}
			// Any value would do for the -1 (or none would): the shape is ambiguous.
			return nil, fmt.Errorf("cannot infer the -1 dim of %v for input %v: the other dims multiply to 0", shape, in)
		}
		if total%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, total, shape)
		}
		out[infer] = total / known
		known *= out[infer]
	}
	if known != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", in, total, out, known)
	}
	return out, nil
}

type reshapeKernel struct {
	shape     []int64 // from the attribute (opset 1-4)
	allowZero bool
}

func newReshape(b *Build) (Kernel, error) {
	k := &reshapeKernel{}
	if b.Spec.Since < 5 {
		s, err := b.Node.AttrInts("shape", nil)
		if err != nil {
			return nil, err
		}
		if s == nil {
			return nil, b.Errorf("attribute shape is required")
		}
		k.shape = s
	} else {
		az, err := b.Node.AttrInt("allowzero", 0)
		if err != nil {
			return nil, err
		}
		if az != 0 && b.Spec.Since < 14 {
			return nil, b.Errorf("attribute allowzero needs opset 14")
		}
		k.allowZero = az != 0
	}
	return k, nil
}

func (k *reshapeKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	shape := k.shape
	if shape == nil {
		s, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		if s.Rank() != 1 {
			return nil, fmt.Errorf("input 1 (shape): want a 1-D tensor, got %s", s)
		}
		if shape, err = ToInt64s(s); err != nil {
			return nil, fmt.Errorf("input 1 (shape): %w", err)
		}
	}
	out, err := ReshapeShape(x.Shape, shape, k.allowZero)
	if err != nil {
		return nil, fmt.Errorf("input 1 (shape): %w", err)
	}
	return []Value{mvShare(x, out)}, nil
}

func newFlatten(b *Build) (Kernel, error) {
	axis, err := b.Node.AttrInt("axis", 1)
	if err != nil {
		return nil, err
	}
	if axis < 0 && b.Opset < 11 {
		return nil, b.Errorf("negative axis %d needs opset 11", axis)
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		r := x.Rank()
		a := axis
		if a < -int64(r) || a > int64(r) {
			return nil, fmt.Errorf("axis %d is out of range [%d, %d] for input 0 %s", axis, -r, r, x)
		}
		if a < 0 {
			a += int64(r)
		}
		return []Value{mvShare(x, []int{Size(x.Shape[:a]), Size(x.Shape[a:])})}, nil
	}), nil
}

// squeezeKernel removes the dims named by axes, or every dim of size 1 when
// axes are not given. Axes given but empty remove nothing (as the ONNX
// reference and shape inference do; ONNX Runtime removes all unit dims).
type squeezeKernel struct {
	axes     []int64
	hasAxes  bool
	useInput bool
}

func newSqueeze(b *Build) (Kernel, error) {
	k := &squeezeKernel{useInput: b.Spec.Since >= 13}
	if !k.useInput {
		a, err := b.Node.AttrInts("axes", nil)
		if err != nil {
			return nil, err
		}
		k.axes, k.hasAxes = a, b.Node.HasAttr("axes")
	}
	return k, nil
}

func (k *squeezeKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	axes, hasAxes := k.axes, k.hasAxes
	if k.useInput {
		a, ok, err := mvInt64Input(in, 1, "axes")
		if err != nil {
			return nil, err
		}
		axes, hasAxes = a, ok
	}
	drop := make([]bool, x.Rank())
	if !hasAxes {
		for i, d := range x.Shape {
			drop[i] = d == 1
		}
	}
	for _, a := range axes {
		ax, err := NormAxis(a, x.Rank())
		if err != nil {
			return nil, fmt.Errorf("axes: %w", err)
		}
		if x.Shape[ax] != 1 {
			return nil, fmt.Errorf("axes: cannot squeeze axis %d of input 0 %s: its dim is not 1", a, x)
		}
		drop[ax] = true
	}
	out := make([]int, 0, x.Rank())
	for i, d := range x.Shape {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return []Value{mvShare(x, out)}, nil
}

type unsqueezeKernel struct {
	axes     []int64
	useInput bool
}

func newUnsqueeze(b *Build) (Kernel, error) {
	k := &unsqueezeKernel{useInput: b.Spec.Since >= 13}
	if !k.useInput {
		a, err := b.Node.AttrInts("axes", nil)
		if err != nil {
			return nil, err
		}
		if a == nil {
			return nil, b.Errorf("attribute axes is required")
		}
		k.axes = a
	}
	return k, nil
}

func (k *unsqueezeKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	axes := k.axes
	if k.useInput {
		a, err := mvInt64sRequired(in, 1, "axes")
		if err != nil {
			return nil, err
		}
		axes = a
	}
	r := x.Rank() + len(axes)
	ins := make([]bool, r)
	for _, a := range axes {
		ax, err := NormAxis(a, r)
		if err != nil {
			return nil, fmt.Errorf("axes: %w", err)
		}
		if ins[ax] {
			return nil, fmt.Errorf("axes %v repeat axis %d", axes, a)
		}
		ins[ax] = true
	}
	out := make([]int, r)
	j := 0
	for i := range out {
		if ins[i] {
			out[i] = 1
		} else {
			out[i] = x.Shape[j]
			j++
		}
	}
	return []Value{mvShare(x, out)}, nil
}

// identity passes its input through (a tensor, sequence or optional).
func identity(_ *RunContext, in []Value) ([]Value, error) {
	if len(in) < 1 || in[0] == nil {
		return nil, fmt.Errorf("input 0 is missing")
	}
	return []Value{in[0]}, nil
}
