package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/kernels/vec"
)

// Element-wise arithmetic: Add, Sub, Mul, Div (with the legacy broadcast
// and axis attributes before opset 7), Pow, Mod, BitShift and the Bitwise
// family.

func init() {
	for _, op := range []struct {
		name string
		code byte
	}{{"Add", '+'}, {"Sub", '-'}, {"Mul", '*'}, {"Div", '/'}} {
		fns := arithFns(op.code)
		registerRange(op.name, []int64{1, 6, 7, 13, 14}, func(b *Build) (Kernel, error) {
			return newArith(b, op.code, fns)
		})
	}
	registerRange("Pow", []int64{1, 7, 12, 13, 15}, newPow)
	registerRange("Mod", []int64{10, 13}, newMod)
	registerRange("BitShift", []int64{11}, newBitShift)
	for _, op := range []struct {
		name string
		code byte
	}{{"BitwiseAnd", '&'}, {"BitwiseOr", '|'}, {"BitwiseXor", '^'}} {
		fns := binFns{}.withInts(bitwise[int8](op.code), bitwise[int16](op.code), bitwise[int32](op.code), bitwise[int64](op.code),
			bitwise[uint8](op.code), bitwise[uint16](op.code), bitwise[uint32](op.code), bitwise[uint64](op.code))
		registerRange(op.name, []int64{18}, func(b *Build) (Kernel, error) {
			return elemKernel(2, func(in []*Tensor) (*Tensor, error) { return applyBinary(in[0], in[1], fns) }), nil
		})
	}
}

func arith[T numeric](op byte) func(x, y T) T {
	switch op {
	case '+':
		return func(x, y T) T { return x + y }
	case '-':
		return func(x, y T) T { return x - y }
	case '*':
		return func(x, y T) T { return x * y }
	case '/':
		return func(x, y T) T { return x / y }
	}
	panic("ops: unknown arithmetic op")
}

func arithFns(op byte) binFns {
	return binFns{F32: arith[float32](op), F64: arith[float64](op)}.withInts(
		arith[int8](op), arith[int16](op), arith[int32](op), arith[int64](op),
		arith[uint8](op), arith[uint16](op), arith[uint32](op), arith[uint64](op))
}

func bitwise[T integer](op byte) func(x, y T) T {
	switch op {
	case '&':
		return func(x, y T) T { return x & y }
	case '|':
		return func(x, y T) T { return x | y }
	case '^':
		return func(x, y T) T { return x ^ y }
	}
	panic("ops: unknown bitwise op")
}

// legacyBroadcast reads the broadcast and axis attributes of the binary ops
// before opset 7 and returns a function that reshapes B for them.
func legacyBroadcast(b *Build) (func(a, bt *Tensor) (*Tensor, error), error) {
	if b.Opset >= 7 {
		return nil, nil
	}
	bc, err := b.Node.AttrInt("broadcast", 0)
	if err != nil {
		return nil, err
	}
	axis, err := b.Node.AttrInt("axis", math.MinInt64)
	if err != nil {
		return nil, err
	}
	return func(a, bt *Tensor) (*Tensor, error) {
		if bc == 0 {
			if !slices.Equal(a.Shape, bt.Shape) {
				return nil, fmt.Errorf("input 1: shape %v differs from input 0 shape %v and broadcast is 0", bt.Shape, a.Shape)
			}
			return bt, nil
		}
		ra, rb := len(a.Shape), len(bt.Shape)
		if rb > ra {
			return nil, fmt.Errorf("input 1: shape %v has more dims than input 0 shape %v", bt.Shape, a.Shape)
		}
		start := ra - rb
		if axis != math.MinInt64 {
			ax := int(axis)
			if ax < 0 {
				ax += ra
			}
			if ax < 0 || ax+rb > ra {
				return nil, fmt.Errorf("axis %d does not place input 1 shape %v inside input 0 shape %v", axis, bt.Shape, a.Shape)
			}
			start = ax
		}
		shape := make([]int, ra)
		for i := range shape {
			shape[i] = 1
		}
		for i, d := range bt.Shape {
			if d != 1 && d != a.Shape[start+i] {
				return nil, fmt.Errorf("input 1: shape %v does not match input 0 shape %v at axis %d", bt.Shape, a.Shape, start)
			}
			shape[start+i] = d
		}
		return &Tensor{DType: bt.DType, Shape: shape, Data: bt.Data}, nil
	}, nil
}

