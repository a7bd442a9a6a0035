//go:build amd64 && !noasm

package pool

import "golang.org/x/sys/cpu"

//go:generate go run -C asmgen . -out ../taps_amd64.s -stubs ../taps_amd64_stubs.go -pkg pool

// hasAsm reports whether the AVX2 kernels run here.
var hasAsm = cpu.X86.HasAVX2

// maxRowsF32 runs maxRows in assembly when it can (g checked) and reports
// whether it did.
func maxRowsF32(dst, src []float32, offs []int, g rows) bool {
	if !hasAsm || g.stride > 2 {
		return false
	}
	nfull, tail, back := split(g.n, g.stride)
	f := maxTaps1
	if g.stride == 2 {
		f = maxTaps2
	}
	f(&dst[0], &src[0], &offs[0], len(offs), nfull, tail, back, g.m, 4*g.dstStride, 4*g.srcStride,
		g.planes, 4*g.dstPlane, 4*g.srcPlane)
	return true
}

// sumRowsF32 runs sumRows in assembly when it can (g checked) and reports
// whether it did.
func sumRowsF32(dst, src []float32, offs []int, g rows) bool {
	if !hasAsm || g.stride > 2 {
		return false
	}
	nfull, tail, back := split(g.n, g.stride)
	f := sumTaps1
	if g.stride == 2 {
		f = sumTaps2
	}
	f(&dst[0], &src[0], &offs[0], len(offs), nfull, tail, back, g.m, 4*g.dstStride, 4*g.srcStride,
		g.planes, 4*g.dstPlane, 4*g.srcPlane)
	return true
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
