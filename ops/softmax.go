package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
)

// Softmax, LogSoftmax and Hardmax. Before opset 13 the input is coerced to
// 2-D at axis (default 1) and the op applies to each row of the flattened
// trailing dims; from opset 13 it applies along the single axis (default
// -1).

type softKind int

const (
	softmaxKind softKind = iota
	logSoftmaxKind
	hardmaxKind
)

func init() {
	for _, op := range []struct {
		name string
		kind softKind
	}{{"Softmax", softmaxKind}, {"LogSoftmax", logSoftmaxKind}, {"Hardmax", hardmaxKind}} {
		registerRange(op.name, []int64{1, 11, 13}, func(b *Build) (Kernel, error) {
			def := int64(-1)
			if b.Opset < 13 {
				def = 1
			}
			axis, err := b.Node.AttrInt("axis", def)
			if err != nil {
				return nil, err
			}
			coerce := b.Opset < 13
			return elemKernelT(1, func(in []*Tensor, threads int) (*Tensor, error) {
				return softmaxLike(in[0], axis, coerce, op.kind, threads)
			}), nil
		})
	}
}

func softmaxLike(x *Tensor, axis int64, coerce bool, kind softKind, threads int) (*Tensor, error) {
	var err error
	rank := len(x.Shape)
	if rank == 0 {
		return nil, fmt.Errorf("input 0 is a scalar, want rank >= 1")
	}
	var ax int
	if coerce && axis == int64(rank) {
		ax = rank // all dims in the batch, rows of one element
	} else if ax, err = NormAxis(axis, rank); err != nil {
		return nil, err
	}
	outer := Size(x.Shape[:ax])
	var n, inner int
	if coerce {
		n, inner = Size(x.Shape[ax:]), 1
	} else {
		n, inner = x.Shape[ax], Size(x.Shape[ax+1:])
	}
	shape := slices.Clone(x.Shape)
	switch x.DType {
	case graph.Double:
		v := x.Data.([]float64)
		out := make([]float64, len(v))
		softmaxSplit(v, out, outer, n, inner, kind, threads)
		return New(shape, out), nil
	case graph.Float, graph.Float16, graph.BFloat16:
		v, _ := ToFloat32s(x)
		out := make([]float32, len(v))
		softmaxSplit(v, out, outer, n, inner, kind, threads)
		return FromFloat32s(x.DType, shape, out)
	}
	return nil, fmt.Errorf("element type %s is not supported", x.DType)
}

// softmaxSplit runs softmaxRows over blocks of the outer dim in parallel
// when the tensor is large.
func softmaxSplit[T float](x, out []T, outer, n, inner int, kind softKind, threads int) {
	block := n * inner
	if len(x) < parallelMin || outer < 2 {
		softmaxRows(x, out, outer, n, inner, kind)
		return
	}
	parallelChunks(threads, outer, func(lo, hi int) {
		softmaxRows(x[lo*block:hi*block], out[lo*block:hi*block], hi-lo, n, inner, kind)
	})
}

// softmaxRows applies the op to each of the outer*inner vectors of length n
// with stride inner. Sums are accumulated in float64 after subtracting the
// maximum, so large inputs do not overflow.
func softmaxRows[T float](x, out []T, outer, n, inner int, kind softKind) {
	if n == 0 {
		return
	}
	exp := math.Exp
	if _, ok := any(x).([]float32); ok {
		exp = expF32 // accurate enough for float32 results
	}
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			m := float64(x[base])
			arg := 0
			for j := 1; j < n; j++ {
				if v := float64(x[base+j*inner]); v > m {
					m, arg = v, j
				}
			}
			switch kind {
			case hardmaxKind:
				for j := 0; j < n; j++ {
					out[base+j*inner] = 0
				}
				out[base+arg*inner] = 1
			case softmaxKind:
				var s float64
				for j := 0; j < n; j++ {
					e := exp(float64(x[base+j*inner]) - m)
					out[base+j*inner] = T(e)
					s += e
				}
				for j := 0; j < n; j++ {
					out[base+j*inner] = T(float64(out[base+j*inner]) / s)
				}
			case logSoftmaxKind:
				var s float64
				for j := 0; j < n; j++ {
					s += exp(float64(x[base+j*inner]) - m)
				}
				ls := math.Log(s)
				for j := 0; j < n; j++ {
					out[base+j*inner] = T(float64(x[base+j*inner]) - m - ls)
				}
			}
		}
	}
}
