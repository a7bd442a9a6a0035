package ops

import (
	"fmt"
)

func init() {
	Register(Spec{Op: "Compress", Since: 9, Until: 10}, newCompress)
	Register(Spec{Op: "Compress", Since: 11}, newCompress)
}

func newCompress(b *Build) (Kernel, error) {
	axis, err := b.Node.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	hasAxis := b.Node.HasAttr("axis")
	if hasAxis && axis < 0 && b.Spec.Since < 11 {
		return nil, b.Errorf("negative axis %d needs opset 11", axis)
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		c, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		cond, ok := c.Data.([]bool)
		if !ok || c.Rank() != 1 {
			return nil, fmt.Errorf("input 1 (condition) %s: want a 1-D bool tensor", c)
		}
		src, ax := x, 0
		if hasAxis {
			if ax, err = NormAxis(axis, x.Rank()); err != nil {
				return nil, fmt.Errorf("input 0 %s: %w", x, err)
			}
		} else {
			src = mvShare(x, []int{x.Len()})
		}
		dim := src.Shape[ax]
		var keep []int64
		for i, v := range cond {
			if !v {
				continue
			}
			if i >= dim {
				return nil, fmt.Errorf("input 1 (condition) is true at %d, beyond dim %d (%d) of input 0 %s", i, ax, dim, x)
			}
			keep = append(keep, int64(i))
		}
		out, err := GatherTensor(src, New([]int{len(keep)}, append([]int64{}, keep...)), int64(ax))
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	}), nil
}
