package ops

import (
	"fmt"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/gemm"
)

// Gemm: Y = alpha*op(A)*op(B) + beta*C, with C unidirectionally broadcast
// to (M, N) and optional from opset 11.

func init() {
	registerRange("Gemm", []int64{1, 6, 7, 9, 11, 13}, newGemm)
}

func newGemm(b *Build) (Kernel, error) {
	alpha, err := b.Node.AttrFloat("alpha", 1)
	if err != nil {
		return nil, err
	}
	beta, err := b.Node.AttrFloat("beta", 1)
	if err != nil {
		return nil, err
	}
	ta, err := b.Node.AttrInt("transA", 0)
	if err != nil {
		return nil, err
	}
	tb, err := b.Node.AttrInt("transB", 0)
	if err != nil {
		return nil, err
	}
	// Before opset 7 the broadcast attribute allowed C to broadcast; with it
	// 0, C must already be (M, N), which the general rule also accepts.
	if _, err := b.Node.AttrInt("broadcast", 0); err != nil {
		return nil, err
	}
	cb := newConstB(b, 1, tb != 0)
	return preparedBKernel{cb: cb, KernelFunc: func(rc *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		y, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		c, err := OptTensor(in, 2)
		if err != nil {
			return nil, err
		}
		out, err := gemmOpB(rc, x, y, c, ta != 0, tb != 0, alpha, beta, threadsOf(rc), cb)
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	}}, nil
}

// gemmOp computes Gemm.
func gemmOp(a, b, c *Tensor, ta, tb bool, alpha, beta float32, threads int) (*Tensor, error) {
	return gemmOpB(nil, a, b, c, ta, tb, alpha, beta, threads, nil)
}

// gemmOpB is gemmOp in the run rc (which provides a float32 output's
// memory; nil: newly allocated), where cb, when not nil, is the node's
// constant B prepared for products with few rows.
func gemmOpB(rc *RunContext, a, b, c *Tensor, ta, tb bool, alpha, beta float32, threads int, cb *constB) (*Tensor, error) {
	if a.DType != b.DType || (c != nil && c.DType != a.DType) {
		return nil, fmt.Errorf("input types differ: %s, %s and %v", a, b, c)
	}
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		return nil, fmt.Errorf("inputs A %v and B %v must be 2-D", a.Shape, b.Shape)
	}
	m, k := a.Shape[0], a.Shape[1]
	if ta {
		m, k = k, m
	}
	k2, n := b.Shape[0], b.Shape[1]
	if tb {
		k2, n = n, k2
	}
	if k != k2 {
		return nil, fmt.Errorf("inputs A %v and B %v (transA %v, transB %v): inner dims %d and %d differ", a.Shape, b.Shape, ta, tb, k, k2)
	}
	shape := []int{m, n}
	var cIdx []int
	if c != nil {
		bs, err := BroadcastShapes(c.Shape, shape)
		if err != nil || !slices.Equal(bs, shape) {
			return nil, fmt.Errorf("input 2 (C): shape %v does not broadcast to %v", c.Shape, shape)
		}
		cIdx = BroadcastIndex(c.Shape, shape)
	}
	lda, ldb := a.Shape[1], b.Shape[1]
	switch a.DType {
	case graph.Float, graph.Float16, graph.BFloat16:
		av, _ := ToFloat32s(a)
		bv, _ := ToFloat32s(b)
		out := float32Out(rc, a.DType, m*n)
		pb := cb.packed(b)
		if pb != nil && a.DType == graph.Float {
			// C as one row of n values with beta 1 is the product's
			// bias, added while each block of columns is in cache.
			var ep gemm.Epilogue
			if c != nil && beta == 1 && c.Len() == n && (len(c.Shape) == 1 || c.Shape[0] == 1) {
				ep.Bias, _ = ToFloat32s(c)
				c = nil
			}
			bt := float32(0)
			if c != nil && beta != 0 {
				fillC(out, c, cIdx, m, n)
				bt = beta
			}
			gemm.SgemmPackedB(threads, ta, m, alpha, av, lda, pb, bt, out, n, ep)
			return FromFloat32s(a.DType, shape, out)
		}
		bt := float32(0)
		if c != nil && beta != 0 {
			fillC(out, c, cIdx, m, n)
			bt = beta
		}
		gemm.SgemmThreads(threads, ta, tb, m, n, k, alpha, av, lda, bv, ldb, bt, out, n)
		return FromFloat32s(a.DType, shape, out)
	case graph.Double:
		return gemmT(a.Data.([]float64), b, c, cIdx, ta, tb, m, n, k, float64(alpha), float64(beta)), nil
	case graph.Int32:
		return gemmT(a.Data.([]int32), b, c, cIdx, ta, tb, m, n, k, int32(alpha), int32(beta)), nil
	case graph.Int64:
		return gemmT(a.Data.([]int64), b, c, cIdx, ta, tb, m, n, k, int64(alpha), int64(beta)), nil
	case graph.Uint32:
		return gemmT(a.Data.([]uint32), b, c, cIdx, ta, tb, m, n, k, uint32(alpha), uint32(beta)), nil
	case graph.Uint64:
		return gemmT(a.Data.([]uint64), b, c, cIdx, ta, tb, m, n, k, uint64(alpha), uint64(beta)), nil
	}
	return nil, fmt.Errorf("element type %s is not supported", a.DType)
}