// binaryKernel is the kernel of a two-input element-wise op: f gets A and
// B, B reshaped by the broadcast and axis attributes before opset 7.
func binaryKernel(b *Build, f func(x, y *Tensor, threads int) (*Tensor, error)) (Kernel, error) {
	legacy, err := legacyBroadcast(b)
	if err != nil {
		return nil, b.Errorf("%v", err)
	}
	return elemKernelT(2, func(in []*Tensor, threads int) (*Tensor, error) {
		x, y := in[0], in[1]
		if legacy != nil {
			var err error
			if y, err = legacy(x, y); err != nil {
				return nil, err
			}
		}
		return f(x, y, threads)
	}), nil
}

func newArith(b *Build, code byte, fns binFns) (Kernel, error) {
	legacy, err := legacyBroadcast(b)
	if err != nil {
		return nil, b.Errorf("%v", err)
	}
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		y, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		if legacy != nil {
			if y, err = legacy(x, y); err != nil {
				return nil, err
			}
		}
		if code == '/' && y.DType.IsInt() {
			if err := checkNoZero(y); err != nil {
				return nil, err
			}
		}
		if x.DType == graph.Float && y.DType == graph.Float {
			if r, ok := arithF32(rc, code, x, y); ok {
				return []Value{r}, nil
			}
		}
		r, err := applyBinary(x, y, fns)
		if err != nil {
			return nil, err
		}
		return []Value{r}, nil
	}), nil
}

// vecOp maps an arithmetic op code to its vec kernel.
func vecOp(code byte) vec.Op {
	switch code {
	case '-':
		return vec.Sub
	case '*':
		return vec.Mul
	case '/':
		return vec.Div
	}
	return vec.Add
}

// fastFloat32 is arithF32 outside a run: a new output, threads goroutines.
func fastFloat32(code byte, a, b *Tensor, threads int) (*Tensor, bool) {
	return arithF32(&RunContext{Options: &Options{Threads: threads}}, code, a, b)
}

