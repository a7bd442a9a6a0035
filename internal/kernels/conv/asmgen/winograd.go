package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The Winograd F(4×4, 3×3) and F(2×2, 3×3) transforms of package conv,
// on eight tiles at once (one tile a lane). They do the operations of the
// package's Go transforms (bt6f, at6f, wgIn23Tile, wgOutput23) in the same
// order, without FMA, so that they give the same bits.

// broadcastConst sets a new vector to eight copies of the float32 whose
// bits are given.
func broadcastConst(bits uint32) VecVirtual {
	r := GP32()
	MOVL(U32(bits), r)
	x := XMM()
	VMOVD(r, x)
	y := YMM()
	VBROADCASTSS(x, y)
	return y
}

// bt6 emits Bᵀ·(d0..d5) into six new registers (see bt6f):
//
//	p, q := d1+d2, d1-d2
//	r, s := d3+d4, d4-d3
//	e, f := d4-d2, d3-d1
//	v0 = 4*d0 - 5*d2 + d4, v1 = r - 4*p, v2 = s + 4*q,
//	v3 = e + 2*f, v4 = e - 2*f, v5 = 4*d1 - 5*d3 + d5
func bt6(d [6]VecVirtual, two, four, five VecVirtual) [6]VecVirtual {
	var v [6]VecVirtual
	for i := range v {
		v[i] = YMM()
	}
	t := YMM()
	// v0 = (4*d0 - 5*d2) + d4
	VMULPS(d[0], four, v[0])
	VMULPS(d[2], five, t)
	VSUBPS(t, v[0], v[0])
	VADDPS(d[4], v[0], v[0])
	// v5 = (4*d1 - 5*d3) + d5
	VMULPS(d[1], four, v[5])
	VMULPS(d[3], five, t)
	VSUBPS(t, v[5], v[5])
	VADDPS(d[5], v[5], v[5])
	// v1 = (d3+d4) - 4*(d1+d2)
	VADDPS(d[2], d[1], t)
	VMULPS(t, four, t)
	VADDPS(d[4], d[3], v[1])
	VSUBPS(t, v[1], v[1])
	// v2 = (d4-d3) + 4*(d1-d2)
	VSUBPS(d[2], d[1], t)
	VMULPS(t, four, t)
	VSUBPS(d[3], d[4], v[2])
	VADDPS(t, v[2], v[2])
	// v3, v4 = e ± 2*f
	e := YMM()
	VSUBPS(d[2], d[4], e)
	VSUBPS(d[1], d[3], t)
	VMULPS(t, two, t)
	VADDPS(t, e, v[3])
	VSUBPS(t, e, v[4])
	return v
}

// at6 emits Aᵀ·(m0..m5) into four new registers (see at6f):
//
//	a, b := m1+m2, m1-m2
//	c, d := m3+m4, m3-m4
//	o0 = m0 + a + c, o1 = b + 2*d, o2 = a + 4*c, o3 = b + 8*d + m5
func at6(m [6]VecVirtual, two, four, eight VecVirtual) [4]VecVirtual {
	var o [4]VecVirtual
	for i := range o {
		o[i] = YMM()
	}
	a, b, c, d, t := YMM(), YMM(), YMM(), YMM(), YMM()
	VADDPS(m[2], m[1], a)
	VSUBPS(m[2], m[1], b)
	VADDPS(m[4], m[3], c)
	VSUBPS(m[4], m[3], d)
	VADDPS(a, m[0], o[0])
	VADDPS(c, o[0], o[0])
	VMULPS(d, two, t)
	VADDPS(t, b, o[1])
	VMULPS(c, four, t)
	VADDPS(t, a, o[2])
	VMULPS(d, eight, t)
	VADDPS(t, b, o[3])
	VADDPS(m[5], o[3], o[3])
	return o
}

