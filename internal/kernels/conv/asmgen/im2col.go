package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The im2col fill of package conv (see im2colFill in im2colpanels.go):
// the columns of a convolution's input patches written straight into the
// GEMM's 16-wide B panels.

// iotaMem holds the int32 lanes 0..15; evenMem 8 lanes, the even ones
// all ones.
var iotaMem, evenMem Mem

// permMem holds, for each stride s in 3..maxStride, the 8 int32 lanes
// (l·s) mod 8: where lane l of a stride-s run finds its float in the
// vector that holds it.
var permMem Mem

// perm4Mem holds the int32 lanes 0 4 1 5 2 6 3 7: the order of the
// floats of a stride-4 half after its unpacks.
var perm4Mem Mem

// maxStride is the greatest row stride of the strided kinds.
const maxStride = 8

func fillConsts() {
	perm4Mem = GLOBL("fillperm4", RODATA|NOPTR)
	for i, v := range []uint32{0, 4, 1, 5, 2, 6, 3, 7} {
		DATA(4*i, U32(v))
	}
	permMem = GLOBL("fillperm", RODATA|NOPTR)
	for st := 3; st <= maxStride; st++ {
		for l := 0; l < 8; l++ {
			DATA(4*(8*(st-3)+l), U32(uint32(l*st%8)))
		}
	}
	iotaMem = GLOBL("filliota", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(uint32(i)))
	}
	evenMem = GLOBL("filleven", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		v := uint32(0)
		if i%2 == 0 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
}

// Offsets in bytes of the fields of a segment (fillPanelSeg) and of the
// dims (id, ih, iw, sw).
const (
	sgOff    = 0
	sgPW     = 8
	sgWithin = 16
	sgN      = 24
	sgZ0     = 32
	sgY0     = 40
	sgX0     = 48
	sgBase   = 56
	sgKind   = 64
	sgLim    = 72
	sgSize   = 104

	dmID = 0
	dmIH = 8
	dmIW = 16
	dmSW = 24
)

// Segment kinds: a whole panel row from one input run with stride 1 or
// 2 (plain loads where the run lies inside the input row), or part of
// one (masked loads). Masked loads, unlike gathers, are fast on every
// AVX2 CPU.
const (
	kindFull1 = 1
	kindFull2 = 2
	kindPart1 = 3
	kindPart2 = 4
	// kindSkip is a run left to the Go fill: only the zeros of a
	// panel's first run are written.
	kindSkip = 7
	// kindStrided+s is a run of stride s in 3..maxStride, whose loads
	// (from within lanes back) the caller has checked stay inside x.
	kindStrided = 8
)

