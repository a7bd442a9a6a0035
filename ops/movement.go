package ops

import (
	"fmt"
	"unsafe"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/kernels/vec"
	"github.com/x448/float16"
)

// Helpers shared by the data-movement ops (Reshape, Transpose, Concat, Slice,
// Gather, Pad, Tile, ...). Those ops only move elements, so they are written
// once over the element's storage width: every run-time element type is
// viewed as uint8, uint16, uint32, uint64, [2]uint32 (complex64), [2]uint64
// (complex128) or string, without copying.

// MaxElements is the largest number of elements an op may allocate for a
// tensor whose size comes from data (a shape input, repeats, pads, a range).
const MaxElements = 1 << 34

// mvWord is the set of storage types data-movement kernels are written over.
type mvWord interface {
	uint8 | uint16 | uint32 | uint64 | [2]uint32 | [2]uint64 | string
}

// mvReinterpret views s as a []D of the same length. S and D must have the
// same size and D an alignment no stricter than S's.
func mvReinterpret[S, D any](s []S) []D {
	if len(s) == 0 {
		return []D{}
	}
	return unsafe.Slice((*D)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// mvView returns a tensor's data as a []W of the storage type for its
// element type, sharing memory. It panics when W does not match the data's
// width: callers choose W with mvPick.
func mvView[W mvWord](data any) []W {
	switch d := data.(type) {
	case []W:
		return d
	case []int8:
		return mvReinterpret[int8, W](d)
	case []uint8:
		return mvReinterpret[uint8, W](d)
	case []bool:
		return mvReinterpret[bool, W](d)
	case []int16:
		return mvReinterpret[int16, W](d)
	case []uint16:
		return mvReinterpret[uint16, W](d)
	case []float16.Float16:
		return mvReinterpret[float16.Float16, W](d)
	case []graph.BFloat16Value:
		return mvReinterpret[graph.BFloat16Value, W](d)
	case []int32:
		return mvReinterpret[int32, W](d)
	case []uint32:
		return mvReinterpret[uint32, W](d)
	case []float32:
		return mvReinterpret[float32, W](d)
	case []int64:
		return mvReinterpret[int64, W](d)
	case []uint64:
		return mvReinterpret[uint64, W](d)
	case []float64:
		return mvReinterpret[float64, W](d)
	case []complex64:
		return mvReinterpret[complex64, W](d)
	case []complex128:
		return mvReinterpret[complex128, W](d)
	case []string:
		return any(d).([]W)
	}
	panic(fmt.Sprintf("ops: no storage view for %T", data))
}

// mvWrap turns a []W back into the typed slice of element type dt.
func mvWrap[W mvWord](dt graph.DType, w []W) any {
	switch dt {
	case graph.Int8:
		return mvReinterpret[W, int8](w)
	case graph.Uint8:
		return mvReinterpret[W, uint8](w)
	case graph.Bool:
		return mvReinterpret[W, bool](w)
	case graph.Int16:
		return mvReinterpret[W, int16](w)
	case graph.Uint16:
		return mvReinterpret[W, uint16](w)
	case graph.Float16:
		return mvReinterpret[W, float16.Float16](w)
	case graph.BFloat16:
		return mvReinterpret[W, graph.BFloat16Value](w)
	case graph.Int32:
		return mvReinterpret[W, int32](w)
	case graph.Uint32:
		return mvReinterpret[W, uint32](w)
	case graph.Float:
		return mvReinterpret[W, float32](w)
	case graph.Int64:
		return mvReinterpret[W, int64](w)
	case graph.Uint64:
		return mvReinterpret[W, uint64](w)
	case graph.Double:
		return mvReinterpret[W, float64](w)
	case graph.Complex64:
		return mvReinterpret[W, complex64](w)
	case graph.Complex128:
		return mvReinterpret[W, complex128](w)
	case graph.String:
		return any(w).([]string)
	}
	panic(fmt.Sprintf("ops: no storage for element type %s", dt))
}

// mvWidth classifies element types by storage: 1, 2, 4, 8 bytes, 'c' for
// complex64, 16 for complex128, 's' for string, 0 for none.
func mvWidth(dt graph.DType) int {
	switch dt {
	case graph.Int8, graph.Uint8, graph.Bool:
		return 1
	case graph.Int16, graph.Uint16, graph.Float16, graph.BFloat16:
		return 2
	case graph.Int32, graph.Uint32, graph.Float:
		return 4
	case graph.Int64, graph.Uint64, graph.Double:
		return 8
	case graph.Complex64:
		return 'c'
	case graph.Complex128:
		return 16
	case graph.String:
		return 's'
	}
	return 0
}

// mvPick returns the instantiation of a data-movement function for the
// storage type of dt. The arguments are the function instantiated for
// uint8, uint16, uint32, uint64, [2]uint32, [2]uint64 and string.
func mvPick[F any](dt graph.DType, f1, f2, f4, f8, fc, f16, fs F) (F, error) {
	switch mvWidth(dt) {
	case 1:
		return f1, nil
	case 2:
		return f2, nil
	case 4:
		return f4, nil
	case 8:
		return f8, nil
	case 'c':
		return fc, nil
	case 16:
		return f16, nil
	case 's':
		return fs, nil
	}
	var z F
	return z, fmt.Errorf("element type %s is not supported", dt)
}

// mvNew allocates a zero-filled tensor of type dt and a shape whose size
// has been checked.
func mvNew(dt graph.DType, shape []int) (*Tensor, error) {
	return Zeros(dt, shape)
}

// mvCheckShape returns the number of elements of a shape computed from
// data, or an error when a dim is negative, the product overflows or it
// exceeds MaxElements. what names the shape in the error.
func mvCheckShape(what string, shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%s: shape %v has a negative dim", what, shape)
		}
	}
	for _, d := range shape {
		if d == 0 {
			return 0, nil
		}
	}
	for _, d := range shape {
		if n > MaxElements/d {
			return 0, fmt.Errorf("%s: shape %v has more than %d elements", what, shape, int64(MaxElements))
		}
		n *= d
	}
	return n, nil
}

