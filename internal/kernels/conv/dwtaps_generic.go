//go:build !amd64 || noasm

package conv

// hasDWAsm reports whether the AVX2+FMA depthwise kernels run here.
const hasDWAsm = false

// tapsF32 sets dst[i] = bias + Σ_t w[t]·src[offs[t]+i]. Callers check
// that every offs[t]+len(dst) is within src.
func tapsF32(dst, src []float32, offs []int, w []float32, bias float32) {
	tapsGo(dst, src, offs, w, bias)
}

func dwConvF32(y, src []float32, boffs []int, w []float32, oh, ow, ld int, bias, lo, hi float32, act int) {
	panic("conv: no dwConv kernel")
}

func dwFillF32(dst, src []float32, rows, cols, ldd, lds int) { panic("conv: no dwFill kernel") }

func dwSplitRowsF32(a, b, src []float32, rows, na, nb, ldd, lds int) bool {
	panic("conv: no dwSplitRows kernel")
}

func dwConvJobsF32(y, src []float32, l *dwLayout, w []float32, bias, lo, hi float32, act int) {
	panic("conv: no dwConvJobs kernel")
}

// dwFast is the float32 assembly path of the depthwise loop; there is
// none here.
type dwFast struct{}

func newDWFast[T Num](pl *Plan[T], l *dwLayout) *dwFast { return nil }

func (f *dwFast) planes(x, w, bias, y, buf []float32, pi0, pi1 int, e *dwEpilogue[float32]) {
	panic("conv: no depthwise assembly path")
}
