// Package gemm holds the single-precision matrix multiplication kernels
// shared by MatMul, Gemm and the convolution ops.
//
// All matrices are row-major. Sgemm computes C = alpha*op(A)*op(B) + beta*C
// where op(X) is X or its transpose; op(A) is m×k, op(B) is k×n and C is m×n.
// The leading dimension of a matrix is the distance in elements between the
// starts of two consecutive rows of its stored (untransposed) form.
package gemm

import (
	"fmt"
	"runtime"
	"sync"
)

// Block sizes: kc×nc of B is packed once per (jc, pc) block and shared by all
// workers; each worker packs mc×kc of A. mr×nr is the register tile.
const (
	mr = 2
	nr = 4
	kc = 256
	mc = 64
	nc = 2048
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C using up to GOMAXPROCS
// goroutines. See the package comment for the layout. It panics when a slice
// is too short for its dimensions (a bug in the caller).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	SgemmThreads(0, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmThreads is Sgemm using at most threads goroutines (0: GOMAXPROCS).
func SgemmThreads(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	check(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	scaleC(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	// Small problems do not pay for goroutines.
	if m*n*k < 64*64*64 {
		threads = 1
	}
	if m == 1 || n == 1 {
		gemv(threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc)
		return
	}
	bufB := make([]float32, kc*roundUp(min(n, nc), nr))
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			panels := (nb + nr - 1) / nr
			if threads > 1 && kb*nb >= 1<<15 {
				parallelRange(threads, panels, func(lo, hi int) { packB(transB, b, ldb, pc, jc, kb, nb, bufB, lo, hi) })
			} else {
				packB(transB, b, ldb, pc, jc, kb, nb, bufB, 0, panels)
			}
			runBlock(threads, transA, m, nb, kb, alpha, a, lda, pc, bufB, c[jc:], ldc)
		}
	}
}

// runBlock multiplies rows 0..m of op(A)[:, pc:pc+kb] by the packed B block
// (kb×nb) and adds into c (already offset to column jc).
func runBlock(threads int, transA bool, m, nb, kb int, alpha float32, a []float32, lda, pc int, bufB []float32, c []float32, ldc int) {
	nPanels := (nb + nr - 1) / nr
	mBlocks := (m + mc - 1) / mc
	// Split the n panels too when there are fewer row blocks than threads.
	nSplit := 1
	if threads > 1 && mBlocks < threads {
		nSplit = min((threads+mBlocks-1)/mBlocks, nPanels)
	}
	tasks := mBlocks * nSplit
	work := func(t int, bufA []float32) {
		ib, js := t/nSplit, t%nSplit
		i0 := ib * mc
		mb := min(mc, m-i0)
		p0 := js * nPanels / nSplit
		p1 := (js + 1) * nPanels / nSplit
		packA(transA, a, lda, i0, pc, mb, kb, alpha, bufA)
		var tile [mr * nr]float32
		for jp := p0; jp < p1; jp++ {
			j := jp * nr
			nw := min(nr, nb-j)
			bp := bufB[jp*kb*nr : (jp+1)*kb*nr]
			for ir := 0; ir < mb; ir += mr {
				mw := min(mr, mb-ir)
				ap := bufA[ir*kb : (ir+mr)*kb]
				if mw == mr && nw == nr {
					kernel2x4(kb, ap, bp, c[(i0+ir)*ldc+j:], ldc)
					continue
				}
				tile = [mr * nr]float32{}
				kernel2x4(kb, ap, bp, tile[:], nr)
				for r := 0; r < mw; r++ {
					row := c[(i0+ir+r)*ldc+j:]
					for q := 0; q < nw; q++ {
						row[q] += tile[r*nr+q]
					}
				}
			}
		}
	}
	aSize := roundUp(mc, mr) * kb
	if threads <= 1 || tasks == 1 {
		bufA := make([]float32, aSize)
		for t := 0; t < tasks; t++ {
			work(t, bufA)
		}
		return
	}
	workers := min(threads, tasks)
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bufA := make([]float32, aSize)
			for {
				mu.Lock()
				t := next
				next++
				mu.Unlock()
				if t >= tasks {
					return
				}
				work(t, bufA)
			}
		}()
	}
	wg.Wait()
}

// packA copies alpha*op(A)[i0:i0+mb, pc:pc+kb] into buf as micro-panels of mr
// rows: panel r holds, for each p, the mr values of column p (zero-padded).
func packA(transA bool, a []float32, lda, i0, pc, mb, kb int, alpha float32, buf []float32) {
	for ir := 0; ir < mb; ir += mr {
		dst := buf[ir*kb : (ir+mr)*kb]
		mw := min(mr, mb-ir)
		for r := 0; r < mr; r++ {
			if r >= mw {
				for p := 0; p < kb; p++ {
					dst[p*mr+r] = 0
				}
				continue
			}
			i := i0 + ir + r
			if transA {
				for p := 0; p < kb; p++ {
					dst[p*mr+r] = alpha * a[(pc+p)*lda+i]
				}
			} else {
				src := a[i*lda+pc : i*lda+pc+kb]
				for p, v := range src {
					dst[p*mr+r] = alpha * v
				}
			}
		}
	}
}

