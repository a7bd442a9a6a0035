package gemm

//go:generate go run -C asmgen . -set dotrows -out ../dotrows_amd64.s -stubs ../dotrows_amd64_stubs.go -pkg gemm

import (
	"fmt"
	"runtime"
	"sync"
)

// PackedB is op(B), a k×n matrix known before the products that use it (a
// fully connected layer's weights), held for SgemmPackedB in the layout
// each product needs. A product with few rows of A (at most FewRows)
// takes each column of op(B) as a contiguous run of k floats, so that it
// streams B from memory exactly once, every column of it meeting all the
// rows of A while it is in L1; one with more rows goes through the packed
// GEMM on op(B) stored row by row, whose packing is then a plain copy.
// Where the stored B already has a layout (Gemm's transB, the usual
// layout of a fully connected layer, has the columns of op(B) as rows) it
// is used in place; the other layout is made once, by the first product
// that needs it. The stored B must therefore not change while the PackedB
// is in use. A PackedB may serve concurrent calls.
type PackedB struct {
	k, n int
	// b, ldb and transB are the stored B.
	b      []float32
	ldb    int
	transB bool
	// cols holds column j of op(B) at cols[j*ldcol : j*ldcol+k]; rows
	// holds row p of op(B) at rows[p*ldrow : p*ldrow+n]. Each is the
	// stored B or a transposed copy made once.
	colsOnce, rowsOnce sync.Once
	cols, rows         []float32
	ldcol, ldrow       int
}

// PackB prepares op(B), a k×n matrix (B is n×k when transB), for
// SgemmPackedB. It copies nothing yet. It panics when b is too short (a
// bug in the caller).
func PackB(transB bool, k, n int, b []float32, ldb int) *PackedB {
	if k < 0 || n < 0 {
		panic(fmt.Sprintf("gemm: negative dimension k=%d n=%d", k, n))
	}
	if transB {
		need("B", n, k, ldb, len(b))
	} else {
		need("B", k, n, ldb, len(b))
	}
	return &PackedB{k: k, n: n, b: b, ldb: ldb, transB: transB}
}

// colMajor returns op(B) column by column (see cols).
func (pb *PackedB) colMajor() ([]float32, int) {
	pb.colsOnce.Do(func() {
		if pb.transB {
			pb.cols, pb.ldcol = pb.b, pb.ldb
			return
		}
		pb.cols, pb.ldcol = transpose(pb.b, pb.ldb, pb.k, pb.n), pb.k
	})
	return pb.cols, pb.ldcol
}

// rowMajor returns op(B) row by row (see rows).
func (pb *PackedB) rowMajor() ([]float32, int) {
	pb.rowsOnce.Do(func() {
		if !pb.transB {
			pb.rows, pb.ldrow = pb.b, pb.ldb
			return
		}
		pb.rows, pb.ldrow = transpose(pb.b, pb.ldb, pb.n, pb.k), pb.n
	})
	return pb.rows, pb.ldrow
}

// transpose returns the c×r transpose of the r×c matrix in src (leading
// dimension ld), densely stored.
func transpose(src []float32, ld, r, c int) []float32 {
	dst := make([]float32, r*c)
	// In 64×64 blocks, so that both sides stay in cache.
	const blk = 64
	for i0 := 0; i0 < r; i0 += blk {
		for j0 := 0; j0 < c; j0 += blk {
			for i := i0; i < min(i0+blk, r); i++ {
				for q, v := range src[i*ld+j0 : i*ld+min(j0+blk, c)] {
					dst[(j0+q)*r+i] = v
				}
			}
		}
	}
	return dst
}

// Depth returns the number of rows k of op(B).
func (pb *PackedB) Depth() int { return pb.k }

// Cols returns the number of columns n of op(B).
func (pb *PackedB) Cols() int { return pb.n }

// FewRows is the largest m for which SgemmPackedB streams B once for all
// rows of A; more rows go through the packed GEMM, where packing B costs
// little next to the product.
const FewRows = 64

// SgemmPackedB computes C = alpha·op(A)·op(B) + beta·C followed by the
// epilogue ep (see SgemmEpilogue), where op(A) is m×k (A is k×m when
// transA), pb holds op(B) (k×n) and C is m×n, using at most threads
// goroutines (0: GOMAXPROCS). With at most FewRows rows, each element of
// C is an inner product of a row of op(A) with a column of op(B), summed
// in chunks of the depth the same way whatever m and the thread count (the
// threads split the columns of C), with the epilogue applied to each block
// of columns while it is in cache. It panics when a slice is too short for its dimensions.
func SgemmPackedB(threads int, transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int, ep Epilogue) {
	sgemmPackedB(tileKernel, threads, transA, m, alpha, a, lda, pb, beta, c, ldc, &ep)
}

// tileFunc computes out[4*i+j] = Σ_p a[i*lda+p]·b[j*ldb+p] for i < r
// (1 <= r <= 2), j < 4 and p < k (k >= 1), summing each product the same
// way whatever the tile.
type tileFunc func(r, k int, b []float32, ldb int, a []float32, lda int, out *[16]float32)

