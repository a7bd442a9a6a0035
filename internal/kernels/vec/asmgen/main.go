// Command asmgen writes the AVX2 element-wise float32 kernels of package
// vec (internal/kernels/vec/vec_amd64.s and its Go declarations).
//
// It lives in its own module so that the main module does not depend on
// avo. Run it through `go generate` in internal/kernels/vec, or by hand:
//
//	cd internal/kernels/vec/asmgen && go run . -out ../vec_amd64.s -stubs ../vec_amd64_stubs.go -pkg vec
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// unroll is the number of 8-float vectors the main loop handles per pass.
const unroll = 4

func main() {
	ConstraintExpr("amd64,!noasm")
	type arith struct {
		name, sym string
		inst      func(ops ...Op)
	}
	ops := []arith{
		{"Add", "+", VADDPS}, {"Sub", "-", VSUBPS}, {"Mul", "*", VMULPS}, {"Div", "/", VDIVPS},
	}
	for _, o := range ops {
		vv(o.name, o.sym, o.inst)
	}
	for _, o := range ops {
		vs(o.name, o.sym, o.inst, false)
	}
	for _, o := range ops[1:] {
		if o.name == "Mul" {
			continue
		}
		vs(o.name, o.sym, o.inst, true)
	}
	affine()
	clamp()
	transpose8()
	Generate()
}

// loop emits the body over n floats (a multiple of 8) in passes of unroll
// vectors, then single vectors; step computes output vector i from the
// byte offset off of the current pass and stores it at dst+off.
func loop(prefix string, n Register, ptrs []Register, step func(i, off int)) {
	Label(prefix + "wide")
	CMPQ(n, U32(8*unroll))
	JL(LabelRef(prefix + "narrow"))
	for i := 0; i < unroll; i++ {
		step(i, 32*i)
	}
	for _, p := range ptrs {
		ADDQ(U32(32*unroll), p)
	}
	SUBQ(U32(8*unroll), n)
	JMP(LabelRef(prefix + "wide"))
	Label(prefix + "narrow")
	CMPQ(n, U32(8))
	JL(LabelRef(prefix + "done"))
	step(0, 0)
	for _, p := range ptrs {
		ADDQ(U32(32), p)
	}
	SUBQ(U32(8), n)
	JMP(LabelRef(prefix + "narrow"))
	Label(prefix + "done")
	VZEROUPPER()
	RET()
}

// vv emits vvOp: dst[i] = x[i] op y[i].
func vv(name, sym string, inst func(ops ...Op)) {
	fn := "vv" + name
	TEXT(fn, NOSPLIT, "func(dst, x, y *float32, n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets dst[i] = x[i] %s y[i] for i in [0, n); n must be a multiple of 8. It needs AVX.", fn, sym))
	dst := Load(Param("dst"), GP64())
	x := Load(Param("x"), GP64())
	y := Load(Param("y"), GP64())
	n := Load(Param("n"), GP64())
	r := make([]VecVirtual, unroll)
	for i := range r {
		r[i] = YMM()
	}
	loop(fn, n, []Register{dst, x, y}, func(i, off int) {
		VMOVUPS(Mem{Base: x, Disp: off}, r[i])
		inst(Mem{Base: y, Disp: off}, r[i], r[i])
		VMOVUPS(r[i], Mem{Base: dst, Disp: off})
	})
}

// vs emits vsOp (dst[i] = x[i] op s) or, with left, svOp (dst[i] = s op x[i]).
func vs(name, sym string, inst func(ops ...Op), left bool) {
	fn := "vs" + name
	doc := fmt.Sprintf("%s sets dst[i] = x[i] %s s", fn, sym)
	if left {
		fn = "sv" + name
		doc = fmt.Sprintf("%s sets dst[i] = s %s x[i]", fn, sym)
	}
	TEXT(fn, NOSPLIT, "func(dst, x *float32, s float32, n int)")
	Pragma("noescape")
	Doc(doc + " for i in [0, n); n must be a multiple of 8. It needs AVX.")
	dst := Load(Param("dst"), GP64())
	x := Load(Param("x"), GP64())
	s := YMM()
	VBROADCASTSS(NewParamAddr("s", 16), s)
	n := Load(Param("n"), GP64())
	r := make([]VecVirtual, unroll)
	for i := range r {
		r[i] = YMM()
	}
	loop(fn, n, []Register{dst, x}, func(i, off int) {
		if left {
			inst(Mem{Base: x, Disp: off}, s, r[i])
		} else {
			VMOVUPS(Mem{Base: x, Disp: off}, r[i])
			inst(s, r[i], r[i])
		}
		VMOVUPS(r[i], Mem{Base: dst, Disp: off})
	})
}

