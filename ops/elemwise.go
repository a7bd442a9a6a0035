package ops

import (
	"fmt"
	"runtime"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/workers"
	"github.com/x448/float16"
)

// maxOpset is the newest default-domain opset whose schemas the element-wise,
// reduction and linear-algebra kernels of this package were checked against
// (onnx docs/Changelog.md up to opset 28). Types that later schemas add and
// the run-time Tensor cannot hold (float8, 4-bit) are rejected when run.
const maxOpset = 28

// walker visits the elements of an output shape together with the matching
// elements of inputs broadcast to it, one contiguous run of the innermost
// (coalesced) axis at a time.
type walker struct {
	shape   []int   // coalesced output shape
	strides [][]int // per input, per coalesced axis (0 where broadcast)
}

// newWalker prepares the walk of out for inputs of the given shapes, which
// must broadcast to out (unidirectionally or both ways).
func newWalker(out []int, ins ...[]int) *walker {
	rank := len(out)
	full := make([][]int, len(ins))
	for k, s := range ins {
		st := make([]int, rank)
		inSt := Strides(s)
		off := rank - len(s)
		for i := range s {
			if s[i] != 1 {
				st[off+i] = inSt[i]
			}
		}
		full[k] = st
	}
	return newStridedWalker(out, full...)
}

// newStridedWalker prepares the walk of shape where operand k steps by
// strides[k][ax] along axis ax.
func newStridedWalker(out []int, full ...[]int) *walker {
	rank := len(out)
	w := &walker{}
	// Drop size-1 axes, then merge an axis into the one before when every
	// operand steps through both as one.
	var shape []int
	strides := make([][]int, len(full))
	for ax := 0; ax < rank; ax++ {
		if out[ax] == 1 {
			continue
		}
		if n := len(shape); n > 0 {
			merge := true
			for k := range full {
				if strides[k][n-1] != full[k][ax]*out[ax] {
					merge = false
					break
				}
			}
			if merge {
				shape[n-1] *= out[ax]
				for k := range full {
					strides[k][n-1] = full[k][ax]
				}
				continue
			}
		}
		shape = append(shape, out[ax])
		for k := range full {
			strides[k] = append(strides[k], full[k][ax])
		}
	}
	if len(shape) == 0 {
		shape = []int{1}
		for k := range full {
			strides[k] = []int{0}
		}
	}
	w.shape, w.strides = shape, strides
	return w
}

// runs returns the number of runs walk visits.
func (w *walker) runs() int {
	r := len(w.shape)
	if Size(w.shape) == 0 {
		return 0
	}
	return Size(w.shape[:r-1])
}

// walk calls f for each run of the innermost axis: offs[k] is the offset of
// the run's first element in input k, inner[k] its stride along the run,
// o the output offset and n the run length.
func (w *walker) walk(f func(offs []int, inner []int, o, n int)) {
	w.walkRange(0, w.runs(), f)
}

// walkRange is walk over the runs numbered [lo, hi) in walk order. The
// slices f gets belong to this call, so calls for disjoint ranges may run
// concurrently.
func (w *walker) walkRange(lo, hi int, f func(offs []int, inner []int, o, n int)) {
	r := len(w.shape)
	if lo >= hi || Size(w.shape) == 0 {
		return
	}
	n := w.shape[r-1]
	inner := make([]int, len(w.strides))
	for k := range w.strides {
		inner[k] = w.strides[k][r-1]
	}
	offs := make([]int, len(w.strides))
	coord := make([]int, r)
	rem := lo
	for ax := r - 2; ax >= 0; ax-- {
		coord[ax] = rem % w.shape[ax]
		rem /= w.shape[ax]
		for k := range offs {
			offs[k] += coord[ax] * w.strides[k][ax]
		}
	}
	for o, it := lo*n, lo; it < hi; it, o = it+1, o+n {
		f(offs, inner, o, n)
		for ax := r - 2; ax >= 0; ax-- {
			coord[ax]++
			for k := range offs {
				offs[k] += w.strides[k][ax]
			}
			if coord[ax] < w.shape[ax] {
				break
			}
			for k := range offs {
				offs[k] -= w.strides[k][ax] * coord[ax]
			}
			coord[ax] = 0
		}
	}
}

