package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/gemm"
	"github.com/onnxrun/onnxrun/internal/kernels/vec"
)

// Activation functions: Relu, LeakyRelu, PRelu, Elu, Selu, Celu, Sigmoid,
// HardSigmoid, HardSwish, Softplus, Softsign, Mish, Gelu, Shrink,
// ThresholdedRelu and Clip.

func init() {
	// Ops without attributes.
	relu := floatUnary(func(x float64) float64 { return math.Max(x, 0) }).
		withSigned(irelu[int8], irelu[int16], irelu[int32], irelu[int64])
	relu.V32 = func(dst, src []float32) { vec.Clamp(dst, src, 0, float32(math.Inf(1))) } // NaN stays NaN
	registerUnary("Relu", []int64{1, 6, 13, 14}, relu)
	sig := floatUnary(sigmoid)
	sig.V32 = func(dst, src []float32) {
		// The vector sigmoid of the convolution epilogues (within 4e-7
		// relative of the exact value), in place on dst.
		if len(src) == 0 {
			return
		}
		if &dst[0] != &src[0] {
			copy(dst, src)
		}
		gemm.Sigmoid(dst[:len(src)], false)
	}
	registerUnary("Sigmoid", []int64{1, 6, 13}, sig)
	hswish := floatUnary(hardSwish)
	hswish.V32 = func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			dst[i] = float32(hardSwish(float64(v)))
		}
	}
	registerUnary("HardSwish", []int64{14, 22}, hswish)
	registerUnary("Softplus", []int64{1, 22}, floatUnary(softplus))
	registerUnary("Softsign", []int64{1, 22}, floatUnary(func(x float64) float64 { return x / (1 + math.Abs(x)) }))
	registerUnary("Mish", []int64{18, 22}, floatUnary(func(x float64) float64 { return x * math.Tanh(softplus(x)) }))

	// Ops with float attributes.
	attrUnary := func(name string, vers []int64, attrs []string, defs []float32, f func(a []float64, x float64) float64) {
		registerRange(name, vers, func(b *Build) (Kernel, error) {
			a := make([]float64, len(attrs))
			for i, n := range attrs {
				v, err := b.Node.AttrFloat(n, defs[i])
				if err != nil {
					return nil, err
				}
				a[i] = float64(v)
			}
			fns := floatUnary(func(x float64) float64 { return f(a, x) })
			return unaryKernel(fns), nil
		})
	}
	registerRange("LeakyRelu", []int64{1, 6, 16}, func(b *Build) (Kernel, error) {
		alpha, err := b.Node.AttrFloat("alpha", 0.01)
		if err != nil {
			return nil, err
		}
		al := float64(alpha)
		fns := floatUnary(func(x float64) float64 {
			if x < 0 {
				return al * x
			}
			return x
		})
		// The float32 product of two float32 values is the float64 one
		// rounded: the same bits as the float64 form.
		fns.V32 = func(dst, src []float32) {
			dst = dst[:len(src)]
			for i, v := range src {
				if v < 0 {
					v *= alpha
				}
				dst[i] = v
			}
		}
		return unaryKernel(fns), nil
	})
	attrUnary("Elu", []int64{1, 6, 22}, []string{"alpha"}, []float32{1}, func(a []float64, x float64) float64 {
		if x < 0 {
			return a[0] * (math.Exp(x) - 1)
		}
		return x
	})
	attrUnary("Selu", []int64{1, 6, 22}, []string{"alpha", "gamma"}, []float32{1.67326319217681884765625, 1.05070102214813232421875},
		func(a []float64, x float64) float64 {
			if x <= 0 {
				return a[1] * (a[0]*math.Exp(x) - a[0])
			}
			return a[1] * x
		})
	attrUnary("Celu", []int64{12, 28}, []string{"alpha"}, []float32{1}, func(a []float64, x float64) float64 {
		return math.Max(0, x) + math.Min(0, a[0]*(math.Exp(x/a[0])-1))
	})
	registerRange("HardSigmoid", []int64{1, 6, 22}, func(b *Build) (Kernel, error) {
		alpha, err := b.Node.AttrFloat("alpha", 0.2)
		if err != nil {
			return nil, err
		}
		beta, err := b.Node.AttrFloat("beta", 0.5)
		if err != nil {
			return nil, err
		}
		al, be := float64(alpha), float64(beta)
		f := func(x float64) float64 { return math.Max(0, math.Min(1, al*x+be)) }
		fns := floatUnary(f)
		fns.V32 = func(dst, src []float32) { // f inline: the same values
			dst = dst[:len(src)]
			for i, v := range src {
				dst[i] = float32(math.Max(0, math.Min(1, al*float64(v)+be)))
			}
		}
		return unaryKernel(fns), nil
	})
	attrUnary("ThresholdedRelu", []int64{10, 22}, []string{"alpha"}, []float32{1}, func(a []float64, x float64) float64 {
		if x > a[0] {
			return x
		}
		return 0
	})

	registerRange("Gelu", []int64{20}, func(b *Build) (Kernel, error) {
		approx, err := b.Node.AttrString("approximate", "none")
		if err != nil {
			return nil, err
		}
		var fns unFns
		switch approx {
		case "none":
			fns = floatUnary(func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) })
		case "tanh":
			fns = floatUnary(func(x float64) float64 {
				return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
			})
		default:
			return nil, b.Errorf("approximate is %q, want \"none\" or \"tanh\"", approx)
		}
		return unaryKernel(fns), nil
	})

	registerRange("Shrink", []int64{9}, func(b *Build) (Kernel, error) {
		lambd, err := b.Node.AttrFloat("lambd", 0.5)
		if err != nil {
			return nil, err
		}
		bias, err := b.Node.AttrFloat("bias", 0)
		if err != nil {
			return nil, err
		}
		l, bs := float64(lambd), float64(bias)
		f := func(x float64) float64 {
			switch {
			case x < -l:
				return x + bs
			case x > l:
				return x - bs
			}
			return 0
		}
		fns := floatUnary(f).withSigned(intFloatFn[int8](f), intFloatFn[int16](f), intFloatFn[int32](f), intFloatFn[int64](f)).
			withUnsigned(intFloatFn[uint8](f), intFloatFn[uint16](f), intFloatFn[uint32](f), intFloatFn[uint64](f))
		return unaryKernel(fns), nil
	})

	registerRange("PRelu", []int64{1, 6, 7, 9, 16}, func(b *Build) (Kernel, error) {
		fns := binFns{F32: func(x, s float32) float32 {
			if x < 0 {
				return s * x
			}
			return x
		}, F64: func(x, s float64) float64 {
			if x < 0 {
				return s * x
			}
			return x
		}}.withInts(prelu[int8], prelu[int16], prelu[int32], prelu[int64], prelu[uint8], prelu[uint16], prelu[uint32], prelu[uint64])
		legacy := b.Opset < 7
		return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
			x, err := TensorInput(in, 0)
			if err != nil {
				return nil, err
			}
			slope, err := TensorInput(in, 1)
			if err != nil {
				return nil, err
			}
			if legacy && slope.Len() != 1 && len(slope.Shape) < len(x.Shape) && len(x.Shape) >= 2 && len(slope.Shape) >= 1 &&
				slope.Shape[0] == x.Shape[1] {
				// Before opset 7 a per-channel slope of shape [C] or [C,1,...] applies along axis 1.
				shape := make([]int, len(x.Shape))
				for i := range shape {
					shape[i] = 1
				}
				copy(shape[1:], slope.Shape)
				slope = &Tensor{DType: slope.DType, Shape: shape, Data: slope.Data}
			}
			out, err := BroadcastShapes(x.Shape, slope.Shape)
			if err != nil || !slices.Equal(out, x.Shape) {
				return nil, fmt.Errorf("input 1 (slope): shape %v does not broadcast to input 0 shape %v", slope.Shape, x.Shape)
			}
			if x.DType == graph.Float && slope.DType == graph.Float {
				return []Value{preluF32(rc, x, slope)}, nil
			}
			r, err := applyBinary(x, slope, fns)
			if err != nil {
				return nil, err
			}
			return []Value{r}, nil
		}), nil
	})

	registerRange("Clip", []int64{1, 6, 11, 12, 13}, newClip)
}