// float32Out returns n float32s for the output of a product of element
// type dt: from the run's buffers when the output is float32 itself, else
// (the half types, converted afterwards) newly allocated.
func float32Out(rc *RunContext, dt graph.DType, n int) []float32 {
	if dt == graph.Float {
		return runBuffer[float32](rc, n)
	}
	return make([]float32, n)
}

// fillC writes C, broadcast to m×n (cIdx maps each output element to its
// element of C), to out.
func fillC(out []float32, c *Tensor, cIdx []int, m, n int) {
	cv, _ := ToFloat32s(c)
	switch {
	case len(cv) == m*n:
		copy(out, cv)
	case len(cv) == n && (len(c.Shape) == 1 || c.Shape[0] == 1):
		for i := 0; i < m; i++ {
			copy(out[i*n:(i+1)*n], cv)
		}
	default:
		for i, j := range cIdx {
			out[i] = cv[j]
		}
	}
}

// preparedBKernel is a Gemm or MatMul kernel; profiles name its algorithm
// "prepared-B" when it prepared a constant B.
type preparedBKernel struct {
	KernelFunc
	cb *constB
}

// Algorithm returns "prepared-B" when the node's B is prepared, else "".
func (k preparedBKernel) Algorithm() string {
	if k.cb != nil {
		return "prepared-B"
	}
	return ""
}

// constB is a node's constant float32 B (Gemm's or MatMul's second input,
// a fully connected layer's weights) prepared once for
// gemm.SgemmPackedB: a product with few rows streams it from memory once
// for all rows, and none packs it from the transposed layout on every run.
// The layouts it needs beyond the stored one are made at the first run
// that needs them.
type constB struct {
	w  *Tensor
	pb *gemm.PackedB
}

// newConstB returns the constB of the node's input i (op(B) is its
// transpose when transB), or nil unless that input is a constant 2-D
// float32 tensor.
func newConstB(b *Build, i int, transB bool) *constB {
	w := b.Constant(i)
	if w == nil || w.DType != graph.Float || w.Rank() != 2 {
		return nil
	}
	wv, ok := w.Data.([]float32)
	if !ok {
		return nil
	}
	r, c := w.Shape[0], w.Shape[1]
	k, n := r, c
	if transB {
		k, n = c, r
	}
	return &constB{w: w, pb: gemm.PackB(transB, k, n, wv, c)}
}

// packed returns the prepared B when t is the node's constant B, or nil.
func (cb *constB) packed(t *Tensor) *gemm.PackedB {
	if cb == nil || t.DType != graph.Float || !slices.Equal(t.Shape, cb.w.Shape) {
		return nil
	}
	tv, ok := t.Data.([]float32)
	wv := cb.w.Data.([]float32)
	if !ok || len(tv) == 0 || len(tv) != len(wv) || &tv[0] != &wv[0] {
		return nil
	}
	return cb.pb
}

func gemmT[T interface {
	numeric
	Elem
}](a []T, b, c *Tensor, cIdx []int, ta, tb bool, m, n, k int, alpha, beta T) *Tensor {
	out := make([]T, m*n)
	if c != nil {
		cv := c.Data.([]T)
		for i, j := range cIdx {
			out[i] = beta * cv[j]
		}
	}
	gemmLoop(ta, tb, m, n, k, alpha, a, shapeCols(ta, m, k), b.Data.([]T), shapeCols(tb, k, n), out, n)
	return New([]int{m, n}, out)
}

// shapeCols is the leading dimension of a stored matrix whose op() is
// rows×cols.
func shapeCols(trans bool, rows, cols int) int {
	if trans {
		return rows
	}
	return cols
}