// affine emits affine: dst[i] = x[i]*a + b, rounded after the product and
// after the sum (no fused multiply-add), as the Go reference computes it.
func affine() {
	TEXT("affine", NOSPLIT, "func(dst, x *float32, a, b float32, n int)")
	Pragma("noescape")
	Doc("affine sets dst[i] = x[i]*a + b (product and sum rounded separately) for",
		"i in [0, n); n must be a multiple of 8. It needs AVX.")
	dst := Load(Param("dst"), GP64())
	x := Load(Param("x"), GP64())
	a, b := YMM(), YMM()
	VBROADCASTSS(NewParamAddr("a", 16), a)
	VBROADCASTSS(NewParamAddr("b", 20), b)
	n := Load(Param("n"), GP64())
	r := make([]VecVirtual, unroll)
	for i := range r {
		r[i] = YMM()
	}
	loop("affine", n, []Register{dst, x}, func(i, off int) {
		VMULPS(Mem{Base: x, Disp: off}, a, r[i])
		VADDPS(b, r[i], r[i])
		VMOVUPS(r[i], Mem{Base: dst, Disp: off})
	})
}

// clamp emits clamp: dst[i] = min(max(x[i], lo), hi), a NaN x[i] kept.
func clamp() {
	TEXT("clamp", NOSPLIT, "func(dst, x *float32, lo, hi float32, n int)")
	Pragma("noescape")
	Doc("clamp sets dst[i] = min(max(x[i], lo), hi) for i in [0, n), keeping a NaN",
		"x[i]; n must be a multiple of 8. It needs AVX.")
	dst := Load(Param("dst"), GP64())
	x := Load(Param("x"), GP64())
	lo, hi := YMM(), YMM()
	VBROADCASTSS(NewParamAddr("lo", 16), lo)
	VBROADCASTSS(NewParamAddr("hi", 20), hi)
	n := Load(Param("n"), GP64())
	r := make([]VecVirtual, unroll)
	for i := range r {
		r[i] = YMM()
	}
	loop("clamp", n, []Register{dst, x}, func(i, off int) {
		// MAXPS/MINPS return their second source (Go order: the first
		// operand) when either is NaN, so x goes there.
		VMOVUPS(Mem{Base: x, Disp: off}, r[i])
		VMAXPS(r[i], lo, r[i])
		VMINPS(r[i], hi, r[i])
		VMOVUPS(r[i], Mem{Base: dst, Disp: off})
	})
}

// transpose8 emits transpose8: nb 8×8 blocks of 32-bit elements side by
// side in src (8 rows of stride lds elements) written transposed, one below
// the other, to dst (rows of stride ldd elements).
func transpose8() {
	TEXT("transpose8", NOSPLIT, "func(dst, src *uint32, ldd, lds, nb int)")
	Pragma("noescape")
	Doc("transpose8 sets dst[(8b+i)*ldd+j] = src[j*lds+8b+i] for i, j in [0, 8) and",
		"b in [0, nb): nb 8×8 blocks side by side in src, transposed one below",
		"the other in dst. It needs AVX.")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	ldd := Load(Param("ldd"), GP64())
	lds := Load(Param("lds"), GP64())
	nb := Load(Param("nb"), GP64())
	SHLQ(U8(2), ldd) // bytes
	SHLQ(U8(2), lds)
	rowp := GP64()
	Label("tblock")
	CMPQ(nb, U32(0))
	JE(LabelRef("tdone"))
	r := make([]VecVirtual, 8)
	MOVQ(src, rowp)
	for i := range r {
		r[i] = YMM()
		VMOVUPS(Mem{Base: rowp}, r[i])
		if i < 7 {
			ADDQ(lds, rowp)
		}
	}
	// Interleave pairs of rows, then pairs of pairs, then swap 128-bit
	// halves: column k of the block ends in register k.
	t := make([]VecVirtual, 8)
	for i := 0; i < 8; i += 2 {
		t[i], t[i+1] = YMM(), YMM()
		VUNPCKLPS(r[i+1], r[i], t[i])
		VUNPCKHPS(r[i+1], r[i], t[i+1])
	}
	sv := make([]VecVirtual, 8)
	for h := 0; h < 2; h++ { // rows 0-3, rows 4-7
		a, b, c, d := t[4*h], t[4*h+1], t[4*h+2], t[4*h+3]
		s0, s1, s2, s3 := YMM(), YMM(), YMM(), YMM()
		VSHUFPS(U8(0x44), c, a, s0)
		VSHUFPS(U8(0xEE), c, a, s1)
		VSHUFPS(U8(0x44), d, b, s2)
		VSHUFPS(U8(0xEE), d, b, s3)
		sv[4*h], sv[4*h+1], sv[4*h+2], sv[4*h+3] = s0, s1, s2, s3
	}
	MOVQ(dst, rowp)
	for k := 0; k < 8; k++ {
		o := YMM()
		imm := U8(0x20)
		if k >= 4 {
			imm = U8(0x31)
		}
		VPERM2F128(imm, sv[4+k%4], sv[k%4], o)
		VMOVUPS(o, Mem{Base: rowp})
		ADDQ(ldd, rowp)
	}
	MOVQ(rowp, dst)
	ADDQ(U32(32), src)
	DECQ(nb)
	JMP(LabelRef("tblock"))
	Label("tdone")
	VZEROUPPER()
	RET()
}