// wgIn43x8 emits the input transform of eight tiles given lane-major.
func wgIn43x8() {
	TEXT("wgIn43x8", NOSPLIT, "func(d *float32, v *float32, stride int)")
	Pragma("noescape")
	Doc(
		"wgIn43x8 computes the F(4×4, 3×3) input transform Bᵀ·D·B of eight",
		"tiles: D[r][s] of tile l is d[(6r+s)·8+l], and point ξ = 6i+s of",
		"tile l goes to v[ξ·stride+l]. It overwrites d (the column pass is",
		"done in place). It needs AVX2.",
	)
	d := Load(Param("d"), GP64())
	v := Load(Param("v"), GP64())
	stride := Load(Param("stride"), GP64())
	inTransform(d, v, stride)
}

// wgIn43o8 emits the input transform of eight tiles at offsets of a
// common base.
func wgIn43o8() {
	TEXT("wgIn43o8", NOSPLIT, "func(base *float32, offs *int, ld int, d *float32, v *float32, stride int)")
	Pragma("noescape")
	Doc(
		"wgIn43o8 is wgIn43x8 on eight tiles gathered first into d: row r of",
		"tile l is the six values at base[offs[l]+r·ld] (eight are read from",
		"each). It needs AVX2.",
	)
	base := Load(Param("base"), GP64())
	offs := Load(Param("offs"), GP64())
	ld := Load(Param("ld"), GP64())
	d := Load(Param("d"), GP64())
	SHLQ(U8(2), ld)
	gather(d, func(r, l int, p Register) {
		MOVQ(Mem{Base: offs, Disp: 8 * l}, p)
		LEAQ(Mem{Base: base, Index: p, Scale: 4}, p)
		if l == 7 && r < 5 {
			// The last lane of row r: move base to row r+1.
			ADDQ(ld, base)
		}
	})
	v := Load(Param("v"), GP64())
	stride := Load(Param("stride"), GP64())
	inTransform(d, v, stride)
}

// gather emits the lane-major gather of eight 6×6 tiles into d, addr
// setting p to row r of tile l. Lanes are addressed in the order
// (r, 0), (r, 4), (r, 1), (r, 5), ..., (r, 3), (r, 7).
func gather(d Register, addr func(r, l int, p Register)) {
	p, q := GP64(), GP64()
	for r := 0; r < 6; r++ {
		// a[l] = row r of tiles l and l+4, values 0..3; b[l] values 4..7.
		var a, b [4]VecVirtual
		for l := 0; l < 4; l++ {
			a[l], b[l] = YMM(), YMM()
			addr(r, l, p)
			addr(r, l+4, q)
			x, y := YMM(), YMM()
			VMOVUPS(Mem{Base: p}, x)
			VMOVUPS(Mem{Base: q}, y)
			VPERM2F128(U8(0x20), y, x, a[l])
			VPERM2F128(U8(0x31), y, x, b[l])
		}
		// Transpose to S[s] = value s of tiles 0..7.
		u0, u1, u2, u3 := YMM(), YMM(), YMM(), YMM()
		VUNPCKLPS(a[1], a[0], u0) // t0s0 t1s0 t0s1 t1s1 | t4.. t5..
		VUNPCKHPS(a[1], a[0], u1) // t0s2 t1s2 t0s3 t1s3 | ...
		VUNPCKLPS(a[3], a[2], u2)
		VUNPCKHPS(a[3], a[2], u3)
		sv := YMM()
		VUNPCKLPD(u2, u0, sv)
		VMOVUPS(sv, Mem{Base: d, Disp: 32 * (6*r + 0)})
		VUNPCKHPD(u2, u0, sv)
		VMOVUPS(sv, Mem{Base: d, Disp: 32 * (6*r + 1)})
		VUNPCKLPD(u3, u1, sv)
		VMOVUPS(sv, Mem{Base: d, Disp: 32 * (6*r + 2)})
		VUNPCKHPD(u3, u1, sv)
		VMOVUPS(sv, Mem{Base: d, Disp: 32 * (6*r + 3)})
		w0, w2 := YMM(), YMM()
		VUNPCKLPS(b[1], b[0], w0)
		VUNPCKLPS(b[3], b[2], w2)
		VUNPCKLPD(w2, w0, sv)
		VMOVUPS(sv, Mem{Base: d, Disp: 32 * (6*r + 4)})
		VUNPCKHPD(w2, w0, sv)
		VMOVUPS(sv, Mem{Base: d, Disp: 32 * (6*r + 5)})
	}
}