// binaryLoop applies f to x and y broadcast to out (their shapes sx, sy).
func binaryLoop[T, U, R any](x []T, sx []int, y []U, sy []int, out []int, f func(T, U) R) []R {
	res := make([]R, Size(out))
	switch {
	case slices.Equal(sx, sy):
		for i := range res {
			res[i] = f(x[i], y[i])
		}
	case len(y) == 1 && len(x) == len(res):
		v := y[0]
		for i := range res {
			res[i] = f(x[i], v)
		}
	case len(x) == 1 && len(y) == len(res):
		v := x[0]
		for i := range res {
			res[i] = f(v, y[i])
		}
	default:
		newWalker(out, sx, sy).walk(func(offs, inner []int, o, n int) {
			a, b := offs[0], offs[1]
			sa, sb := inner[0], inner[1]
			dst := res[o : o+n]
			for j := range dst {
				dst[j] = f(x[a], y[b])
				a += sa
				b += sb
			}
		})
	}
	return res
}

// binFns holds one function per element type for an element-wise binary op
// whose result has the operands' type. A nil field means the op does not
// accept that type. Float16 and BFloat16 are computed with F32.
type binFns struct {
	F32  func(x, y float32) float32
	F64  func(x, y float64) float64
	I8   func(x, y int8) int8
	I16  func(x, y int16) int16
	I32  func(x, y int32) int32
	I64  func(x, y int64) int64
	U8   func(x, y uint8) uint8
	U16  func(x, y uint16) uint16
	U32  func(x, y uint32) uint32
	U64  func(x, y uint64) uint64
	Bool func(x, y bool) bool
	Str  func(x, y string) string
}

type numeric interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

type float interface{ ~float32 | ~float64 }

// withInts returns f with its integer fields set.
func (f binFns) withInts(i8 func(x, y int8) int8, i16 func(x, y int16) int16, i32 func(x, y int32) int32, i64 func(x, y int64) int64,
	u8 func(x, y uint8) uint8, u16 func(x, y uint16) uint16, u32 func(x, y uint32) uint32, u64 func(x, y uint64) uint64) binFns {
	f.I8, f.I16, f.I32, f.I64, f.U8, f.U16, f.U32, f.U64 = i8, i16, i32, i64, u8, u16, u32, u64
	return f
}

// typeMismatch is the error for operands of different element types.
func typeMismatch(a, b *Tensor) error {
	return fmt.Errorf("input types differ: %s and %s", a, b)
}

// applyBinary computes f(a, b) with multidirectional broadcasting.
func applyBinary(a, b *Tensor, f binFns) (*Tensor, error) {
	if a.DType != b.DType {
		return nil, typeMismatch(a, b)
	}
	out, err := BroadcastShapes(a.Shape, b.Shape)
	if err != nil {
		return nil, fmt.Errorf("input 1: shape %v does not broadcast with input 0 shape %v", b.Shape, a.Shape)
	}
	return applyBinaryTo(a, b, out, f)
}

