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
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
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
		out, err := gemmOp(x, y, c, ta != 0, tb != 0, alpha, beta, threadsOf(rc))
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	}), nil
}

func gemmOp(a, b, c *Tensor, ta, tb bool, alpha, beta float32, threads int) (*Tensor, error) {
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
		out := make([]float32, m*n)
		bt := float32(0)
		if c != nil && beta != 0 {
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
