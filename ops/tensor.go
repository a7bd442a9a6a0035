// Package ops executes ONNX graphs: a registry of kernels keyed by
// (domain, op type, opset range), the run-time Tensor, Sequence and Optional
// values, and Plan, a graph compiled once into prepared kernels and run many
// times.
package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/x448/float16"
)

// Value is a run-time value: a *Tensor, a *Sequence or an *Optional.
type Value any

// Tensor is a dense run-time tensor in row-major (C) order. Data is a typed
// slice whose length is the product of Shape: []float32 (Float), []float64,
// []float16.Float16, []graph.BFloat16Value, []int8, []int16, []int32,
// []int64, []uint8, []uint16, []uint32, []uint64, []bool, []string,
// []complex64, []complex128. A scalar has an empty Shape and one element.
type Tensor struct {
	DType graph.DType
	Shape []int
	Data  any
}

// Sequence is an ONNX sequence of tensors with one element type.
type Sequence struct {
	Elem  graph.DType
	Items []*Tensor
}

// Optional is an ONNX optional: Value is nil when it holds nothing, otherwise
// a *Tensor or *Sequence. Type describes the element type when it is empty.
type Optional struct {
	Value Value
	Type  *graph.Type
}

// Elem is the set of Go element types a Tensor can hold.
type Elem interface {
	float32 | float64 | float16.Float16 | graph.BFloat16Value | int8 | int16 | int32 | int64 |
		uint8 | uint16 | uint32 | uint64 | bool | string | complex64 | complex128
}

// DTypeOf returns the ONNX element type of the Go type T.
func DTypeOf[T Elem]() graph.DType {
	var z T
	switch any(z).(type) {
	case float32:
		return graph.Float
	case float64:
		return graph.Double
	case float16.Float16:
		return graph.Float16
	case graph.BFloat16Value:
		return graph.BFloat16
	case int8:
		return graph.Int8
	case int16:
		return graph.Int16
	case int32:
		return graph.Int32
	case int64:
		return graph.Int64
	case uint8:
		return graph.Uint8
	case uint16:
		return graph.Uint16
	case uint32:
		return graph.Uint32
	case uint64:
		return graph.Uint64
	case bool:
		return graph.Bool
	case string:
		return graph.String
	case complex64:
		return graph.Complex64
	case complex128:
		return graph.Complex128
	}
	return graph.Undefined
}

// New wraps data (not copied) as a tensor of the given shape. It panics when
// the length does not match: that is a bug in the caller, not bad input.
func New[T Elem](shape []int, data []T) *Tensor {
	if n := Size(shape); n != len(data) {
		panic(fmt.Sprintf("ops.New: %d values for shape %v", len(data), shape))
	}
	return &Tensor{DType: DTypeOf[T](), Shape: shape, Data: data}
}

// Scalar returns a rank-0 tensor holding v.
func Scalar[T Elem](v T) *Tensor { return New([]int{}, []T{v}) }

// Zeros returns a zero-filled tensor of type dt and the given shape.
func Zeros(dt graph.DType, shape []int) (*Tensor, error) {
	n := Size(shape)
	var d any
	switch dt {
	case graph.Float:
		d = make([]float32, n)
	case graph.Double:
		d = make([]float64, n)
	case graph.Float16:
		d = make([]float16.Float16, n)
	case graph.BFloat16:
		d = make([]graph.BFloat16Value, n)
	case graph.Int8:
		d = make([]int8, n)
	case graph.Int16:
		d = make([]int16, n)
	case graph.Int32:
		d = make([]int32, n)
	case graph.Int64:
		d = make([]int64, n)
	case graph.Uint8:
		d = make([]uint8, n)
	case graph.Uint16:
		d = make([]uint16, n)
	case graph.Uint32:
		d = make([]uint32, n)
	case graph.Uint64:
		d = make([]uint64, n)
	case graph.Bool:
		d = make([]bool, n)
	case graph.String:
		d = make([]string, n)
	case graph.Complex64:
		d = make([]complex64, n)
	case graph.Complex128:
		d = make([]complex128, n)
	default:
		return nil, fmt.Errorf("ops: no run-time storage for element type %s", dt)
	}
	return &Tensor{DType: dt, Shape: append([]int{}, shape...), Data: d}, nil
}

// Size is the number of elements of a shape (1 for a scalar).
func Size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len is the number of elements of t.
func (t *Tensor) Len() int { return Size(t.Shape) }

// Rank is the number of dims of t.
func (t *Tensor) Rank() int { return len(t.Shape) }

// String describes the tensor's type and shape, as in "float32[1 3 224 224]".
func (t *Tensor) String() string { return fmt.Sprintf("%s%v", t.DType, t.Shape) }

// FromGraph converts a decoded tensor (an initializer, a .pb or .npy file) to
// a run-time tensor, sharing its memory where the element type allows.
func FromGraph(g *graph.Tensor) (*Tensor, error) {
	d, err := g.Data()
	if err != nil {
		return nil, err
	}
	shape := make([]int, len(g.Dims))
	for i, x := range g.Dims {
		shape[i] = int(x)
	}
	dt := g.DType
	switch dt {
	case graph.Float8E4M3FN, graph.Float8E4M3FNUZ, graph.Float8E5M2, graph.Float8E5M2FNUZ, graph.Uint4, graph.Int4:
		return nil, fmt.Errorf("ops: tensor %q: element type %s is not supported at run time", g.Name, dt)
	}
	return &Tensor{DType: dt, Shape: shape, Data: d}, nil
}

// ToGraph converts t to a graph tensor called name (copying numeric data
// into raw storage).
func (t *Tensor) ToGraph(name string) (*graph.Tensor, error) {
	dims := make([]int64, len(t.Shape))
	for i, x := range t.Shape {
		dims[i] = int64(x)
	}
	return graph.NewTensor(name, dims, t.Data)
}
