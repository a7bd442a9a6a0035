// Command asmgen writes the AVX2 pooling kernels of package pool
// (internal/kernels/pool/taps_amd64.s and its Go declarations).
//
// It lives in its own module so that the main module does not depend on
// avo. Run it through `go generate` in internal/kernels/pool, or by hand:
//
//	cd internal/kernels/pool/asmgen && go run . -out ../taps_amd64.s -stubs ../taps_amd64_stubs.go -pkg pool
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// wide is the number of 8-float vectors the main loops keep in flight.
const wide = 4

func main() {
	ConstraintExpr("amd64,!noasm")
	iota := GLOBL("poolIota", RODATA|NOPTR)
	for l := 0; l < 8; l++ {
		DATA(4*l, U32(l))
	}
	for _, stride := range []int{1, 2} {
		for _, unroll := range []int{0, 2, 3, 4} {
			taps(true, stride, unroll, iota)
			taps(false, stride, unroll, iota)
		}
	}
	lanes(true)
	lanes(false)
	Generate()
}

// reducer emits the per-element step of a max or a sum: acc op= x, and
// for max the NaN mask nan |= isnan(x).
type reducer struct {
	max bool
	tmp VecVirtual
}

func (r reducer) init(acc, nan VecVirtual) {
	if r.max {
		// -Inf: all ones shifted left by 23 is 0xff800000.
		VPCMPEQD(acc, acc, acc)
		VPSLLD(U8(23), acc, acc)
		VXORPS(nan, nan, nan)
		return
	}
	VXORPS(acc, acc, acc)
}

func (r reducer) step(acc, nan, x VecVirtual) {
	if r.max {
		VCMPPS(U8(3), x, x, r.tmp) // unordered: x is NaN
		VORPS(r.tmp, nan, nan)
		VMAXPS(x, acc, acc) // acc > x ? acc : x
		return
	}
	VADDPS(x, acc, acc)
}

// finish folds the NaN mask into acc (all ones is a NaN).
func (r reducer) finish(acc, nan VecVirtual) {
	if r.max {
		VORPS(nan, acc, acc)
	}
}

// mask sets m to the lanes l with l < cnt (a signed count).
func mask(m VecVirtual, cnt Register, iota Mem) {
	VMOVQ(cnt, m.AsX())
	VPBROADCASTD(m.AsX(), m)
	VPCMPGTD(iota, m, m)
}