// arithF32 computes float32 arithmetic with vector loops over contiguous
// runs: both operands contiguous (same shape), one a scalar, or — through
// the coalescing walker — one operand fixed along each run (the per-channel
// [N,C,H,W] op [1,C,1,1] or [N,C,1,1] patterns give runs of H·W). The
// output comes from the run's buffers, or overwrites an operand that has
// the output's shape and dies here. Large outputs are split across the
// run's threads; every element is computed the same way whatever the
// split. It reports false when the shapes do not broadcast (the general
// path then names the error).
func arithF32(rc *RunContext, code byte, a, b *Tensor) (*Tensor, bool) {
	out, err := BroadcastShapes(a.Shape, b.Shape)
	if err != nil {
		return nil, false
	}
	x, y := a.Data.([]float32), b.Data.([]float32)
	n := Size(out)
	var res []float32
	switch {
	case len(x) == n && slices.Equal(a.Shape, out) && rc.canOverwrite(0):
		res = x[:n]
	case len(y) == n && slices.Equal(b.Shape, out) && rc.canOverwrite(1):
		res = y[:n]
	default:
		res = runBufferFull[float32](rc, n)
	}
	op := vecOp(code)
	th := threadsOf(rc)
	split := func(f func(lo, hi int)) {
		if n >= parallelMin {
			parallelChunks(th, n, f)
		} else {
			f(0, n)
		}
	}
	switch {
	case n == 0:
	case len(x) == n && len(y) == n && slices.Equal(a.Shape, b.Shape):
		split(func(lo, hi int) { vec.VV(op, res[lo:hi], x[lo:hi], y[lo:hi]) })
	case len(y) == 1 && len(x) == n:
		s := y[0]
		split(func(lo, hi int) { vec.VS(op, res[lo:hi], x[lo:hi], s) })
	case len(x) == 1 && len(y) == n:
		s := x[0]
		split(func(lo, hi int) { vec.SV(op, res[lo:hi], s, y[lo:hi]) })
	default:
		w := newWalker(out, a.Shape, b.Shape)
		run := func(offs, inner []int, o, m int) {
			dst := res[o : o+m]
			ox, oy, sx, sy := offs[0], offs[1], inner[0], inner[1]
			switch {
			case sx == 1 && sy == 1:
				vec.VV(op, dst, x[ox:ox+m], y[oy:oy+m])
			case sx == 1 && sy == 0:
				vec.VS(op, dst, x[ox:ox+m], y[oy])
			case sx == 0 && sy == 1:
				vec.SV(op, dst, x[ox], y[oy:oy+m])
			default:
				f := arith[float32](code)
				for j := range dst {
					dst[j] = f(x[ox], y[oy])
					ox += sx
					oy += sy
				}
			}
		}
		runs := w.runs()
		if n >= parallelMin && runs > 1 {
			parallelChunks(th, runs, func(lo, hi int) { w.walkRange(lo, hi, run) })
		} else {
			w.walk(run)
		}
	}
	return New(out, res), true
}

// checkNoZero fails when an integer divisor tensor holds a zero.
func checkNoZero(t *Tensor) error {
	v, err := ToInt64s(t)
	if err != nil {
		return err
	}
	for _, x := range v {
		if x == 0 {
			return fmt.Errorf("integer division by zero")
		}
	}
	return nil
}

func newPow(b *Build) (Kernel, error) {
	legacy, err := legacyBroadcast(b)
	if err != nil {
		return nil, b.Errorf("%v", err)
	}
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		y, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		if legacy != nil {
			if y, err = legacy(x, y); err != nil {
				return nil, err
			}
		}
		if x.DType == graph.Float && y.DType == graph.Float {
			if r, ok := powF32(rc, x, y); ok {
				return []Value{r}, nil
			}
		}
		r, err := pow(x, y)
		if err != nil {
			return nil, err
		}
		return []Value{r}, nil
	}), nil
}

// powf is float32 Pow as pow computes it: x·x for an exponent of 2, else
// math.Pow in float64 rounded.
func powf(a, b float32) float32 {
	if b == 2 {
		return a * a
	}
	return float32(math.Pow(float64(a), float64(b)))
}

// powF32 is float32 Pow over contiguous runs into a buffer of the run (or
// a dying operand of the output's shape): a scalar exponent of 2 squares
// with the vector multiply. Large outputs are split across the run's
// threads. It reports false when the shapes do not broadcast.
func powF32(rc *RunContext, a, b *Tensor) (*Tensor, bool) {
	out, err := BroadcastShapes(a.Shape, b.Shape)
	if err != nil {
		return nil, false
	}
	x, y := a.Data.([]float32), b.Data.([]float32)
	n := Size(out)
	var res []float32
	switch {
	case len(x) == n && slices.Equal(a.Shape, out) && rc.canOverwrite(0):
		res = x[:n]
	case len(y) == n && slices.Equal(b.Shape, out) && rc.canOverwrite(1):
		res = y[:n]
	default:
		res = runBufferFull[float32](rc, n)
	}
	w := newWalker(out, a.Shape, b.Shape)
	run := func(offs, inner []int, o, m int) {
		dst := res[o : o+m]
		ox, oy, sx, sy := offs[0], offs[1], inner[0], inner[1]
		if sx == 1 && sy == 0 && y[oy] == 2 {
			xs := x[ox : ox+m]
			vec.VV(vec.Mul, dst, xs, xs)
			return
		}
		for j := range dst {
			dst[j] = powf(x[ox], y[oy])
			ox += sx
			oy += sy
		}
	}
	if runs := w.runs(); n >= parallelMin/8 && runs > 1 {
		parallelChunks(threadsOf(rc), runs, func(lo, hi int) { w.walkRange(lo, hi, run) })
	} else {
		w.walk(run)
	}
	return New(out, res), true
}

