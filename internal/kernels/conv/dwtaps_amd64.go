//go:build amd64 && !noasm

package conv

import "golang.org/x/sys/cpu"

//go:generate go run -C asmgen . -out ../dwtaps_amd64.s -stubs ../dwtaps_amd64_stubs.go -pkg conv

// hasDWAsm reports whether the AVX2+FMA depthwise kernels run here.
var hasDWAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dwConvF32 runs dwConv on an oh×ow output plane y from the phase planes
// in src (row stride ld elements, tap offsets boffs in bytes), after
// checking that every element the kernel reads or writes is in bounds.
func dwConvF32(y, src []float32, boffs []int, w []float32, oh, ow, ld int, bias, lo, hi float32) {
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
	dwConv(&y[0], &src[0], &boffs[0], &w[0], len(boffs), oh, ow, 4*ld, bias, lo, hi)
}

// dwFillF32 runs dwFill after checking the bounds: rows rows of cols
// elements from src (row stride lds) to dst (row stride ldd).
func dwFillF32(dst, src []float32, rows, cols, ldd, lds int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if len(dst) < (rows-1)*ldd+cols || len(src) < (rows-1)*lds+cols {
		panic("conv: dwFill operands out of range")
	}
	dwFill(&dst[0], &src[0], rows, cols, 4*ldd, 4*lds)
}

// dwSplitRowsF32 runs dwSplitRows after checking the bounds.
func dwSplitRowsF32(a, b, src []float32, rows, na, nb, ldd, lds int) {
	if rows <= 0 || (na <= 0 && nb <= 0) {
		return
	}
	na, nb = max(na, 0), max(nb, 0)
	reach := max(2*na-1, 2*nb)
	if len(a) < (rows-1)*ldd+na || len(b) < (rows-1)*ldd+nb || len(src) < (rows-1)*lds+reach {
		panic("conv: dwSplitRows operands out of range")
	}
	// The slices may be empty where their count is 0: point at a's or
	// b's first element instead, which the kernel then does not touch.
	pa, pb := &src[0], &src[0]
	if len(a) > 0 {
		pa = &a[0]
	}
	if len(b) > 0 {
		pb = &b[0]
	}
	dwSplitRows(pa, pb, &src[0], rows, min(na, nb), na, nb, 4*ldd, 4*lds)
}
