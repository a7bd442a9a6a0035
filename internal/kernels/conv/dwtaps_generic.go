//go:build !amd64 || noasm

package conv

// hasDWAsm reports whether the AVX2+FMA depthwise kernels run here.
const hasDWAsm = false

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