// im2colPanels emits the fill of B panels from a list of segments. A
// segment is a run of output positions in one panel and one output row;
// for each row p of the block (each kernel tap of each channel) it
// writes the 16 lanes of panel row p: its own lanes within..within+n
// with the input values (0 in the padding) and, when it is the first of
// its panel (within 0), zeros in the others; a later segment ORs its
// lanes into the row. A panel row is stored as two whole vectors even
// when the panel is narrower (its rows pw apart): the overrun lands in
// the next row, written after, or past the last row.
func im2colPanels() {
	TEXT("im2colPanels", NOSPLIT, "func(dst *float32, x *float32, rows *int, kb int, segs *int, nseg int, dims *int)")
	Pragma("noescape")
	Doc(
		"im2colPanels writes, for each segment s of segs[:nseg] and row p < kb (rows[p]",
		"= dz, dy, dx, off), lanes l in [within, within+n) of the 16 floats at",
		"dst[s.off+p·s.pw] with x[s.base+off+(l-within)·sw] where the tap's input",
		"(z0+dz, y0+dy, x0+dx+(l-within)·sw) lies inside id×ih×iw (dims = id, ih,",
		"iw, sw), else 0; a segment with within 0 sets the other lanes to 0, any",
		"other ORs its lanes into them. s.lim is (id, ih, iw-span, ·), span the",
		"elements the run's row covers past its first (31 for a whole row of",
		"stride 2). It needs AVX2.",
	)
	sp := Load(Param("segs"), GP64())
	nseg := Load(Param("nseg"), GP64())
	dims := Load(Param("dims"), GP64())

	iwv, minus1 := YMM(), YMM()
	VPBROADCASTD(Mem{Base: dims, Disp: dmIW}, iwv)
	VPCMPEQD(minus1, minus1, minus1)

	Label("seg")
	TESTQ(nseg, nseg)
	JZ(LabelRef("done"))

	// Per segment: the lanes' offsets L = (lane-within)·sw from the run's
	// first element and the lane range mask R = within <= lane < within+n.
	L := []VecVirtual{YMM(), YMM()}
	R := []VecVirtual{YMM(), YMM()}
	{
		wv, nv, swv, io, t := YMM(), YMM(), YMM(), YMM(), YMM()
		VPBROADCASTD(Mem{Base: sp, Disp: sgWithin}, wv)
		VPBROADCASTD(Mem{Base: sp, Disp: sgN}, nv)
		VPADDD(wv, nv, nv)
		VPBROADCASTD(Mem{Base: dims, Disp: dmSW}, swv)
		for h := 0; h < 2; h++ {
			VMOVDQU(iotaMem.Offset(32*h), io)
			VPSUBD(wv, io, L[h])
			VPMULLD(swv, L[h], L[h])
			VPCMPGTD(io, wv, t) // within > lane
			VPCMPGTD(io, nv, R[h])
			VPANDN(R[h], t, R[h])
		}
	}
	rp, cnt, dp, pwB := GP64(), GP64(), GP64(), GP64()
	Load(Param("rows"), rp)
	Load(Param("kb"), cnt)
	MOVQ(Mem{Base: sp, Disp: sgOff}, dp)
	SHLQ(U8(2), dp)
	ADDQ(NewParamAddr("dst", 0), dp)
	MOVQ(Mem{Base: sp, Disp: sgPW}, pwB)
	SHLQ(U8(2), pwB)
	kind := GP64()
	MOVQ(Mem{Base: sp, Disp: sgKind}, kind)
	for _, k := range []int{kindFull1, kindFull2, kindPart1} {
		CMPQ(kind, U8(k))
		JE(LabelRef(fmt.Sprintf("k%d", k)))
	}
	CMPQ(kind, U8(kindSkip))
	JE(LabelRef("kskip"))
	for st := 3; st <= maxStride; st++ {
		CMPQ(kind, U8(kindStrided+st))
		JE(LabelRef(fmt.Sprintf("ks%d", st)))
	}
	for _, k := range []int{kindPart2, kindFull1, kindFull2, kindPart1} {
		Label(fmt.Sprintf("k%d", k))
		fillRows(fmt.Sprintf("k%d", k), k, sp, dims, rp, cnt, dp, pwB, L, R, iwv, minus1)
		JMP(LabelRef("next"))
	}
	for st := 3; st <= maxStride; st++ {
		Label(fmt.Sprintf("ks%d", st))
		fillRowsStrided(fmt.Sprintf("ks%d", st), st, sp, rp, cnt, dp, pwB, L, R, iwv, minus1)
		JMP(LabelRef("next"))
	}
	Label("kskip")
	fillRowsSkip(sp, cnt, dp, pwB)
	Label("next")
	ADDQ(U8(sgSize), sp)
	DECQ(nseg)
	JMP(LabelRef("seg"))
	Label("done")
	VZEROUPPER()
	RET()
}

// expand2 sets v[0..3] to the masks of the 32 floats a stride-2 run
// loads for the lanes in m: float e is loaded when lane e/2 is in m and e
// is even.
func expand2(m []VecVirtual, v []VecVirtual) {
	even := YMM()
	VMOVDQU(evenMem, even)
	for h := 0; h < 2; h++ {
		hi := YMM()
		VEXTRACTI128(U8(1), m[h], hi.AsX())
		VPMOVSXDQ(m[h].AsX(), v[2*h])
		VPMOVSXDQ(hi.AsX(), v[2*h+1])
	}
	for i := range v {
		VPAND(even, v[i], v[i])
	}
}

