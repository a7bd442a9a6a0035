package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register(Spec{Op: "Optional", Since: 15}, newOptional)
	Register(Spec{Op: "OptionalHasElement", Since: 15, Until: 17}, func(*Build) (Kernel, error) { return KernelFunc(optionalHasElement(false)), nil })
	Register(Spec{Op: "OptionalHasElement", Since: 18}, func(*Build) (Kernel, error) { return KernelFunc(optionalHasElement(true)), nil })
	Register(Spec{Op: "OptionalGetElement", Since: 15, Until: 17}, func(*Build) (Kernel, error) { return KernelFunc(optionalGetElement(false)), nil })
	Register(Spec{Op: "OptionalGetElement", Since: 18}, func(*Build) (Kernel, error) { return KernelFunc(optionalGetElement(true)), nil })
}

func newOptional(b *Build) (Kernel, error) {
	a := b.Node.Attr("type")
	var tp *graph.Type
	if a != nil {
		if a.Type != graph.AttrTypeProto {
			return nil, b.Errorf("attribute type is %s, want TYPE_PROTO", a.Type)
		}
		tp = a.TP
	}
	hasInput := len(b.Node.Inputs) > 0 && b.Node.Inputs[0] != ""
	if !hasInput && tp == nil {
		return nil, b.Errorf("an Optional without input needs the type attribute")
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		if len(in) == 0 || in[0] == nil {
			return []Value{&Optional{Type: tp}}, nil
		}
		switch v := in[0].(type) {
		case *Tensor, *Sequence:
			return []Value{&Optional{Value: v, Type: tp}}, nil
		}
		return nil, fmt.Errorf("input 0 is a %T, want a tensor or sequence", in[0])
	}), nil
}

// optionalHasElement: from opset 18 the input may be omitted (false) or be a
// plain tensor or sequence (true).
func optionalHasElement(v18 bool) KernelFunc {
	return func(_ *RunContext, in []Value) ([]Value, error) {
		if len(in) == 0 || in[0] == nil {
			if v18 {
				return []Value{Scalar(false)}, nil
			}
			return nil, fmt.Errorf("input 0 is missing")
		}
		switch v := in[0].(type) {
		case *Optional:
			return []Value{Scalar(v.Value != nil)}, nil
		case *Tensor, *Sequence:
			if v18 {
				return []Value{Scalar(true)}, nil
			}
		}
		return nil, fmt.Errorf("input 0 is a %T, want an optional", in[0])
	}
}

func optionalGetElement(v18 bool) KernelFunc {
	return func(_ *RunContext, in []Value) ([]Value, error) {
		if len(in) == 0 || in[0] == nil {
			return nil, fmt.Errorf("input 0 is missing")
		}
		switch v := in[0].(type) {
		case *Optional:
			if v.Value == nil {
				return nil, fmt.Errorf("input 0 is an empty optional")
			}
			return []Value{v.Value}, nil
		case *Tensor, *Sequence:
			if v18 {
				return []Value{v}, nil
			}
		}
		return nil, fmt.Errorf("input 0 is a %T, want an optional", in[0])
	}
}