// inTransform emits the transform of the lane-major tiles at d into v
// (stride in elements), then returns.
func inTransform(d, v, stride Register) {
	SHLQ(U8(2), stride) // bytes
	two := broadcastConst(0x40000000)
	four := broadcastConst(0x40800000)
	five := broadcastConst(0x40a00000)
	// Columns: E[i][s] = Σ_r Bᵀ[i][r]·D[r][s], in place.
	for s := 0; s < 6; s++ {
		var col [6]VecVirtual
		for r := 0; r < 6; r++ {
			col[r] = YMM()
			VMOVUPS(Mem{Base: d, Disp: 32 * (6*r + s)}, col[r])
		}
		e := bt6(col, two, four, five)
		for i := 0; i < 6; i++ {
			VMOVUPS(e[i], Mem{Base: d, Disp: 32 * (6*i + s)})
		}
	}
	// Rows: V[i][s] = Σ_q E[i][q]·B[q][s].
	p := GP64()
	MOVQ(v, p)
	for i := 0; i < 6; i++ {
		var row [6]VecVirtual
		for q := 0; q < 6; q++ {
			row[q] = YMM()
			VMOVUPS(Mem{Base: d, Disp: 32 * (6*i + q)}, row[q])
		}
		o := bt6(row, two, four, five)
		for s := 0; s < 6; s++ {
			VMOVUPS(o[s], Mem{Base: p})
			ADDQ(stride, p)
		}
	}
	VZEROUPPER()
	RET()
}

// wgOut43x8 emits the output transform of eight tiles.
func wgOut43x8() {
	TEXT("wgOut43x8", NOSPLIT, "func(q *float32, stride int, out *float32)")
	Pragma("noescape")
	Doc(
		"wgOut43x8 computes the F(4×4, 3×3) output transform Aᵀ·Q·A of eight",
		"tiles: Q[k][s] of tile l is q[(6k+s)·stride+l], and output (a, b) of",
		"tile l goes to out[(4a+b)·8+l] (out holds 24·8 floats: it is also",
		"the scratch of the first pass). It needs AVX2.",
	)
	q := Load(Param("q"), GP64())
	stride := Load(Param("stride"), GP64())
	out := Load(Param("out"), GP64())
	outTransform(q, stride, out)
	VZEROUPPER()
	RET()
}

// wgOut43s8 emits the output transform of eight tiles stored through row
// pointers with the epilogue.
func wgOut43s8() {
	TEXT("wgOut43s8", NOSPLIT, "func(q *float32, stride int, out *float32, rows **float32, res **float32, ep *float32)")
	Pragma("noescape")
	Doc(
		"wgOut43s8 is wgOut43x8 followed by the epilogue and the stores: row a",
		"of tile l (four values) is set to min(max(Y + ep[0] + R, ep[1]), ep[2])",
		"at rows[8a+l], where R is the four values at res[8a+l] (0 when res is",
		"nil). The bounds are applied as max(ep[1], x), then min(ep[2], x), so",
		"NaN passes through. It needs AVX2.",
	)
	q := Load(Param("q"), GP64())
	stride := Load(Param("stride"), GP64())
	out := Load(Param("out"), GP64())
	outTransform(q, stride, out)
	rows := Load(Param("rows"), GP64())
	res := Load(Param("res"), GP64())
	ep := Load(Param("ep"), GP64())
	store(out, ep, res, "s8", func(a, l int, p Register) {
		MOVQ(Mem{Base: rows, Disp: 8 * (8*a + l)}, p)
	}, func(a, l int, p Register) {
		MOVQ(Mem{Base: res, Disp: 8 * (8*a + l)}, p)
	})
	VZEROUPPER()
	RET()
}