// preluF32 computes PRelu on float32 x with slope broadcast to x's shape,
// one contiguous run of x at a time (the slope fixed along the run for the
// per-channel [C,1,1] form), into a buffer of the run or into x when it
// dies here; large inputs are split across the run's threads.
func preluF32(rc *RunContext, x, slope *Tensor) *Tensor {
	xs, ss := x.Data.([]float32), slope.Data.([]float32)
	n := Size(x.Shape)
	var res []float32
	if rc.canOverwrite(0) {
		res = xs[:n]
	} else {
		res = runBufferFull[float32](rc, n)
	}
	w := newWalker(x.Shape, x.Shape, slope.Shape)
	run := func(offs, inner []int, o, m int) {
		dst := res[o : o+m]
		ox, os, sx, st := offs[0], offs[1], inner[0], inner[1]
		switch {
		case sx == 1 && st == 0:
			s := ss[os]
			for i, v := range xs[ox : ox+m] {
				if v < 0 {
					v *= s
				}
				dst[i] = v
			}
		case sx == 1 && st == 1:
			sl := ss[os : os+m]
			for i, v := range xs[ox : ox+m] {
				if v < 0 {
					v *= sl[i]
				}
				dst[i] = v
			}
		default:
			for i := range dst {
				v := xs[ox]
				if v < 0 {
					v *= ss[os]
				}
				dst[i] = v
				ox += sx
				os += st
			}
		}
	}
	if runs := w.runs(); n >= parallelMin && runs > 1 {
		parallelChunks(threadsOf(rc), runs, func(lo, hi int) { w.walkRange(lo, hi, run) })
	} else {
		w.walk(run)
	}
	return New(slices.Clone(x.Shape), res)
}

