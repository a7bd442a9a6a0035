//go:build amd64 && !noasm

package conv

import "golang.org/x/sys/cpu"

//go:generate go run -C asmgen . -out ../dwtaps_amd64.s -stubs ../dwtaps_amd64_stubs.go -pkg conv

// hasDWAsm reports whether the AVX2+FMA depthwise kernel runs here.
var hasDWAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// tapsF32 sets dst[i] = bias + Σ_t w[t]·src[offs[t]+i]. Callers check
// that every offs[t]+len(dst) is within src.
func tapsF32(dst, src []float32, offs []int, w []float32, bias float32) {
	n := len(dst)
	n8 := n &^ 7
	if hasDWAsm && n8 > 0 && len(offs) > 0 {
		dwTaps(&dst[0], &src[0], &offs[0], &w[0], len(offs), n8, bias)
		if n8 == n {
			return
		}
		tapsGo(dst[n8:], src[n8:], offs, w, bias)
		return
	}
	tapsGo(dst, src, offs, w, bias)
}