// taps emits maxTaps<stride> or sumTaps<stride>, over planes of m rows:
// dst[q·dstPlane+r·dstStride+i] = op over t of
// src[q·srcPlane+r·srcStride+offs[t]+stride·i] (strides in bytes). With
// unroll > 0 it emits maxTaps<stride>k<unroll> (sumTaps...), for exactly
// that many taps, whose offsets stay in registers.
func taps(isMax bool, stride, unroll int, iota Mem) {
	op := "sum"
	what := "Σ_t src[%s], the taps added in order"
	if isMax {
		op = "max"
		what = "max_t src[%s], a NaN where any tap is NaN"
	}
	name := fmt.Sprintf("%sTaps%d", op, stride)
	if unroll > 0 {
		name += fmt.Sprintf("k%d", unroll)
	}
	idx := "offs[t]+i"
	if stride != 1 {
		idx = fmt.Sprintf("offs[t]+%d·i", stride)
	}
	TEXT(name, NOSPLIT, "func(dst *float32, src *float32, offs *int, ntaps int, nfull int, tail int, back int, m int, dstStride int, srcStride int, planes int, dstPlane int, srcPlane int)")
	Pragma("noescape")
	doc := []string{
		fmt.Sprintf("%s sets dst[i] = "+what+",", name, idx),
		"t in [0, ntaps), for i in [0, nfull+tail), in each of m rows of each",
		"of planes planes; row r starts dstStride bytes after row r-1 in dst",
		"and srcStride bytes after it in src, plane q dstPlane and srcPlane",
		"bytes after plane q-1. nfull is a multiple of 8. The last tail outputs",
		"(at most 8) of a row are computed as one vector of tail+back outputs",
		"that starts back outputs early (recomputing some), with masked loads",
		"that read no element beyond the last tap (at stride 2 the full",
		"vectors read one past their last output's tap, so the last output",
		"must be in the tail), and a masked store unless tail+back is 8. ntaps,",
		"m and planes must be positive and every element read in bounds. It",
		"needs AVX2.",
	}
	if unroll > 0 {
		doc = append(doc, fmt.Sprintf("This form takes exactly %d taps.", unroll))
	}
	Doc(doc...)
	param := func(name string, off int) Mem { return NewParamAddr(name, off) }
	ntapsM, nfullM, tailM, backM := param("ntaps", 24), param("nfull", 32), param("tail", 40), param("back", 48)
	mM, dstStrideM, srcStrideM := param("m", 56), param("dstStride", 64), param("srcStride", 72)
	dstPlaneM, srcPlaneM := param("dstPlane", 88), param("srcPlane", 96)

	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	offs := Load(Param("offs"), GP64())
	// Unrolled: the taps' byte offsets.
	var o []Register
	for t := 0; t < unroll; t++ {
		r := GP64()
		MOVQ(Mem{Base: offs, Disp: 8 * t}, r)
		SHLQ(U8(2), r)
		o = append(o, r)
	}
	planes := Load(Param("planes"), GP64())
	r := reducer{max: isMax, tmp: YMM()}
	x := YMM()
	acc := make([]VecVirtual, wide)
	nan := make([]VecVirtual, wide)
	for i := range acc {
		acc[i] = YMM()
		if isMax {
			nan[i] = YMM()
		}
	}

	// Tail masks: lane l of maskA (maskB) loads element l (8+l) of the
	// 8·stride values of the tail vector; maskS stores output l.
	maskA, maskB, maskS := YMM(), YMM(), YMM()
	cnt := GP64()
	MOVQ(tailM, cnt)
	ADDQ(backM, cnt)
	mask(maskS, cnt, iota)
	if stride == 2 {
		// The tail vector's last output reads element 2·eff-2.
		SHLQ(U8(1), cnt)
		DECQ(cnt)
		mask(maskA, cnt, iota)
		SUBQ(U8(8), cnt)
		mask(maskB, cnt, iota)
	} else {
		maskA = maskS
	}

	rd, rs, m := GP64(), GP64(), GP64()
	d, s, k, t, p := GP64(), GP64(), GP64(), GP64(), GP64()
	// load sets x to the 8 values of one output vector at byte offset
	// disp from p: contiguous for stride 1; for stride 2 the even lanes of
	// 16 values, in the order VSHUFPS leaves them (the store permutes).
	load := func(at func(disp int) Mem, disp int) {
		VMOVUPS(at(disp), x)
		if stride == 2 {
			VSHUFPS(U8(0x88), at(disp+32), x, x)
		}
	}
	loadMasked := func(at func(disp int) Mem) {
		VMASKMOVPS(at(0), maskA, x)
		if stride == 2 {
			VMASKMOVPS(at(32), maskB, r.tmp)
			VSHUFPS(U8(0x88), r.tmp, x, x)
		}
	}
	finish := func(a, nm VecVirtual) {
		r.finish(a, nm)
		if stride == 2 {
			VPERMPD(U8(0xd8), a, a)
		}
	}
	vecBytes := 32 * stride // source bytes per output vector
	// An unrolled max starts from its first tap instead of -Inf (the
	// same value).
	fromFirst := unroll > 0 && isMax
	initAcc := func(a, nm VecVirtual) {
		if !fromFirst {
			r.init(a, nm)
		}
	}
	stepAcc := func(a, nm VecVirtual, first bool) {
		if first && fromFirst {
			VCMPPS(U8(3), x, x, nm)
			VMOVAPS(x, a)
			return
		}
		r.step(a, nm, x)
	}
	// tapLoop runs body for every tap, at giving the address of the tap's
	// element disp bytes on.
	tapLoop := func(label string, body func(at func(disp int) Mem, first bool)) {
		if unroll > 0 {
			for t, ot := range o {
				body(func(disp int) Mem { return Mem{Base: s, Index: ot, Scale: 1, Disp: disp} }, t == 0)
			}
			return
		}
		XORQ(t, t)
		Label(label)
		MOVQ(Mem{Base: offs, Index: t, Scale: 8}, p)
		LEAQ(Mem{Base: s, Index: p, Scale: 4}, p)
		body(func(disp int) Mem { return Mem{Base: p, Disp: disp} }, false)
		INCQ(t)
		CMPQ(t, ntapsM)
		JL(LabelRef(label))
	}

	Label(name + "_plane")
	MOVQ(dst, rd)
	MOVQ(src, rs)
	MOVQ(mM, m)

	Label(name + "_row")
	MOVQ(rd, d)
	MOVQ(rs, s)
	MOVQ(nfullM, k)

	Label(name + "_wide")
	CMPQ(k, U32(8*wide))
	JL(LabelRef(name + "_narrow"))
	for i := range acc {
		initAcc(acc[i], nan[i])
	}
	tapLoop(name+"_wtap", func(at func(int) Mem, first bool) {
		for i := range acc {
			load(at, vecBytes*i)
			stepAcc(acc[i], nan[i], first)
		}
	})
	for i := range acc {
		finish(acc[i], nan[i])
		VMOVUPS(acc[i], Mem{Base: d, Disp: 32 * i})
	}
	ADDQ(U32(32*wide), d)
	ADDQ(U32(vecBytes*wide), s)
	SUBQ(U32(8*wide), k)
	JMP(LabelRef(name + "_wide"))

	// One vector at a time.
	Label(name + "_narrow")
	CMPQ(k, U32(8))
	JL(LabelRef(name + "_tail"))
	initAcc(acc[0], nan[0])
	tapLoop(name+"_ntap", func(at func(int) Mem, first bool) {
		load(at, 0)
		stepAcc(acc[0], nan[0], first)
	})
	finish(acc[0], nan[0])
	VMOVUPS(acc[0], Mem{Base: d})
	ADDQ(U32(32), d)
	ADDQ(U32(vecBytes), s)
	SUBQ(U32(8), k)
	JMP(LabelRef(name + "_narrow"))

	// The tail vector, back outputs early.
	Label(name + "_tail")
	CMPQ(tailM, U8(0))
	JE(LabelRef(name + "_next"))
	MOVQ(backM, k) // k is free: back in bytes
	SHLQ(U8(2), k)
	SUBQ(k, d)
	for i := 0; i < stride; i++ {
		SUBQ(k, s)
	}
	initAcc(acc[0], nan[0])
	tapLoop(name+"_ttap", func(at func(int) Mem, first bool) {
		loadMasked(at)
		stepAcc(acc[0], nan[0], first)
	})
	finish(acc[0], nan[0])
	MOVQ(tailM, k)
	ADDQ(backM, k)
	CMPQ(k, U8(8))
	JE(LabelRef(name + "_full"))
	VMASKMOVPS(acc[0], maskS, Mem{Base: d})
	JMP(LabelRef(name + "_next"))
	Label(name + "_full")
	VMOVUPS(acc[0], Mem{Base: d})

	Label(name + "_next")
	ADDQ(dstStrideM, rd)
	ADDQ(srcStrideM, rs)
	DECQ(m)
	JNZ(LabelRef(name + "_row"))
	ADDQ(dstPlaneM, dst)
	ADDQ(srcPlaneM, src)
	DECQ(planes)
	JNZ(LabelRef(name + "_plane"))
	VZEROUPPER()
	RET()
}