func sgemmPackedB(tile tileFunc, threads int, transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int, ep *Epilogue) {
	k, n := pb.k, pb.n
	if m < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d", m))
	}
	if m > FewRows {
		rows, ldr := pb.rowMajor()
		sgemm(active, threads, transA, false, m, n, k, alpha, a, lda, rows, ldr, beta, c, ldc, ep)
		return
	}
	if transA {
		need("A", k, m, lda, len(a))
	} else {
		need("A", m, k, lda, len(a))
	}
	need("C", m, n, ldc, len(c))
	ep.check(m, n)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		if ep.active() {
			ep.apply(c, ldc, 0, 0, m, n)
		}
		return
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	// The rows of op(A), contiguous and scaled by alpha unless they
	// already are rows of A.
	av, ldav := a, lda
	if transA || alpha != 1 {
		buf := getBuf(m * k)
		defer putBuf(buf)
		av, ldav = *buf, k
		for i := 0; i < m; i++ {
			row := av[i*k : i*k+k]
			if transA {
				for p := range row {
					row[p] = alpha * a[p*lda+i]
				}
			} else {
				for p, v := range a[i*lda : i*lda+k] {
					row[p] = alpha * v
				}
			}
		}
	}
	if m*n*k < tiny {
		threads = 1
	}
	// Blocks of colBlock columns, at fixed places (the epilogue's
	// vector and scalar parts must not depend on the split), shared out
	// among the threads.
	nblk := ceilDiv(n, colBlock)
	parts := max(1, min(threads, nblk))
	bcols, ldcol := pb.colMajor()
	// The depth is cut into chunks of at most kChunk floats, so that a
	// chunk of four columns of B and the same chunk of two rows of A stay
	// in L1 while the columns meet all the rows; the chunks' sums are
	// added in order. The chunks depend on k only.
	nch := ceilDiv(k, kChunk)
	kc := roundUp(ceilDiv(k, nch), 16)
	j := packedBJobs.Get().(*packedBJob)
	*j = packedBJob{tile: tile, m: m, n: n, k: k, kc: kc, nblk: nblk, parts: parts,
		av: av, ldav: ldav, bcols: bcols, ldcol: ldcol, beta: beta, c: c, ldc: ldc, ep: *ep}
	parallelRun(parts, j)
	*j = packedBJob{}
	packedBJobs.Put(j)
}

// packedBJob is the work of one SgemmPackedB call with few rows, shared
// by its workers (see sgemmPackedB) and recycled so that a call allocates
// nothing.
type packedBJob struct {
	tile             tileFunc
	m, n, k, kc      int
	nblk, parts      int
	av, bcols, c     []float32
	ldav, ldcol, ldc int
	beta             float32
	ep               Epilogue
}

var packedBJobs = sync.Pool{New: func() any { return new(packedBJob) }}

// runPart computes part t of the blocks of columns of C.
func (jb *packedBJob) runPart(t int) {
	tile, m, n, k, kc, nblk, parts := jb.tile, jb.m, jb.n, jb.k, jb.kc, jb.nblk, jb.parts
	av, bcols, c, ldav, ldcol, ldc, beta := jb.av, jb.bcols, jb.c, jb.ldav, jb.ldcol, jb.ldc, jb.beta
	ep := &jb.ep
	epOn := ep.active()
	sc := scratches.Get().(*scratch)
	defer putScratch(sc)
	out := &sc.out
	lo, hi := t*nblk/parts*colBlock, min(n, (t+1)*nblk/parts*colBlock)
	var sum [FewRows * 4]float32
	// Each block gets its epilogue while in cache.
	for j0 := lo; j0 < hi; j0 += colBlock {
		j1 := min(j0+colBlock, hi)
		// Four columns at a time (four streams from memory); a last
		// one to three one at a time, as four copies of the same
		// column.
		for j := j0; j < j1; {
			w, ldb := 4, ldcol
			if j+4 > j1 {
				w, ldb = 1, 0
			}
			cols := bcols[j*ldcol:]
			for p0 := 0; p0 < k; p0 += kc {
				kb := min(kc, k-p0)
				for i := 0; i < m; i += 2 {
					r := min(2, m-i)
					tile(r, kb, cols[p0:], ldb, av[i*ldav+p0:], ldav, out)
					for q := 0; q < r; q++ {
						s := sum[(i+q)*4 : (i+q)*4+w]
						o := out[q*4 : q*4+w]
						if p0 == 0 {
							copy(s, o)
						} else {
							for x, v := range o {
								s[x] += v
							}
						}
					}
				}
			}
			for i := 0; i < m; i++ {
				row := c[i*ldc+j : i*ldc+j+w]
				s := sum[i*4 : i*4+w]
				if beta == 0 {
					copy(row, s)
				} else {
					for x, v := range s {
						row[x] = v + beta*row[x]
					}
				}
			}
			j += w
		}
		if epOn {
			ep.apply(c, ldc, 0, j0, m, j1-j0)
		}
	}
}

// kChunk bounds the depth of the chunks SgemmPackedB sums separately.
const kChunk = 1024

// colBlock is the width of the blocks of columns of C that SgemmPackedB
// computes and finishes with the epilogue in one go.
const colBlock = 32

// tileGo is the pure-Go tileFunc: each product by dot.
func tileGo(r, k int, b []float32, ldb int, a []float32, lda int, out *[16]float32) {
	for i := 0; i < r; i++ {
		for j := 0; j < 4; j++ {
			out[4*i+j] = dot(a[i*lda:i*lda+k], b[j*ldb:j*ldb+k])
		}
	}
}