// fillRows emits the loop over the kb rows of one segment of the given
// kind.
func fillRows(name string, kind int, sp, dims, rp, cnt, dp, pwB Register, L, R []VecVirtual, iwv, minus1 VecVirtual) {
	t, s, sbase := GP64(), GP64(), GP64()
	a0, a1 := YMM(), YMM()
	first := GP64()
	// first: within == 0.
	MOVQ(Mem{Base: sp, Disp: sgWithin}, first)
	// The row's tap (dz, dy, dx, off) plus the segment's (z0, y0, x0,
	// base) is checked against lim in one go: z and y inside the input
	// (bits 0 and 1) and the run's elements too (bit 2).
	segv, limv := YMM(), YMM()
	VMOVDQU(Mem{Base: sp, Disp: sgZ0}, segv)
	VMOVDQU(Mem{Base: sp, Disp: sgLim}, limv)
	MOVQ(Mem{Base: sp, Disp: sgBase}, sbase)
	SHLQ(U8(2), sbase)
	ADDQ(NewParamAddr("x", 8), sbase)
	// A stride-2 part of a row keeps the masks of its lanes' floats on
	// the stack.
	var e2 Mem
	if kind == kindPart2 {
		e2 = AllocLocal(128)
		v := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
		expand2(R, v)
		for i := range v {
			VMOVDQU(v[i], e2.Offset(32*i))
		}
	}
	Label(name + "_row")
	{
		v, g := YMM(), YMM()
		VPADDQ(Mem{Base: rp}, segv, v)
		VPCMPGTQ(minus1, v, g) // v >= 0
		VPCMPGTQ(v, limv, v)   // lim > v
		VPAND(v, g, g)
		VMOVMSKPD(g, t.As32())
	}
	// s is the address of input element x0+dx of the row (which may lie
	// outside it).
	MOVQ(Mem{Base: rp, Disp: 24}, s)
	LEAQ(Mem{Base: sbase, Index: s, Scale: 4}, s)
	{
		ANDL(U8(7), t.As32())
		CMPL(t.As32(), U8(7))
		JNE(LabelRef(name + "_part"))
		switch kind {
		case kindPart2:
			// Inside the row: the even floats of the lanes in R, from
			// 2·within floats back.
			u := GP64()
			MOVQ(first, u)
			SHLQ(U8(3), u)
			NEGQ(u)
			v := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
			for i := range v {
				VMOVDQU(e2.Offset(32*i), v[i])
				VMASKMOVPS(Mem{Base: s, Index: u, Scale: 1, Disp: 32 * i}, v[i], v[i])
			}
			VSHUFPS(U8(0x88), v[1], v[0], a0)
			VSHUFPS(U8(0x88), v[3], v[2], a1)
			VPERMPD(U8(0xD8), a0, a0)
			VPERMPD(U8(0xD8), a1, a1)
			TESTQ(first, first)
			JZ(LabelRef(name + "_store"))
			VORPS(Mem{Base: dp}, a0, a0)
			VORPS(Mem{Base: dp, Disp: 32}, a1, a1)
			JMP(LabelRef(name + "_store"))
		case kindPart1:
			// Inside the row: the lanes in R, from within floats back.
			u := GP64()
			MOVQ(first, u)
			SHLQ(U8(2), u)
			NEGQ(u)
			VMASKMOVPS(Mem{Base: s, Index: u, Scale: 1}, R[0], a0)
			VMASKMOVPS(Mem{Base: s, Index: u, Scale: 1, Disp: 32}, R[1], a1)
			TESTQ(first, first)
			JZ(LabelRef(name + "_store"))
			VORPS(Mem{Base: dp}, a0, a0)
			VORPS(Mem{Base: dp, Disp: 32}, a1, a1)
			JMP(LabelRef(name + "_store"))
		case kindFull1:
			VMOVUPS(Mem{Base: s}, a0)
			VMOVUPS(Mem{Base: s, Disp: 32}, a1)
		case kindFull2:
			v := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
			for i := range v {
				VMOVUPS(Mem{Base: s, Disp: 32 * i}, v[i])
			}
			// Per 128-bit lane s0 s2 s8 s10 | s4 s6 s12 s14, then the
			// 64-bit pairs in order.
			VSHUFPS(U8(0x88), v[1], v[0], a0)
			VSHUFPS(U8(0x88), v[3], v[2], a1)
			VPERMPD(U8(0xD8), a0, a0)
			VPERMPD(U8(0xD8), a1, a1)
		}
		// A whole-row segment is alone in its panel.
		VMOVUPS(a0, Mem{Base: dp})
		VMOVUPS(a1, Mem{Base: dp, Disp: 32})
		JMP(LabelRef(name + "_end"))
		Label(name + "_part")
		ANDL(U8(3), t.As32())
		CMPL(t.As32(), U8(3))
	}
	JNE(LabelRef(name + "_skip"))
	MOVQ(Mem{Base: sp, Disp: sgX0}, t)
	ADDQ(Mem{Base: rp, Disp: 16}, t)
	// The lanes that read the row: in R, and 0 <= t+L < iw.
	xv, m0, m1 := YMM(), YMM(), YMM()
	m := []VecVirtual{m0, m1}
	VMOVQ(t, xv.AsX())
	VPBROADCASTD(xv.AsX(), xv)
	for h := 0; h < 2; h++ {
		p := YMM()
		VPADDD(L[h], xv, p)
		VPCMPGTD(minus1, p, m[h]) // p >= 0
		VPCMPGTD(p, iwv, p)       // iw > p
		VPAND(p, m[h], m[h])
		VPAND(R[h], m[h], m[h])
	}
	switch kind {
	case kindFull2, kindPart2:
		// Lane l reads element t+2(l-within): the 32 floats from 2·within
		// back, the even ones of the lanes in m, then the even elements
		// picked as in the whole-row case.
		u := GP64()
		MOVQ(first, u)
		SHLQ(U8(3), u)
		SUBQ(u, s)
		v := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
		expand2(m, v)
		for i := range v {
			VMASKMOVPS(Mem{Base: s, Disp: 32 * i}, v[i], v[i])
		}
		VSHUFPS(U8(0x88), v[1], v[0], a0)
		VSHUFPS(U8(0x88), v[3], v[2], a1)
		VPERMPD(U8(0xD8), a0, a0)
		VPERMPD(U8(0xD8), a1, a1)
	default:
		// Lane l reads element t+l-within: start within floats back.
		u := GP64()
		MOVQ(first, u)
		SHLQ(U8(2), u)
		SUBQ(u, s)
		VMASKMOVPS(Mem{Base: s}, m0, a0)
		VMASKMOVPS(Mem{Base: s, Disp: 32}, m1, a1)
	}
	TESTQ(first, first)
	JZ(LabelRef(name + "_store"))
	VORPS(Mem{Base: dp}, a0, a0)
	VORPS(Mem{Base: dp, Disp: 32}, a1, a1)
	Label(name + "_store")
	VMOVUPS(a0, Mem{Base: dp})
	VMOVUPS(a1, Mem{Base: dp, Disp: 32})
	JMP(LabelRef(name + "_end"))

	// The tap's input plane or row lies in the padding: zeros, which only
	// the panel's first segment writes.
	Label(name + "_skip")
	TESTQ(first, first)
	JNZ(LabelRef(name + "_end"))
	VXORPS(a0, a0, a0)
	VMOVUPS(a0, Mem{Base: dp})
	VMOVUPS(a0, Mem{Base: dp, Disp: 32})

	Label(name + "_end")
	ADDQ(U8(32), rp)
	ADDQ(pwB, dp)
	DECQ(cnt)
	JNZ(LabelRef(name + "_row"))
}

