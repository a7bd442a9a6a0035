package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/x448/float16"
)

// ToFloat32s returns the elements of a float16, bfloat16 or float32 tensor
// as float32 (a new slice except for float32 input). Kernels that compute
// half-precision types in float32 widen with this and narrow with
// FromFloat32s.
func ToFloat32s(t *Tensor) ([]float32, error) {
	switch d := t.Data.(type) {
	case []float32:
		return d, nil
	case []float16.Float16:
		out := make([]float32, len(d))
		for i, v := range d {
			out[i] = v.Float32()
		}
		return out, nil
	case []graph.BFloat16Value:
		out := make([]float32, len(d))
		for i, v := range d {
			out[i] = v.Float32()
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a float32, float16 or bfloat16 tensor, got %s", t)
}

// FromFloat32s makes a tensor of type dt (Float, Float16 or BFloat16) from
// float32 values, rounding to nearest even.
func FromFloat32s(dt graph.DType, shape []int, v []float32) (*Tensor, error) {
	switch dt {
	case graph.Float:
		return New(shape, v), nil
	case graph.Float16:
		out := make([]float16.Float16, len(v))
		for i, x := range v {
			out[i] = float16.Fromfloat32(x)
		}
		return New(shape, out), nil
	case graph.BFloat16:
		out := make([]graph.BFloat16Value, len(v))
		for i, x := range v {
			out[i] = graph.BFloat16From(x)
		}
		return New(shape, out), nil
	}
	return nil, fmt.Errorf("cannot narrow float32 to %s", dt)
}
