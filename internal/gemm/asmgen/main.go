// Command asmgen writes the AVX2+FMA SGEMM micro-kernels of package gemm
// (internal/gemm/sgemm_amd64.s and their Go declarations).
//
// It lives in its own module so that the main module does not depend on
// avo. Run it through `go generate` in internal/gemm, or by hand:
//
//	cd internal/gemm/asmgen && go run . -out ../sgemm_amd64.s -stubs ../sgemm_amd64_stubs.go -pkg gemm
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// unroll is the number of k steps per iteration of the main loop.
const unroll = 8

// The flags of package gemm's tileEp, whose layout is
// {flags uintptr; bias, res *float32; ldr int; lo, hi float32}.
const (
	epBiasRow = 1 << iota
	epBiasCol
	epResidual
	epClamp
)

func main() {
	ConstraintExpr("amd64,!noasm")
	// The register tiles: rows × 8-float vectors. 6×2 (6×16) is the main
	// tile; 6×1 (6×8) serves the last, narrow column panel; 4×3 (4×24) is
	// kept for measurement.
	kernel(6, 2)
	kernel(6, 1)
	kernel(4, 3)
	packB16()
	Generate()
}

// packB16 emits packB16, the copy of row-major B rows into 16-column
// panels.
func packB16() {
	TEXT("packB16", NOSPLIT, "func(kb int, src *float32, ldb int, dst *float32, panels int)")
	Pragma("noescape")
	Doc(
		"packB16 copies panels×16 columns of kb rows of a row-major matrix at src",
		"(row stride ldb) into panels of 16 columns at dst: panel j holds, for",
		"each row p, its 16 values at dst[j*16*kb+p*16:]. It needs AVX.",
	)
	kb := Load(Param("kb"), GP64())
	src := Load(Param("src"), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	dst := Load(Param("dst"), GP64())
	panels := Load(Param("panels"), GP64())
	pstride := GP64()
	MOVQ(kb, pstride)
	SHLQ(U8(6), pstride) // bytes per panel: kb*16*4
	TESTQ(kb, kb)
	JZ(LabelRef("packB16_done"))
	TESTQ(panels, panels)
	JZ(LabelRef("packB16_done"))
	Label("packB16_row")
	s, d, n := GP64(), GP64(), GP64()
	MOVQ(src, s)
	MOVQ(dst, d)
	MOVQ(panels, n)
	Label("packB16_panel")
	x0, x1 := YMM(), YMM()
	VMOVUPS(Mem{Base: s}, x0)
	VMOVUPS(Mem{Base: s, Disp: 32}, x1)
	VMOVUPS(x0, Mem{Base: d})
	VMOVUPS(x1, Mem{Base: d, Disp: 32})
	ADDQ(U8(64), s)
	ADDQ(pstride, d)
	DECQ(n)
	JNZ(LabelRef("packB16_panel"))
	ADDQ(ldb, src)
	ADDQ(U8(64), dst)
	DECQ(kb)
	JNZ(LabelRef("packB16_row"))
	VZEROUPPER()
	Label("packB16_done")
	RET()
}

// kernel emits kernMRxNR: the product of a packed A micro-panel (k×mr, mr
// values per step) and a packed B micro-panel (k×nr, nr values per step),
// with nr = 8*nv, written into the mr×nr tile at c (row stride ldc): c = acc
// when load is 0, c = acc + beta*c (one rounding, FMA) otherwise.
func kernel(mr, nv int) {
	nr := 8 * nv
	name := fmt.Sprintf("kern%dx%d", mr, nr)
	TEXT(name, NOSPLIT, "func(k int, a, b, c *float32, ldc int, beta float32, load int, ep *uintptr)")
	Pragma("noescape")
	Doc(
		fmt.Sprintf("%s adds the product of a packed A micro-panel (k steps of %d", name, mr),
		fmt.Sprintf("values) and a packed B micro-panel (k steps of %d values) into the", nr),
		fmt.Sprintf("%d×%d tile at c with row stride ldc: c = AB when load is 0, c = AB +", mr, nr),
		"beta*c (fused multiply-add) otherwise; then it applies the epilogue at",
		"ep (the flags field of a tileEp) to the tile before storing it. It",
		"needs AVX2 and FMA.",
	)
	k := Load(Param("k"), GP64())
	a := Mem{Base: Load(Param("a"), GP64())}
	b := Mem{Base: Load(Param("b"), GP64())}

	// Prefetch the C tile: it is read at the end and often comes from L3.
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	{
		row := GP64()
		MOVQ(c, row)
		for i := 0; i < mr; i++ {
			PREFETCHT0(Mem{Base: row})
			PREFETCHT0(Mem{Base: row, Disp: 4*nr - 4})
			if i < mr-1 {
				ADDQ(ldc, row)
			}
		}
	}

	acc := make([][]VecVirtual, mr)
	for i := range acc {
		acc[i] = make([]VecVirtual, nv)
		for v := range acc[i] {
			acc[i][v] = YMM()
			VXORPS(acc[i][v], acc[i][v], acc[i][v])
		}
	}

	// step emits one k step at offset u (in steps) from a and b.
	step := func(u int) {
		bv := make([]VecVirtual, nv)
		for v := range bv {
			bv[v] = YMM()
			VMOVUPS(b.Offset(4*(u*nr+8*v)), bv[v])
		}
		for i := 0; i < mr; i++ {
			av := YMM()
			VBROADCASTSS(a.Offset(4*(u*mr+i)), av)
			for v := 0; v < nv; v++ {
				VFMADD231PS(bv[v], av, acc[i][v])
			}
		}
	}

	n := GP64()
	MOVQ(k, n)
	SHRQ(U8(bits(unroll)), n)
	JZ(LabelRef(name + "_tail"))
	Label(name + "_loop")
	for u := 0; u < unroll; u++ {
		step(u)
	}
	ADDQ(U32(4*unroll*mr), a.Base)
	ADDQ(U32(4*unroll*nr), b.Base)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))

	Label(name + "_tail")
	ANDQ(U8(unroll-1), k)
	JZ(LabelRef(name + "_store"))
	Label(name + "_tailloop")
	step(0)
	ADDQ(U32(4*mr), a.Base)
	ADDQ(U32(4*nr), b.Base)
	DECQ(k)
	JNZ(LabelRef(name + "_tailloop"))

	Label(name + "_store")
	load := Load(Param("load"), GP64())
	TESTQ(load, load)
	JZ(LabelRef(name + "_epilogue"))
	{
		beta := YMM()
		VBROADCASTSS(Load(Param("beta"), XMM()), beta)
		row := GP64()
		MOVQ(c, row)
		for i := 0; i < mr; i++ {
			for v := 0; v < nv; v++ {
				VFMADD231PS(Mem{Base: row, Disp: 32 * v}, beta, acc[i][v])
			}
			if i < mr-1 {
				ADDQ(ldc, row)
			}
		}
	}

	// The fused epilogue (see tileEp in package gemm): bias per row or
	// per column, residual, then a clamp to [lo, hi].
	Label(name + "_epilogue")
	ep := Load(Param("ep"), GP64())
	flags := GP64()
	MOVQ(Mem{Base: ep}, flags)
	TESTQ(flags, flags)
	JZ(LabelRef(name + "_write"))

	TESTQ(U32(epBiasRow), flags)
	JZ(LabelRef(name + "_biascol"))
	{
		bias := GP64()
		MOVQ(Mem{Base: ep, Disp: 8}, bias)
		for i := 0; i < mr; i++ {
			t := YMM()
			VBROADCASTSS(Mem{Base: bias, Disp: 4 * i}, t)
			for v := 0; v < nv; v++ {
				VADDPS(t, acc[i][v], acc[i][v])
			}
		}
	}
	Label(name + "_biascol")
	TESTQ(U32(epBiasCol), flags)
	JZ(LabelRef(name + "_residual"))
	{
		bias := GP64()
		MOVQ(Mem{Base: ep, Disp: 8}, bias)
		for v := 0; v < nv; v++ {
			t := YMM()
			VMOVUPS(Mem{Base: bias, Disp: 32 * v}, t)
			for i := 0; i < mr; i++ {
				VADDPS(t, acc[i][v], acc[i][v])
			}
		}
	}
	Label(name + "_residual")
	TESTQ(U32(epResidual), flags)
	JZ(LabelRef(name + "_clamp"))
	{
		res, ldr := GP64(), GP64()
		MOVQ(Mem{Base: ep, Disp: 16}, res)
		MOVQ(Mem{Base: ep, Disp: 24}, ldr)
		SHLQ(U8(2), ldr)
		for i := 0; i < mr; i++ {
			for v := 0; v < nv; v++ {
				VADDPS(Mem{Base: res, Disp: 32 * v}, acc[i][v], acc[i][v])
			}
			if i < mr-1 {
				ADDQ(ldr, res)
			}
		}
	}
	Label(name + "_clamp")
	TESTQ(U32(epClamp), flags)
	JZ(LabelRef(name + "_write"))
	{
		lo, hi := YMM(), YMM()
		VBROADCASTSS(Mem{Base: ep, Disp: 32}, lo)
		VBROADCASTSS(Mem{Base: ep, Disp: 36}, hi)
		for i := 0; i < mr; i++ {
			for v := 0; v < nv; v++ {
				// max(lo, x) then min(hi, x) with x as the second
				// source, so that a NaN passes through.
				VMAXPS(acc[i][v], lo, acc[i][v])
				VMINPS(acc[i][v], hi, acc[i][v])
			}
		}
	}

	Label(name + "_write")
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VMOVUPS(acc[i][v], Mem{Base: c, Disp: 32 * v})
		}
		if i < mr-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

// bits returns log2 of a power of two.
func bits(x int) int {
	n := 0
	for x > 1 {
		x >>= 1
		n++
	}
	return n
}
