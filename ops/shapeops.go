package ops

func init() {
	Register(Spec{Op: "Shape", Since: 1, Until: 14}, newShape)
	Register(Spec{Op: "Shape", Since: 15}, newShape)
	Register(Spec{Op: "Size", Since: 1}, func(*Build) (Kernel, error) {
		return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
			x, err := TensorInput(in, 0)
			if err != nil {
				return nil, err
			}
			return []Value{Scalar(int64(x.Len()))}, nil
		}), nil
	})
}

func newShape(b *Build) (Kernel, error) {
	start, err := b.Node.AttrInt("start", 0)
	if err != nil {
		return nil, err
	}
	end, err := b.Node.AttrInt("end", 0)
	if err != nil {
		return nil, err
	}
	hasEnd := b.Node.HasAttr("end")
	if b.Spec.Since < 15 && (start != 0 || hasEnd) {
		return nil, b.Errorf("attributes start and end need opset 15")
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		r := int64(x.Rank())
		clamp := func(v int64) int64 {
			if v < 0 {
				v += r
			}
			return min(max(v, 0), r)
		}
		lo, hi := clamp(start), r
		if hasEnd {
			hi = clamp(end)
		}
		hi = max(hi, lo)
		out := make([]int64, hi-lo)
		for i := range out {
			out[i] = int64(x.Shape[lo+int64(i)])
		}
		return []Value{New([]int{len(out)}, out)}, nil
	}), nil
}
