// Command asmgen writes the AVX2+FMA depthwise convolution kernels of
// package conv (internal/kernels/conv/dwtaps_amd64.s and their Go
// declarations).
//
// It lives in its own module so that the main module does not depend on
// avo. Run it through `go generate` in internal/kernels/conv, or by hand:
//
//	cd internal/kernels/conv/asmgen && go run . -out ../dwtaps_amd64.s -stubs ../dwtaps_amd64_stubs.go -pkg conv
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!noasm")
	tailMask()
	dwConv()
	dwFill()
	dwSplitRows()
	Generate()
}

// maskMem is 8 all-ones lanes then 8 zero lanes: the 8 lanes read at
// element 8-n are the VMASKMOVPS mask of the first n lanes.
var maskMem Mem

func tailMask() {
	maskMem = GLOBL("dwmask", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
}

// dwConv emits the 2-D depthwise kernel: for each of rows output rows r
// and cols columns c,
//
//	dst[r*cols+c] = min(max(bias + Σ_t w[t]·src[r*ld+4c+offs[t]], lo), hi)
//
// with ld and offs in bytes. A row is done in blocks of 4, 2 and 1
// vectors over the taps; its last 1..7 columns as one vector whose store
// overruns into the next rows (rewritten after) or, where those do not
// hold the overrun (the last row), is masked. The tail reads up to 7 floats past the last column of src.
func dwConv() {
	TEXT("dwConv", NOSPLIT, "func(dst *float32, src *float32, offs *int, w *float32, ntaps int, rows int, cols int, ld int, bias float32, lo float32, hi float32)")
	Pragma("noescape")
	Doc(
		"dwConv sets dst[r*cols+c] = min(max(bias + Σ_t w[t]·src[r*ld/4+c+offs[t]/4], lo), hi)",
		"for r < rows, c < cols, t < ntaps (ntaps >= 1); ld and offs are in bytes. It",
		"reads up to 7 floats past the last column of each row of src, and needs",
		"AVX2 and FMA.",
	)
	dstRow := Load(Param("dst"), GP64())
	srcRow := Load(Param("src"), GP64())
	offs := Load(Param("offs"), GP64())
	w := Load(Param("w"), GP64())
	ntaps := Load(Param("ntaps"), GP64())
	rows := Load(Param("rows"), GP64())
	bias, lo, hi := YMM(), YMM(), YMM()
	VBROADCASTSS(NewParamAddr("bias", 64), bias)
	VBROADCASTSS(NewParamAddr("lo", 68), lo)
	VBROADCASTSS(NewParamAddr("hi", 72), hi)

	d, s, n, t, off := GP64(), GP64(), GP64(), GP64(), GP64()
	wv := YMM()
	acc := []VecVirtual{YMM(), YMM(), YMM(), YMM()}

	// block computes v vectors at s into acc[:v], clamped.
	block := func(name string, v int) {
		for i := 0; i < v; i++ {
			VMOVAPS(bias, acc[i])
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
		for i := 0; i < v; i++ {
			// NaN in acc stays NaN: VMAXPS/VMINPS return the second source
			// when either is NaN.
			VMAXPS(acc[i], lo, acc[i])
			VMINPS(acc[i], hi, acc[i])
		}
	}

	Label("row")
	TESTQ(rows, rows)
	JZ(LabelRef("done"))
	MOVQ(dstRow, d)
	MOVQ(srcRow, s)
	Load(Param("cols"), n)

	for _, v := range []int{4, 2, 1} {
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

// dwFill emits the row copy: rows rows of cols floats from src (row
// stride lds bytes) to dst (row stride ldd bytes).
func dwFill() {
	TEXT("dwFill", NOSPLIT, "func(dst *float32, src *float32, rows int, cols int, ldd int, lds int)")
	Pragma("noescape")
	Doc(
		"dwFill copies rows rows of cols floats from src (row stride lds bytes) to dst",
		"(row stride ldd bytes). It needs AVX.",
	)
	dstRow := Load(Param("dst"), GP64())
	srcRow := Load(Param("src"), GP64())
	rows := Load(Param("rows"), GP64())
	cols := Load(Param("cols"), GP64())
	ldd := Load(Param("ldd"), GP64())
	lds := Load(Param("lds"), GP64())
	d, s, n := GP64(), GP64(), GP64()
	v0, v1 := YMM(), YMM()
	x := XMM()
	Label("row")
	TESTQ(rows, rows)
	JZ(LabelRef("done"))
	MOVQ(dstRow, d)
	MOVQ(srcRow, s)
	MOVQ(cols, n)
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
	JL(LabelRef("one"))
	VMOVUPS(Mem{Base: s}, v0)
	VMOVUPS(v0, Mem{Base: d})
	ADDQ(U8(32), s)
	ADDQ(U8(32), d)
	SUBQ(U8(8), n)
	Label("one")
	TESTQ(n, n)
	JZ(LabelRef("rowend"))
	VMOVSS(Mem{Base: s}, x)
	VMOVSS(x, Mem{Base: d})
	ADDQ(U8(4), s)
	ADDQ(U8(4), d)
	DECQ(n)
	JMP(LabelRef("one"))
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
// for k < na and b[k] = src[2k+1] for k < nb, with np <= min(na, nb)
// pairs done as vectors.
func dwSplitRows() {
	TEXT("dwSplitRows", NOSPLIT, "func(a *float32, b *float32, src *float32, rows int, np int, na int, nb int, ldd int, lds int)")
	Pragma("noescape")
	Doc(
		"dwSplitRows sets, for each of rows rows, a[k] = src[2k] for k < na and",
		"b[k] = src[2k+1] for k < nb; np <= min(na, nb). a and b advance by ldd",
		"bytes a row, src by lds bytes. It needs AVX2.",
	)
	aRow := Load(Param("a"), GP64())
	bRow := Load(Param("b"), GP64())
	srcRow := Load(Param("src"), GP64())
	rows := Load(Param("rows"), GP64())
	pa, pb, s, k := GP64(), GP64(), GP64(), GP64()
	lo, hi, e, o := YMM(), YMM(), YMM(), YMM()
	x := XMM()
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
	// Per 128-bit lane: s0 s2 s8 s10 | s4 s6 s12 s14, then reorder the
	// 64-bit pairs to s0 s2 s4 s6 s8 s10 s12 s14.
	VSHUFPS(U8(0x88), hi, lo, e)
	VSHUFPS(U8(0xDD), hi, lo, o)
	VPERMPD(U8(0xD8), e, e)
	VPERMPD(U8(0xD8), o, o)
	VMOVUPS(e, Mem{Base: pa})
	VMOVUPS(o, Mem{Base: pb})
	ADDQ(U8(64), s)
	ADDQ(U8(32), pa)
	ADDQ(U8(32), pb)
	DECQ(k)
	JMP(LabelRef("pairs"))

	// The rest, one element at a time: k counts from the first pair not
	// done, as an index.
	Label("tail")
	Load(Param("np"), k)
	ANDQ(I8(-8), k)
	MOVQ(srcRow, s)
	Label("ta")
	CMPQ(k, NewParamAddr("na", 40))
	JGE(LabelRef("tb0"))
	VMOVSS(Mem{Base: s, Index: k, Scale: 8}, x)
	VMOVSS(x, Mem{Base: aRow, Index: k, Scale: 4})
	INCQ(k)
	JMP(LabelRef("ta"))
	Label("tb0")
	Load(Param("np"), k)
	ANDQ(I8(-8), k)
	Label("tb")
	CMPQ(k, NewParamAddr("nb", 48))
	JGE(LabelRef("rowend"))
	VMOVSS(Mem{Base: s, Index: k, Scale: 8, Disp: 4}, x)
	VMOVSS(x, Mem{Base: bRow, Index: k, Scale: 4})
	INCQ(k)
	JMP(LabelRef("tb"))

	Label("rowend")
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
