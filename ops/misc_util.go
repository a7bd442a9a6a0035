package ops

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
)

// Element-type independent helpers for the control-flow, sequence, signal
// and recurrent ops: they move whole runs of elements without looking at them.

// mCopy copies n elements from src[si:] to dst[di:]; dst and src are typed
// slices of the same element type.
func mCopy(dst, src any, di, si, n int) {
	if n <= 0 {
		return
	}
	switch d := dst.(type) {
	case []float32:
		copy(d[di:di+n], src.([]float32)[si:si+n])
	case []float64:
		copy(d[di:di+n], src.([]float64)[si:si+n])
	case []int64:
		copy(d[di:di+n], src.([]int64)[si:si+n])
	case []int32:
		copy(d[di:di+n], src.([]int32)[si:si+n])
	case []uint8:
		copy(d[di:di+n], src.([]uint8)[si:si+n])
	case []bool:
		copy(d[di:di+n], src.([]bool)[si:si+n])
	case []string:
		copy(d[di:di+n], src.([]string)[si:si+n])
	default:
		reflect.Copy(reflect.ValueOf(dst).Slice(di, di+n), reflect.ValueOf(src).Slice(si, si+n))
	}
}

// mTake returns the slice of t at index i along axis, with that axis removed.
func mTake(t *Tensor, axis, i int) (*Tensor, error) {
	if axis < 0 || axis >= len(t.Shape) {
		return nil, fmt.Errorf("axis %d is out of range for %s", axis, t)
	}
	if i < 0 || i >= t.Shape[axis] {
		return nil, fmt.Errorf("index %d is out of range for axis %d of %s", i, axis, t)
	}
	outer := Size(t.Shape[:axis])
	inner := Size(t.Shape[axis+1:])
	shape := append(append([]int{}, t.Shape[:axis]...), t.Shape[axis+1:]...)
	out, err := Zeros(t.DType, shape)
	if err != nil {
		return nil, err
	}
	n := t.Shape[axis]
	for o := 0; o < outer; o++ {
		mCopy(out.Data, t.Data, o*inner, (o*n+i)*inner, inner)
	}
	return out, nil
}

// mStack stacks tensors of one type and shape along a new axis.
func mStack(items []*Tensor, axis int) (*Tensor, error) {
	if len(items) == 0 {
		return nil, fmt.Errorf("nothing to stack")
	}
	first := items[0]
	if axis < 0 || axis > len(first.Shape) {
		return nil, fmt.Errorf("axis %d is out of range for stacking %s", axis, first)
	}
	// Stacking is concatenating the items with a new dim of 1 at axis.
	views := make([]*Tensor, len(items))
	for k, it := range items {
		if it.DType != first.DType || !slices.Equal(it.Shape, first.Shape) {
			return nil, fmt.Errorf("item %d is %s, item 0 is %s: cannot stack", k, it, first)
		}
		views[k] = mvShare(it, slices.Insert(slices.Clone(it.Shape), axis, 1))
	}
	return ConcatTensors(views, int64(axis))
}

// mSliceAxis returns elements [lo, hi) of t along axis.
func mSliceAxis(t *Tensor, axis, lo, hi int) (*Tensor, error) {
	if axis < 0 || axis >= len(t.Shape) || lo < 0 || hi < lo || hi > t.Shape[axis] {
		return nil, fmt.Errorf("range [%d, %d) on axis %d is out of range for %s", lo, hi, axis, t)
	}
	shape := append([]int{}, t.Shape...)
	shape[axis] = hi - lo
	out, err := Zeros(t.DType, shape)
	if err != nil {
		return nil, err
	}
	outer := Size(t.Shape[:axis])
	inner := Size(t.Shape[axis+1:])
	n := t.Shape[axis]
	w := (hi - lo) * inner
	for o := 0; o < outer; o++ {
		mCopy(out.Data, t.Data, o*w, (o*n+lo)*inner, w)
	}
	return out, nil
}

// mClone copies t (shape and data).
func mClone(t *Tensor) *Tensor {
	out, err := Zeros(t.DType, t.Shape)
	if err != nil {
		return &Tensor{DType: t.DType, Shape: append([]int{}, t.Shape...), Data: t.Data}
	}
	mCopy(out.Data, t.Data, 0, 0, t.Len())
	return out
}

// mReverseAxis returns t with the order of its elements along axis reversed.
func mReverseAxis(t *Tensor, axis int) *Tensor {
	out := mClone(t)
	outer := Size(t.Shape[:axis])
	inner := Size(t.Shape[axis+1:])
	n := t.Shape[axis]
	for o := 0; o < outer; o++ {
		for i := range n {
			mCopy(out.Data, t.Data, (o*n+i)*inner, (o*n+n-1-i)*inner, inner)
		}
	}
	return out
}

// mScalarInt reads a one-element integer tensor.
func mScalarInt(t *Tensor) (int64, error) {
	if t.Len() != 1 {
		return 0, fmt.Errorf("want one element, got %s", t)
	}
	v, err := ToInt64s(t)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// mScalarBool reads a one-element bool tensor.
func mScalarBool(t *Tensor) (bool, error) {
	d, ok := t.Data.([]bool)
	if !ok || len(d) != 1 {
		return false, fmt.Errorf("want one bool, got %s", t)
	}
	return d[0], nil
}

// mEmptyOfType makes a zero-length tensor for a declared tensor type: its
// element type, with the declared dims after a leading 0 where they are known
// (unknown dims become 0 too).
func mEmptyOfType(tp *graph.Type, lead bool) (*Tensor, error) {
	if tp == nil || tp.Kind != graph.TypeTensor {
		return nil, fmt.Errorf("no tensor type declared")
	}
	var shape []int
	if lead {
		shape = append(shape, 0)
	}
	if tp.HasShape {
		for _, d := range tp.Shape {
			if d.Known {
				shape = append(shape, int(d.Value))
			} else {
				shape = append(shape, 0)
			}
		}
	}
	return Zeros(tp.Elem, shape)
}