// wgOut43o8 emits the output transform of eight tiles stored at offsets
// of a common base with the epilogue.
func wgOut43o8() {
	TEXT("wgOut43o8", NOSPLIT, "func(q *float32, stride int, out *float32, y *float32, res *float32, offs *int, ld int, ep *float32)")
	Pragma("noescape")
	Doc(
		"wgOut43o8 is wgOut43s8 with row a of tile l at y[offs[l]+a·ld] and",
		"its residual at res[offs[l]+a·ld] (none when res is nil). It needs",
		"AVX2.",
	)
	q := Load(Param("q"), GP64())
	stride := Load(Param("stride"), GP64())
	out := Load(Param("out"), GP64())
	outTransform(q, stride, out)
	y := Load(Param("y"), GP64())
	res := Load(Param("res"), GP64())
	offs := Load(Param("offs"), GP64())
	ld := Load(Param("ld"), GP64())
	ep := Load(Param("ep"), GP64())
	SHLQ(U8(2), ld)
	// ry is res - y in bytes, so that a residual address is a row
	// address plus ry (used only when res is not nil).
	ry := GP64()
	MOVQ(res, ry)
	SUBQ(y, ry)
	store(out, ep, res, "o8", func(a, l int, p Register) {
		MOVQ(Mem{Base: offs, Disp: 8 * l}, p)
		LEAQ(Mem{Base: y, Index: p, Scale: 4}, p)
		if l == 7 && a < 3 {
			ADDQ(ld, y)
		}
	}, func(a, l int, p Register) {
		MOVQ(Mem{Base: offs, Disp: 8 * l}, p)
		LEAQ(Mem{Base: y, Index: p, Scale: 4}, p)
		ADDQ(ry, p)
	})
	VZEROUPPER()
	RET()
}

// store emits the epilogue and the stores of the eight output tiles at
// out[(4a+b)·8]: ep holds bias, lo, hi; res (a register, zero for none)
// tells whether to add the residual; addr and raddr set p to row a of
// tile l of the output and of the residual. The residual of a lane is
// addressed before its output, lanes in the order (a, 0), (a, 4), (a, 1),
// ..., (a, 3), (a, 7).
func store(out, ep, res Register, tag string, addr, raddr func(a, l int, p Register)) {
	bias, lo, hi := YMM(), YMM(), YMM()
	VBROADCASTSS(Mem{Base: ep}, bias)
	VBROADCASTSS(Mem{Base: ep, Disp: 4}, lo)
	VBROADCASTSS(Mem{Base: ep, Disp: 8}, hi)
	p := GP64()
	for a := 0; a < 4; a++ {
		var y [4]VecVirtual
		for b := 0; b < 4; b++ {
			y[b] = YMM()
			VADDPS(Mem{Base: out, Disp: 32 * (4*a + b)}, bias, y[b])
		}
		// Transpose: g[l] = values 0..3 of tiles l (low) and l+4 (high).
		u0, u1, u2, u3 := YMM(), YMM(), YMM(), YMM()
		VUNPCKLPS(y[1], y[0], u0) // t0b0 t0b1 t1b0 t1b1 | t4.. t5..
		VUNPCKHPS(y[1], y[0], u1) // t2b0 t2b1 t3b0 t3b1 | t6.. t7..
		VUNPCKLPS(y[3], y[2], u2) // t0b2 t0b3 t1b2 t1b3 | ...
		VUNPCKHPS(y[3], y[2], u3)
		var g [4]VecVirtual
		for i := range g {
			g[i] = YMM()
		}
		VUNPCKLPD(u2, u0, g[0])
		VUNPCKHPD(u2, u0, g[1])
		VUNPCKLPD(u3, u1, g[2])
		VUNPCKHPD(u3, u1, g[3])
		for l := 0; l < 4; l++ {
			TESTQ(res, res)
			JZ(LabelRef(lbl("nores"+tag, a, l)))
			t := YMM()
			raddr(a, l, p)
			VBROADCASTF128(Mem{Base: p}, t)
			raddr(a, l+4, p)
			VINSERTF128(U8(1), Mem{Base: p}, t, t)
			VADDPS(t, g[l], g[l])
			Label(lbl("nores"+tag, a, l))
			VMAXPS(g[l], lo, g[l])
			VMINPS(g[l], hi, g[l])
			addr(a, l, p)
			VMOVUPS(g[l].AsX(), Mem{Base: p})
			addr(a, l+4, p)
			VEXTRACTF128(U8(1), g[l], Mem{Base: p})
		}
	}
}

