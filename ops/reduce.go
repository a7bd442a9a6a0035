package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
)

// The Reduce family. Axes are an attribute until opset 12 for ReduceSum and
// until opset 17 for the others, then an optional input (with
// noop_with_empty_axes). Floating-point reductions accumulate in float64.

type reduceKind int

const (
	rSum reduceKind = iota
	rSumSquare
	rL1
	rL2
	rLogSum
	rLogSumExp
	rMean
	rProd
	rMax
	rMin
)

func init() {
	for _, op := range []struct {
		name      string
		kind      reduceKind
		vers      []int64
		axesInput int64 // first version with axes as an input
	}{
		{"ReduceSum", rSum, []int64{1, 11, 13}, 13},
		{"ReduceSumSquare", rSumSquare, []int64{1, 11, 13, 18}, 18},
		{"ReduceL1", rL1, []int64{1, 11, 13, 18}, 18},
		{"ReduceL2", rL2, []int64{1, 11, 13, 18}, 18},
		{"ReduceLogSum", rLogSum, []int64{1, 11, 13, 18}, 18},
		{"ReduceLogSumExp", rLogSumExp, []int64{1, 11, 13, 18}, 18},
		{"ReduceMean", rMean, []int64{1, 11, 13, 18}, 18},
		{"ReduceProd", rProd, []int64{1, 11, 13, 18}, 18},
		{"ReduceMax", rMax, []int64{1, 11, 12, 13, 18, 20}, 18},
		{"ReduceMin", rMin, []int64{1, 11, 12, 13, 18, 20}, 18},
	} {
		registerRange(op.name, op.vers, func(b *Build) (Kernel, error) {
			return newReduce(b, op.kind, b.Opset >= op.axesInput)
		})
	}
}

func newReduce(b *Build, kind reduceKind, axesInput bool) (Kernel, error) {
	keep, err := b.Node.AttrInt("keepdims", 1)
	if err != nil {
		return nil, err
	}
	noop := int64(0)
	var attrAxes []int64
	if axesInput {
		if noop, err = b.Node.AttrInt("noop_with_empty_axes", 0); err != nil {
			return nil, err
		}
		if b.Node.HasAttr("axes") {
			return nil, b.Errorf("axes is an input from this opset, not an attribute")
		}
	} else if attrAxes, err = b.Node.AttrInts("axes", nil); err != nil {
		return nil, err
	}
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		axes := attrAxes
		if axesInput {
			t, err := OptTensor(in, 1)
			if err != nil {
				return nil, err
			}
			if t != nil {
				if t.DType != graph.Int64 {
					return nil, fmt.Errorf("input 1 (axes) is %s, want int64", t)
				}
				axes = t.Data.([]int64)
			}
			if len(axes) == 0 && noop != 0 {
				// A reduction over the empty set of axes: the reduction
				// step is the identity, but composite reductions still apply
				// their element-wise steps (ReduceSumSquare squares,
				// ReduceLogSum takes the log, ...).
				switch kind {
				case rSum, rMean, rProd, rMax, rMin:
					return []Value{x}, nil
				}
				out, err := reduceMask(x, make([]bool, len(x.Shape)), true, kind)
				if err != nil {
					return nil, err
				}
				return []Value{out}, nil
			}
		}
		out, err := reduce(x, axes, keep != 0, kind)
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	}), nil
}

// reduce applies kind over axes (all axes when empty) of x.
func reduce(x *Tensor, axes []int64, keep bool, kind reduceKind) (*Tensor, error) {
	rank := len(x.Shape)
	red := make([]bool, rank)
	if len(axes) == 0 {
		for i := range red {
			red[i] = true
		}
	}
	for _, a := range axes {
		ax, err := NormAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if red[ax] {
			return nil, fmt.Errorf("axis %d is repeated in %v", a, axes)
		}
		red[ax] = true
	}
	return reduceMask(x, red, keep, kind)
}

