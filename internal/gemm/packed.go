package gemm

import (
	"fmt"
	"runtime"
)

// PackedA is alpha·op(A) packed once in the micro-kernel's layout, for many
// products with different B matrices (a convolution's or a fully connected
// layer's weights). It is read-only: one PackedA may serve concurrent calls.
type PackedA struct {
	ks   *kernelSet
	m, k int
	kc   int // depth of the k blocks
	mp   int // m rounded up to the tile height
	data []float32
}

// PackA packs alpha·op(A), an m×k matrix (A is k×m when transA), for
// SgemmPacked. It panics when a is too short (a bug in the caller).
func PackA(transA bool, m, k int, alpha float32, a []float32, lda int) *PackedA {
	return packAWith(active, transA, m, k, alpha, a, lda)
}

func packAWith(ks *kernelSet, transA bool, m, k int, alpha float32, a []float32, lda int) *PackedA {
	if m < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d k=%d", m, k))
	}
	if transA {
		need("A", k, m, lda, len(a))
	} else {
		need("A", m, k, lda, len(a))
	}
	mp := roundUp(m, ks.mr)
	pa := &PackedA{ks: ks, m: m, k: k, mp: mp, kc: blockingFor(ks, max(k, 1)).kc, data: make([]float32, mp*k)}
	for pc := 0; pc < k; pc += pa.kc {
		kb := min(pa.kc, k-pc)
		packA(transA, a, lda, 0, pc, m, kb, ks.mr, alpha, pa.data[pc*mp:pc*mp+mp*kb])
	}
	return pa
}

// Rows returns the number of rows m of op(A).
func (pa *PackedA) Rows() int { return pa.m }

// Depth returns the number of columns k of op(A).
func (pa *PackedA) Depth() int { return pa.k }

// block returns the packed rows ic..ic+mb of the k block starting at pc
// (kb deep); ic is a multiple of the tile height.
func (pa *PackedA) block(pc, ic, mb, kb int) []float32 {
	off := pc*pa.mp + ic*kb
	return pa.data[off : off+roundUp(mb, pa.ks.mr)*kb]
}

// SgemmPacked computes C = op(A)·op(B) + beta·C followed by the epilogue
// ep (see SgemmEpilogue), where pa holds alpha·op(A) (m×k), op(B) is k×n
// and C is m×n, using at most threads goroutines (0: GOMAXPROCS). It
// panics when a slice is too short for its dimensions.
func SgemmPacked(threads int, pa *PackedA, transB bool, n int, b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	m, k := pa.m, pa.k
	if n < 0 {
		panic(fmt.Sprintf("gemm: negative dimension n=%d", n))
	}
	if transB {
		need("B", n, k, ldb, len(b))
	} else {
		need("B", k, n, ldb, len(b))
	}
	need("C", m, n, ldc, len(c))
	ep.check(m, n)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scaleC(m, n, beta, c, ldc)
		if ep.active() {
			ep.apply(c, ldc, 0, 0, m, n)
		}
		return
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p := &problem{ks: pa.ks, transB: transB, m: m, n: n, k: k, alpha: 1,
		b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, ep: &ep, packed: pa}
	p.bl = blockingFor(pa.ks, k)
	p.run(threads)
}