func lbl(s string, a, l int) string {
	return s + string(rune('0'+a)) + string(rune('0'+l))
}

// outTransform emits Aᵀ·Q·A of eight tiles into out[(4a+b)·8].
func outTransform(q, stride, out Register) {
	SHLQ(U8(2), stride)
	two := broadcastConst(0x40000000)
	four := broadcastConst(0x40800000)
	eight := broadcastConst(0x41000000)
	// Columns: R[a][s] = Σ_k Aᵀ[a][k]·Q[k][s], stored at out[(6a+s)·8].
	s6 := GP64()
	LEAQ(Mem{Base: stride, Index: stride, Scale: 2}, s6)
	SHLQ(U8(1), s6) // 6·stride: from Q[k][s] to Q[k+1][s]
	p := GP64()
	for s := 0; s < 6; s++ {
		var col [6]VecVirtual
		MOVQ(q, p)
		for k := 0; k < 6; k++ {
			col[k] = YMM()
			VMOVUPS(Mem{Base: p}, col[k])
			if k < 5 {
				ADDQ(s6, p)
			}
		}
		r := at6(col, two, four, eight)
		for a := 0; a < 4; a++ {
			VMOVUPS(r[a], Mem{Base: out, Disp: 32 * (6*a + s)})
		}
		ADDQ(stride, q)
	}
	// Rows: Y[a][b] = Σ_s R[a][s]·A[s][b]. Row a is read before it is
	// overwritten, and rows after it start beyond the 4 outputs written.
	for a := 0; a < 4; a++ {
		var row [6]VecVirtual
		for s := 0; s < 6; s++ {
			row[s] = YMM()
			VMOVUPS(Mem{Base: out, Disp: 32 * (6*a + s)}, row[s])
		}
		o := at6(row, two, four, eight)
		for b := 0; b < 4; b++ {
			VMOVUPS(o[b], Mem{Base: out, Disp: 32 * (4*a + b)})
		}
	}
}

