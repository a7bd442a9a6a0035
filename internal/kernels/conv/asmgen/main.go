// Command asmgen writes the AVX2+FMA depthwise convolution kernels of
// package conv (internal/kernels/conv/dwtaps_amd64.s and their Go
// declarations) or, with -set winograd, its Winograd transforms
// (winograd_amd64.s; see winograd.go) or, with -set im2col, its im2col
// fill of the GEMM's B panels (im2col_amd64.s; see im2col.go) or, with
// -set pw, its pointwise kernels (pointwise_amd64.s; see pointwise.go).
//
// It lives in its own module so that the main module does not depend on
// avo. Run it through `go generate` in internal/kernels/conv, or by hand:
//
//	cd internal/kernels/conv/asmgen && go run . -out ../dwtaps_amd64.s -stubs ../dwtaps_amd64_stubs.go -pkg conv
//	cd internal/kernels/conv/asmgen && go run . -set winograd -out ../winograd_amd64.s -stubs ../winograd_amd64_stubs.go -pkg conv
//	cd internal/kernels/conv/asmgen && go run . -set im2col -out ../im2col_amd64.s -stubs ../im2col_amd64_stubs.go -pkg conv
//	cd internal/kernels/conv/asmgen && go run . -set pw -out ../pointwise_amd64.s -stubs ../pointwise_amd64_stubs.go -pkg conv
package main

