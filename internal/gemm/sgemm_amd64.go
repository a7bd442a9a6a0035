//go:build amd64 && !noasm

package gemm

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether the AVX2+FMA kernels run here.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// avx2Kernels is the AVX2+FMA kernel set: a 6×16 tile (12 ymm accumulators)
// with a 6×8 tile for a last panel up to 8 wide, and column kernels for
// one up to 2 wide.
var avx2Kernels = kernelSet{name: "avx2-6x16", mr: 6, nr: 16, tile: tile6x16, narrow: tile6x8, nrNarrow: 8, fusedEp: true,
	col: col6, nrCol: 2, dot: dotAVX2, axpy4: axpy4AVX2,
	packRows16: packRows16}

// avx2Kernels4x24 is an alternative AVX2+FMA kernel set with a 4×24 tile.
var avx2Kernels4x24 = kernelSet{name: "avx2-4x24", mr: 4, nr: 24, tile: tile4x24, fusedEp: true}

// vecSigmoid, when not nil, applies Sigmoid (or SiLU) to x, len(x) a
// multiple of 8.
var vecSigmoid = selectSigmoid()

func selectSigmoid() func(x []float32, silu bool) {
	if hasAVX2 {
		return sigmoidAVX2
	}
	return nil
}

// hasVecSigmoid tells that sigmoidVec runs here. The epilogue calls it
// directly rather than through vecSigmoid, so that what it is given need
// not escape.
var hasVecSigmoid = hasAVX2

// sigmoidVec is vecSigmoid where hasVecSigmoid.
func sigmoidVec(x []float32, silu bool) { sigmoidAVX2(x, silu) }

// sigmoidRows16 is sigmoidVec on the first 16 floats of each of rows
// rows of c (leading dimension ldc), where hasVecSigmoid.
func sigmoidRows16(c []float32, ldc, rows int, silu bool) {
	if rows == 0 {
		return
	}
	_ = c[(rows-1)*ldc+15]
	vsigmoidRows16(rows, &c[0], ldc, b2i(silu))
}

func sigmoidAVX2(x []float32, silu bool) {
	if len(x) == 0 {
		return
	}
	vsigmoid(len(x), &x[0], b2i(silu))
}

// packA6Fast, when not nil, packs six rows of A (see packA6).
var packA6Fast = selectPackA6()

func selectPackA6() func(kb int, a []float32, lda int, dst []float32, alpha float32) {
	if hasAVX2 {
		return packA6AVX
	}
	return nil
}

func packA6AVX(kb int, a []float32, lda int, dst []float32, alpha float32) {
	if kb == 0 {
		return
	}
	_, _ = a[5*lda+kb-1], dst[6*kb-1]
	packA6(kb, &a[0], lda, &dst[0], alpha)
}

// selectKernels returns the fastest kernel set this CPU runs, chosen once at
// start-up from its features.
func selectKernels() *kernelSet {
	if hasAVX2 {
		return &avx2Kernels
	}
	return &goKernels
}

// kernelSets returns every kernel set this CPU runs, the chosen one first.
func kernelSets() []*kernelSet {
	if hasAVX2 {
		return []*kernelSet{&avx2Kernels, &avx2Kernels4x24, &goKernels}
	}
	return []*kernelSet{&goKernels}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func tile6x16(k int, a, b, c []float32, ldc int, beta float32, load bool, ep *tileEp) {
	_, _, _ = a[k*6-1], b[k*16-1], c[5*ldc+15]
	kern6x16(k, &a[0], &b[0], &c[0], ldc, beta, b2i(load), ep.ptr())
}

func tile6x8(k int, a, b, c []float32, ldc int, beta float32, load bool, ep *tileEp) {
	_, _, _ = a[k*6-1], b[k*8-1], c[5*ldc+7]
	kern6x8(k, &a[0], &b[0], &c[0], ldc, beta, b2i(load), ep.ptr())
}

func tile4x24(k int, a, b, c []float32, ldc int, beta float32, load bool, ep *tileEp) {
	_, _, _ = a[k*4-1], b[k*24-1], c[3*ldc+23]
	kern4x24(k, &a[0], &b[0], &c[0], ldc, beta, b2i(load), ep.ptr())
}

func packRows16(kb int, src []float32, ldb int, dst []float32, panels int) {
	if kb == 0 || panels == 0 {
		return
	}
	_, _ = src[(kb-1)*ldb+panels*16-1], dst[(panels-1)*16*kb+(kb-1)*16+15]
	packB16(kb, &src[0], ldb, &dst[0], panels)
}

func col6(w, k int, a, b []float32, out *[16]float32) {
	_, _ = a[k*6-1], b[k*w-1]
	if w == 1 {
		kern6x1(k, &a[0], &b[0], &out[0])
	} else {
		kern6x2(k, &a[0], &b[0], &out[0])
	}
}

func dotAVX2(x, y []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	_ = y[len(x)-1]
	return sdot(len(x), &x[0], &y[0])
}

func axpy4AVX2(dst, r0, r1, r2, r3 []float32, v *[4]float32) {
	n := len(dst)
	if n == 0 {
		return
	}
	_, _, _, _ = r0[n-1], r1[n-1], r2[n-1], r3[n-1]
	saxpy4(n, &dst[0], &r0[0], &r1[0], &r2[0], &r3[0], v)
}
