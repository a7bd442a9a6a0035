package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/kernels/vec"
)

// Element-wise unary math: Abs, Neg, Sign, Ceil, Floor, Round, Sqrt,
// Reciprocal, Exp, Log, Erf, the trigonometric and hyperbolic functions,
// IsNaN and IsInf.

func init() {
	float := func(name string, vers []int64, f func(float64) float64) {
		fns := floatUnary(f)
		registerUnary(name, vers, fns)
	}
	float("Acos", []int64{7, 22}, math.Acos)
	float("Acosh", []int64{9, 22}, math.Acosh)
	float("Asin", []int64{7, 22}, math.Asin)
	float("Asinh", []int64{9, 22}, math.Asinh)
	float("Atan", []int64{7, 22}, math.Atan)
	float("Atanh", []int64{9, 22}, math.Atanh)
	float("Cos", []int64{7, 22}, math.Cos)
	float("Cosh", []int64{9, 22}, math.Cosh)
	float("Sin", []int64{7, 22}, math.Sin)
	float("Sinh", []int64{9, 22}, math.Sinh)
	float("Tan", []int64{7, 22}, math.Tan)
	tanh := floatUnary(math.Tanh)
	tanh.V32 = func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			dst[i] = float32(tanhF32(float64(v)))
		}
	}
	registerUnary("Tanh", []int64{1, 6, 13}, tanh)
	// direct makes the float fields of a unFns from a float64 function
	// with a float32 loop that calls it without the indirect call per
	// element of floatUnary (the same values).
	direct := func(f func(float64) float64, v32 func(dst, src []float32)) unFns {
		fns := floatUnary(f)
		fns.V32 = v32
		return fns
	}
	registerUnary("Ceil", []int64{1, 6, 13}, direct(math.Ceil, func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			dst[i] = float32(math.Ceil(float64(v)))
		}
	}))
	registerUnary("Floor", []int64{1, 6, 13}, direct(math.Floor, func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			dst[i] = float32(math.Floor(float64(v)))
		}
	}))
	float("Round", []int64{11, 22}, math.RoundToEven)
	// The float64 square root and quotient rounded to float32 are the
	// float32 ones (53 ≥ 2·24+2 bits: the double rounding is innocuous).
	registerUnary("Sqrt", []int64{1, 6, 13}, direct(math.Sqrt, func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			dst[i] = float32(math.Sqrt(float64(v)))
		}
	}))
	exp := floatUnary(math.Exp)
	exp.V32 = func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			dst[i] = float32(expF32(float64(v)))
		}
	}
	registerUnary("Exp", []int64{1, 6, 13}, exp)
	float("Log", []int64{1, 6, 13}, math.Log)
	registerUnary("Reciprocal", []int64{1, 6, 13}, direct(func(x float64) float64 { return 1 / x },
		func(dst, src []float32) { vec.SV(vec.Div, dst[:len(src)], 1, src) }))

	erf := floatUnary(math.Erf)
	erf = erf.withSigned(intFloatFn[int8](math.Erf), intFloatFn[int16](math.Erf), intFloatFn[int32](math.Erf), intFloatFn[int64](math.Erf)).
		withUnsigned(intFloatFn[uint8](math.Erf), intFloatFn[uint16](math.Erf), intFloatFn[uint32](math.Erf), intFloatFn[uint64](math.Erf))
	registerUnary("Erf", []int64{9, 13}, erf)

	abs := direct(math.Abs, func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			dst[i] = math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
		}
	}).withSigned(iabs[int8], iabs[int16], iabs[int32], iabs[int64]).
		withUnsigned(ident[uint8], ident[uint16], ident[uint32], ident[uint64])
	registerUnary("Abs", []int64{1, 6, 13}, abs)

	neg := direct(func(x float64) float64 { return -x }, func(dst, src []float32) {
		dst = dst[:len(src)]
		for i, v := range src {
			dst[i] = -v
		}
	}).withSigned(ineg[int8], ineg[int16], ineg[int32], ineg[int64])
	registerUnary("Neg", []int64{1, 6, 13}, neg)

	sign := floatUnary(fsign).withSigned(isign[int8], isign[int16], isign[int32], isign[int64]).
		withUnsigned(usign[uint8], usign[uint16], usign[uint32], usign[uint64])
	registerUnary("Sign", []int64{9, 13}, sign)

	registerRange("IsNaN", []int64{9, 13, 20}, func(b *Build) (Kernel, error) {
		return elemKernel(1, func(in []*Tensor) (*Tensor, error) {
			return floatPredicate(in[0], func(x float64) bool { return x != x })
		}), nil
	})
	registerRange("IsInf", []int64{10, 20}, func(b *Build) (Kernel, error) {
		neg, err := b.Node.AttrInt("detect_negative", 1)
		if err != nil {
			return nil, err
		}
		pos, err := b.Node.AttrInt("detect_positive", 1)
		if err != nil {
			return nil, err
		}
		return elemKernel(1, func(in []*Tensor) (*Tensor, error) {
			return floatPredicate(in[0], func(x float64) bool {
				return (pos != 0 && math.IsInf(x, 1)) || (neg != 0 && math.IsInf(x, -1))
			})
		}), nil
	})
}