// wgIn23o8 emits the F(2×2, 3×3) input transform of eight 4×4 tiles at
// offsets of a common base.
func wgIn23o8() {
	TEXT("wgIn23o8", NOSPLIT, "func(base *float32, offs *int, ld int, d *float32, v *float32, stride int)")
	Pragma("noescape")
	Doc(
		"wgIn23o8 computes the F(2×2, 3×3) input transform Bᵀ·D·B of eight",
		"tiles, row r of tile l being the four values at base[offs[l]+r·ld]:",
		"point ξ = 4i+s of tile l goes to v[ξ·stride+l]. d (16·8 floats) is",
		"scratch. It needs AVX2.",
	)
	base := Load(Param("base"), GP64())
	offs := Load(Param("offs"), GP64())
	ld := Load(Param("ld"), GP64())
	d := Load(Param("d"), GP64())
	SHLQ(U8(2), ld)
	p, q := GP64(), GP64()
	for r := 0; r < 4; r++ {
		// a[l] = row r of tiles l (low half) and l+4 (high half).
		var a [4]VecVirtual
		for l := 0; l < 4; l++ {
			a[l] = YMM()
			MOVQ(Mem{Base: offs, Disp: 8 * l}, p)
			LEAQ(Mem{Base: base, Index: p, Scale: 4}, p)
			MOVQ(Mem{Base: offs, Disp: 8 * (l + 4)}, q)
			LEAQ(Mem{Base: base, Index: q, Scale: 4}, q)
			VBROADCASTF128(Mem{Base: p}, a[l])
			VINSERTF128(U8(1), Mem{Base: q}, a[l], a[l])
		}
		if r < 3 {
			ADDQ(ld, base)
		}
		u0, u1, u2, u3 := YMM(), YMM(), YMM(), YMM()
		VUNPCKLPS(a[1], a[0], u0)
		VUNPCKHPS(a[1], a[0], u1)
		VUNPCKLPS(a[3], a[2], u2)
		VUNPCKHPS(a[3], a[2], u3)
		sv := YMM()
		VUNPCKLPD(u2, u0, sv)
		VMOVUPS(sv, Mem{Base: d, Disp: 32 * (4*r + 0)})
		VUNPCKHPD(u2, u0, sv)
		VMOVUPS(sv, Mem{Base: d, Disp: 32 * (4*r + 1)})
		VUNPCKLPD(u3, u1, sv)
		VMOVUPS(sv, Mem{Base: d, Disp: 32 * (4*r + 2)})
		VUNPCKHPD(u3, u1, sv)
		VMOVUPS(sv, Mem{Base: d, Disp: 32 * (4*r + 3)})
	}
	v := Load(Param("v"), GP64())
	stride := Load(Param("stride"), GP64())
	SHLQ(U8(2), stride)
	// bt4 sets o = (x0-x2, x1+x2, x2-x1, x1-x3), as the Go wgIn23Tile.
	bt4 := func(x [4]VecVirtual) [4]VecVirtual {
		var o [4]VecVirtual
		for i := range o {
			o[i] = YMM()
		}
		VSUBPS(x[2], x[0], o[0])
		VADDPS(x[2], x[1], o[1])
		VSUBPS(x[1], x[2], o[2])
		VSUBPS(x[3], x[1], o[3])
		return o
	}
	// Columns, in place: E[i][s] from D[0..3][s].
	for s := 0; s < 4; s++ {
		var col [4]VecVirtual
		for r := 0; r < 4; r++ {
			col[r] = YMM()
			VMOVUPS(Mem{Base: d, Disp: 32 * (4*r + s)}, col[r])
		}
		e := bt4(col)
		for i := 0; i < 4; i++ {
			VMOVUPS(e[i], Mem{Base: d, Disp: 32 * (4*i + s)})
		}
	}
	// Rows: V[i][s] from E[i][0..3].
	for i := 0; i < 4; i++ {
		var row [4]VecVirtual
		for s := 0; s < 4; s++ {
			row[s] = YMM()
			VMOVUPS(Mem{Base: d, Disp: 32 * (4*i + s)}, row[s])
		}
		o := bt4(row)
		for s := 0; s < 4; s++ {
			VMOVUPS(o[s], Mem{Base: v})
			ADDQ(stride, v)
		}
	}
	VZEROUPPER()
	RET()
}