// fillRowsSkip emits the loop over the kb rows of a segment left to the
// Go fill: zeros in all 16 lanes when it is the first of its panel (the
// Go fill then writes its lanes), nothing otherwise.
func fillRowsSkip(sp, cnt, dp, pwB Register) {
	CMPQ(Mem{Base: sp, Disp: sgWithin}, U8(0))
	JNE(LabelRef("kskip_end"))
	z := YMM()
	VXORPS(z, z, z)
	Label("kskip_row")
	VMOVUPS(z, Mem{Base: dp})
	VMOVUPS(z, Mem{Base: dp, Disp: 32})
	ADDQ(pwB, dp)
	DECQ(cnt)
	JNZ(LabelRef("kskip_row"))
	Label("kskip_end")
}

// fillRowsStrided emits the loop over the kb rows of a segment of row
// stride st (3..maxStride). Lane l reads element (l-within)·st of the
// run: each 8-lane half loads the vectors that cover its 7·st+1 floats
// from within lanes back, permutes each by (l·st) mod 8 and blends in
// the lanes whose float it holds; then the lanes not in the run (or,
// for a run crossing the row's ends, not inside the row) are cleared.
// Every load lies inside x (the caller checks), so the floats of other
// lanes are only discarded.
func fillRowsStrided(name string, st int, sp, rp, cnt, dp, pwB Register, L, R []VecVirtual, iwv, minus1 VecVirtual) {
	t, s, sbase, u, first := GP64(), GP64(), GP64(), GP64(), GP64()
	a := []VecVirtual{YMM(), YMM()}
	MOVQ(Mem{Base: sp, Disp: sgWithin}, first)
	segv, limv, perm := YMM(), YMM(), YMM()
	VMOVDQU(Mem{Base: sp, Disp: sgZ0}, segv)
	VMOVDQU(Mem{Base: sp, Disp: sgLim}, limv)
	if st == 4 {
		VMOVDQU(perm4Mem, perm)
	} else {
		VMOVDQU(permMem.Offset(32*(st-3)), perm)
	}
	MOVQ(Mem{Base: sp, Disp: sgBase}, sbase)
	SHLQ(U8(2), sbase)
	ADDQ(NewParamAddr("x", 8), sbase)
	// u = -within·st·4: the loads start within lanes back.
	IMUL3Q(U32(-4*st), first, u)
	nv := 7*st/8 + 1
	Label(name + "_row")
	{
		v, g := YMM(), YMM()
		VPADDQ(Mem{Base: rp}, segv, v)
		VPCMPGTQ(minus1, v, g) // v >= 0
		VPCMPGTQ(v, limv, v)   // lim > v
		VPAND(v, g, g)
		VMOVMSKPD(g, t.As32())
	}
	MOVL(t.As32(), s.As32())
	ANDL(U8(3), s.As32())
	CMPL(s.As32(), U8(3))
	JNE(LabelRef(name + "_skip"))
	// s is the address of input element x0+dx of the row (which may lie
	// outside it).
	MOVQ(Mem{Base: rp, Disp: 24}, s)
	LEAQ(Mem{Base: sbase, Index: s, Scale: 4}, s)
	for h := 0; h < 2; h++ {
		tmp := YMM()
		if st == 4 {
			// Floats 0..31 of the half in v0..v3: unpack v0 with v2 and
			// v1 with v3, then the two (per 128-bit lane 0 8 16 24 | 4
			// 12 20 28), then put the lanes in order.
			m := func(j int) Mem { return Mem{Base: s, Index: u, Scale: 1, Disp: 32*st*h + 32*j} }
			v0, v1 := YMM(), YMM()
			VMOVUPS(m(0), v0)
			VMOVUPS(m(1), v1)
			VUNPCKLPS(m(2), v0, v0)
			VUNPCKLPS(m(3), v1, v1)
			VUNPCKLPS(v1, v0, tmp)
			VPERMPS(tmp, perm, a[h])
			continue
		}
		for j := 0; j < nv; j++ {
			m := Mem{Base: s, Index: u, Scale: 1, Disp: 32*st*h + 32*j}
			if j == 0 {
				VPERMPS(m, perm, a[h])
				continue
			}
			imm := 0
			for l := 0; l < 8; l++ {
				if l*st/8 == j {
					imm |= 1 << l
				}
			}
			VPERMPS(m, perm, tmp)
			VBLENDPS(U8(imm), tmp, a[h], a[h])
		}
	}
	TESTL(U32(4), t.As32())
	JZ(LabelRef(name + "_edge"))
	VANDPS(R[0], a[0], a[0])
	VANDPS(R[1], a[1], a[1])
	JMP(LabelRef(name + "_merge"))
	Label(name + "_edge")
	{
		// The lanes that read the row: in R, and 0 <= x0+dx+L < iw.
		MOVQ(Mem{Base: sp, Disp: sgX0}, t)
		ADDQ(Mem{Base: rp, Disp: 16}, t)
		xv := YMM()
		VMOVQ(t, xv.AsX())
		VPBROADCASTD(xv.AsX(), xv)
		for h := 0; h < 2; h++ {
			p, m := YMM(), YMM()
			VPADDD(L[h], xv, p)
			VPCMPGTD(minus1, p, m) // p >= 0
			VPCMPGTD(p, iwv, p)    // iw > p
			VPAND(p, m, m)
			VPAND(R[h], m, m)
			VANDPS(m, a[h], a[h])
		}
	}
	Label(name + "_merge")
	TESTQ(first, first)
	JZ(LabelRef(name + "_store"))
	VORPS(Mem{Base: dp}, a[0], a[0])
	VORPS(Mem{Base: dp, Disp: 32}, a[1], a[1])
	Label(name + "_store")
	VMOVUPS(a[0], Mem{Base: dp})
	VMOVUPS(a[1], Mem{Base: dp, Disp: 32})
	JMP(LabelRef(name + "_end"))

	// The tap's input plane or row lies in the padding: zeros, which only
	// the panel's first segment writes.
	Label(name + "_skip")
	TESTQ(first, first)
	JNZ(LabelRef(name + "_end"))
	VXORPS(a[0], a[0], a[0])
	VMOVUPS(a[0], Mem{Base: dp})
	VMOVUPS(a[0], Mem{Base: dp, Disp: 32})

	Label(name + "_end")
	ADDQ(U8(32), rp)
	ADDQ(pwB, dp)
	DECQ(cnt)
	JNZ(LabelRef(name + "_row"))
}