// registerUnary registers an element-wise unary op over the given versions.
func registerUnary(name string, vers []int64, fns unFns) {
	registerRange(name, vers, func(b *Build) (Kernel, error) {
		return unaryKernel(fns), nil
	})
}

func ident[T any](x T) T { return x }

func iabs[T ~int8 | ~int16 | ~int32 | ~int64](x T) T {
	if x < 0 {
		return -x
	}
	return x
}

func ineg[T ~int8 | ~int16 | ~int32 | ~int64](x T) T { return -x }

func isign[T ~int8 | ~int16 | ~int32 | ~int64](x T) T {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

func usign[T ~uint8 | ~uint16 | ~uint32 | ~uint64](x T) T {
	if x > 0 {
		return 1
	}
	return 0
}

func fsign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return x // 0, -0 and NaN
}

// intFloatFn applies a float function to an integer, truncating the result.
func intFloatFn[T integer](f func(float64) float64) func(T) T {
	return func(x T) T { return T(f64ToInt64(f(float64(x)))) }
}

// floatPredicate maps a float tensor to a bool tensor.
func floatPredicate(t *Tensor, f func(float64) bool) (*Tensor, error) {
	switch t.DType {
	case graph.Float, graph.Float16, graph.BFloat16:
		v, _ := ToFloat32s(t)
		return New(slices.Clone(t.Shape), mapSlice(v, func(x float32) bool { return f(float64(x)) })), nil
	case graph.Double:
		return New(slices.Clone(t.Shape), mapSlice(t.Data.([]float64), f)), nil
	}
	return nil, fmt.Errorf("element type %s is not supported", t.DType)
}

// tanhF32 is tanh for results rounded to float32 (within one ulp of the
// correctly rounded value), several times cheaper than math.Tanh:
// tanh(|x|) = −m/(2+m) with m = e^(−2|x|) − 1, m from its Taylor series
// where it is small (no cancellation) and from expF32 elsewhere.
func tanhF32(x float64) float64 {
	a := math.Abs(x)
	switch {
	case x != x:
		return x
	case a < 0x1p-13: // tanh(x) = x in float32
		return x
	case a > 10: // 1 − tanh(10) < 2⁻²⁷
		return math.Copysign(1, x)
	}
	u := -2 * a
	var m float64
	if u > -0.5 {
		// e^u − 1 = Σ u^k/k!, k = 1..11 (the next term is below 1e-11 of it).
		const (
			c2, c3, c4, c5, c6   = 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720
			c7, c8, c9, c10, c11 = 1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800
		)
		m = u * (1 + u*(c2+u*(c3+u*(c4+u*(c5+u*(c6+u*(c7+u*(c8+u*(c9+u*(c10+u*c11))))))))))
	} else {
		m = expF32(u) - 1
	}
	return math.Copysign(-m/(2+m), x)
}