// lanes emits maxLanes or sumLanes: acc[k] = op(acc[k], x[32j+k]) over
// the blocks j of x, in order.
func lanes(isMax bool) {
	op := "sum"
	what := "acc[k] += x[32j+k] for every block j in order"
	if isMax {
		op = "max"
		what = "acc[k] = max(acc[k], x[32j+k]) for every block j in order (a NaN sticks)"
	}
	name := op + "Lanes"
	TEXT(name, NOSPLIT, "func(x *float32, n int, acc *[32]float32)")
	Pragma("noescape")
	Doc(
		fmt.Sprintf("%s sets %s;", name, what),
		"n must be a multiple of 32. It needs AVX2.",
	)
	xp := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	ap := Load(Param("acc"), GP64())
	r := reducer{max: isMax, tmp: YMM()}
	x := YMM()
	acc := make([]VecVirtual, 4)
	nan := make([]VecVirtual, 4)
	for i := range acc {
		acc[i] = YMM()
		VMOVUPS(Mem{Base: ap, Disp: 32 * i}, acc[i])
		if isMax {
			// A NaN already in acc sticks too.
			nan[i] = YMM()
			VCMPPS(U8(3), acc[i], acc[i], nan[i])
		}
	}
	Label(name + "_loop")
	CMPQ(n, U32(32))
	JL(LabelRef(name + "_done"))
	for i := range acc {
		VMOVUPS(Mem{Base: xp, Disp: 32 * i}, x)
		r.step(acc[i], nan[i], x)
	}
	ADDQ(U32(128), xp)
	SUBQ(U32(32), n)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	for i := range acc {
		r.finish(acc[i], nan[i])
		VMOVUPS(acc[i], Mem{Base: ap, Disp: 32 * i})
	}
	VZEROUPPER()
	RET()
}
