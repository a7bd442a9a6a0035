//go:build amd64 && !noasm

package pool

import "golang.org/x/sys/cpu"

//go:generate go run -C asmgen . -out ../taps_amd64.s -stubs ../taps_amd64_stubs.go -pkg pool

// hasAsm reports whether the AVX2 kernels run here.
var hasAsm = cpu.X86.HasAVX2

// tapsKernel is the signature of the generated taps kernels.
type tapsKernel func(dst *float32, src *float32, offs *int, ntaps int, nfull int, tail int, back int, m int,
	dstStride int, srcStride int, planes int, dstPlane int, srcPlane int)

// maxKernels and sumKernels are the kernels by stride (1, 2) and tap
// count (the general one at 0, the unrolled ones at 2 to 4).
var (
	maxKernels = [2][5]tapsKernel{
		{maxTaps1, nil, maxTaps1k2, maxTaps1k3, maxTaps1k4},
		{maxTaps2, nil, maxTaps2k2, maxTaps2k3, maxTaps2k4},
	}
	sumKernels = [2][5]tapsKernel{
		{sumTaps1, nil, sumTaps1k2, sumTaps1k3, sumTaps1k4},
		{sumTaps2, nil, sumTaps2k2, sumTaps2k3, sumTaps2k4},
	}
)

// runKernel runs g (checked) on the kernel of ks for its stride and tap
// count, reporting false when the assembly does not cover it.
func runKernel(ks *[2][5]tapsKernel, dst, src []float32, offs []int, g rows) bool {
	if !hasAsm || g.stride > 2 {
		return false
	}
	f := ks[g.stride-1][0]
	if n := len(offs); n < len(ks[0]) && ks[g.stride-1][n] != nil {
		f = ks[g.stride-1][n]
	}
	nfull, tail, back := split(g.n, g.stride)
	f(&dst[0], &src[0], &offs[0], len(offs), nfull, tail, back, g.m, 4*g.dstStride, 4*g.srcStride,
		g.planes, 4*g.dstPlane, 4*g.srcPlane)
	return true
}

// maxRowsF32 runs maxRows in assembly when it can (g checked) and reports
// whether it did.
func maxRowsF32(dst, src []float32, offs []int, g rows) bool {
	return runKernel(&maxKernels, dst, src, offs, g)
}

// sumRowsF32 runs sumRows in assembly when it can (g checked) and reports
// whether it did.
func sumRowsF32(dst, src []float32, offs []int, g rows) bool {
	return runKernel(&sumKernels, dst, src, offs, g)
}

// sumLanesF32 is sumLanesGo for a length that is a multiple of lanes.
func sumLanesF32(x []float32, acc *[lanes]float32) {
	if hasAsm && len(x) > 0 {
		sumLanes(&x[0], len(x), acc)
		return
	}
	sumLanesGo(x, acc)
}

// maxLanesF32 is maxLanesGo for a length that is a multiple of lanes.
func maxLanesF32(x []float32, acc *[lanes]float32) {
	if hasAsm && len(x) > 0 {
		maxLanes(&x[0], len(x), acc)
		return
	}
	maxLanesGo(x, acc)
}
