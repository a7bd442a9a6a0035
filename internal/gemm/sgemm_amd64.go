//go:build amd64 && !noasm

package gemm

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether the AVX2+FMA kernels run here.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// avx2Kernels is the AVX2+FMA kernel set: a 6×16 tile (12 ymm accumulators)
// with a 6×8 tile for the last narrow panel.
var avx2Kernels = kernelSet{name: "avx2-6x16", mr: 6, nr: 16, tile: tile6x16, narrow: tile6x8, nrNarrow: 8, fusedEp: true,
	packRows16: packRows16}

// avx2Kernels4x24 is an alternative AVX2+FMA kernel set with a 4×24 tile.
var avx2Kernels4x24 = kernelSet{name: "avx2-4x24", mr: 4, nr: 24, tile: tile4x24, fusedEp: true}

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