func applyBinaryTo(a, b *Tensor, out []int, f binFns) (*Tensor, error) {
	unsupported := func() (*Tensor, error) {
		return nil, fmt.Errorf("element type %s is not supported", a.DType)
	}
	switch x := a.Data.(type) {
	case []float32:
		if f.F32 == nil {
			return unsupported()
		}
		return New(out, binaryLoop(x, a.Shape, b.Data.([]float32), b.Shape, out, f.F32)), nil
	case []float64:
		if f.F64 == nil {
			return unsupported()
		}
		return New(out, binaryLoop(x, a.Shape, b.Data.([]float64), b.Shape, out, f.F64)), nil
	case []float16.Float16, []graph.BFloat16Value:
		if f.F32 == nil {
			return unsupported()
		}
		xa, _ := ToFloat32s(a)
		xb, _ := ToFloat32s(b)
		return FromFloat32s(a.DType, out, binaryLoop(xa, a.Shape, xb, b.Shape, out, f.F32))
	case []int8:
		return binTyped(x, a, b, out, f.I8)
	case []int16:
		return binTyped(x, a, b, out, f.I16)
	case []int32:
		return binTyped(x, a, b, out, f.I32)
	case []int64:
		return binTyped(x, a, b, out, f.I64)
	case []uint8:
		return binTyped(x, a, b, out, f.U8)
	case []uint16:
		return binTyped(x, a, b, out, f.U16)
	case []uint32:
		return binTyped(x, a, b, out, f.U32)
	case []uint64:
		return binTyped(x, a, b, out, f.U64)
	case []bool:
		return binTyped(x, a, b, out, f.Bool)
	case []string:
		return binTyped(x, a, b, out, f.Str)
	}
	return unsupported()
}

func binTyped[T Elem](x []T, a, b *Tensor, out []int, f func(x, y T) T) (*Tensor, error) {
	if f == nil {
		return nil, fmt.Errorf("element type %s is not supported", a.DType)
	}
	return New(out, binaryLoop(x, a.Shape, b.Data.([]T), b.Shape, out, f)), nil
}

// cmpFns is binFns for ops with a bool result.
type cmpFns struct {
	F32  func(x, y float32) bool
	F64  func(x, y float64) bool
	I8   func(x, y int8) bool
	I16  func(x, y int16) bool
	I32  func(x, y int32) bool
	I64  func(x, y int64) bool
	U8   func(x, y uint8) bool
	U16  func(x, y uint16) bool
	U32  func(x, y uint32) bool
	U64  func(x, y uint64) bool
	Bool func(x, y bool) bool
	Str  func(x, y string) bool
}

// applyCompare computes the bool tensor f(a, b) with broadcasting.
func applyCompare(a, b *Tensor, f cmpFns) (*Tensor, error) {
	if a.DType != b.DType {
		return nil, typeMismatch(a, b)
	}
	out, err := BroadcastShapes(a.Shape, b.Shape)
	if err != nil {
		return nil, fmt.Errorf("input 1: shape %v does not broadcast with input 0 shape %v", b.Shape, a.Shape)
	}
	unsupported := func() (*Tensor, error) {
		return nil, fmt.Errorf("element type %s is not supported", a.DType)
	}
	switch x := a.Data.(type) {
	case []float32:
		return cmpTyped(x, a, b, out, f.F32)
	case []float64:
		return cmpTyped(x, a, b, out, f.F64)
	case []float16.Float16, []graph.BFloat16Value:
		if f.F32 == nil {
			return unsupported()
		}
		xa, _ := ToFloat32s(a)
		xb, _ := ToFloat32s(b)
		return New(out, binaryLoop(xa, a.Shape, xb, b.Shape, out, f.F32)), nil
	case []int8:
		return cmpTyped(x, a, b, out, f.I8)
	case []int16:
		return cmpTyped(x, a, b, out, f.I16)
	case []int32:
		return cmpTyped(x, a, b, out, f.I32)
	case []int64:
		return cmpTyped(x, a, b, out, f.I64)
	case []uint8:
		return cmpTyped(x, a, b, out, f.U8)
	case []uint16:
		return cmpTyped(x, a, b, out, f.U16)
	case []uint32:
		return cmpTyped(x, a, b, out, f.U32)
	case []uint64:
		return cmpTyped(x, a, b, out, f.U64)
	case []bool:
		return cmpTyped(x, a, b, out, f.Bool)
	case []string:
		return cmpTyped(x, a, b, out, f.Str)
	}
	return unsupported()
}

func cmpTyped[T Elem](x []T, a, b *Tensor, out []int, f func(x, y T) bool) (*Tensor, error) {
	if f == nil {
		return nil, fmt.Errorf("element type %s is not supported", a.DType)
	}
	return New(out, binaryLoop(x, a.Shape, b.Data.([]T), b.Shape, out, f)), nil
}

