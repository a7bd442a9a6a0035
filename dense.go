package onnxrun

import (
	"fmt"
	"reflect"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/ops"
	"github.com/x448/float16"
	"gorgonia.org/tensor"
)

// Gorgonia has no half-precision element types. A float16 or bfloat16
// tensor is held in a *tensor.Dense of one of these Dtypes, whose backing
// slice is []float16.Float16 (github.com/x448/float16) or
// []graph.BFloat16Value. Such a Dense stores and returns its values (Data,
// Shape, Clone) but gorgonia's arithmetic does not support it: convert the
// values with their Float32 methods to compute with them.
var (
	Float16  = tensor.Dtype{Type: reflect.TypeOf(float16.Float16(0))}
	BFloat16 = tensor.Dtype{Type: reflect.TypeOf(graph.BFloat16Value(0))}
)

// DTypeOf returns the ONNX element type that a *tensor.Dense of Dtype dt
// holds, or an error for Dtypes ONNX has no counterpart for (int, uint,
// uintptr, unsafe.Pointer).
func DTypeOf(dt tensor.Dtype) (graph.DType, error) {
	switch dt {
	case tensor.Float32:
		return graph.Float, nil
	case tensor.Float64:
		return graph.Double, nil
	case tensor.Int8:
		return graph.Int8, nil
	case tensor.Int16:
		return graph.Int16, nil
	case tensor.Int32:
		return graph.Int32, nil
	case tensor.Int64:
		return graph.Int64, nil
	case tensor.Uint8:
		return graph.Uint8, nil
	case tensor.Uint16:
		return graph.Uint16, nil
	case tensor.Uint32:
		return graph.Uint32, nil
	case tensor.Uint64:
		return graph.Uint64, nil
	case tensor.Bool:
		return graph.Bool, nil
	case tensor.String:
		return graph.String, nil
	case tensor.Complex64:
		return graph.Complex64, nil
	case tensor.Complex128:
		return graph.Complex128, nil
	case Float16:
		return graph.Float16, nil
	case BFloat16:
		return graph.BFloat16, nil
	case tensor.Int:
		return graph.Undefined, fmt.Errorf("onnxrun: Go int tensors have no ONNX element type (use int64)")
	case tensor.Uint:
		return graph.Undefined, fmt.Errorf("onnxrun: Go uint tensors have no ONNX element type (use uint64)")
	}
	return graph.Undefined, fmt.Errorf("onnxrun: tensor Dtype %v has no ONNX element type", dt)
}

// DtypeOf returns the gorgonia Dtype that holds ONNX element type dt, or an
// error for types with no run-time storage (float8, int4).
func DtypeOf(dt graph.DType) (tensor.Dtype, error) {
	switch dt {
	case graph.Float:
		return tensor.Float32, nil
	case graph.Double:
		return tensor.Float64, nil
	case graph.Int8:
		return tensor.Int8, nil
	case graph.Int16:
		return tensor.Int16, nil
	case graph.Int32:
		return tensor.Int32, nil
	case graph.Int64:
		return tensor.Int64, nil
	case graph.Uint8:
		return tensor.Uint8, nil
	case graph.Uint16:
		return tensor.Uint16, nil
	case graph.Uint32:
		return tensor.Uint32, nil
	case graph.Uint64:
		return tensor.Uint64, nil
	case graph.Bool:
		return tensor.Bool, nil
	case graph.String:
		return tensor.String, nil
	case graph.Complex64:
		return tensor.Complex64, nil
	case graph.Complex128:
		return tensor.Complex128, nil
	case graph.Float16:
		return Float16, nil
	case graph.BFloat16:
		return BFloat16, nil
	}
	return tensor.Dtype{}, fmt.Errorf("onnxrun: element type %s has no tensor.Dense counterpart", dt)
}