// packB copies op(B)[pc:pc+kb, jc:jc+nb] into buf as micro-panels of nr
// columns: panel j holds, for each p, the nr values of row p (zero-padded).
// It packs panels p0 to p1 (exclusive), so that workers can share the job.
func packB(transB bool, b []float32, ldb, pc, jc, kb, nb int, buf []float32, p0, p1 int) {
	for j := p0 * nr; j < nb && j < p1*nr; j += nr {
		dst := buf[(j/nr)*kb*nr : (j/nr+1)*kb*nr]
		nw := min(nr, nb-j)
		if !transB && nw == nr {
			for p := 0; p < kb; p++ {
				src := b[(pc+p)*ldb+jc+j : (pc+p)*ldb+jc+j+nr]
				d := dst[p*nr : p*nr+nr]
				d[0], d[1], d[2], d[3] = src[0], src[1], src[2], src[3]
			}
			continue
		}
		for q := 0; q < nr; q++ {
			if q >= nw {
				for p := 0; p < kb; p++ {
					dst[p*nr+q] = 0
				}
				continue
			}
			col := jc + j + q
			if transB {
				src := b[col*ldb+pc : col*ldb+pc+kb]
				for p, v := range src {
					dst[p*nr+q] = v
				}
			} else {
				for p := 0; p < kb; p++ {
					dst[p*nr+q] = b[(pc+p)*ldb+col]
				}
			}
		}
	}
}

// kernel2x4 adds the product of a packed A micro-panel (kb×mr) and a packed
// B micro-panel (kb×nr) to the mr×nr tile at c. A 2×4 tile keeps its
// accumulators and operands in registers under the Go compiler.
func kernel2x4(kb int, a, b []float32, c []float32, ldc int) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	a = a[:kb*mr]
	b = b[:kb*nr]
	for len(a) >= mr && len(b) >= nr {
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		a0 := a[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := a[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a = a[mr:]
		b = b[nr:]
	}
	r := c[0:4:4]
	r[0] += c00
	r[1] += c01
	r[2] += c02
	r[3] += c03
	r = c[ldc : ldc+4 : ldc+4]
	r[0] += c10
	r[1] += c11
	r[2] += c12
	r[3] += c13
}

func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// check panics with a clear message when the arguments do not describe
// matrices that fit their slices.
func check(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	need := func(name string, rows, cols, ld, have int) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols {
			panic(fmt.Sprintf("gemm: %s: leading dimension %d < %d columns", name, ld, cols))
		}
		if want := (rows-1)*ld + cols; have < want {
			panic(fmt.Sprintf("gemm: %s: %d elements, need %d", name, have, want))
		}
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	need("A", ar, ac, lda, len(a))
	need("B", br, bc, ldb, len(b))
	need("C", m, n, ldc, len(c))
}

// SgemmRef is the reference definition of Sgemm: a plain triple loop with
// float64 accumulation. Tests compare the fast path against it.
func SgemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	check(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			v := float32(float64(alpha) * s)
			if beta != 0 {
				v += beta * c[i*ldc+j]
			}
			c[i*ldc+j] = v
		}
	}
}

// gemv handles m == 1 or n == 1, where packing would cost as much as the
// product: each output element is a dot product of two vectors, or (for a
// row vector times a row-major B) rows of B are accumulated with axpy.
func gemv(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	// Gather the vector operand contiguously, scaled by alpha.
	vec := make([]float32, k)
	if m == 1 {
		for p := range vec {
			if transA {
				vec[p] = alpha * a[p*lda]
			} else {
				vec[p] = alpha * a[p]
			}
		}
	} else { // n == 1
		for p := range vec {
			if transB {
				vec[p] = alpha * b[p]
			} else {
				vec[p] = alpha * b[p*ldb]
			}
		}
	}
	outs := n // number of output elements
	if m != 1 {
		outs = m
	}
	parallelRange(threads, outs, func(lo, hi int) {
		switch {
		case m == 1 && !transB:
			// c[0, lo:hi] += vec · B[:, lo:hi], row by row of B.
			dst := c[lo:hi]
			w := hi - lo
			p := 0
			for ; p+4 <= k; p += 4 {
				v0, v1, v2, v3 := vec[p], vec[p+1], vec[p+2], vec[p+3]
				r0 := b[p*ldb+lo : p*ldb+lo+w]
				r1 := b[(p+1)*ldb+lo : (p+1)*ldb+lo+w]
				r2 := b[(p+2)*ldb+lo : (p+2)*ldb+lo+w]
				r3 := b[(p+3)*ldb+lo : (p+3)*ldb+lo+w]
				r0, r1, r2, r3 = r0[:len(dst)], r1[:len(dst)], r2[:len(dst)], r3[:len(dst)]
				for j := range dst {
					dst[j] += v0*r0[j] + v1*r1[j] + v2*r2[j] + v3*r3[j]
				}
			}
			for ; p < k; p++ {
				v := vec[p]
				row := b[p*ldb+lo : p*ldb+lo+w]
				for j, x := range row {
					dst[j] += v * x
				}
			}
		case m == 1: // B transposed: c[j] += vec · B[j, :]
			for j := lo; j < hi; j++ {
				c[j] += dot(vec, b[j*ldb:j*ldb+k])
			}
		case !transA: // n == 1: c[i] += A[i, :] · vec
			for i := lo; i < hi; i++ {
				c[i*ldc] += dot(vec, a[i*lda:i*lda+k])
			}
		default: // n == 1, A transposed: c[i] += sum_p A[p, i] vec[p]
			for i := lo; i < hi; i++ {
				var s float32
				for p, v := range vec {
					s += v * a[p*lda+i]
				}
				c[i*ldc] += s
			}
		}
	})
}

// dot is the inner product of x and y (len(y) >= len(x)), with four
// independent accumulators.
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// parallelRange splits [0, n) into at most threads contiguous chunks and
// runs f on each, in parallel when threads > 1.
func parallelRange(threads, n int, f func(lo, hi int)) {
	if threads <= 1 || n < 2*threads {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for t := 0; t < threads; t++ {
		lo, hi := t*n/threads, (t+1)*n/threads
		if lo == hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}
