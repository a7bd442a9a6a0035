package gemm

import "sync"

// gemv handles m == 1 or n == 1, where packing would cost as much as the
// product: each output element is a dot product of two vectors, or (for a
// row vector times a row-major B) rows of B are accumulated axpy-style.
// Work is split over the output elements only, so each element is summed
// in the same order whatever the thread count.
func gemv(ks *kernelSet, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, ep *Epilogue) {
	scaleC(m, n, beta, c, ldc)
	// Gather the vector operand contiguously, scaled by alpha.
	vbuf := getBuf(k)
	defer putBuf(vbuf)
	vec := *vbuf
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
	if m*n*k < tiny {
		threads = 1
	}
	// Chunks of at least 64 outputs, at most one per thread.
	chunks := max(1, min(threads, outs/64))
	j := gemvJobs.Get().(*gemvJob)
	*j = gemvJob{ks: ks, transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda,
		b: b, ldb: ldb, c: c, ldc: ldc, vec: vec, outs: outs, chunks: chunks, ep: *ep}
	parallelRun(chunks, j)
	*j = gemvJob{}
	gemvJobs.Put(j)
}

// gemvJob is the work of one gemv call, shared by its workers and
// recycled so that a call allocates nothing.
type gemvJob struct {
	ks             *kernelSet
	transA, transB bool
	m, n, k        int
	a, b, c, vec   []float32
	lda, ldb, ldc  int
	outs, chunks   int
	ep             Epilogue
}

var gemvJobs = sync.Pool{New: func() any { return new(gemvJob) }}

// runPart computes chunk t of the output elements.
func (jb *gemvJob) runPart(t int) {
	ks, transA, transB, m, k := jb.ks, jb.transA, jb.transB, jb.m, jb.k
	a, b, c, vec, lda, ldb, ldc := jb.a, jb.b, jb.c, jb.vec, jb.lda, jb.ldb, jb.ldc
	outs, chunks := jb.outs, jb.chunks
	ep := &jb.ep
	epOn := ep.active()
	dotf := dot
	if ks.dot != nil {
		dotf = ks.dot
	}
	sc := scratches.Get().(*scratch)
	defer putScratch(sc)
	lo, hi := t*outs/chunks, (t+1)*outs/chunks
	switch {
	case m == 1 && !transB:
		// c[0, lo:hi] += vec · B[:, lo:hi], four rows of B at a time.
		dst := c[lo:hi]
		w := hi - lo
		vv := &sc.v4
		p := 0
		for ; p+4 <= k; p += 4 {
			v0, v1, v2, v3 := vec[p], vec[p+1], vec[p+2], vec[p+3]
			r0 := b[p*ldb+lo : p*ldb+lo+w]
			r1 := b[(p+1)*ldb+lo : (p+1)*ldb+lo+w]
			r2 := b[(p+2)*ldb+lo : (p+2)*ldb+lo+w]
			r3 := b[(p+3)*ldb+lo : (p+3)*ldb+lo+w]
			if ks.axpy4 != nil {
				*vv = [4]float32{v0, v1, v2, v3}
				ks.axpy4(dst, r0, r1, r2, r3, vv)
				continue
			}
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
		if epOn {
			ep.apply(c, ldc, 0, lo, 1, w)
		}
	case m == 1: // B transposed: c[j] += vec · B[j, :]
		for j := lo; j < hi; j++ {
			c[j] += dotf(vec, b[j*ldb:j*ldb+k])
		}
		if epOn {
			ep.apply(c, ldc, 0, lo, 1, hi-lo)
		}
	default: // n == 1
		for i := lo; i < hi; i++ {
			if transA {
				var s float32
				for p, v := range vec {
					s += v * a[p*lda+i]
				}
				c[i*ldc] += s
			} else {
				c[i*ldc] += dotf(vec, a[i*lda:i*lda+k])
			}
		}
		if epOn {
			ep.apply(c, ldc, lo, 0, hi-lo, 1)
		}
	}
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