// reduceMask applies kind over the axes of x marked in red.
func reduceMask(x *Tensor, red []bool, keep bool, kind reduceKind) (*Tensor, error) {
	kshape := slices.Clone(x.Shape)
	var outShape []int
	for i, r := range red {
		if r {
			kshape[i] = 1
		} else {
			outShape = append(outShape, x.Shape[i])
		}
	}
	if keep {
		outShape = slices.Clone(kshape)
	}
	if outShape == nil {
		outShape = []int{}
	}
	ost := Strides(kshape)
	for i, r := range red {
		if r {
			ost[i] = 0
		}
	}
	w := newStridedWalker(x.Shape, Strides(x.Shape), ost)
	nOut := Size(kshape)
	count := 0
	if nOut > 0 {
		count = x.Len() / nOut
	}
	if kind == rMax || kind == rMin {
		if x.DType == graph.Bool {
			return reduceBool(x, w, nOut, outShape, kind)
		}
	}
	switch x.DType {
	case graph.Float, graph.Double, graph.Float16, graph.BFloat16:
	default:
		if !x.DType.IsInt() {
			return nil, fmt.Errorf("element type %s is not supported", x.DType)
		}
		switch kind {
		case rSum, rSumSquare, rL1, rProd, rMax, rMin:
			return reduceIntTyped(x, w, nOut, outShape, kind)
		}
	}
	var acc []float64
	switch d := x.Data.(type) {
	case []float32:
		acc = reduceFloat(d, w, nOut, count, kind)
	case []float64:
		acc = reduceFloat(d, w, nOut, count, kind)
	default:
		v, err := ToFloat64s(x)
		if err != nil {
			return nil, err
		}
		acc = reduceFloat(v, w, nOut, count, kind)
	}
	return fromFloat64s(x.DType, outShape, acc)
}

// reduceFloat reduces v (read as float64) into nOut float64 results.
func reduceFloat[T float](v []T, w *walker, nOut, count int, kind reduceKind) []float64 {
	acc := make([]float64, nOut)
	var init float64
	switch kind {
	case rProd:
		init = 1
	case rMax, rLogSumExp:
		init = math.Inf(-1)
	case rMin:
		init = math.Inf(1)
	}
	for i := range acc {
		acc[i] = init
	}
	var mx []float64
	fold := func(f func(s, x float64) float64) {
		walkReduceTo(w, v, acc, func(s float64, x T) float64 { return f(s, float64(x)) })
	}
	if kind == rLogSumExp {
		fold(nanMax)
		mx = acc
		acc = make([]float64, nOut)
		w.walk(func(offs, inner []int, _, n int) {
			a, o := offs[0], offs[1]
			for j := 0; j < n; j++ {
				if m := mx[o]; !math.IsInf(m, 0) {
					acc[o] += math.Exp(float64(v[a]) - m)
				}
				a += inner[0]
				o += inner[1]
			}
		})
	} else {
		var f func(acc, x float64) float64
		switch kind {
		case rSum, rLogSum, rMean:
			f = nil // summed below without a call per element
		case rSumSquare, rL2:
			f = func(s, x float64) float64 { return s + x*x }
		case rL1:
			f = func(s, x float64) float64 { return s + math.Abs(x) }
		case rProd:
			f = func(s, x float64) float64 { return s * x }
		case rMax:
			f = nanMax
		case rMin:
			f = nanMin
		}
		if f != nil {
			fold(f)
		} else {
			w.walk(func(offs, inner []int, _, n int) {
				a, o := offs[0], offs[1]
				sa, so := inner[0], inner[1]
				if so == 0 {
					s := acc[o]
					for j := 0; j < n; j++ {
						s += float64(v[a])
						a += sa
					}
					acc[o] = s
					return
				}
				for j := 0; j < n; j++ {
					acc[o] += float64(v[a])
					a += sa
					o += so
				}
			})
		}
	}
	for i, s := range acc {
		switch kind {
		case rL2:
			acc[i] = math.Sqrt(s)
		case rLogSum:
			acc[i] = math.Log(s)
		case rMean:
			acc[i] = s / float64(count)
		case rLogSumExp:
			if math.IsInf(mx[i], 0) || mx[i] != mx[i] {
				acc[i] = mx[i]
			} else {
				acc[i] = mx[i] + math.Log(s)
			}
		}
	}
	return acc
}

