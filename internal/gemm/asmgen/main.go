// Command asmgen writes the AVX2+FMA SGEMM micro-kernels of package gemm
// (internal/gemm/sgemm_amd64.s and their Go declarations).
//
// It lives in its own module so that the main module does not depend on
// avo. Run it through `go generate` in internal/gemm, or by hand:
//
//	cd internal/gemm/asmgen && go run . -out ../sgemm_amd64.s -stubs ../sgemm_amd64_stubs.go -pkg gemm
package main

import (
	"flag"
	"fmt"
	"math"

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

// set chooses the kernels of one run: "sgemm" (sgemm_amd64.s) or
// "dotrows" (dotrows_amd64.s, the few-row products with a prepared B).
var set = flag.String("set", "sgemm", "kernels to emit: sgemm or dotrows")

func main() {
	flag.Parse()
	ConstraintExpr("amd64,!noasm")
	if *set == "dotrows" {
		dotTile(1, 4)
		dotTile(2, 4)
		Generate()
		return
	}
	// The register tiles: rows × 8-float vectors. 6×2 (6×16) is the main
	// tile; 6×1 (6×8) serves the last, narrow column panel; 4×3 (4×24) is
	// kept for measurement.
	kernel(6, 2)
	kernel(6, 1)
	kernel(4, 3)
	mask6()
	colKernel(1)
	colKernel(2)
	packB16()
	packA6()
	dot()
	axpy4()
	sigmoid()
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

// mask6 is the VMASKMOVPS mask of the first six lanes of a ymm register.
var mask6Mem Mem

func mask6() {
	mask6Mem = GLOBL("mask6", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		v := uint32(0)
		if i < 6 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
}

// colKernel emits kern6xW (w = 1 or 2): the product of a packed A
// micro-panel (k steps of 6 values) and a packed B panel only w columns
// wide (k steps of w values), for the last, narrow panel of C. The six
// values of A at each step are one masked load and the w values of B are
// broadcast; four sets of accumulators hide the FMA latency. The result,
// column by column, goes to out (8 floats per column, the first six used).
func colKernel(w int) {
	name := fmt.Sprintf("kern6x%d", w)
	TEXT(name, NOSPLIT, "func(k int, a, b, out *float32)")
	Pragma("noescape")
	Doc(
		fmt.Sprintf("%s writes to out[8*q+i] (i < 6, q < %d) the product of a packed A", name, w),
		fmt.Sprintf("micro-panel (k steps of 6 values) and a packed B panel %d wide (k", w),
		fmt.Sprintf("steps of %d values), summed in four interleaved partial sums. It needs", w),
		"AVX2 and FMA.",
	)
	k := Load(Param("k"), GP64())
	a := Mem{Base: Load(Param("a"), GP64())}
	b := Mem{Base: Load(Param("b"), GP64())}
	mask := YMM()
	VMOVUPS(mask6Mem, mask)
	const sets = 4
	acc := make([][]VecVirtual, sets)
	for u := range acc {
		acc[u] = make([]VecVirtual, w)
		for q := range acc[u] {
			acc[u][q] = YMM()
			VXORPS(acc[u][q], acc[u][q], acc[u][q])
		}
	}
	step := func(u, set int) {
		av := YMM()
		VMASKMOVPS(a.Offset(4*6*u), mask, av)
		for q := 0; q < w; q++ {
			bv := YMM()
			VBROADCASTSS(b.Offset(4*(w*u+q)), bv)
			VFMADD231PS(av, bv, acc[set][q])
		}
	}
	n := GP64()
	MOVQ(k, n)
	SHRQ(U8(2), n)
	JZ(LabelRef(name + "_tail"))
	Label(name + "_loop")
	for u := 0; u < sets; u++ {
		step(u, u)
	}
	ADDQ(U32(4*6*sets), a.Base)
	ADDQ(U32(4*w*sets), b.Base)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_tail")
	ANDQ(U8(sets-1), k)
	JZ(LabelRef(name + "_sum"))
	Label(name + "_tailloop")
	step(0, 0)
	ADDQ(U32(4*6), a.Base)
	ADDQ(U32(4*w), b.Base)
	DECQ(k)
	JNZ(LabelRef(name + "_tailloop"))
	Label(name + "_sum")
	out := Load(Param("out"), GP64())
	for q := 0; q < w; q++ {
		VADDPS(acc[1][q], acc[0][q], acc[0][q])
		VADDPS(acc[3][q], acc[2][q], acc[2][q])
		VADDPS(acc[2][q], acc[0][q], acc[0][q])
		VMOVUPS(acc[0][q], Mem{Base: out, Disp: 32 * q})
	}
	VZEROUPPER()
	RET()
}

// dot emits sdot, the inner product of two float32 vectors in four ymm
// partial sums (plus a scalar one for the tail).
func dot() {
	TEXT("sdot", NOSPLIT, "func(n int, x, y *float32) float32")
	Pragma("noescape")
	Doc(
		"sdot returns the inner product of the n floats at x and y, summed in",
		"32 interleaved partial sums then a scalar tail. It needs AVX2 and FMA.",
	)
	n := Load(Param("n"), GP64())
	x := Mem{Base: Load(Param("x"), GP64())}
	y := Mem{Base: Load(Param("y"), GP64())}
	acc := make([]VecVirtual, 4)
	for i := range acc {
		acc[i] = YMM()
		VXORPS(acc[i], acc[i], acc[i])
	}
	blocks := GP64()
	MOVQ(n, blocks)
	SHRQ(U8(5), blocks)
	JZ(LabelRef("sdot_tail"))
	Label("sdot_loop")
	for i := 0; i < 4; i++ {
		t := YMM()
		VMOVUPS(x.Offset(32*i), t)
		VFMADD231PS(y.Offset(32*i), t, acc[i])
	}
	ADDQ(U8(128), x.Base)
	ADDQ(U8(128), y.Base)
	DECQ(blocks)
	JNZ(LabelRef("sdot_loop"))
	Label("sdot_tail")
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	hi := XMM()
	VEXTRACTF128(U8(1), acc[0], hi)
	lo := acc[0].AsX()
	VADDPS(hi, lo, lo)
	VHADDPS(lo, lo, lo)
	VHADDPS(lo, lo, lo)
	ANDQ(U8(31), n)
	JZ(LabelRef("sdot_done"))
	Label("sdot_scalar")
	t := XMM()
	VMOVSS(x, t)
	VFMADD231SS(y, t, lo)
	ADDQ(U8(4), x.Base)
	ADDQ(U8(4), y.Base)
	DECQ(n)
	JNZ(LabelRef("sdot_scalar"))
	Label("sdot_done")
	VZEROUPPER()
	Store(lo, ReturnIndex(0))
	RET()
}

// axpy4 emits saxpy4: dst += v0·r0 + v1·r1 + v2·r2 + v3·r3 over n floats,
// each element computed by the same chain of FMAs in the vector loop and
// in the scalar tail.
func axpy4() {
	TEXT("saxpy4", NOSPLIT, "func(n int, dst, r0, r1, r2, r3 *float32, v *[4]float32)")
	Pragma("noescape")
	Doc(
		"saxpy4 adds v[0]·r0[j] + v[1]·r1[j] + v[2]·r2[j] + v[3]·r3[j] to dst[j] for",
		"j < n, every element by the same chain of fused multiply-adds. It",
		"needs AVX2 and FMA.",
	)
	n := Load(Param("n"), GP64())
	dst := Load(Param("dst"), GP64())
	r := []Register{Load(Param("r0"), GP64()), Load(Param("r1"), GP64()), Load(Param("r2"), GP64()), Load(Param("r3"), GP64())}
	v := Load(Param("v"), GP64())
	vs := make([]VecVirtual, 4)
	for i := range vs {
		vs[i] = YMM()
		VBROADCASTSS(Mem{Base: v, Disp: 4 * i}, vs[i])
	}
	// i is the byte offset into all five vectors.
	i := GP64()
	XORQ(i, i)
	blocks := GP64()
	MOVQ(n, blocks)
	SHRQ(U8(3), blocks)
	JZ(LabelRef("saxpy4_tail"))
	Label("saxpy4_loop")
	{
		t := YMM()
		VMULPS(Mem{Base: r[0], Index: i, Scale: 1}, vs[0], t)
		for q := 1; q < 4; q++ {
			VFMADD231PS(Mem{Base: r[q], Index: i, Scale: 1}, vs[q], t)
		}
		VADDPS(Mem{Base: dst, Index: i, Scale: 1}, t, t)
		VMOVUPS(t, Mem{Base: dst, Index: i, Scale: 1})
	}
	ADDQ(U8(32), i)
	DECQ(blocks)
	JNZ(LabelRef("saxpy4_loop"))
	Label("saxpy4_tail")
	ANDQ(U8(7), n)
	JZ(LabelRef("saxpy4_done"))
	Label("saxpy4_scalar")
	{
		t := XMM()
		VMULSS(Mem{Base: r[0], Index: i, Scale: 1}, vs[0].AsX(), t)
		for q := 1; q < 4; q++ {
			VFMADD231SS(Mem{Base: r[q], Index: i, Scale: 1}, vs[q].AsX(), t)
		}
		VADDSS(Mem{Base: dst, Index: i, Scale: 1}, t, t)
		VMOVSS(t, Mem{Base: dst, Index: i, Scale: 1})
	}
	ADDQ(U8(4), i)
	DECQ(n)
	JNZ(LabelRef("saxpy4_scalar"))
	Label("saxpy4_done")
	VZEROUPPER()
	RET()
}

// sigmoid emits vsigmoid: x = 1/(1+exp(-x)) (or x·that for SiLU) over n
// floats, n a multiple of 8. exp(-x) is computed as 2^m·p(r) with -x =
// m·ln2 - r, |r| <= ln2/2, m rounded to nearest by adding 1.5·2^23 (whose
// low bits then hold m, shifted into an exponent) and p a minimax
// polynomial of degree 6 for exp(-r) (relative error 6e-9), x clamped to
// [-88, 87.33654] (no overflow of 2^m); NaN stays NaN. Four vectors go
// through the steps side by side: each is a long chain of dependent
// instructions, which alone would leave the units idle. The reciprocal is
// a division: on the CPUs measured, RCPPS with the two Newton steps that
// full accuracy needs was slower (the FMA units are the bottleneck). The
// constants are 8-float vectors read as memory operands.
func sigmoid() {
	// The minimax polynomial 1 + r + c2·r² + ... + c6·r⁶ ≈ exp(r) on
	// [-ln2/2, ln2/2], evaluated at -r (odd coefficients negated).
	const c2, c3, c4, c5, c6 = 0.49999997, 0.166665062, 0.0416670926, 0.00837029982, 0.00138934073
	vals := []float32{-88, 87.33654, 1.44269504088896341, 12582912, 0.693359375, -2.12194440e-4,
		c6, -c5, c4, -c3, c2, -1, 1}
	const (
		cLo = iota
		cHi
		cLog2e
		cMagic
		cLn2hi
		cLn2lo
		cPoly // c6, then the coefficients down to 1 (cOne)
	)
	const cOne = 12
	consts := GLOBL("sigconsts", RODATA|NOPTR)
	for i, v := range vals {
		for l := 0; l < 8; l++ {
			DATA(32*i+4*l, U32(math.Float32bits(v)))
		}
	}
	c := func(i int) Mem { return consts.Offset(32 * i) }
	// body computes the u vectors at xm(0), ..., xm(u-1), interleaved:
	// each vector is a long chain of dependent steps, and independent
	// chains side by side keep the FMA units busy. lo and hi hold the
	// clamp bounds.
	body := func(u int, label string, xm func(i int) Mem, silu Register, lo, hi VecVirtual) {
		t, k, p := make([]VecVirtual, u), make([]VecVirtual, u), make([]VecVirtual, u)
		for i := range t {
			t[i], k[i], p[i] = YMM(), YMM(), YMM()
		}
		each := func(f func(i int)) {
			for i := 0; i < u; i++ {
				f(i)
			}
		}
		each(func(i int) { VMAXPS(xm(i), lo, t[i]) }) // x is the second source: NaN passes
		each(func(i int) { VMINPS(t[i], hi, t[i]) })
		each(func(i int) { VMOVUPS(c(cLog2e), k[i]) })
		each(func(i int) { VFNMADD213PS(c(cMagic), t[i], k[i]) }) // k = 1.5·2^23 - x·log2e: m in the low bits
		each(func(i int) { VSUBPS(c(cMagic), k[i], p[i]) })       // p = m
		each(func(i int) { VFMADD231PS(c(cLn2hi), p[i], t[i]) })  // t = x + m·ln2 = -r
		each(func(i int) { VFMADD231PS(c(cLn2lo), p[i], t[i]) })
		each(func(i int) { VMOVUPS(c(cPoly), p[i]) })
		for j := cPoly + 1; j <= cOne; j++ {
			each(func(i int) { VFMADD213PS(c(j), t[i], p[i]) }) // p = p·t + c
		}
		each(func(i int) { VPSLLD(U8(23), k[i], k[i]) })
		each(func(i int) { VPADDD(c(cOne), k[i], k[i]) }) // 2^m: 1.0 has exponent bits 127<<23
		each(func(i int) { VMULPS(k[i], p[i], p[i]) })    // exp(-x)
		each(func(i int) { VADDPS(c(cOne), p[i], p[i]) }) // d = 1 + exp(-x)
		// y (in t) = 1/d.
		each(func(i int) { VMOVUPS(c(cOne), t[i]) })
		each(func(i int) { VDIVPS(p[i], t[i], t[i]) })
		TESTQ(silu, silu)
		JZ(LabelRef(label + "_store"))
		each(func(i int) { VMULPS(xm(i), t[i], t[i]) })
		Label(label + "_store")
		each(func(i int) { VMOVUPS(t[i], xm(i)) })
	}

	TEXT("vsigmoid", NOSPLIT, "func(n int, x *float32, silu int)")
	Pragma("noescape")
	Doc(
		"vsigmoid replaces each of the n floats at x (n a multiple of 8) by",
		"1/(1+exp(-x)), times x when silu is not 0. It needs AVX2 and FMA.",
	)
	n := Load(Param("n"), GP64())
	x := Load(Param("x"), GP64())
	silu := Load(Param("silu"), GP64())
	lo, hi := YMM(), YMM()
	VMOVUPS(c(cLo), lo)
	VMOVUPS(c(cHi), hi)
	at := func(i int) Mem { return Mem{Base: x, Disp: 32 * i} }
	// Four vectors at a time, then one at a time.
	SHRQ(U8(3), n)
	Label("vsigmoid_four")
	CMPQ(n, U8(4))
	JB(LabelRef("vsigmoid_one"))
	body(4, "vsigmoid_x4", at, silu, lo, hi)
	ADDQ(U8(128), x)
	SUBQ(U8(4), n)
	JMP(LabelRef("vsigmoid_four"))
	Label("vsigmoid_one")
	TESTQ(n, n)
	JZ(LabelRef("vsigmoid_done"))
	body(1, "vsigmoid_x1", at, silu, lo, hi)
	ADDQ(U8(32), x)
	DECQ(n)
	JMP(LabelRef("vsigmoid_one"))
	Label("vsigmoid_done")
	VZEROUPPER()
	RET()

	TEXT("vsigmoidRows16", NOSPLIT, "func(rows int, x *float32, ld int, silu int)")
	Pragma("noescape")
	Doc(
		"vsigmoidRows16 does what vsigmoid does to the first 16 floats of each",
		"of rows rows at x, ld floats apart (a tile of an epilogue), two rows",
		"at a time. It needs AVX2 and FMA.",
	)
	rows := Load(Param("rows"), GP64())
	x = Load(Param("x"), GP64())
	ld := Load(Param("ld"), GP64())
	silu = Load(Param("silu"), GP64())
	SHLQ(U8(2), ld) // bytes
	lo, hi = YMM(), YMM()
	VMOVUPS(c(cLo), lo)
	VMOVUPS(c(cHi), hi)
	two := func(i int) Mem {
		m := Mem{Base: x, Disp: 32 * (i % 2)}
		if i >= 2 {
			m = m.Idx(ld, 1)
		}
		return m
	}
	Label("vsigmoidrows_two")
	CMPQ(rows, U8(2))
	JB(LabelRef("vsigmoidrows_one"))
	body(4, "vsigmoidrows_x4", two, silu, lo, hi)
	LEAQ(Mem{Base: x, Index: ld, Scale: 2}, x)
	SUBQ(U8(2), rows)
	JMP(LabelRef("vsigmoidrows_two"))
	Label("vsigmoidrows_one")
	TESTQ(rows, rows)
	JZ(LabelRef("vsigmoidrows_done"))
	body(2, "vsigmoidrows_x2", two, silu, lo, hi)
	Label("vsigmoidrows_done")
	VZEROUPPER()
	RET()
}

// packA6 emits packA6: six rows of a row-major A, scaled by alpha, into a
// 6-row panel (for each column p, its six values), four columns at a time
// by 4×4 transposes.
func packA6() {
	TEXT("packA6", NOSPLIT, "func(kb int, a *float32, lda int, dst *float32, alpha float32)")
	Pragma("noescape")
	Doc(
		"packA6 writes alpha·a[r*lda+p] to dst[6*p+r] for r < 6 and p < kb. It",
		"needs AVX.",
	)
	kb := Load(Param("kb"), GP64())
	base := Load(Param("a"), GP64())
	ld := Load(Param("lda"), GP64())
	SHLQ(U8(2), ld)
	dst := Load(Param("dst"), GP64())
	alpha := XMM()
	VBROADCASTSS(NewParamAddr("alpha", 32), alpha)
	rows := make([]Register, 6)
	for r := range rows {
		rows[r] = GP64()
		if r == 0 {
			MOVQ(base, rows[r])
		} else {
			LEAQ(Mem{Base: rows[r-1], Index: ld, Scale: 1}, rows[r])
		}
	}
	n := GP64()
	MOVQ(kb, n)
	SHRQ(U8(2), n)
	JZ(LabelRef("packA6_tail"))
	Label("packA6_loop")
	{
		a := make([]VecVirtual, 6)
		for r := range a {
			a[r] = XMM()
			VMULPS(Mem{Base: rows[r]}, alpha, a[r])
		}
		t0, t1, t2, t3 := XMM(), XMM(), XMM(), XMM()
		VUNPCKLPS(a[1], a[0], t0) // a00 a10 a01 a11
		VUNPCKHPS(a[1], a[0], t1) // a02 a12 a03 a13
		VUNPCKLPS(a[3], a[2], t2) // a20 a30 a21 a31
		VUNPCKHPS(a[3], a[2], t3) // a22 a32 a23 a33
		u0, u1 := XMM(), XMM()
		VUNPCKLPS(a[5], a[4], u0) // a40 a50 a41 a51
		VUNPCKHPS(a[5], a[4], u1) // a42 a52 a43 a53
		p := XMM()
		VMOVLHPS(t2, t0, p) // a00 a10 a20 a30
		VMOVUPS(p, Mem{Base: dst})
		VMOVLPS(u0, Mem{Base: dst, Disp: 16})
		VMOVHLPS(t0, t2, p) // a01 a11 a21 a31
		VMOVUPS(p, Mem{Base: dst, Disp: 24})
		VMOVHPS(u0, Mem{Base: dst, Disp: 40})
		VMOVLHPS(t3, t1, p) // a02 a12 a22 a32
		VMOVUPS(p, Mem{Base: dst, Disp: 48})
		VMOVLPS(u1, Mem{Base: dst, Disp: 64})
		VMOVHLPS(t1, t3, p) // a03 a13 a23 a33
		VMOVUPS(p, Mem{Base: dst, Disp: 72})
		VMOVHPS(u1, Mem{Base: dst, Disp: 88})
	}
	for r := range rows {
		ADDQ(U8(16), rows[r])
	}
	ADDQ(U8(96), dst)
	DECQ(n)
	JNZ(LabelRef("packA6_loop"))
	Label("packA6_tail")
	ANDQ(U8(3), kb)
	JZ(LabelRef("packA6_done"))
	Label("packA6_scalar")
	for r := range rows {
		x := XMM()
		VMULSS(Mem{Base: rows[r]}, alpha, x)
		VMOVSS(x, Mem{Base: dst, Disp: 4 * r})
		ADDQ(U8(4), rows[r])
	}
	ADDQ(U8(24), dst)
	DECQ(kb)
	JNZ(LabelRef("packA6_scalar"))
	Label("packA6_done")
	RET()
}