// unFns holds one function per element type for an element-wise unary op
// whose result has the input's type. Float16 and BFloat16 use F32.
type unFns struct {
	F32 func(x float32) float32
	F64 func(x float64) float64
	I8  func(x int8) int8
	I16 func(x int16) int16
	I32 func(x int32) int32
	I64 func(x int64) int64
	U8  func(x uint8) uint8
	U16 func(x uint16) uint16
	U32 func(x uint32) uint32
	U64 func(x uint64) uint64
	// Bool is set for logical ops only.
	Bool func(x bool) bool
	// V32, when set, computes F32 over a whole slice (dst and src have the
	// same length) without a call per element.
	V32 func(dst, src []float32)
}

func mapSlice[T, R any](x []T, f func(T) R) []R {
	out := make([]R, len(x))
	for i, v := range x {
		out[i] = f(v)
	}
	return out
}

func unTyped[T Elem](x []T, t *Tensor, f func(T) T) (*Tensor, error) {
	if f == nil {
		return nil, fmt.Errorf("element type %s is not supported", t.DType)
	}
	return New(slices.Clone(t.Shape), mapSlice(x, f)), nil
}

// applyUnary computes f(t) element-wise.
func applyUnary(t *Tensor, f unFns) (*Tensor, error) {
	switch x := t.Data.(type) {
	case []float32:
		if f.V32 != nil {
			out := make([]float32, len(x))
			f.V32(out, x)
			return New(slices.Clone(t.Shape), out), nil
		}
		return unTyped(x, t, f.F32)
	case []float64:
		return unTyped(x, t, f.F64)
	case []float16.Float16, []graph.BFloat16Value:
		if f.F32 == nil {
			break
		}
		v, _ := ToFloat32s(t)
		return FromFloat32s(t.DType, slices.Clone(t.Shape), mapSlice(v, f.F32))
	case []int8:
		return unTyped(x, t, f.I8)
	case []int16:
		return unTyped(x, t, f.I16)
	case []int32:
		return unTyped(x, t, f.I32)
	case []int64:
		return unTyped(x, t, f.I64)
	case []uint8:
		return unTyped(x, t, f.U8)
	case []uint16:
		return unTyped(x, t, f.U16)
	case []uint32:
		return unTyped(x, t, f.U32)
	case []uint64:
		return unTyped(x, t, f.U64)
	case []bool:
		return unTyped(x, t, f.Bool)
	}
	return nil, fmt.Errorf("element type %s is not supported", t.DType)
}

// floatUnary makes the float fields of a unFns from a float64 function
// (float32 is computed in float64 and rounded).
func floatUnary(f func(float64) float64) unFns {
	return unFns{
		F32: func(x float32) float32 { return float32(f(float64(x))) },
		F64: f,
		V32: func(dst, src []float32) {
			dst = dst[:len(src)]
			for i, v := range src {
				dst[i] = float32(f(float64(v)))
			}
		},
	}
}

// unaryKernel is the kernel of an element-wise unary op. Float32 inputs go
// through the slice function V32 into a buffer of the run (or into the
// input itself when it dies here), split across the run's threads when
// large.
func unaryKernel(fns unFns) Kernel {
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		if v, ok := x.Data.([]float32); ok && fns.V32 != nil {
			return []Value{unaryF32(rc, x, v, fns.V32)}, nil
		}
		out, err := applyUnary(x, fns)
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	})
}

// unaryF32 applies f (dst and src of one length) to the float32 tensor x
// with data v: into v when x dies at this node, else into a buffer of the
// run; large inputs are split in contiguous chunks across the run's
// threads.
func unaryF32(rc *RunContext, x *Tensor, v []float32, f func(dst, src []float32)) *Tensor {
	var res []float32
	if rc.canOverwrite(0) {
		res = v // the input dies here: compute in place
	} else {
		res = runBufferFull[float32](rc, len(v))
	}
	if len(v) >= parallelMin {
		parallelAligned(threadsOf(rc), len(v), func(lo, hi int) { f(res[lo:hi], v[lo:hi]) })
	} else if len(v) > 0 {
		f(res, v)
	}
	return New(slices.Clone(x.Shape), res)
}