// hardSwish is x·max(0, min(1, x/6 + 1/2)).
func hardSwish(x float64) float64 { return x * math.Max(0, math.Min(1, x/6+0.5)) }

func irelu[T ~int8 | ~int16 | ~int32 | ~int64](x T) T { return max(x, 0) }

func prelu[T integer](x, s T) T {
	if x < 0 {
		return s * x
	}
	return x
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

// newClip handles min/max as attributes (before opset 11) or as optional
// scalar inputs (11+).
func newClip(b *Build) (Kernel, error) {
	if b.Opset < 11 {
		lo, err := b.Node.AttrFloat("min", -math.MaxFloat32)
		if err != nil {
			return nil, err
		}
		hi, err := b.Node.AttrFloat("max", math.MaxFloat32)
		if err != nil {
			return nil, err
		}
		l, h := float64(lo), float64(hi)
		fns := floatUnary(func(x float64) float64 { return clampNaN(x, l, h) })
		if lo == lo && hi == hi { // NaN bounds take the float64 path
			fns.V32 = func(dst, src []float32) { vec.Clamp(dst, src, lo, hi) }
		}
		return unaryKernel(fns), nil
	}
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		var bounds [2]*Tensor
		for i := range bounds {
			t, err := OptTensor(in, i+1)
			if err != nil {
				return nil, err
			}
			if t != nil {
				if t.Len() != 1 {
					return nil, fmt.Errorf("input %d: shape %v, want a scalar", i+1, t.Shape)
				}
				if t.DType != x.DType {
					return nil, fmt.Errorf("input %d is %s, want %s like input 0", i+1, t.DType, x.DType)
				}
			}
			bounds[i] = t
		}
		if v, ok := x.Data.([]float32); ok {
			lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
			if bounds[0] != nil {
				lo = bounds[0].Data.([]float32)[0]
			}
			if bounds[1] != nil {
				hi = bounds[1].Data.([]float32)[0]
			}
			if lo == lo && hi == hi { // NaN bounds take the float64 path
				return []Value{unaryF32(rc, x, v, func(dst, src []float32) { vec.Clamp(dst, src, lo, hi) })}, nil
			}
		}
		out, err := clip(x, bounds[0], bounds[1])
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	}), nil
}

func clampNaN(x, lo, hi float64) float64 {
	if x != x {
		return x
	}
	return math.Min(math.Max(x, lo), hi)
}

func clip(x, lo, hi *Tensor) (*Tensor, error) {
	switch x.DType {
	case graph.Float, graph.Double, graph.Float16, graph.BFloat16:
		l, h := math.Inf(-1), math.Inf(1)
		if lo != nil {
			v, _ := ToFloat64s(lo)
			l = v[0]
		}
		if hi != nil {
			v, _ := ToFloat64s(hi)
			h = v[0]
		}
		return applyUnary(x, floatUnary(func(v float64) float64 { return clampNaN(v, l, h) }))
	case graph.Uint64:
		l, h := uint64(0), uint64(math.MaxUint64)
		if lo != nil {
			l = lo.Data.([]uint64)[0]
		}
		if hi != nil {
			h = hi.Data.([]uint64)[0]
		}
		return applyUnary(x, unFns{U64: func(v uint64) uint64 { return min(max(v, l), h) }})
	}
	if !x.DType.IsInt() {
		return nil, fmt.Errorf("element type %s is not supported", x.DType)
	}
	l, h := int64(math.MinInt64), int64(math.MaxInt64)
	if lo != nil {
		v, _ := ToInt64s(lo)
		l = v[0]
	}
	if hi != nil {
		v, _ := ToInt64s(hi)
		h = v[0]
	}
	xs, _ := ToInt64s(x)
	return fromInt64s(x.DType, slices.Clone(x.Shape), mapSlice(xs, func(v int64) int64 { return min(max(v, l), h) }))
}
