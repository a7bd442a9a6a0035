package ops

import "fmt"

func init() {
	Register(Spec{Op: "CenterCropPad", Since: 18}, newCenterCropPad)
}

// centerCropPadKernel crops or pads input 0 about its center to the sizes of
// input 1, along the axes attribute (all axes when absent). Where a dim and
// its target differ by an odd amount the extra element is cropped from, or
// padded to, the end. Padding is with zeros (the empty string for strings).
type centerCropPadKernel struct {
	axes []int64 // nil: every axis
}

func newCenterCropPad(b *Build) (Kernel, error) {
	axes, err := b.Node.AttrInts("axes", nil)
	if err != nil {
		return nil, err
	}
	return &centerCropPadKernel{axes: axes}, nil
}

// Run crops and pads input 0 in one pass.
func (k *centerCropPadKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	shape, ok, err := mvInt64Input(in, 1, "shape")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("input 1 (shape) is missing")
	}
	r := x.Rank()
	axes := k.axes
	if axes == nil {
		axes = make([]int64, r)
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	if len(shape) != len(axes) {
		return nil, fmt.Errorf("input 1 (shape) %v: want %d values for axes %v of input 0 %s", shape, len(axes), axes, x)
	}
	pads := make([]int64, 2*r)
	seen := make([]bool, r)
	for i, a := range axes {
		ax, err := NormAxis(a, r)
		if err != nil {
			return nil, fmt.Errorf("attribute axes: %w", err)
		}
		if seen[ax] {
			return nil, fmt.Errorf("attribute axes %v repeats axis %d", axes, a)
		}
		seen[ax] = true
		if shape[i] < 0 || shape[i] > MaxElements {
			return nil, fmt.Errorf("input 1 (shape) %v: size %d is out of range", shape, shape[i])
		}
		d := shape[i] - int64(x.Shape[ax])
		if d >= 0 { // pad: d/2 before, the rest after
			pads[ax], pads[ax+r] = d/2, d-d/2
		} else { // crop: -d/2 from the start, the rest from the end
			pads[ax], pads[ax+r] = -((-d) / 2), -((-d) - (-d)/2)
		}
	}
	if err := rc.checkPad(x, pads); err != nil {
		return nil, err
	}
	zero, err := mvScalarOf(x.DType, 0)
	if err != nil {
		return nil, err
	}
	if s, ok := zero.([]string); ok {
		s[0] = ""
	}
	out, err := PadTensor(x, pads, "constant", zero)
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}
