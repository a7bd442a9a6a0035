//go:build amd64 && !noasm

package conv

import "golang.org/x/sys/cpu"

//go:generate go run -C asmgen . -out ../dwtaps_amd64.s -stubs ../dwtaps_amd64_stubs.go -pkg conv

// hasDWAsm reports whether the AVX2+FMA depthwise kernels run here.
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

// dwConvF32 runs dwConv on an oh×ow output plane y from the scratch src
// (row stride ld elements, tap offsets boffs in bytes; act 0 for none, 1
// for the sigmoid, 2 for SiLU), after checking that every element the
// kernel reads or writes is in bounds.
func dwConvF32(y, src []float32, boffs []int, w []float32, oh, ow, ld int, bias, lo, hi float32, act int) {
	if oh == 0 || ow == 0 {
		return
	}
	maxOff := 0
	for _, o := range boffs {
		maxOff = max(maxOff, o)
	}
	if len(boffs) == 0 || len(w) < len(boffs) || len(y) < oh*ow ||
		len(src) < maxOff/4+(oh-1)*ld+(ow+7)&^7 {
		panic("conv: dwConv operands out of range")
	}
	dwConv(&y[0], &src[0], &boffs[0], &w[0], len(boffs), oh, ow, 4*ld, bias, lo, hi, act)
}

// dwFillF32 runs dwFill after checking the bounds: rows rows of cols
// elements from src (row stride lds) to dst (row stride ldd), each row
// followed by zeros up to a multiple of 8.
func dwFillF32(dst, src []float32, rows, cols, ldd, lds int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if len(dst) < (rows-1)*ldd+(cols+7)&^7 || len(src) < (rows-1)*lds+cols {
		panic("conv: dwFill operands out of range")
	}
	dwFill(&dst[0], &src[0], rows, cols, 4*ldd, 4*lds)
}

// dwSplitRowsF32 runs dwSplitRows after checking the bounds; it reports
// false (doing nothing) when the counts do not fit the kernel.
func dwSplitRowsF32(a, b, src []float32, rows, na, nb, ldd, lds int) bool {
	np := min(na, nb) &^ 7
	ca, cb := na-np, nb-np
	if rows <= 0 || ca < 0 || cb < 0 || ca > 7 || cb > 7 {
		return rows <= 0
	}
	l := max(2*ca-1, 2*cb, 0)
	if len(a) < (rows-1)*ldd+na || len(b) < (rows-1)*ldd+nb || len(src) < (rows-1)*lds+2*np+l {
		panic("conv: dwSplitRows operands out of range")
	}
	// A slice may be empty where its count is 0: point at src instead,
	// which the kernel then does not write.
	pa, pb := &src[0], &src[0]
	if len(a) > 0 {
		pa = &a[0]
	}
	if len(b) > 0 {
		pb = &b[0]
	}
	dwSplitRows(pa, pb, &src[0], rows, np, ca, cb, min(l, 8), max(l-8, 0), 4*ldd, 4*lds)
	return true
}

// dwConvJobsF32 runs dwConvJobs over the jobs of l after checking that
// they stay within y and src.
func dwConvJobsF32(y, src []float32, l *dwLayout, w []float32, bias, lo, hi float32, act int) {
	if len(l.jobs) == 0 {
		return
	}
	if len(l.boffs) == 0 || len(w) < len(l.boffs) || len(y) < l.jobsDst || len(src) < l.jobsSrc {
		panic("conv: dwConvJobs operands out of range")
	}
	dwConvJobs(&y[0], &src[0], &l.jobs[0], len(l.jobs)/4, &l.boffs[0], &w[0], len(l.boffs), bias, lo, hi, act)
}