// FromDense converts a gorgonia tensor to a run-time tensor. A contiguous
// Dense shares its backing slice with the result (nothing is copied); a view
// or a transposed Dense is copied into row-major order first. A scalar
// Dense (shape ()) becomes a rank-0 tensor. Masked tensors are refused.
func FromDense(d *tensor.Dense) (*ops.Tensor, error) {
	if d == nil {
		return nil, fmt.Errorf("onnxrun: nil tensor")
	}
	dt, err := DTypeOf(d.Dtype())
	if err != nil {
		return nil, err
	}
	if len(d.Mask()) > 0 {
		return nil, fmt.Errorf("onnxrun: masked tensors are not supported")
	}
	shape := append([]int{}, d.Shape()...)
	if d.IsScalar() {
		// Data() returns the value itself for a scalar.
		t, err := ops.Zeros(dt, nil)
		if err != nil {
			return nil, err
		}
		t.Shape = []int{}
		s := reflect.ValueOf(t.Data)
		v := reflect.ValueOf(d.Data())
		if !v.Type().AssignableTo(s.Type().Elem()) {
			return nil, fmt.Errorf("onnxrun: scalar of Go type %s in a %v tensor", v.Type(), d.Dtype())
		}
		s.Index(0).Set(v)
		return t, nil
	}
	for _, n := range shape {
		if n < 0 {
			return nil, fmt.Errorf("onnxrun: negative dim in shape %v", shape)
		}
	}
	n := ops.Size(shape)
	if n == 0 {
		// gorgonia's Data panics on an empty backing array: do not touch it.
		return ops.Zeros(dt, shape)
	}
	if d.IsView() {
		m, ok := d.Materialize().(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("onnxrun: cannot materialize a view of shape %v", shape)
		}
		d = m
	}
	if d.RequiresIterator() {
		// A pending transpose (T without Transpose): apply it on a copy.
		c := d.Clone().(*tensor.Dense)
		if err := c.Transpose(); err != nil {
			return nil, fmt.Errorf("onnxrun: %v", err)
		}
		d = c
	}
	data := d.Data()
	if l := reflect.ValueOf(data).Len(); l < n {
		return nil, fmt.Errorf("onnxrun: tensor of shape %v has %d values", shape, l)
	} else if l > n {
		data = reflect.ValueOf(data).Slice(0, n).Interface()
	}
	return &ops.Tensor{DType: dt, Shape: shape, Data: data}, nil
}

// ToDense converts a run-time tensor to a gorgonia tensor sharing its data
// slice (nothing is copied). A rank-0 tensor becomes a scalar Dense (shape
// ()). A tensor with a zero-sized dim becomes a Dense of that shape over an
// empty slice: its Shape, Dtype and typed accessors (Float32s, ...) work,
// but gorgonia v0.9's Data, Clone and String panic on it, so check
// Shape().TotalSize() first.
func ToDense(t *ops.Tensor) (*tensor.Dense, error) {
	if t == nil {
		return nil, fmt.Errorf("onnxrun: nil tensor")
	}
	if _, err := DtypeOf(t.DType); err != nil {
		return nil, err
	}
	v := reflect.ValueOf(t.Data)
	if v.Kind() != reflect.Slice {
		return nil, fmt.Errorf("onnxrun: tensor %s holds %T, not a slice", t, t.Data)
	}
	n := ops.Size(t.Shape)
	if v.Len() != n {
		return nil, fmt.Errorf("onnxrun: tensor %s holds %d values", t, v.Len())
	}
	if len(t.Shape) == 0 {
		return tensor.New(tensor.WithShape(), tensor.WithBacking(t.Data)), nil
	}
	shape := append([]int{}, t.Shape...)
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(t.Data)), nil
}

// memRange is the address range of a tensor's elements.
type memRange struct{ lo, hi uintptr }

// rangeOf returns the memory t's elements occupy (empty for strings and
// empty tensors: strings are immutable, so sharing them is harmless).
func rangeOf(t *ops.Tensor) memRange {
	if t == nil || t.Data == nil {
		return memRange{}
	}
	v := reflect.ValueOf(t.Data)
	if v.Kind() != reflect.Slice || v.Len() == 0 || v.Type().Elem().Kind() == reflect.String {
		return memRange{}
	}
	lo := v.Pointer()
	return memRange{lo, lo + uintptr(v.Len())*v.Type().Elem().Size()}
}

func (r memRange) overlaps(o memRange) bool {
	return r.lo < r.hi && o.lo < o.hi && r.lo < o.hi && o.lo < r.hi
}

// cloneTensor copies t's elements into a new tensor.
func cloneTensor(t *ops.Tensor) *ops.Tensor {
	v := reflect.ValueOf(t.Data)
	c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
	reflect.Copy(c, v)
	return &ops.Tensor{DType: t.DType, Shape: append([]int{}, t.Shape...), Data: c.Interface()}
}
