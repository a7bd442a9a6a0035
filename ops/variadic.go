package ops

import (
	"fmt"
	"math"
)

// Variadic element-wise ops over any number of broadcast inputs: Max, Min,
// Sum, Mean.

func init() {
	maxFns := binFns{F32: func(x, y float32) float32 { return float32(nanMax(float64(x), float64(y))) }, F64: nanMax}.withInts(
		maxOf[int8], maxOf[int16], maxOf[int32], maxOf[int64], maxOf[uint8], maxOf[uint16], maxOf[uint32], maxOf[uint64])
	minFns := binFns{F32: func(x, y float32) float32 { return float32(nanMin(float64(x), float64(y))) }, F64: nanMin}.withInts(
		minOf[int8], minOf[int16], minOf[int32], minOf[int64], minOf[uint8], minOf[uint16], minOf[uint32], minOf[uint64])
	registerRange("Max", []int64{1, 6, 8, 12, 13}, func(b *Build) (Kernel, error) { return variadic(maxFns, false), nil })
	registerRange("Min", []int64{1, 6, 8, 12, 13}, func(b *Build) (Kernel, error) { return variadic(minFns, false), nil })
	registerRange("Sum", []int64{1, 6, 8, 13}, func(b *Build) (Kernel, error) { return variadic(arithFns('+'), false), nil })
	registerRange("Mean", []int64{1, 6, 8, 13}, func(b *Build) (Kernel, error) { return variadic(arithFns('+'), true), nil })
}

func maxOf[T integer](x, y T) T { return max(x, y) }
func minOf[T integer](x, y T) T { return min(x, y) }

// nanMax is max that propagates NaN (as numpy.maximum does).
func nanMax(x, y float64) float64 {
	if x != x || y != y {
		return math.NaN()
	}
	return max(x, y)
}

func nanMin(x, y float64) float64 {
	if x != x || y != y {
		return math.NaN()
	}
	return min(x, y)
}

// variadic folds f over the inputs left to right; mean divides the result by
// the number of inputs.
func variadic(f binFns, mean bool) Kernel {
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
		if len(in) == 0 {
			return nil, fmt.Errorf("no inputs")
		}
		acc, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		for i := 1; i < len(in); i++ {
			t, err := TensorInput(in, i)
			if err != nil {
				return nil, err
			}
			if t.DType != acc.DType {
				return nil, fmt.Errorf("input %d is %s, want %s like input 0", i, t.DType, acc.DType)
			}
			out, err := BroadcastShapes(acc.Shape, t.Shape)
			if err != nil {
				return nil, fmt.Errorf("input %d: shape %v does not broadcast with %v", i, t.Shape, acc.Shape)
			}
			if acc, err = applyBinaryTo(acc, t, out, f); err != nil {
				return nil, err
			}
		}
		if mean {
			n := float64(len(in))
			div, err := applyUnary(acc, floatUnary(func(x float64) float64 { return x / n }))
			if err != nil {
				return nil, err
			}
			acc = div
		}
		return []Value{acc}, nil
	})
}
