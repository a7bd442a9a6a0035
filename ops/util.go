package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
)

// TensorInput returns input i as a tensor, or an error naming the input when
// it is missing or not a tensor. Optional inputs are read with OptTensor.
func TensorInput(in []Value, i int) (*Tensor, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("input %d is missing", i)
	}
	t, ok := in[i].(*Tensor)
	if !ok {
		return nil, fmt.Errorf("input %d is a %T, want a tensor", i, in[i])
	}
	return t, nil
}

// OptTensor returns input i as a tensor, or nil when it is omitted.
func OptTensor(in []Value, i int) (*Tensor, error) {
	if i >= len(in) || in[i] == nil {
		return nil, nil
	}
	t, ok := in[i].(*Tensor)
	if !ok {
		return nil, fmt.Errorf("input %d is a %T, want a tensor", i, in[i])
	}
	return t, nil
}

// NormAxis maps axis (negative counts from the end) into [0, rank), or
// returns an error naming the rank.
func NormAxis(axis int64, rank int) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}

// BroadcastShapes returns the multidirectional (numpy) broadcast of shapes,
// or an error naming the shapes that do not broadcast.
func BroadcastShapes(shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			switch {
			case d == out[off+i]:
			case out[off+i] == 1:
				out[off+i] = d
			case d == 1:
			default:
				return nil, fmt.Errorf("shapes %v do not broadcast", shapes)
			}
		}
	}
	return out, nil
}

// Strides returns the row-major element strides of shape.
func Strides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// BroadcastIndex returns, for every element of the broadcast shape out, the
// index of the element of a tensor of shape in (which must broadcast to out)
// that feeds it. It is the general path: element-wise kernels should use
// faster loops for equal shapes and scalars.
func BroadcastIndex(in, out []int) []int {
	n := Size(out)
	idx := make([]int, n)
	if len(out) == 0 {
		return idx
	}
	// Effective stride of each output axis in the input (0 where broadcast).
	st := make([]int, len(out))
	inSt := Strides(in)
	off := len(out) - len(in)
	for i := range in {
		if in[i] != 1 {
			st[off+i] = inSt[i]
		}
	}
	coord := make([]int, len(out))
	pos := 0
	for k := 0; k < n; k++ {
		idx[k] = pos
		pos = nextCoord(coord, out, st, pos)
	}
	return idx
}

// nextCoord advances coord, an index over the first len(coord) axes of
// shape with the last one fastest, and returns pos moved by the matching
// strides st.
func nextCoord(coord, shape, st []int, pos int) int {
	for ax := len(coord) - 1; ax >= 0; ax-- {
		coord[ax]++
		pos += st[ax]
		if coord[ax] < shape[ax] {
			return pos
		}
		pos -= st[ax] * coord[ax]
		coord[ax] = 0
	}
	return pos
}

// ToInt64s converts an integer tensor (int8..int64, uint8..uint64) to int64
// values, as inputs such as shapes, axes, pads and indices need.
func ToInt64s(t *Tensor) ([]int64, error) {
	switch d := t.Data.(type) {
	case []int64:
		return d, nil
	case []int32:
		return convertSlice[int32, int64](d), nil
	case []int16:
		return convertSlice[int16, int64](d), nil
	case []int8:
		return convertSlice[int8, int64](d), nil
	case []uint8:
		return convertSlice[uint8, int64](d), nil
	case []uint16:
		return convertSlice[uint16, int64](d), nil
	case []uint32:
		return convertSlice[uint32, int64](d), nil
	case []uint64:
		return convertSlice[uint64, int64](d), nil
	}
	return nil, fmt.Errorf("want an integer tensor, got %s", t)
}

// ToFloat64s converts a numeric tensor to float64 values.
func ToFloat64s(t *Tensor) ([]float64, error) {
	switch d := t.Data.(type) {
	case []float64:
		return d, nil
	case []float32:
		return convertSlice[float32, float64](d), nil
	case []int64:
		return convertSlice[int64, float64](d), nil
	case []int32:
		return convertSlice[int32, float64](d), nil
	}
	if t.DType == graph.Float16 || t.DType == graph.BFloat16 {
		f, err := ToFloat32s(t)
		if err != nil {
			return nil, err
		}
		return convertSlice[float32, float64](f), nil
	}
	if ints, err := ToInt64s(t); err == nil {
		return convertSlice[int64, float64](ints), nil
	}
	return nil, fmt.Errorf("want a numeric tensor, got %s", t)
}

type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

func convertSlice[S, D number](s []S) []D {
	out := make([]D, len(s))
	for i, v := range s {
		out[i] = D(v)
	}
	return out
}
