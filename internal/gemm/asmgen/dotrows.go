package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// dotRows emits sdotRows<r>: the inner products of r rows of A (row stride
// lda floats) with one vector b of n floats. Every row is summed the same
// way whatever r: two 8-lane partial sums over blocks of 16 floats (the
// first also takes a last block of 8), added lane-wise, reduced
// pairwise to one float, then the last n mod 8 products added one by one.
// b is loaded once per block for all r rows.
func dotRows(r int) {
	name := fmt.Sprintf("sdotRows%d", r)
	TEXT(name, NOSPLIT, "func(n int, b, a *float32, lda int, out *float32)")
	Pragma("noescape")
	Doc(
		fmt.Sprintf("%s writes to out[i] (i < %d) the inner product of the n floats at b", name, r),
		"and the n floats of row i of A at a (rows lda floats apart): two",
		"8-lane partial sums over blocks of 16 floats, the first also taking a",
		"last block of 8, added and reduced pairwise, then the last n mod 8",
		"products added in order. Each row is summed the same way whatever the",
		"number of rows. It needs AVX2 and FMA.",
	)
	n := Load(Param("n"), GP64())
	b := Load(Param("b"), GP64())
	rows := []Register{Load(Param("a"), GP64())}
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(2), lda)
	for i := 1; i < r; i++ {
		ri := GP64()
		LEAQ(Mem{Base: rows[i-1], Index: lda, Scale: 1}, ri)
		rows = append(rows, ri)
	}
	acc := make([][2]VecVirtual, r)
	for i := range acc {
		for h := range acc[i] {
			acc[i][h] = YMM()
			VXORPS(acc[i][h], acc[i][h], acc[i][h])
		}
	}
	// off is the byte offset into b and every row.
	off := GP64()
	XORQ(off, off)
	blocks := GP64()
	MOVQ(n, blocks)
	SHRQ(U8(4), blocks)
	JZ(LabelRef(name + "_eight"))
	Label(name + "_loop")
	{
		b0, b1 := YMM(), YMM()
		VMOVUPS(Mem{Base: b, Index: off, Scale: 1}, b0)
		VMOVUPS(Mem{Base: b, Index: off, Scale: 1, Disp: 32}, b1)
		for i := range rows {
			VFMADD231PS(Mem{Base: rows[i], Index: off, Scale: 1}, b0, acc[i][0])
			VFMADD231PS(Mem{Base: rows[i], Index: off, Scale: 1, Disp: 32}, b1, acc[i][1])
		}
	}
	ADDQ(U8(64), off)
	DECQ(blocks)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_eight")
	TESTQ(U32(8), n)
	JZ(LabelRef(name + "_reduce"))
	{
		b0 := YMM()
		VMOVUPS(Mem{Base: b, Index: off, Scale: 1}, b0)
		for i := range rows {
			VFMADD231PS(Mem{Base: rows[i], Index: off, Scale: 1}, b0, acc[i][0])
		}
	}
	ADDQ(U8(32), off)
	Label(name + "_reduce")
	sums := make([]Register, r)
	for i := range rows {
		VADDPS(acc[i][1], acc[i][0], acc[i][0])
		hi := XMM()
		VEXTRACTF128(U8(1), acc[i][0], hi)
		lo := acc[i][0].AsX()
		VADDPS(hi, lo, lo)
		VHADDPS(lo, lo, lo)
		VHADDPS(lo, lo, lo)
		sums[i] = lo
	}
	ANDQ(U8(7), n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_scalar")
	{
		t := XMM()
		VMOVSS(Mem{Base: b, Index: off, Scale: 1}, t)
		for i := range rows {
			VFMADD231SS(Mem{Base: rows[i], Index: off, Scale: 1}, t, sums[i])
		}
	}
	ADDQ(U8(4), off)
	DECQ(n)
	JNZ(LabelRef(name + "_scalar"))
	Label(name + "_done")
	out := Load(Param("out"), GP64())
	for i := range rows {
		VMOVSS(sums[i], Mem{Base: out, Disp: 4 * i})
	}
	VZEROUPPER()
	RET()
}