// parallelMin is the element count from which element-wise work is split
// across goroutines.
const parallelMin = 1 << 15

// parallelChunks runs f over [0, n) split into contiguous chunks, one per
// goroutine, using up to threads goroutines (0: GOMAXPROCS). Callers decide
// whether the work is large enough to split.
func parallelChunks(threads, n int, f func(lo, hi int)) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = min(threads, n)
	if threads <= 1 {
		f(0, n)
		return
	}
	// The chunks are fixed by the thread count; whichever goroutine is
	// free takes the next one.
	workers.For(threads, threads, func(_, t int) { f(t*n/threads, (t+1)*n/threads) })
}

// chunkAlign is the element count every chunk of parallelAligned but the
// last is a multiple of: a slice kernel that treats a tail shorter than its
// vector width differently then computes every element the same way
// whatever the number of threads.
const chunkAlign = 64

// parallelAligned is parallelChunks with chunk boundaries at multiples of
// chunkAlign.
func parallelAligned(threads, n int, f func(lo, hi int)) {
	blocks := (n + chunkAlign - 1) / chunkAlign
	parallelChunks(threads, blocks, func(lo, hi int) { f(lo*chunkAlign, min(hi*chunkAlign, n)) })
}

// withSigned returns f with its signed integer fields set.
func (f unFns) withSigned(i8 func(int8) int8, i16 func(int16) int16, i32 func(int32) int32, i64 func(int64) int64) unFns {
	f.I8, f.I16, f.I32, f.I64 = i8, i16, i32, i64
	return f
}

// withUnsigned returns f with its unsigned integer fields set.
func (f unFns) withUnsigned(u8 func(uint8) uint8, u16 func(uint16) uint16, u32 func(uint32) uint32, u64 func(uint64) uint64) unFns {
	f.U8, f.U16, f.U32, f.U64 = u8, u16, u32, u64
	return f
}

// elemKernel is a kernel of one tensor output computed from its tensor inputs.
func elemKernel(nin int, f func(in []*Tensor) (*Tensor, error)) Kernel {
	return elemKernelT(nin, func(in []*Tensor, _ int) (*Tensor, error) { return f(in) })
}

// elemKernelT is elemKernel for functions that use the run's thread budget.
func elemKernelT(nin int, f func(in []*Tensor, threads int) (*Tensor, error)) Kernel {
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
		ts := make([]*Tensor, nin)
		for i := range ts {
			t, err := TensorInput(in, i)
			if err != nil {
				return nil, err
			}
			ts[i] = t
		}
		out, err := f(ts, threadsOf(rc))
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	})
}

// registerRange registers f for op from each since version in vers to the
// next (the last up to maxOpset).
func registerRange(op string, vers []int64, f Factory) {
	for i, v := range vers {
		until := int64(maxOpset)
		if i+1 < len(vers) {
			until = vers[i+1] - 1
		}
		Register(Spec{Op: op, Since: v, Until: until}, f)
	}
}

// halfBits returns the 16-bit patterns of a float16 or bfloat16 tensor, for
// kernels that only move elements.
func halfBits(t *Tensor) []uint16 {
	switch d := t.Data.(type) {
	case []float16.Float16:
		return mapSlice(d, func(v float16.Float16) uint16 { return v.Bits() })
	case []graph.BFloat16Value:
		return mapSlice(d, func(v graph.BFloat16Value) uint16 { return uint16(v) })
	}
	return nil
}

// fromHalfBits is the inverse of halfBits.
func fromHalfBits(dt graph.DType, shape []int, b []uint16) *Tensor {
	if dt == graph.Float16 {
		return New(shape, mapSlice(b, float16.Frombits))
	}
	return New(shape, mapSlice(b, func(v uint16) graph.BFloat16Value { return graph.BFloat16Value(v) }))
}