// pow computes x**y with the base's type; the exponent may be any numeric
// type (opset 12+). Integer bases with integer exponents are computed
// exactly; other combinations in float64.
func pow(x, y *Tensor) (*Tensor, error) {
	out, err := BroadcastShapes(x.Shape, y.Shape)
	if err != nil {
		return nil, fmt.Errorf("input 1: shape %v does not broadcast with input 0 shape %v", y.Shape, x.Shape)
	}
	if x.DType == y.DType && x.DType == graph.Float {
		return New(out, binaryLoop(x.Data.([]float32), x.Shape, y.Data.([]float32), y.Shape, out, powf)), nil
	}
	if x.DType.IsInt() && y.DType.IsInt() {
		xi, err := ToInt64s(x)
		if err != nil {
			return nil, err
		}
		yi, err := ToInt64s(y)
		if err != nil {
			return nil, err
		}
		r := binaryLoop(xi, x.Shape, yi, y.Shape, out, ipow)
		return fromInt64s(x.DType, out, r)
	}
	xf, err := ToFloat64s(x)
	if err != nil {
		return nil, fmt.Errorf("input 0: %v", err)
	}
	yf, err := ToFloat64s(y)
	if err != nil {
		return nil, fmt.Errorf("input 1: %v", err)
	}
	r := binaryLoop(xf, x.Shape, yf, y.Shape, out, math.Pow)
	return fromFloat64s(x.DType, out, r)
}

// ipow is integer exponentiation with wrap-around; negative exponents give
// 1/x**-y truncated (0 unless |x| is 1).
func ipow(x, y int64) int64 {
	if y < 0 {
		switch x {
		case 1:
			return 1
		case -1:
			if y%2 == 0 {
				return 1
			}
			return -1
		}
		return 0
	}
	r := int64(1)
	for y > 0 {
		if y&1 == 1 {
			r *= x
		}
		x *= x
		y >>= 1
	}
	return r
}

func newMod(b *Build) (Kernel, error) {
	fmodAttr, err := b.Node.AttrInt("fmod", 0)
	if err != nil {
		return nil, err
	}
	if fmodAttr != 0 && fmodAttr != 1 {
		return nil, b.Errorf("fmod is %d, want 0 or 1", fmodAttr)
	}
	var fns binFns
	if fmodAttr == 1 {
		fns = binFns{F32: func(x, y float32) float32 { return float32(math.Mod(float64(x), float64(y))) }, F64: math.Mod}.withInts(
			imod[int8], imod[int16], imod[int32], imod[int64], imod[uint8], imod[uint16], imod[uint32], imod[uint64])
	} else {
		fns = binFns{F32: func(x, y float32) float32 { return float32(pymodf(float64(x), float64(y))) }, F64: pymodf}.withInts(
			pymod[int8], pymod[int16], pymod[int32], pymod[int64], imod[uint8], imod[uint16], imod[uint32], imod[uint64])
	}
	return elemKernel(2, func(in []*Tensor) (*Tensor, error) {
		if in[1].DType.IsInt() {
			if err := checkNoZero(in[1]); err != nil {
				return nil, err
			}
		}
		return applyBinary(in[0], in[1], fns)
	}), nil
}

// imod is the C remainder (sign of the dividend).
func imod[T integer](x, y T) T { return x % y }

