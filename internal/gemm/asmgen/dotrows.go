package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// dotTile emits sdotTile<r>x<c>: the r×c inner products of r rows of A
// (row stride lda floats) with c vectors of B (stride ldb floats), n floats
// each. Every product is summed the same way whatever r and c: one 8-lane
// partial sum over blocks of 8 floats, reduced pairwise to one float, then
// the last n mod 8 products added one by one. With one row the row's block
// is loaded once for the c vectors; with more, each row's and each
// vector's block are loaded once into registers. The c vectors of B are c streams from memory
// at once.
func dotTile(r, c int) {
	name := fmt.Sprintf("sdotTile%dx%d", r, c)
	TEXT(name, NOSPLIT, "func(n int, b *float32, ldb int, a *float32, lda int, out *float32)")
	Pragma("noescape")
	Doc(
		fmt.Sprintf("%s writes to out[4*i+j] (i < %d, j < %d) the inner product of the", name, r, c),
		"n floats of row i of A at a (rows lda floats apart) and the n floats",
		"of vector j of B at b (vectors ldb floats apart): one 8-lane partial",
		"sum over blocks of 8 floats, reduced pairwise, then the last n mod 8",
		"products added in order. Each product is summed the same way whatever",
		"the tile. It needs AVX2 and FMA.",
	)
	n := Load(Param("n"), GP64())
	bs := []Register{Load(Param("b"), GP64())}
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	for j := 1; j < c; j++ {
		p := GP64()
		LEAQ(Mem{Base: bs[j-1], Index: ldb, Scale: 1}, p)
		bs = append(bs, p)
	}
	as := []Register{Load(Param("a"), GP64())}
	if r > 1 {
		lda := Load(Param("lda"), GP64())
		SHLQ(U8(2), lda)
		for i := 1; i < r; i++ {
			p := GP64()
			LEAQ(Mem{Base: as[i-1], Index: lda, Scale: 1}, p)
			as = append(as, p)
		}
	}
	acc := make([][]VecVirtual, r)
	for i := range acc {
		acc[i] = make([]VecVirtual, c)
		for j := range acc[i] {
			acc[i][j] = YMM()
			VXORPS(acc[i][j], acc[i][j], acc[i][j])
		}
	}
	at := func(base Register, off Register) Mem { return Mem{Base: base, Index: off, Scale: 1} }
	// off is the byte offset into every row and vector.
	off := GP64()
	XORQ(off, off)
	blocks := GP64()
	MOVQ(n, blocks)
	SHRQ(U8(3), blocks)
	JZ(LabelRef(name + "_reduce"))
	Label(name + "_loop")
	if r == 1 {
		t := YMM()
		VMOVUPS(at(as[0], off), t)
		for j := range bs {
			VFMADD231PS(at(bs[j], off), t, acc[0][j])
		}
	} else {
		bv := make([]VecVirtual, c)
		for j := range bs {
			bv[j] = YMM()
			VMOVUPS(at(bs[j], off), bv[j])
		}
		for i := range as {
			t := YMM()
			VMOVUPS(at(as[i], off), t)
			for j := range bs {
				VFMADD231PS(bv[j], t, acc[i][j])
			}
		}
	}
	ADDQ(U8(32), off)
	DECQ(blocks)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_reduce")
	sums := make([][]Register, r)
	for i := range acc {
		sums[i] = make([]Register, c)
		for j := range acc[i] {
			hi := XMM()
			VEXTRACTF128(U8(1), acc[i][j], hi)
			lo := acc[i][j].AsX()
			VADDPS(hi, lo, lo)
			VHADDPS(lo, lo, lo)
			VHADDPS(lo, lo, lo)
			sums[i][j] = lo
		}
	}
	ANDQ(U8(7), n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_scalar")
	for j := range bs {
		t := XMM()
		VMOVSS(at(bs[j], off), t)
		for i := range as {
			VFMADD231SS(at(as[i], off), t, sums[i][j])
		}
	}
	ADDQ(U8(4), off)
	DECQ(n)
	JNZ(LabelRef(name + "_scalar"))
	Label(name + "_done")
	out := Load(Param("out"), GP64())
	for i := range sums {
		for j := range sums[i] {
			VMOVSS(sums[i][j], Mem{Base: out, Disp: 4 * (4*i + j)})
		}
	}
	VZEROUPPER()
	RET()
}