import (
	"flag"
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// set chooses the kernels to write: "dw" (the depthwise kernels),
// "winograd" (the Winograd transforms, see winograd.go) or "im2col" (the
// im2col fill, see im2col.go).
var set = flag.String("set", "dw", "kernels to generate: dw, winograd, im2col or pw")

func main() {
	flag.Parse()
	ConstraintExpr("amd64,!noasm")
	if *set == "pw" {
		tailMaskNamed("pwmask")
		expConstsNamed("pwexp")
		for r := 1; r <= pwRows; r++ {
			pwConv(r)
		}
	} else if *set == "im2col" {
		fillConsts()
		im2colPanels()
	} else if *set == "winograd" {
		wgIn43x8()
		wgIn43o8()
		wgOut43x8()
		wgOut43s8()
		wgOut43o8()
		wgIn23o8()
		wgOut23s8()
	} else {
		tailMask()
		expConsts()
		dwTaps()
		dwConv()
		dwConv3x3(1)
		dwConv3x3(2)
		dwConvJobs()
		dwConvJobsK(3, 1)
		dwConvJobsK(3, 2)
		dwConvJobsK(5, 1)
		dwConvJobsK(5, 2)
		dwFill()
		dwSplitRows()
	}
	Generate()
}

// maskMem is 8 all-ones lanes then 8 zero lanes: the 8 lanes read at
// element 8-n are the VMASKMOVPS mask of the first n lanes.
var maskMem Mem

func tailMask() { tailMaskNamed("dwmask") }

// tailMaskNamed is tailMask with the table named name.
func tailMaskNamed(name string) {
	maskMem = GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
}

// expMem holds the constants of sigmoid (see sigmoid), 8 lanes each.
var expMem Mem

func expConsts() { expConstsNamed("dwexp") }

// expConstsNamed is expConsts with the table named name.
func expConstsNamed(name string) {
	vals := []float32{88, -87.33654, 1.44269504088896341, 0.693359375, -2.12194440e-4,
		1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1}
	// Each constant in all 8 lanes, for use as a vector memory operand.
	expMem = GLOBL(name, RODATA|NOPTR)
	for i, v := range vals {
		for l := 0; l < 8; l++ {
			DATA(32*i+4*l, U32(math.Float32bits(v)))
		}
	}
}

// sigmoid replaces each v of vs by 1/(1+exp(-v)), times v when silu.
// exp(t) is 2^m·p(r) with t = m·ln2 + r, |r| <= ln2/2 and p the Taylor
// polynomial of degree 7, t clamped to [-87.33, 88] (no overflow of 2^m);
// NaN stays NaN. These are the formulas (and constants) of the GEMM
// epilogue's sigmoid, so that both give the same bits. The vectors are
// done step by step together, so that their chains of dependent
// operations overlap; each needs three registers of its own.
func sigmoid(vs []VecVirtual, silu bool) {
	c := func(i int) Mem { return expMem.Offset(32 * i) }
	n := len(vs)
	m, r, p := make([]VecVirtual, n), make([]VecVirtual, n), make([]VecVirtual, n)
	for i := range vs {
		m[i], r[i], p[i] = YMM(), YMM(), YMM()
	}
	each := func(f func(i int)) {
		for i := 0; i < n; i++ {
			f(i)
		}
	}
	each(func(i int) { VXORPS(r[i], r[i], r[i]) })
	each(func(i int) { VSUBPS(vs[i], r[i], r[i]) }) // t = -x
	each(func(i int) { VBROADCASTSS(c(1), p[i]) })
	each(func(i int) { VMAXPS(r[i], p[i], r[i]) }) // NaN (second source) passes
	each(func(i int) { VBROADCASTSS(c(0), p[i]) })
	each(func(i int) { VMINPS(r[i], p[i], r[i]) })
	each(func(i int) { VMULPS(c(2), r[i], m[i]) })
	each(func(i int) { VROUNDPS(U8(0), m[i], m[i]) })    // nearest
	each(func(i int) { VFNMADD231PS(c(3), m[i], r[i]) }) // r -= m·ln2hi
	each(func(i int) { VFNMADD231PS(c(4), m[i], r[i]) }) // r -= m·ln2lo
	each(func(i int) { VBROADCASTSS(c(5), p[i]) })
	for k := 6; k <= 11; k++ {
		each(func(i int) { VFMADD213PS(c(k), r[i], p[i]) }) // p = p·r + c
	}
	each(func(i int) { VFMADD213PS(c(11), r[i], p[i]) }) // p = p·r + 1
	// 2^m from the exponent bits.
	each(func(i int) { VCVTPS2DQ(m[i], m[i]) })
	each(func(i int) { VPSLLD(U8(23), m[i], m[i]) })
	each(func(i int) { VPADDD(c(11), m[i], m[i]) }) // 1.0 has exponent bits 127<<23
	each(func(i int) { VMULPS(m[i], p[i], p[i]) })
	each(func(i int) { VADDPS(c(11), p[i], p[i]) })
	each(func(i int) { VBROADCASTSS(c(11), m[i]) })
	each(func(i int) { VDIVPS(p[i], m[i], p[i]) }) // 1/(1+exp(-x))
	if silu {
		each(func(i int) { VMULPS(p[i], vs[i], vs[i]) })
	} else {
		each(func(i int) { VMOVAPS(p[i], vs[i]) })
	}
}

// epilogue clamps each of acc to [lo, hi] (broadcast from loMem and
// hiMem), then applies the sigmoid (act 1) or SiLU (act 2). Only acc is
// live across it: it needs every other vector register.
func epilogue(name string, acc []VecVirtual, loMem, hiMem, act Mem) {
	epilogueN(name, acc, loMem, hiMem, act, len(acc))
}

// epilogueN is epilogue with the sigmoids done together at most k at a
// time (3k spare vector registers).
func epilogueN(name string, acc []VecVirtual, loMem, hiMem, act Mem, k int) {
	lo, hi := YMM(), YMM()
	VBROADCASTSS(loMem, lo)
	VBROADCASTSS(hiMem, hi)
	for _, a := range acc {
		// NaN in acc stays NaN: VMAXPS/VMINPS return the second source
		// when either is NaN.
		VMAXPS(a, lo, a)
		VMINPS(a, hi, a)
	}
	CMPQ(act, U8(0))
	JE(LabelRef(name + "_done"))
	CMPQ(act, U8(1))
	JNE(LabelRef(name + "_silu"))
	for i := 0; i < len(acc); i += k {
		sigmoid(acc[i:min(i+k, len(acc))], false)
	}
	JMP(LabelRef(name + "_done"))
	Label(name + "_silu")
	for i := 0; i < len(acc); i += k {
		sigmoid(acc[i:min(i+k, len(acc))], true)
	}
	Label(name + "_done")
}

// dwConv emits the 2-D depthwise kernel: for each of rows output rows r
// and cols columns c,
//
//	dst[r*cols+c] = min(max(bias + Σ_t w[t]·src[r*ld+4c+offs[t]], lo), hi)
//
// with ld and offs in bytes. A row is done in blocks of 4, then 3, 2 or 1
// vectors over the taps; its last 1..7 columns as one vector whose store
// overruns into the next rows (rewritten after) or, where those do not
// hold the overrun (the last row), is masked. The tail reads up to 7
// floats past the last column of src.
func dwConv() {
	TEXT("dwConv", NOSPLIT, "func(dst *float32, src *float32, offs *int, w *float32, ntaps int, rows int, cols int, ld int, bias float32, lo float32, hi float32, act int)")
	Pragma("noescape")
	Doc(
		"dwConv sets dst[r*cols+c] = min(max(bias + Σ_t w[t]·src[r*ld/4+c+offs[t]/4], lo), hi)",
		"for r < rows, c < cols, t < ntaps (ntaps >= 1); ld and offs are in bytes;",
		"then, when act is 1, dst = sigmoid(dst), when act is 2, dst = dst·sigmoid(dst).",
		"It reads up to 7 floats past the last column of each row of src, and needs",
		"AVX2 and FMA.",
	)
	dstRow := Load(Param("dst"), GP64())
	srcRow := Load(Param("src"), GP64())
	offs := Load(Param("offs"), GP64())
	w := Load(Param("w"), GP64())
	ntaps := Load(Param("ntaps"), GP64())
	rows := Load(Param("rows"), GP64())

	d, s, n, t, off := GP64(), GP64(), GP64(), GP64(), GP64()
	wv := YMM()
	acc := []VecVirtual{YMM(), YMM(), YMM(), YMM()}

	// block computes v vectors at s into acc[:v], clamped.
	block := func(name string, v int) {
		for i := 0; i < v; i++ {
			VBROADCASTSS(NewParamAddr("bias", 64), acc[i])
		}
		XORQ(t, t)
		Label(name)
		MOVQ(Mem{Base: offs, Index: t, Scale: 8}, off)
		VBROADCASTSS(Mem{Base: w, Index: t, Scale: 4}, wv)
		for i := 0; i < v; i++ {
			VFMADD231PS(Mem{Base: s, Index: off, Scale: 1, Disp: 32 * i}, wv, acc[i])
		}
		INCQ(t)
		CMPQ(t, ntaps)
		JL(LabelRef(name))
		epilogue(name, acc[:v], NewParamAddr("lo", 68), NewParamAddr("hi", 72), NewParamAddr("act", 80))
	}

	Label("row")
	TESTQ(rows, rows)
	JZ(LabelRef("done"))
	MOVQ(dstRow, d)
	MOVQ(srcRow, s)
	Load(Param("cols"), n)

	for _, v := range []int{4, 3, 2, 1} {
		loop := fmt.Sprintf("v%d", v)
		next := fmt.Sprintf("v%dend", v)
		Label(loop)
		CMPQ(n, U32(8*v))
		JL(LabelRef(next))
		block(fmt.Sprintf("v%dtap", v), v)
		for i := 0; i < v; i++ {
			VMOVUPS(acc[i], Mem{Base: d, Disp: 32 * i})
		}
		ADDQ(U32(32*v), d)
		ADDQ(U32(32*v), s)
		SUBQ(U32(8*v), n)
		if v == 4 {
			JMP(LabelRef(loop))
		}
		Label(next)
	}

	// Tail: n in [0, 8) columns left.
	TESTQ(n, n)
	JZ(LabelRef("rowend"))
	block("ttap", 1)
	// The full store is safe while the rows after this one hold the
	// overrun: (rows-1)*cols >= 8-n.
	MOVQ(rows, off)
	DECQ(off)
	Load(Param("cols"), t)
	IMULQ(t, off)
	ADDQ(n, off)
	CMPQ(off, U8(8))
	JL(LabelRef("masked"))
	VMOVUPS(acc[0], Mem{Base: d})
	JMP(LabelRef("rowend"))
	Label("masked")
	mask := YMM()
	NEGQ(n)
	LEAQ(maskMem, off)
	VMOVUPS(Mem{Base: off, Index: n, Scale: 4, Disp: 32}, mask)
	VMASKMOVPS(acc[0], mask, Mem{Base: d})

	Label("rowend")
	Load(Param("cols"), n)
	LEAQ(Mem{Base: dstRow, Index: n, Scale: 4}, dstRow)
	Load(Param("ld"), n)
	ADDQ(n, srcRow)
	DECQ(rows)
	JMP(LabelRef("row"))

	Label("done")
	VZEROUPPER()
	RET()
}

// dwConv3x3 emits dwConv3x3s1 or dwConv3x3s2: dwConv for a 3×3 kernel
// (dilation 1) with the nine weights in registers and the taps unrolled,
// each tap one FMA from memory. Output row r reads scratch rows at
// src + r*ld + ky*rowStep; with stride 2 the odd columns kx are in the
// second phase, wq4 bytes on. The tap order is dwConv's (row by row), so
// both give the same bits.
func dwConv3x3(sw int) {
	name := fmt.Sprintf("dwConv3x3s%d", sw)
	TEXT(name, NOSPLIT, "func(dst *float32, src *float32, w *float32, rows int, cols int, ld int, rowStep int, wq4 int, bias float32, lo float32, hi float32, act int)")
	Pragma("noescape")
	Doc(
		fmt.Sprintf("%s is dwConv for a 3×3 kernel, dilation 1, column stride %d: tap", name, sw),
		"(ky, kx) of output (r, c) reads src at byte r*ld + ky*rowStep + 4c plus, with",
		"stride 1, 4kx, with stride 2, 4(kx/2) and wq4 more for odd kx. It reads up to",
		"7 floats past the last column of each row, and needs AVX2 and FMA.",
	)
	dstRow := Load(Param("dst"), GP64())
	srcRow := Load(Param("src"), GP64())
	rows := Load(Param("rows"), GP64())
	var wq4 Register
	if sw == 2 {
		wq4 = Load(Param("wq4"), GP64())
	}
	wp := Load(Param("w"), GP64())
	wr := make([]VecVirtual, 9)
	for t := range wr {
		wr[t] = YMM()
		VBROADCASTSS(Mem{Base: wp, Disp: 4 * t}, wr[t])
	}
	d, n, tmp := GP64(), GP64(), GP64()
	rp := []Register{GP64(), GP64(), GP64()}
	acc := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	tap := func(ky, kx, i int) Mem {
		if sw == 1 {
			return Mem{Base: rp[ky], Disp: 4*kx + 32*i}
		}
		if kx%2 == 0 {
			return Mem{Base: rp[ky], Disp: 4*(kx/2) + 32*i}
		}
		return Mem{Base: rp[ky], Index: wq4, Scale: 1, Disp: 4*(kx/2) + 32*i}
	}
	block := func(lbl string, v int) {
		for i := 0; i < v; i++ {
			VBROADCASTSS(NewParamAddr("bias", 64), acc[i])
		}
		for ky := 0; ky < 3; ky++ {
			for kx := 0; kx < 3; kx++ {
				for i := 0; i < v; i++ {
					VFMADD231PS(tap(ky, kx, i), wr[3*ky+kx], acc[i])
				}
			}
		}
		// The weights take nine registers: one sigmoid at a time.
		epilogueN(lbl, acc[:v], NewParamAddr("lo", 68), NewParamAddr("hi", 72), NewParamAddr("act", 80), 1)
	}

	Label(name + "_row")
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_done"))
	MOVQ(dstRow, d)
	MOVQ(srcRow, rp[0])
	Load(Param("rowStep"), tmp)
	LEAQ(Mem{Base: rp[0], Index: tmp, Scale: 1}, rp[1])
	LEAQ(Mem{Base: rp[0], Index: tmp, Scale: 2}, rp[2])
	Load(Param("cols"), n)
	for _, v := range []int{4, 3, 2, 1} {
		loop := fmt.Sprintf("%s_v%d", name, v)
		next := loop + "end"
		Label(loop)
		CMPQ(n, U32(8*v))
		JL(LabelRef(next))
		block(loop+"ep", v)
		for i := 0; i < v; i++ {
			VMOVUPS(acc[i], Mem{Base: d, Disp: 32 * i})
		}
		ADDQ(U32(32*v), d)
		for _, r := range rp {
			ADDQ(U32(32*v), r)
		}
		SUBQ(U32(8*v), n)
		if v == 4 {
			JMP(LabelRef(loop))
		}
		Label(next)
	}
	// Tail: n in [0, 8) columns left; store whole while the rows after
	// hold the overrun ((rows-1)*cols >= 8-n), else masked.
	TESTQ(n, n)
	JZ(LabelRef(name + "_rowend"))
	block(name+"_tep", 1)
	MOVQ(rows, tmp)
	DECQ(tmp)
	IMULQ(NewParamAddr("cols", 32), tmp)
	ADDQ(n, tmp)
	CMPQ(tmp, U8(8))
	JL(LabelRef(name + "_masked"))
	VMOVUPS(acc[0], Mem{Base: d})
	JMP(LabelRef(name + "_rowend"))
	Label(name + "_masked")
	mask := YMM()
	maskOf(mask, n, tmp)
	VMASKMOVPS(acc[0], mask, Mem{Base: d})

	Label(name + "_rowend")
	Load(Param("cols"), n)
	LEAQ(Mem{Base: dstRow, Index: n, Scale: 4}, dstRow)
	Load(Param("ld"), n)
	ADDQ(n, srcRow)
	DECQ(rows)
	JMP(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// dwConvJobs emits the depthwise kernel over a list of output vectors
// (jobs): job j = {srcOff, dstOff, n, 0} (int32, offsets in bytes) sets
// the first n floats of dst+dstOff to the epilogue of bias + Σ_t
// w[t]·src[srcOff+offs[t]...]. Four jobs at a time share each tap's
// weight, whatever rows they lie in: small planes (7×7, 14×14) keep four
// accumulators busy where a row holds one or two vectors.
func dwConvJobs() {
	TEXT("dwConvJobs", NOSPLIT, "func(dst *float32, src *float32, jobs *int32, njobs int, offs *int, w *float32, ntaps int, bias float32, lo float32, hi float32, act int)")
	Pragma("noescape")
	Doc(
		"dwConvJobs computes, for each job j < njobs (jobs[4j:4j+3] = srcOff, dstOff, n",
		"in bytes, bytes and floats), v = bias + Σ_t w[t]·src[(srcOff+offs[t])/4+i] for",
		"i < 8 (ntaps >= 1, offs in bytes), clamps v to [lo, hi], applies the sigmoid",
		"(act 1) or SiLU (act 2), and stores its first n (1..8) floats at",
		"dst[dstOff/4]; jobs are stored in order. It needs AVX2 and FMA.",
	)
	jp := Load(Param("jobs"), GP64())
	cnt := Load(Param("njobs"), GP64())
	offs := Load(Param("offs"), GP64())
	w := Load(Param("w"), GP64())
	ntaps := Load(Param("ntaps"), GP64())
	sp := []Register{GP64(), GP64(), GP64(), GP64()}
	t, off := GP64(), GP64()
	wv := YMM()
	acc := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	// Blocks of 4 jobs, then one block of the 1 to 3 left.
	for _, v := range []int{4, 3, 2, 1} {
		name := fmt.Sprintf("j%d", v)
		Label(name)
		CMPQ(cnt, U8(v))
		if v == 4 {
			JL(LabelRef(name + "_end"))
		} else {
			JNE(LabelRef(name + "_end"))
		}
		for i := 0; i < v; i++ {
			MOVLQSX(Mem{Base: jp, Disp: 16 * i}, sp[i])
			ADDQ(NewParamAddr("src", 8), sp[i])
			VBROADCASTSS(NewParamAddr("bias", 56), acc[i])
		}
		XORQ(t, t)
		Label(name + "_tap")
		MOVQ(Mem{Base: offs, Index: t, Scale: 8}, off)
		VBROADCASTSS(Mem{Base: w, Index: t, Scale: 4}, wv)
		for i := 0; i < v; i++ {
			VFMADD231PS(Mem{Base: sp[i], Index: off, Scale: 1}, wv, acc[i])
		}
		INCQ(t)
		CMPQ(t, ntaps)
		JL(LabelRef(name + "_tap"))
		epilogue(name+"_ep", acc[:v], NewParamAddr("lo", 60), NewParamAddr("hi", 64), NewParamAddr("act", 72))
		for i := 0; i < v; i++ {
			st := fmt.Sprintf("%s_st%d", name, i)
			MOVLQSX(Mem{Base: jp, Disp: 16*i + 4}, t)
			ADDQ(NewParamAddr("dst", 0), t)
			MOVLQSX(Mem{Base: jp, Disp: 16*i + 8}, off)
			CMPQ(off, U8(8))
			JNE(LabelRef(st + "_part"))
			VMOVUPS(acc[i], Mem{Base: t})
			JMP(LabelRef(st + "_0"))
			Label(st + "_part")
			storePartial(st, acc[i], off, t)
		}
		ADDQ(U8(16*v), jp)
		SUBQ(U8(v), cnt)
		if v == 4 {
			JMP(LabelRef(name))
		} else {
			JMP(LabelRef("jdone"))
		}
		Label(name + "_end")
	}
	Label("jdone")
	VZEROUPPER()
	RET()
}

// dwConvJobsK emits dwConvJobs3x3s1/s2 or dwConvJobs5x5s1/s2: dwConvJobs
// for a k×k kernel (dilation 1) with the taps unrolled, addressed from
// each job's source with multiples of the row step (and, for the odd
// columns of stride 2, the phase offset wq4) in index registers. A 3×3
// kernel's nine weights stay in registers; a 5×5 kernel's are broadcast
// per tap. Same tap order as dwConvJobs, so the same bits.
func dwConvJobsK(k, sw int) {
	name := fmt.Sprintf("dwConvJobs%dx%ds%d", k, k, sw)
	TEXT(name, NOSPLIT, "func(dst *float32, src *float32, jobs *int32, njobs int, w *float32, rowStep int, wq4 int, bias float32, lo float32, hi float32, act int)")
	Pragma("noescape")
	Doc(
		fmt.Sprintf("%s is dwConvJobs for a %d×%d kernel, dilation 1, column stride %d:", name, k, k, sw),
		"tap (ky, kx) of a job reads src at byte srcOff + ky*rowStep plus, with stride",
		"1, 4kx, with stride 2, 4(kx/2) and wq4 more for odd kx. It needs AVX2 and FMA.",
	)
	jp := Load(Param("jobs"), GP64())
	cnt := Load(Param("njobs"), GP64())
	wp := Load(Param("w"), GP64())
	var wr []VecVirtual
	if k == 3 {
		wr = make([]VecVirtual, 9)
		for t := range wr {
			wr[t] = YMM()
			VBROADCASTSS(Mem{Base: wp, Disp: 4 * t}, wr[t])
		}
	}
	// Row ky is ky*rowStep on: r1 scaled by 1, 2 or 4, or r3 (3 rows).
	r1 := Load(Param("rowStep"), GP64())
	var r3 Register
	if k == 5 {
		r3 = GP64()
		LEAQ(Mem{Base: r1, Index: r1, Scale: 2}, r3)
	}
	row := func(ky int) (Register, uint8) {
		switch ky {
		case 0:
			return nil, 0
		case 3:
			return r3, 1
		}
		return r1, uint8(ky)
	}
	q := make([]Register, k)
	if sw == 2 {
		for ky := range q {
			q[ky] = GP64()
			Load(Param("wq4"), q[ky])
			if ir, sc := row(ky); ir != nil {
				LEAQ(Mem{Base: q[ky], Index: ir, Scale: sc}, q[ky])
			}
		}
	}
	tap := func(base Register, ky, kx int) Mem {
		if sw == 1 || kx%2 == 0 {
			m := Mem{Base: base, Disp: 4 * kx / sw}
			if ir, sc := row(ky); ir != nil {
				m.Index, m.Scale = ir, sc
			}
			return m
		}
		return Mem{Base: base, Index: q[ky], Scale: 1, Disp: 4 * (kx / 2)}
	}
	sp := []Register{GP64(), GP64(), GP64(), GP64()}
	acc := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	done := name + "_done"
	for _, v := range []int{4, 3, 2, 1} {
		lbl := fmt.Sprintf("%s_j%d", name, v)
		Label(lbl)
		CMPQ(cnt, U8(v))
		if v == 4 {
			JL(LabelRef(lbl + "_end"))
		} else {
			JNE(LabelRef(lbl + "_end"))
		}
		for i := 0; i < v; i++ {
			MOVLQSX(Mem{Base: jp, Disp: 16 * i}, sp[i])
			ADDQ(NewParamAddr("src", 8), sp[i])
			VBROADCASTSS(NewParamAddr("bias", 56), acc[i])
		}
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				wt := VecVirtual(nil)
				if wr != nil {
					wt = wr[k*ky+kx]
				} else {
					wt = YMM()
					VBROADCASTSS(Mem{Base: wp, Disp: 4 * (k*ky + kx)}, wt)
				}
				for i := 0; i < v; i++ {
					VFMADD231PS(tap(sp[i], ky, kx), wt, acc[i])
				}
			}
		}
		// 3×3: the weights take nine registers, one sigmoid at a time.
		together := 4
		if wr != nil {
			together = 1
		}
		epilogueN(lbl+"_ep", acc[:v], NewParamAddr("lo", 60), NewParamAddr("hi", 64), NewParamAddr("act", 72), together)
		// The job sources are done with: their registers hold the stores'
		// addresses and counts.
		t, off := sp[0], sp[1]
		for i := 0; i < v; i++ {
			st := fmt.Sprintf("%s_st%d", lbl, i)
			MOVLQSX(Mem{Base: jp, Disp: 16*i + 4}, t)
			ADDQ(NewParamAddr("dst", 0), t)
			MOVLQSX(Mem{Base: jp, Disp: 16*i + 8}, off)
			CMPQ(off, U8(8))
			JNE(LabelRef(st + "_part"))
			VMOVUPS(acc[i], Mem{Base: t})
			JMP(LabelRef(st + "_0"))
			Label(st + "_part")
			storePartial(st, acc[i], off, t)
		}
		ADDQ(U8(16*v), jp)
		SUBQ(U8(v), cnt)
		if v == 4 {
			JMP(LabelRef(lbl))
		} else {
			JMP(LabelRef(done))
		}
		Label(lbl + "_end")
	}
	Label(done)
	VZEROUPPER()
	RET()
}

// maskOf loads into m the VMASKMOVPS mask of the first n lanes (n in
// [0, 8], a register clobbered) using tmp.
func maskOf(m VecVirtual, n, tmp Register) {
	NEGQ(n)
	LEAQ(maskMem, tmp)
	VMOVUPS(Mem{Base: tmp, Index: n, Scale: 4, Disp: 32}, m)
}

// storePartial stores the first n (0..7) lanes of v at d, without writing
// past them; v, n and d are clobbered.
func storePartial(name string, v VecVirtual, n, d Register) {
	x := v.AsX()
	TESTQ(U32(4), n)
	JZ(LabelRef(name + "_2"))
	VMOVUPS(x, Mem{Base: d})
	VEXTRACTF128(U8(1), v, x)
	ADDQ(U8(16), d)
	Label(name + "_2")
	TESTQ(U32(2), n)
	JZ(LabelRef(name + "_1"))
	VMOVLPS(x, Mem{Base: d})
	VMOVHLPS(x, x, x)
	ADDQ(U8(8), d)
	Label(name + "_1")
	TESTQ(U32(1), n)
	JZ(LabelRef(name + "_0"))
	VMOVSS(x, Mem{Base: d})
	Label(name + "_0")
}

// dwFill emits the row copy: rows rows of cols floats from src (row
// stride lds bytes) to dst (row stride ldd bytes). The last 1..7 floats
// of a row are read with a masked load and stored as a whole vector, the
// lanes past the row as zeros.
func dwFill() {
	TEXT("dwFill", NOSPLIT, "func(dst *float32, src *float32, rows int, cols int, ldd int, lds int)")
	Pragma("noescape")
	Doc(
		"dwFill copies rows rows of cols floats from src (row stride lds bytes) to dst",
		"(row stride ldd bytes), in order; after a row that is not a multiple of 8",
		"long it writes zeros up to the next multiple of 8. It needs AVX.",
	)
	dstRow := Load(Param("dst"), GP64())
	srcRow := Load(Param("src"), GP64())
	rows := Load(Param("rows"), GP64())
	ldd := Load(Param("ldd"), GP64())
	lds := Load(Param("lds"), GP64())
	d, s, n, tmp := GP64(), GP64(), GP64(), GP64()
	v0, v1, mask := YMM(), YMM(), YMM()
	// The tail mask is the same for every row.
	Load(Param("cols"), n)
	ANDQ(U8(7), n)
	maskOf(mask, n, tmp)
	Label("row")
	TESTQ(rows, rows)
	JZ(LabelRef("done"))
	MOVQ(dstRow, d)
	MOVQ(srcRow, s)
	Load(Param("cols"), n)
	Label("v16")
	CMPQ(n, U8(16))
	JL(LabelRef("v8"))
	VMOVUPS(Mem{Base: s}, v0)
	VMOVUPS(Mem{Base: s, Disp: 32}, v1)
	VMOVUPS(v0, Mem{Base: d})
	VMOVUPS(v1, Mem{Base: d, Disp: 32})
	ADDQ(U8(64), s)
	ADDQ(U8(64), d)
	SUBQ(U8(16), n)
	JMP(LabelRef("v16"))
	Label("v8")
	CMPQ(n, U8(8))
	JL(LabelRef("tail"))
	VMOVUPS(Mem{Base: s}, v0)
	VMOVUPS(v0, Mem{Base: d})
	ADDQ(U8(32), s)
	ADDQ(U8(32), d)
	SUBQ(U8(8), n)
	Label("tail")
	TESTQ(n, n)
	JZ(LabelRef("rowend"))
	VMASKMOVPS(Mem{Base: s}, mask, v0)
	VMOVUPS(v0, Mem{Base: d})
	Label("rowend")
	ADDQ(ldd, dstRow)
	ADDQ(lds, srcRow)
	DECQ(rows)
	JMP(LabelRef("row"))
	Label("done")
	VZEROUPPER()
	RET()
}

// dwSplitRows emits the even/odd split of rows: per row, a[k] = src[2k]
// for k < np+ca and b[k] = src[2k+1] for k < np+cb, np a multiple of 8
// done as whole vectors, ca, cb < 8 from masked loads of nlo and nhi
// floats and partial stores.
func dwSplitRows() {
	TEXT("dwSplitRows", NOSPLIT, "func(a *float32, b *float32, src *float32, rows int, np int, ca int, cb int, nlo int, nhi int, ldd int, lds int)")
	Pragma("noescape")
	Doc(
		"dwSplitRows sets, for each of rows rows, a[k] = src[2k] for k < np+ca and",
		"b[k] = src[2k+1] for k < np+cb; np is a multiple of 8, ca and cb are below",
		"8, and the tail reads nlo+nhi = max(2ca-1, 2cb) floats at src[2np]. a and b",
		"advance by ldd bytes a row, src by lds bytes. It needs AVX2.",
	)
	aRow := Load(Param("a"), GP64())
	bRow := Load(Param("b"), GP64())
	srcRow := Load(Param("src"), GP64())
	rows := Load(Param("rows"), GP64())
	pa, pb, s, k := GP64(), GP64(), GP64(), GP64()
	lo, hi, e, o := YMM(), YMM(), YMM(), YMM()
	mlo, mhi := YMM(), YMM()
	Load(Param("nlo"), k)
	maskOf(mlo, k, pa)
	Load(Param("nhi"), k)
	maskOf(mhi, k, pa)
	split := func() {
		// Per 128-bit lane: s0 s2 s8 s10 | s4 s6 s12 s14, then reorder
		// the 64-bit pairs to s0 s2 s4 s6 s8 s10 s12 s14.
		VSHUFPS(U8(0x88), hi, lo, e)
		VSHUFPS(U8(0xDD), hi, lo, o)
		VPERMPD(U8(0xD8), e, e)
		VPERMPD(U8(0xD8), o, o)
	}
	Label("row")
	TESTQ(rows, rows)
	JZ(LabelRef("done"))
	MOVQ(aRow, pa)
	MOVQ(bRow, pb)
	MOVQ(srcRow, s)
	Load(Param("np"), k)
	SHRQ(U8(3), k)
	Label("pairs")
	TESTQ(k, k)
	JZ(LabelRef("tail"))
	VMOVUPS(Mem{Base: s}, lo)
	VMOVUPS(Mem{Base: s, Disp: 32}, hi)
	split()
	VMOVUPS(e, Mem{Base: pa})
	VMOVUPS(o, Mem{Base: pb})
	ADDQ(U8(64), s)
	ADDQ(U8(32), pa)
	ADDQ(U8(32), pb)
	DECQ(k)
	JMP(LabelRef("pairs"))

	Label("tail")
	VMASKMOVPS(Mem{Base: s}, mlo, lo)
	VMASKMOVPS(Mem{Base: s, Disp: 32}, mhi, hi)
	split()
	Load(Param("ca"), k)
	storePartial("sa", e, k, pa)
	Load(Param("cb"), k)
	storePartial("sb", o, k, pb)

	Load(Param("ldd"), k)
	ADDQ(k, aRow)
	ADDQ(k, bRow)
	Load(Param("lds"), k)
	ADDQ(k, srcRow)
	DECQ(rows)
	JMP(LabelRef("row"))
	Label("done")
	VZEROUPPER()
	RET()
}

// wide is the number of 8-float vectors dwTaps keeps in flight.
const wide = 8

// dwTaps emits dwTaps: dst[i] = bias + Σ_t w[t]·src[offs[t]+i] for i in
// [0, n), n a multiple of 8 (the 1-D kernel of the Taps algorithm).
func dwTaps() {
	TEXT("dwTaps", NOSPLIT, "func(dst *float32, src *float32, offs *int, w *float32, ntaps int, n int, bias float32)")
	Pragma("noescape")
	Doc(
		"dwTaps sets dst[i] = bias + Σ_t w[t]·src[offs[t]+i] for i in [0, n),",
		"t in [0, ntaps); n must be a multiple of 8. Every src index read must",
		"be in bounds. It needs AVX2 and FMA.",
	)
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	offs := Load(Param("offs"), GP64())
	w := Load(Param("w"), GP64())
	ntaps := Load(Param("ntaps"), GP64())
	n := Load(Param("n"), GP64())
	bias := YMM()
	VBROADCASTSS(NewParamAddr("bias", 48), bias)

	t := GP64()
	p := GP64()
	wv := YMM()
	acc := make([]VecVirtual, wide)
	for i := range acc {
		acc[i] = YMM()
	}

	// Main loop: wide vectors (64 outputs) per pass over the taps.
	Label("wide")
	CMPQ(n, U32(8*wide))
	JL(LabelRef("narrow"))
	for i := range acc {
		VMOVAPS(bias, acc[i])
	}
	XORQ(t, t)
	Label("wtap")
	CMPQ(t, ntaps)
	JGE(LabelRef("wstore"))
	MOVQ(Mem{Base: offs, Index: t, Scale: 8}, p)
	LEAQ(Mem{Base: src, Index: p, Scale: 4}, p)
	VBROADCASTSS(Mem{Base: w, Index: t, Scale: 4}, wv)
	for i := range acc {
		VFMADD231PS(Mem{Base: p, Disp: 32 * i}, wv, acc[i])
	}
	INCQ(t)
	JMP(LabelRef("wtap"))
	Label("wstore")
	for i := range acc {
		VMOVUPS(acc[i], Mem{Base: dst, Disp: 32 * i})
	}
	ADDQ(U32(32*wide), dst)
	ADDQ(U32(32*wide), src)
	SUBQ(U32(8*wide), n)
	JMP(LabelRef("wide"))

	// Tail: one vector at a time.
	Label("narrow")
	CMPQ(n, U32(8))
	JL(LabelRef("done"))
	a := acc[0]
	VMOVAPS(bias, a)
	XORQ(t, t)
	Label("ntap")
	CMPQ(t, ntaps)
	JGE(LabelRef("nstore"))
	MOVQ(Mem{Base: offs, Index: t, Scale: 8}, p)
	VBROADCASTSS(Mem{Base: w, Index: t, Scale: 4}, wv)
	VFMADD231PS(Mem{Base: src, Index: p, Scale: 4}, wv, a)
	INCQ(t)
	JMP(LabelRef("ntap"))
	Label("nstore")
	VMOVUPS(a, Mem{Base: dst})
	ADDQ(U32(32), dst)
	ADDQ(U32(32), src)
	SUBQ(U32(8), n)
	JMP(LabelRef("narrow"))

	Label("done")
	VZEROUPPER()
	RET()
}