// pymod is Python's % on integers: the result has the divisor's sign.
func pymod[T integer](x, y T) T {
	r := x % y
	if r != 0 && (r < 0) != (y < 0) {
		r += y
	}
	return r
}

func pymodf(x, y float64) float64 {
	r := math.Mod(x, y)
	if r != 0 && (r < 0) != (y < 0) {
		r += y
	}
	return r
}

func newBitShift(b *Build) (Kernel, error) {
	dir, err := b.Node.AttrString("direction", "")
	if err != nil {
		return nil, err
	}
	var fns binFns
	switch dir {
	case "LEFT":
		fns = binFns{U8: shl[uint8], U16: shl[uint16], U32: shl[uint32], U64: shl[uint64]}
	case "RIGHT":
		fns = binFns{U8: shr[uint8], U16: shr[uint16], U32: shr[uint32], U64: shr[uint64]}
	default:
		return nil, b.Errorf("direction is %q, want LEFT or RIGHT", dir)
	}
	return elemKernel(2, func(in []*Tensor) (*Tensor, error) { return applyBinary(in[0], in[1], fns) }), nil
}

func shl[T ~uint8 | ~uint16 | ~uint32 | ~uint64](x, y T) T { return x << y }
func shr[T ~uint8 | ~uint16 | ~uint32 | ~uint64](x, y T) T { return x >> y }

// fromInt64s narrows int64 values to an integer tensor of type dt.
func fromInt64s(dt graph.DType, shape []int, v []int64) (*Tensor, error) {
	switch dt {
	case graph.Int64:
		return New(shape, v), nil
	case graph.Int32:
		return New(shape, convertSlice[int64, int32](v)), nil
	case graph.Int16:
		return New(shape, convertSlice[int64, int16](v)), nil
	case graph.Int8:
		return New(shape, convertSlice[int64, int8](v)), nil
	case graph.Uint8:
		return New(shape, convertSlice[int64, uint8](v)), nil
	case graph.Uint16:
		return New(shape, convertSlice[int64, uint16](v)), nil
	case graph.Uint32:
		return New(shape, convertSlice[int64, uint32](v)), nil
	case graph.Uint64:
		return New(shape, convertSlice[int64, uint64](v)), nil
	}
	return nil, fmt.Errorf("element type %s is not an integer type", dt)
}

// fromFloat64s converts float64 values to a numeric tensor of type dt
// (rounding floats, truncating toward zero for integers).
func fromFloat64s(dt graph.DType, shape []int, v []float64) (*Tensor, error) {
	switch dt {
	case graph.Double:
		return New(shape, v), nil
	case graph.Float, graph.Float16, graph.BFloat16:
		return FromFloat32s(dt, shape, convertSlice[float64, float32](v))
	}
	if dt.IsInt() {
		iv := make([]int64, len(v))
		for i, x := range v {
			iv[i] = f64ToInt64(x)
		}
		if dt == graph.Uint64 {
			u := make([]uint64, len(v))
			for i, x := range v {
				u[i] = f64ToUint64(x)
			}
			return New(shape, u), nil
		}
		return fromInt64s(dt, shape, iv)
	}
	return nil, fmt.Errorf("element type %s is not numeric", dt)
}

// f64ToInt64 truncates toward zero, saturating out-of-range values and
// mapping NaN to the minimum (as x86 conversions do).
func f64ToInt64(x float64) int64 {
	switch {
	case x != x:
		return math.MinInt64
	case x >= 9.223372036854775807e18:
		return math.MaxInt64
	case x <= -9.223372036854775808e18:
		return math.MinInt64
	}
	return int64(x)
}

func f64ToUint64(x float64) uint64 {
	switch {
	case x != x || x <= -1:
		if x <= -1 && x > -9.223372036854775808e18 {
			return uint64(int64(x))
		}
		return 0
	case x >= 1.8446744073709551615e19:
		return math.MaxUint64
	case x < 0:
		return 0
	}
	return uint64(x)
}
