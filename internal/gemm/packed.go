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

// RowAlign returns the tile height of the kernels pa is packed for: the
// first row of a row range given to SgemmPackedRows or SgemmPackedFill
// must be a multiple of it.
func (pa *PackedA) RowAlign() int { return pa.ks.mr }

// SgemmPacked computes C = op(A)·op(B) + beta·C followed by the epilogue
// ep (see SgemmEpilogue), where pa holds alpha·op(A) (m×k), op(B) is k×n
// and C is m×n, using at most threads goroutines (0: GOMAXPROCS). It
// panics when a slice is too short for its dimensions.
func SgemmPacked(threads int, pa *PackedA, transB bool, n int, b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	SgemmPackedRows(threads, pa, 0, pa.m, transB, n, b, ldb, beta, c, ldc, ep)
}

// SgemmPackedRows is SgemmPacked for rows i0..i1 of op(A) only: C has
// i1-i0 rows (C's row 0 is row i0 of the product), and so have ep's
// row-wise bias and residual. i0 must be a multiple of pa.RowAlign(). Each
// element of C is summed exactly as SgemmPacked sums it.
func SgemmPackedRows(threads int, pa *PackedA, i0, i1 int, transB bool, n int, b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	k := pa.k
	checkRows(pa, i0, i1, n)
	if transB {
		need("B", n, k, ldb, len(b))
	} else {
		need("B", k, n, ldb, len(b))
	}
	p := getProblem()
	*p = problem{ks: pa.ks, transB: transB, n: n, k: k, alpha: 1,
		b: b, ldb: ldb, beta: beta, packed: pa, aRow0: i0, ep: ep}
	runPacked(threads, p, i1-i0, c, ldc)
	putProblem(p)
}

// FillB packs rows pc..pc+kb, columns j0..j0+nb of a k×n matrix B (a
// matrix that is never stored whole, such as the columns of a
// convolution's input patches) into dst, the way the micro-kernels read
// B: as column panels nr wide, panel q (columns j0+q·nr...) starting at
// dst[q·nr·kb], holding row p's nr values at offset p·nr of the panel,
// with zeros past column j0+nb. The last panel (the one holding column
// j0+nb-1) is lastW wide instead of nr (its rows lastW apart, lastW at
// least the columns left for it). dst has room for kb·nr·⌈nb/nr⌉ values.
type FillB func(dst []float32, pc, kb, j0, nb, nr, lastW int)

// SgemmPackedFill computes C = op(A)[i0:i1, :]·B followed by the epilogue
// ep on the calling goroutine, where pa holds op(A), B is pa.Depth()×n and
// produced block by block by fill, and C is (i1-i0)×n (its row 0 is row i0
// of the product, and likewise for ep's row-wise bias and residual). i0
// must be a multiple of pa.RowAlign(). Each element of C is summed exactly
// as SgemmPacked sums it.
func SgemmPackedFill(pa *PackedA, i0, i1, n int, fill FillB, c []float32, ldc int, ep Epilogue) {
	checkRows(pa, i0, i1, n)
	p := getProblem()
	*p = problem{ks: pa.ks, n: n, k: pa.k, alpha: 1, packed: pa, aRow0: i0, fill: fill, ep: ep}
	runPacked(1, p, i1-i0, c, ldc)
	putProblem(p)
}

func checkRows(pa *PackedA, i0, i1, n int) {
	if n < 0 {
		panic(fmt.Sprintf("gemm: negative dimension n=%d", n))
	}
	if i0 < 0 || i1 < i0 || i1 > pa.m || i0%pa.ks.mr != 0 {
		panic(fmt.Sprintf("gemm: rows %d..%d of a packed %d×%d matrix (tile height %d)", i0, i1, pa.m, pa.k, pa.ks.mr))
	}
}

// runPacked runs p, a product with A packed and m rows, into c.
func runPacked(threads int, p *problem, m int, c []float32, ldc int) {
	n, k := p.n, p.k
	need("C", m, n, ldc, len(c))
	ep := &p.ep
	ep.check(m, n)
	p.m, p.c, p.ldc = m, c, ldc
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scaleC(m, n, p.beta, c, ldc)
		if ep.active() {
			ep.apply(c, ldc, 0, 0, m, n)
		}
		return
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	p.bl = blockingFor(p.ks, k)
	if p.fill != nil {
		// A filled B block is written and then read by every A block:
		// keep it in L2 beside the A block (three quarters of L2 for
		// both).
		aBlock := 4 * p.bl.kc * min(p.bl.mc, roundUp(m, p.ks.mr))
		nc := (l2*3/4 - aBlock) / (4 * p.bl.kc)
		p.bl.nc = min(p.bl.nc, max(nc/p.ks.nr*p.ks.nr, 4*p.ks.nr))
	}
	p.run(threads)
}