// mvShare returns a tensor with the given shape over t's data (no copy).
func mvShare(t *Tensor, shape []int) *Tensor {
	return &Tensor{DType: t.DType, Shape: shape, Data: t.Data}
}

// mvSub returns elements [lo, hi) of t's data as a typed slice sharing memory.
func mvSub(t *Tensor, lo, hi int) any {
	f, err := mvPick(t.DType, mvSubT[uint8], mvSubT[uint16], mvSubT[uint32], mvSubT[uint64],
		mvSubT[[2]uint32], mvSubT[[2]uint64], mvSubT[string])
	if err != nil {
		panic(err)
	}
	return f(t.DType, t.Data, lo, hi)
}

func mvSubT[W mvWord](dt graph.DType, data any, lo, hi int) any {
	return mvWrap(dt, mvView[W](data)[lo:hi:hi])
}

// mvStrided fills dst (contiguous, in row-major order of shape) from src:
// the element at coordinate c of shape comes from src[base + Σ c[i]*stride[i]].
// Strides may be zero (broadcast), negative (reversed) or permuted.
func mvStrided[W mvWord](dst, src []W, shape, stride []int, base int) {
	n := len(dst)
	if n == 0 {
		return
	}
	// Drop unit dims and merge dims that are contiguous in src.
	var sh, st []int
	for i := range shape {
		if shape[i] == 1 {
			continue
		}
		if k := len(sh) - 1; k >= 0 && st[k] == stride[i]*shape[i] {
			sh[k] *= shape[i]
			st[k] = stride[i]
			continue
		}
		sh = append(sh, shape[i])
		st = append(st, stride[i])
	}
	if len(sh) == 0 {
		dst[0] = src[base]
		return
	}
	r := len(sh)
	inner, ist := sh[r-1], st[r-1]
	// Blocked transpose when the two innermost dims are swapped.
	if r >= 2 && ist != 1 && ist != 0 && st[r-2] == 1 && inner >= 8 && sh[r-2] >= 8 {
		mvTransposeBlocks(dst, src, sh, st, base)
		return
	}
	coord := make([]int, r-1)
	pos := base
	for o := 0; o < n; o += inner {
		row := dst[o : o+inner]
		switch ist {
		case 1:
			copy(row, src[pos:pos+inner])
		case 0:
			v := src[pos]
			for j := range row {
				row[j] = v
			}
		default:
			p := pos
			for j := range row {
				row[j] = src[p]
				p += ist
			}
		}
		pos = nextCoord(coord, sh, st, pos)
	}
}

