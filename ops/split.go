package ops

import (
	"fmt"
)

func init() {
	Register(Spec{Op: "Split", Since: 1, Until: 1}, newSplit)
	Register(Spec{Op: "Split", Since: 2, Until: 10}, newSplit)
	Register(Spec{Op: "Split", Since: 11, Until: 12}, newSplit)
	Register(Spec{Op: "Split", Since: 13, Until: 17}, newSplit)
	Register(Spec{Op: "Split", Since: 18}, newSplit)
}

type splitKernel struct {
	axis       int64
	split      []int64 // from the attribute
	splitInput bool    // the split sizes may come from input 1
	numOutputs int     // number of node outputs
	ceil       bool    // opset 18: uneven parts, the last one smaller
}

func newSplit(b *Build) (Kernel, error) {
	since := b.Spec.Since
	axis, err := b.Node.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	// Negative axes count from the back. The schema allows them from opset 11,
	// but exporters (PyTorch's chunk at opset 9) emit them earlier too and the
	// meaning is unambiguous, so they are accepted at every version.
	k := &splitKernel{axis: axis, numOutputs: len(b.Node.Outputs), splitInput: since == 1 || since >= 13}
	if since < 13 {
		if k.split, err = b.Node.AttrInts("split", nil); err != nil {
			return nil, err
		}
	} else if b.Node.HasAttr("split") {
		return nil, b.Errorf("attribute split was replaced by input 1 in opset 13")
	}
	if since >= 18 {
		k.ceil = true
		n, err := b.Node.AttrInt("num_outputs", 0)
		if err != nil {
			return nil, err
		}
		if b.Node.HasAttr("num_outputs") {
			if n < 1 || n != int64(len(b.Node.Outputs)) {
				return nil, b.Errorf("num_outputs %d does not match the node's %d outputs", n, len(b.Node.Outputs))
			}
			if len(b.Node.Inputs) > 1 && b.Node.Inputs[1] != "" {
				return nil, b.Errorf("input split and attribute num_outputs are both given")
			}
		}
	}
	if k.numOutputs == 0 {
		return nil, b.Errorf("no outputs")
	}
	return k, nil
}

func (k *splitKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	ax, err := NormAxis(k.axis, x.Rank())
	if err != nil {
		return nil, fmt.Errorf("input 0 %s: %w", x, err)
	}
	dim := x.Shape[ax]
	split := k.split
	if k.splitInput {
		s, ok, err := mvInt64Input(in, 1, "split")
		if err != nil {
			return nil, err
		}
		if ok {
			split = s
		}
	}
	sizes := make([]int, k.numOutputs)
	if split != nil {
		if len(split) != k.numOutputs {
			return nil, fmt.Errorf("split %v has %d entries for %d outputs", split, len(split), k.numOutputs)
		}
		sum := 0
		for i, s := range split {
			if s < 0 || s > int64(dim) {
				return nil, fmt.Errorf("split %v: entry %d is out of range [0, %d]", split, s, dim)
			}
			sizes[i] = int(s)
			sum += int(s)
		}
		if sum != dim {
			return nil, fmt.Errorf("split %v sums to %d, but dim %d of input 0 %s is %d", split, sum, ax, x, dim)
		}
	} else {
		n := k.numOutputs
		if k.ceil {
			chunk := (dim + n - 1) / n
			rest := dim
			for i := range sizes {
				sizes[i] = min(chunk, rest)
				rest -= sizes[i]
			}
		} else {
			if dim%n != 0 {
				return nil, fmt.Errorf("dim %d of input 0 %s (%d) does not split into %d equal parts", ax, x, dim, n)
			}
			for i := range sizes {
				sizes[i] = dim / n
			}
		}
	}
	outer := Size(x.Shape[:ax])
	inner := Size(x.Shape[ax+1:])
	outs := make([]Value, k.numOutputs)
	off := 0
	for i, s := range sizes {
		shape := append([]int{}, x.Shape...)
		shape[ax] = s
		if outer == 1 {
			// The part is contiguous in the input: share it.
			outs[i] = &Tensor{DType: x.DType, Shape: shape, Data: mvSub(x, off*inner, (off+s)*inner)}
		} else {
			t, err := mvStridedTensor(x, []int{outer, s * inner}, []int{dim * inner, 1}, off*inner)
			if err != nil {
				return nil, err
			}
			t.Shape = shape
			outs[i] = t
		}
		off += s
	}
	return outs, nil
}
