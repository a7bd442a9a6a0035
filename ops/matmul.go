package ops

import (
	"fmt"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/gemm"
)

// MatMul with numpy semantics: batch dims broadcast, a 1-D first operand
// gets a 1 prepended and a 1-D second operand a 1 appended (both removed
// from the result). float32 (and the half types, widened) use the blocked
// parallel GEMM; other types a plain loop.

func init() {
	registerRange("MatMul", []int64{1, 9, 13}, func(b *Build) (Kernel, error) {
		cb := newConstB(b, 1, false)
		return preparedBKernel{cb: cb, KernelFunc: func(rc *RunContext, in []Value) ([]Value, error) {
			x, err := TensorInput(in, 0)
			if err != nil {
				return nil, err
			}
			y, err := TensorInput(in, 1)
			if err != nil {
				return nil, err
			}
			out, err := matmulB(rc, x, y, threadsOf(rc), cb)
			if err != nil {
				return nil, err
			}
			return []Value{out}, nil
		}}, nil
	})
}

// threadsOf is the goroutine budget of a run (0: GOMAXPROCS).
func threadsOf(rc *RunContext) int {
	if rc == nil || rc.Options == nil {
		return 0
	}
	return rc.Options.Threads
}

func matmul(x, y *Tensor, threads int) (*Tensor, error) {
	return matmulB(nil, x, y, threads, nil)
}

// matmulB is matmul in the run rc (which provides a float32 output's
// memory; nil: newly allocated), where cb, when not nil, is the node's
// constant second input prepared for products with few rows.
func matmulB(rc *RunContext, x, y *Tensor, threads int, cb *constB) (*Tensor, error) {
	if x.DType != y.DType {
		return nil, typeMismatch(x, y)
	}
	if len(x.Shape) == 0 || len(y.Shape) == 0 {
		return nil, fmt.Errorf("inputs must have rank >= 1, got shapes %v and %v", x.Shape, y.Shape)
	}
	as, bs := x.Shape, y.Shape
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, k := as[len(as)-2], as[len(as)-1]
	k2, n := bs[len(bs)-2], bs[len(bs)-1]
	if k != k2 {
		return nil, fmt.Errorf("input shapes %v and %v: inner dims %d and %d differ", x.Shape, y.Shape, k, k2)
	}
	ab, bb := as[:len(as)-2], bs[:len(bs)-2]
	batch, err := BroadcastShapes(ab, bb)
	if err != nil {
		return nil, fmt.Errorf("input shapes %v and %v: batch dims do not broadcast", x.Shape, y.Shape)
	}
	shape := append(slices.Clone(batch), m, n)
	final := slices.Clone(batch)
	if len(x.Shape) > 1 {
		final = append(final, m)
	}
	if len(y.Shape) > 1 {
		final = append(final, n)
	}
	nb := Size(batch)
	// Batch offsets of each operand (in matrices).
	ai := BroadcastIndex(ab, batch)
	bi := BroadcastIndex(bb, batch)
	// A batched A times one B is one tall GEMM.
	foldA := Size(bb) == 1 && Size(ab) == nb
	switch x.DType {
	case graph.Float, graph.Float16, graph.BFloat16:
		a, _ := ToFloat32s(x)
		b, _ := ToFloat32s(y)
		c := float32Out(rc, x.DType, nb*m*n)
		if pb := cb.packed(y); foldA && pb != nil && x.DType == graph.Float {
			gemm.SgemmPackedB(threads, false, nb*m, 1, a, k, pb, 0, c, n, gemm.Epilogue{})
		} else if foldA {
			gemm.SgemmThreads(threads, false, false, nb*m, n, k, 1, a, k, b, n, 0, c, n)
		} else if nb > 1 && threads != 1 && nb*m*n*k >= 1<<18 {
			// Many products: one goroutine per group of batch elements.
			parallelChunks(threads, nb, func(lo, hi int) {
				for t := lo; t < hi; t++ {
					gemm.SgemmThreads(1, false, false, m, n, k, 1, a[ai[t]*m*k:], k, b[bi[t]*k*n:], n, 0, c[t*m*n:], n)
				}
			})
		} else {
			for t := 0; t < nb; t++ {
				gemm.SgemmThreads(threads, false, false, m, n, k, 1, a[ai[t]*m*k:], k, b[bi[t]*k*n:], n, 0, c[t*m*n:], n)
			}
		}
		r, err := FromFloat32s(x.DType, shape, c)
		if err != nil {
			return nil, err
		}
		r.Shape = final
		return r, nil
	case graph.Double:
		return matmulT(x.Data.([]float64), y.Data.([]float64), ai, bi, m, n, k, final), nil
	case graph.Int32:
		return matmulT(x.Data.([]int32), y.Data.([]int32), ai, bi, m, n, k, final), nil
	case graph.Int64:
		return matmulT(x.Data.([]int64), y.Data.([]int64), ai, bi, m, n, k, final), nil
	case graph.Uint32:
		return matmulT(x.Data.([]uint32), y.Data.([]uint32), ai, bi, m, n, k, final), nil
	case graph.Uint64:
		return matmulT(x.Data.([]uint64), y.Data.([]uint64), ai, bi, m, n, k, final), nil
	case graph.Int8:
		return matmulT(x.Data.([]int8), y.Data.([]int8), ai, bi, m, n, k, final), nil
	case graph.Int16:
		return matmulT(x.Data.([]int16), y.Data.([]int16), ai, bi, m, n, k, final), nil
	case graph.Uint8:
		return matmulT(x.Data.([]uint8), y.Data.([]uint8), ai, bi, m, n, k, final), nil
	case graph.Uint16:
		return matmulT(x.Data.([]uint16), y.Data.([]uint16), ai, bi, m, n, k, final), nil
	}
	return nil, fmt.Errorf("element type %s is not supported", x.DType)
}

// matmulT is the plain batched product for non-float32 types.
func matmulT[T interface {
	numeric
	Elem
}](a, b []T, ai, bi []int, m, n, k int, shape []int) *Tensor {
	c := make([]T, len(ai)*m*n)
	for t := range ai {
		gemmLoop(false, false, m, n, k, 1, a[ai[t]*m*k:], k, b[bi[t]*k*n:], n, c[t*m*n:], n)
	}
	return New(shape, c)
}

// gemmLoop adds alpha*op(A)*op(B) to C (row-major, i-p-j order).
func gemmLoop[T numeric](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		for p := 0; p < k; p++ {
			var av T
			if transA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			av *= alpha
			if av == 0 {
				continue
			}
			if transB {
				for j := range row {
					row[j] += av * b[j*ldb+p]
				}
			} else {
				br := b[p*ldb : p*ldb+n]
				for j, bv := range br {
					row[j] += av * bv
				}
			}
		}
	}
}