// mvTransposeBlocks handles mvStrided when the innermost two (coalesced)
// dims have src strides (1, s): it copies in square tiles so that both the
// reads and the writes stay in cache.
func mvTransposeBlocks[W mvWord](dst, src []W, sh, st []int, base int) {
	const tile = 32
	r := len(sh)
	rows, cols := sh[r-2], sh[r-1]
	cst := st[r-1] // src stride of the output's column index
	plane := rows * cols
	outer := len(dst) / plane
	coord := make([]int, r-2)
	pos := base
	if d32, ok := any(dst).([]uint32); ok && cst >= rows {
		// 32-bit elements (float32): the vector 8×8 blocks.
		s32 := any(src).([]uint32)
		for o := 0; o < outer; o++ {
			vec.Transpose32(d32[o*plane:(o+1)*plane], cols, s32[pos:], cst, rows, cols)
			pos = nextCoord(coord, sh, st, pos)
		}
		return
	}
	for o := 0; o < outer; o++ {
		d := dst[o*plane : (o+1)*plane]
		for i0 := 0; i0 < rows; i0 += tile {
			i1 := min(i0+tile, rows)
			for j0 := 0; j0 < cols; j0 += tile {
				j1 := min(j0+tile, cols)
				for i := i0; i < i1; i++ {
					drow := d[i*cols : (i+1)*cols]
					p := pos + i + j0*cst
					for j := j0; j < j1; j++ {
						drow[j] = src[p]
						p += cst
					}
				}
			}
		}
		pos = nextCoord(coord, sh, st, pos)
	}
}

// mvStridedTensor makes a new tensor of the given shape from t by mvStrided.
func mvStridedTensor(t *Tensor, shape, stride []int, base int) (*Tensor, error) {
	return mvStridedTensorRC(nil, t, shape, stride, base)
}

// mvOut returns a tensor of type dt and the given shape whose every
// element the caller will write: from the run's buffers for the element
// types the pool keeps, else zeroed.
func mvOut(rc *RunContext, dt graph.DType, shape []int) (*Tensor, error) {
	switch n := Size(shape); dt {
	case graph.Float:
		return New(shape, runBufferFull[float32](rc, n)), nil
	case graph.Int64:
		return New(shape, runBufferFull[int64](rc, n)), nil
	}
	return mvNew(dt, shape)
}

// mvStridedTensorRC is mvStridedTensor with the output from the run's
// buffers when rc has them.
func mvStridedTensorRC(rc *RunContext, t *Tensor, shape, stride []int, base int) (*Tensor, error) {
	out, err := mvOut(rc, t.DType, shape)
	if err != nil {
		return nil, err
	}
	f, err := mvPick(t.DType, mvStridedAny[uint8], mvStridedAny[uint16], mvStridedAny[uint32], mvStridedAny[uint64],
		mvStridedAny[[2]uint32], mvStridedAny[[2]uint64], mvStridedAny[string])
	if err != nil {
		return nil, err
	}
	f(out.Data, t.Data, shape, stride, base)
	return out, nil
}

func mvStridedAny[W mvWord](dst, src any, shape, stride []int, base int) {
	mvStrided(mvView[W](dst), mvView[W](src), shape, stride, base)
}