// wgOut23s8 emits the F(2×2, 3×3) output transform of eight tiles stored
// through row pointers with the epilogue.
func wgOut23s8() {
	TEXT("wgOut23s8", NOSPLIT, "func(q *float32, stride int, rows **float32, res **float32, ep *float32)")
	Pragma("noescape")
	Doc(
		"wgOut23s8 computes the F(2×2, 3×3) output transform Aᵀ·Q·A of eight",
		"tiles, Q[k][s] of tile l being q[(4k+s)·stride+l], and sets row a of",
		"tile l (two values) to min(max(Y + ep[0] + R, ep[1]), ep[2]) at",
		"rows[8a+l], R being the two values at res[8a+l] (0 when res is nil).",
		"It needs AVX2.",
	)
	q := Load(Param("q"), GP64())
	stride := Load(Param("stride"), GP64())
	SHLQ(U8(2), stride)
	// r0[s] = Q0+Q1+Q2, r1[s] = Q1-Q2-Q3 (column s), as wgOutput23.
	var r0, r1 [4]VecVirtual
	s4 := GP64()
	MOVQ(stride, s4)
	SHLQ(U8(2), s4) // 4·stride: from Q[k][s] to Q[k+1][s]
	p := GP64()
	for s := 0; s < 4; s++ {
		var col [4]VecVirtual
		MOVQ(q, p)
		for k := 0; k < 4; k++ {
			col[k] = YMM()
			VMOVUPS(Mem{Base: p}, col[k])
			if k < 3 {
				ADDQ(s4, p)
			}
		}
		r0[s], r1[s] = YMM(), YMM()
		VADDPS(col[1], col[0], r0[s])
		VADDPS(col[2], r0[s], r0[s])
		VSUBPS(col[2], col[1], r1[s])
		VSUBPS(col[3], r1[s], r1[s])
		if s < 3 {
			ADDQ(stride, q)
		}
	}
	ep := Load(Param("ep"), GP64())
	bias, lo, hi := YMM(), YMM(), YMM()
	VBROADCASTSS(Mem{Base: ep}, bias)
	VBROADCASTSS(Mem{Base: ep, Disp: 4}, lo)
	VBROADCASTSS(Mem{Base: ep, Disp: 8}, hi)
	// y(r) = (r[0]+r[1]+r[2]+bias, r[1]-r[2]-r[3]+bias).
	yrow := func(r [4]VecVirtual) (VecVirtual, VecVirtual) {
		a, b := YMM(), YMM()
		VADDPS(r[1], r[0], a)
		VADDPS(r[2], a, a)
		VADDPS(bias, a, a)
		VSUBPS(r[2], r[1], b)
		VSUBPS(r[3], b, b)
		VADDPS(bias, b, b)
		return a, b
	}
	y00, y01 := yrow(r0)
	y10, y11 := yrow(r1)
	rows := Load(Param("rows"), GP64())
	res := Load(Param("res"), GP64())
	for a, yy := range [2][2]VecVirtual{{y00, y01}, {y10, y11}} {
		// g[0] = tiles 0, 1 | 4, 5 (two values each); g[1] = 2, 3 | 6, 7.
		g := [2]VecVirtual{YMM(), YMM()}
		VUNPCKLPS(yy[1], yy[0], g[0])
		VUNPCKHPS(yy[1], yy[0], g[1])
		for h := 0; h < 2; h++ {
			lanes := [4]int{2 * h, 2*h + 1, 2*h + 4, 2*h + 5}
			TESTQ(res, res)
			JZ(LabelRef(lbl("nores23_", a, h)))
			t := YMM()
			for i, l := range lanes {
				MOVQ(Mem{Base: res, Disp: 8 * (8*a + l)}, p)
				if i == 0 {
					VBROADCASTSD(Mem{Base: p}, t)
					continue
				}
				u := YMM()
				VBROADCASTSD(Mem{Base: p}, u)
				VBLENDPD(U8(1<<i), u, t, t)
			}
			VADDPS(t, g[h], g[h])
			Label(lbl("nores23_", a, h))
			VMAXPS(g[h], lo, g[h])
			VMINPS(g[h], hi, g[h])
			x := XMM()
			VEXTRACTF128(U8(1), g[h], x)
			MOVQ(Mem{Base: rows, Disp: 8 * (8*a + lanes[0])}, p)
			VMOVLPS(g[h].AsX(), Mem{Base: p})
			MOVQ(Mem{Base: rows, Disp: 8 * (8*a + lanes[1])}, p)
			VMOVHPS(g[h].AsX(), Mem{Base: p})
			MOVQ(Mem{Base: rows, Disp: 8 * (8*a + lanes[2])}, p)
			VMOVLPS(x, Mem{Base: p})
			MOVQ(Mem{Base: rows, Disp: 8 * (8*a + lanes[3])}, p)
			VMOVHPS(x, Mem{Base: p})
		}
	}
	VZEROUPPER()
	RET()
}