// walkReduce folds the elements of v into acc[output offset] with f.
func walkReduce[T any](w *walker, v []T, acc []T, f func(acc, x T) T) {
	walkReduceTo(w, v, acc, func(s T, x T) T { return f(s, x) })
}

// walkReduceTo is walkReduce with an accumulator type that may differ from
// the element type.
func walkReduceTo[T, A any](w *walker, v []T, acc []A, f func(acc A, x T) A) {
	w.walk(func(offs, inner []int, _, n int) {
		a, o := offs[0], offs[1]
		sa, so := inner[0], inner[1]
		if so == 0 {
			s := acc[o]
			for j := 0; j < n; j++ {
				s = f(s, v[a])
				a += sa
			}
			acc[o] = s
			return
		}
		for j := 0; j < n; j++ {
			acc[o] = f(acc[o], v[a])
			a += sa
			o += so
		}
	})
}

func reduceIntTyped(x *Tensor, w *walker, nOut int, outShape []int, kind reduceKind) (*Tensor, error) {
	switch d := x.Data.(type) {
	case []int8:
		return reduceInt(d, w, nOut, outShape, kind, math.MinInt8, math.MaxInt8)
	case []int16:
		return reduceInt(d, w, nOut, outShape, kind, math.MinInt16, math.MaxInt16)
	case []int32:
		return reduceInt(d, w, nOut, outShape, kind, math.MinInt32, math.MaxInt32)
	case []int64:
		return reduceInt(d, w, nOut, outShape, kind, math.MinInt64, math.MaxInt64)
	case []uint8:
		return reduceInt(d, w, nOut, outShape, kind, 0, math.MaxUint8)
	case []uint16:
		return reduceInt(d, w, nOut, outShape, kind, 0, math.MaxUint16)
	case []uint32:
		return reduceInt(d, w, nOut, outShape, kind, 0, math.MaxUint32)
	case []uint64:
		return reduceInt(d, w, nOut, outShape, kind, 0, math.MaxUint64)
	}
	return nil, fmt.Errorf("element type %s is not supported", x.DType)
}

// reduceInt reduces in the element type itself, wrapping on overflow like
// the type's arithmetic.
func reduceInt[T interface {
	integer
	Elem
}](v []T, w *walker, nOut int, outShape []int, kind reduceKind, lo, hi T) (*Tensor, error) {
	acc := make([]T, nOut)
	var f func(s, x T) T
	switch kind {
	case rSum:
		f = func(s, x T) T { return s + x }
	case rSumSquare:
		f = func(s, x T) T { return s + x*x }
	case rL1:
		f = func(s, x T) T {
			if x < 0 {
				return s - x
			}
			return s + x
		}
	case rProd:
		for i := range acc {
			acc[i] = 1
		}
		f = func(s, x T) T { return s * x }
	case rMax:
		for i := range acc {
			acc[i] = lo
		}
		f = func(s, x T) T { return max(s, x) }
	case rMin:
		for i := range acc {
			acc[i] = hi
		}
		f = func(s, x T) T { return min(s, x) }
	}
	walkReduce(w, v, acc, f)
	return New(outShape, acc), nil
}

func reduceBool(x *Tensor, w *walker, nOut int, outShape []int, kind reduceKind) (*Tensor, error) {
	acc := make([]bool, nOut)
	f := func(s, v bool) bool { return s || v }
	if kind == rMin {
		for i := range acc {
			acc[i] = true
		}
		f = func(s, v bool) bool { return s && v }
	}
	walkReduce(w, x.Data.([]bool), acc, f)
	return New(outShape, acc), nil
}