// mvScalarOf returns a one-element typed slice of element type dt holding v
// (rounded or truncated as a cast would). Strings get the decimal form.
func mvScalarOf(dt graph.DType, v float64) (any, error) {
	switch dt {
	case graph.Float:
		return []float32{float32(v)}, nil
	case graph.Double:
		return []float64{v}, nil
	case graph.Float16:
		return []float16.Float16{float16.Fromfloat32(float32(v))}, nil
	case graph.BFloat16:
		return []graph.BFloat16Value{graph.BFloat16From(float32(v))}, nil
	case graph.Int8:
		return []int8{int8(v)}, nil
	case graph.Int16:
		return []int16{int16(v)}, nil
	case graph.Int32:
		return []int32{int32(v)}, nil
	case graph.Int64:
		return []int64{int64(v)}, nil
	case graph.Uint8:
		return []uint8{uint8(v)}, nil
	case graph.Uint16:
		return []uint16{uint16(v)}, nil
	case graph.Uint32:
		return []uint32{uint32(v)}, nil
	case graph.Uint64:
		return []uint64{uint64(v)}, nil
	case graph.Bool:
		return []bool{v != 0}, nil
	case graph.Complex64:
		return []complex64{complex(float32(v), 0)}, nil
	case graph.Complex128:
		return []complex128{complex(v, 0)}, nil
	case graph.String:
		return []string{fmt.Sprint(v)}, nil
	}
	return nil, fmt.Errorf("element type %s is not supported", dt)
}

// mvFill sets every element of data (a typed slice) to the single element of
// v (a typed slice of the same type).
func mvFill(dt graph.DType, data, v any) error {
	f, err := mvPick(dt, mvFillT[uint8], mvFillT[uint16], mvFillT[uint32], mvFillT[uint64],
		mvFillT[[2]uint32], mvFillT[[2]uint64], mvFillT[string])
	if err != nil {
		return err
	}
	f(data, v)
	return nil
}

func mvFillT[W mvWord](data, v any) {
	d := mvView[W](data)
	x := mvView[W](v)[0]
	for i := range d {
		d[i] = x
	}
}

// mvIndices reads an index tensor (int32 or int64) as int64 values.
func mvIndices(t *Tensor, what string) ([]int64, error) {
	switch d := t.Data.(type) {
	case []int64:
		return d, nil
	case []int32:
		out := make([]int64, len(d))
		for i, v := range d {
			out[i] = int64(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: want int32 or int64 indices, got %s", what, t)
}

// mvNormIndex maps an index read from data into [0, n), allowing negative
// values from -n, or returns an error naming the input, position and range.
func mvNormIndex(what string, pos int, idx int64, n int) (int, error) {
	if idx < -int64(n) || idx >= int64(n) {
		return 0, fmt.Errorf("%s: index %d at position %d is out of range [%d, %d)", what, idx, pos, -n, n)
	}
	if idx < 0 {
		idx += int64(n)
	}
	return int(idx), nil
}

// mvInt64Input reads optional input i (a 1-D integer tensor such as axes,
// pads or a shape) as int64 values; ok is false when it is omitted.
func mvInt64Input(in []Value, i int, what string) (v []int64, ok bool, err error) {
	t, err := OptTensor(in, i)
	if err != nil {
		return nil, false, err
	}
	if t == nil {
		return nil, false, nil
	}
	v, err = ToInt64s(t)
	if err != nil {
		return nil, false, fmt.Errorf("input %d (%s): %w", i, what, err)
	}
	if t.Rank() > 1 {
		return nil, false, fmt.Errorf("input %d (%s): want a 1-D tensor, got %s", i, what, t)
	}
	return v, true, nil
}

// mvInt64sRequired is mvInt64Input for an input that must be present.
func mvInt64sRequired(in []Value, i int, what string) ([]int64, error) {
	v, ok, err := mvInt64Input(in, i, what)
	if err == nil && !ok {
		err = fmt.Errorf("input %d (%s) is missing", i, what)
	}
	return v, err
}
