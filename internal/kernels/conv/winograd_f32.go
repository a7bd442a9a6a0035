package conv

import (
	"math"

	"github.com/onnxrun/onnxrun/internal/gemm"
)

// The float32 Winograd path. Both F(2×2, 3×3) and F(4×4, 3×3) run the same
// way on a chunk of tiles of one image:
//
//  1. the input transform writes V[ξ][c][j] (ξ the transform point, c the
//     input channel, j the tile within the chunk), so that each V[ξ] is a
//     row-major C×nt matrix, the B operand of its GEMM;
//  2. one GEMM per transform point, M[ξ] = U[ξ]·V[ξ], with U[ξ] (M×C)
//     packed once per weight tensor (gemm.PackA) and reused by every chunk
//     and every run (gemm.SgemmPacked);
//  3. the output transform reads M[ξ][m][j] and writes the output tile with
//     the bias, the residual and the activation applied (no second pass).
//
// The chunk of tiles a work item transforms depends on the shape only,
// never on the thread count, and every GEMM runs single-threaded inside
// its work item, so the output bits do not depend on the thread count.

// winogradPackF32 transforms float32 weights [M, C, 3, 3] for algorithm a
// (Winograd or Winograd43) and packs each transform point's U[ξ] (M×C)
// for the GEMM.
func winogradPackF32(a Algo, w []float32, m, c int) []*gemm.PackedA {
	var u []float32
	if a == Winograd43 {
		u = Winograd43Weights(w, m, c)
	} else {
		u = WinogradWeights(w, m, c)
	}
	pa := make([]*gemm.PackedA, len(u)/max(m*c, 1))
	for xi := range pa {
		pa[xi] = gemm.PackA(false, m, c, 1, u[xi*m*c:(xi+1)*m*c], c)
	}
	return pa
}

// wgEpilogue is what the output transform applies to each output element:
// y = act(sum + bias[m] + res[y's position]).
type wgEpilogue struct {
	bias []float32 // M elements, or nil
	res  []float32 // the output's shape, or nil
	act  gemm.Activation
	// lo, hi bound ActRelu (0, +Inf) and ActClip; alpha is LeakyRelu's
	// slope.
	lo, hi, alpha float32
}

// wgEpilogueFrom converts a bias and a gemm.Epilogue (its Residual in
// the output's layout, its own Bias and BiasPerRow unused: the bias is per
// output channel) into what the output transform applies, and reports
// whether that includes the activation (Relu, Clip, LeakyRelu or none);
// when not, the transform applies bias and residual only and
// wgActivate must follow.
func wgEpilogueFrom(bias []float32, ep *gemm.Epilogue) (wgEpilogue, bool) {
	e := wgEpilogue{bias: bias, lo: negInf32, hi: posInf32}
	if ep == nil {
		return e, true
	}
	e.res = ep.Residual
	e.act = ep.Act
	switch ep.Act {
	case gemm.ActNone:
	case gemm.ActRelu:
		e.lo = 0
	case gemm.ActClip:
		e.lo, e.hi = ep.Min, ep.Max
	case gemm.ActLeakyRelu:
		e.alpha = ep.Alpha
	default:
		e.act = gemm.ActNone
		return e, false
	}
	return e, true
}

// runWinogradPackedF32 computes y = Act(conv(x, w) + bias + residual)
// for a float32 Winograd plan of algorithm a from the packed weights pa
// (winogradPackF32); ep, when not nil, gives the residual (y's layout)
// and the activation. The activations other than Relu, Clip and
// LeakyRelu are applied in a pass after the transforms, with the formulas
// of the GEMM epilogue.
func runWinogradPackedF32(p *Params, a Algo, x []float32, pa []*gemm.PackedA, bias []float32, ep *gemm.Epilogue, y []float32, threads int) {
	tile := 2
	if a == Winograd43 {
		tile = 4
	}
	e, whole := wgEpilogueFrom(bias, ep)
	runWinogradF32(p, tile, x, pa, y, &e, threads)
	if !whole {
		const block = 1 << 14
		ParallelFor((len(y)+block-1)/block, threads, func(_, i int) {
			wgActivate(y[i*block:min(len(y), (i+1)*block)], ep)
		})
	}
}

// wgActivate applies ep's activation to x in place, as gemm's epilogue
// does (Sigmoid and SiLU through gemm.Sigmoid).
func wgActivate(x []float32, ep *gemm.Epilogue) {
	switch ep.Act {
	case gemm.ActSigmoid, gemm.ActSiLU:
		gemm.Sigmoid(x, ep.Act == gemm.ActSiLU)
	case gemm.ActHardSigmoid:
		al, be := ep.Alpha, ep.Beta
		for i, v := range x {
			x[i] = max(0, min(1, al*v+be))
		}
	case gemm.ActHardSwish:
		for i, v := range x {
			x[i] = v * max(0, min(1, v*(1.0/6)+0.5))
		}
	case gemm.ActTanh:
		for i, v := range x {
			x[i] = float32(math.Tanh(float64(v)))
		}
	}
}

// wgChunkFor gives the number of tiles a chunk holds: the
// transform-domain buffers V (pts·C·chunk) and M (pts·M·chunk) together
// take at most about wgChunkBytes, and at least 32 tiles so that the GEMMs
// are not too thin. The tiles are spread evenly over the chunks, each a
// multiple of 16 (the GEMM's panel width) but the last.
func wgChunkFor(pts, c, m, tiles int) int {
	ch := max(32, min(wgChunkBytes()/(4*pts*(c+m)), 256))
	if ch >= tiles {
		return max(tiles, 1)
	}
	chunks := (tiles + ch - 1) / ch
	return min(((tiles+chunks-1)/chunks+15)&^15, tiles)
}

// wgChunkBytes is the size of a chunk's transform-domain buffers: eight
// times the L2 size. Each GEMM works on one transform point's V[ξ] and
// M[ξ], a small part of that, and the transforms stream through them;
// measured on a 512 KiB L2 (ResNet's 3×3 layers), the wider GEMMs of
// 4 MiB chunks beat 1 and 2 MiB ones.
var wgChunkBytes = func() int { return 8 * l2Bytes }

// runWinogradF32 is the float32 Winograd convolution, tile 2 (F(2×2,
// 3×3)) or 4 (F(4×4, 3×3)), from the packed weights pa
// (winogradPackF32).
func runWinogradF32(p *Params, tile int, x []float32, pa []*gemm.PackedA, y []float32, ep *wgEpilogue, threads int) {
	ih, iw := p.In[0], p.In[1]
	oh, ow := p.Out[0], p.Out[1]
	ph, pw := p.Pads[0], p.Pads[1]
	th, tw := (oh+tile-1)/tile, (ow+tile-1)/tile
	tiles := th * tw
	c, m := p.C, p.M
	a := tile + 2 // input tile side
	pts := a * a
	chunk := wgChunkFor(pts, c, m, tiles)
	chunks := (tiles + chunk - 1) / chunk
	items := p.N * chunks
	plane, oplane := ih*iw, oh*ow
	geom := func(it int) (int, wgGeom) {
		n, ck := it/chunks, it%chunks
		t0 := ck * chunk
		return n, wgGeom{ih: ih, iw: iw, oh: oh, ow: ow, ph: ph, pw: pw, tw: tw, t0: t0, nt: min(chunk, tiles-t0)}
	}
	// The input band of a chunk (see wgInput43) spans at most this many
	// tile rows.
	bandRows := (chunk+tw-1)/tw + 1
	bandSize := (bandRows*tile + 2) * (tw*tile + 4)
	resOf := func(n int) []float32 {
		if ep.res == nil {
			return nil
		}
		return ep.res[n*m*oplane : (n+1)*m*oplane]
	}
	// Which of the two work splits below runs depends on the thread
	// count; the bits do not: both compute every chunk's transforms and
	// GEMMs the same way.
	if items >= splitTarget || threads == 1 {
		// Enough chunks to go round: each work item does a whole chunk
		// (its transforms and GEMMs stay in its core's cache).
		type buf struct{ v, mm, band []float32 }
		scratch := make([]*buf, min(threads, items))
		defer func() {
			for _, b := range scratch {
				if b != nil {
					putScratch(b.v)
					putScratch(b.mm)
					putScratch(b.band)
				}
			}
		}()
		ParallelFor(items, threads, func(wk, it int) {
			n, g := geom(it)
			if scratch[wk] == nil {
				scratch[wk] = &buf{v: getScratch[float32](pts * wgStride(c, chunk)), mm: getScratch[float32](pts * wgStride(m, chunk)),
					band: getScratch[float32](bandSize)}
			}
			v := scratch[wk].v[:pts*wgStride(c, g.nt)]
			mm := scratch[wk].mm[:pts*wgStride(m, g.nt)]
			wgInputChans(tile, &g, x[n*c*plane:(n+1)*c*plane], c, 0, c, v, scratch[wk].band)
			for xi := 0; xi < pts; xi++ {
				wgGEMM(pa[xi], g.nt, v, mm, xi)
			}
			wgOutputChans(tile, &g, mm, m, 0, m, y[n*m*oplane:(n+1)*m*oplane], resOf(n), ep)
		})
		return
	}
	// Few chunks (small images, one image): each chunk's input transform,
	// GEMMs and output transform are split among the threads in turn, over
	// input channels, transform points and output channels. Each element
	// is computed the same way whichever thread does it.
	v := getScratch[float32](pts * wgStride(c, chunk))
	mm := getScratch[float32](pts * wgStride(m, chunk))
	defer putScratch(v)
	defer putScratch(mm)
	const cb = 8 // channels per work item of the transforms
	bands := make([][]float32, min(threads, (c+cb-1)/cb))
	defer func() {
		for _, b := range bands {
			if b != nil {
				putScratch(b)
			}
		}
	}()
	for it := 0; it < items; it++ {
		n, g := geom(it)
		vv, mv := v[:pts*wgStride(c, g.nt)], mm[:pts*wgStride(m, g.nt)]
		xn := x[n*c*plane : (n+1)*c*plane]
		ParallelFor((c+cb-1)/cb, threads, func(wk, b int) {
			if bands[wk] == nil {
				bands[wk] = getScratch[float32](bandSize)
			}
			wgInputChans(tile, &g, xn, c, b*cb, min(c, b*cb+cb), vv, bands[wk])
		})
		ParallelFor(pts, threads, func(_, xi int) { wgGEMM(pa[xi], g.nt, vv, mv, xi) })
		yn, res := y[n*m*oplane:(n+1)*m*oplane], resOf(n)
		ParallelFor((m+cb-1)/cb, threads, func(_, b int) {
			wgOutputChans(tile, &g, mv, m, b*cb, min(m, b*cb+cb), yn, res, ep)
		})
	}
}

// wgStride is the distance between consecutive transform points in V
// (rows = C) or M (rows = M) for a chunk of nt tiles: rows·nt rounded up
// to a whole, odd number of 64-byte lines, so that the transforms'
// 16 or 36 streams, one per point, fall in different cache sets (a
// multiple of 4 KiB would put them all in one).
func wgStride(rows, nt int) int {
	s := (rows*nt + 15) &^ 15
	if s&16 == 0 {
		s += 16
	}
	return s
}

// wgGEMM computes M[ξ] = U[ξ]·V[ξ] for one chunk of nt tiles.
func wgGEMM(pa *gemm.PackedA, nt int, v, mm []float32, xi int) {
	c, m := pa.Depth(), pa.Rows()
	vs, ms := wgStride(c, nt), wgStride(m, nt)
	gemm.SgemmPacked(1, pa, false, nt, v[xi*vs:xi*vs+c*nt], nt, 0, mm[xi*ms:xi*ms+m*nt], nt, gemm.Epilogue{})
}

// wgInputChans runs the input transform of channels c0..c1, band being
// scratch for the padded input rows.
func wgInputChans(tile int, g *wgGeom, xn []float32, c, c0, c1 int, v, band []float32) {
	if tile == 4 {
		wgInput43(g, xn, c, c0, c1, v, band)
	} else {
		wgInput23(g, xn, c, c0, c1, v, band)
	}
}

// wgOutputChans runs the output transform of output channels m0..m1.
func wgOutputChans(tile int, g *wgGeom, mm []float32, m, m0, m1 int, yn, res []float32, ep *wgEpilogue) {
	if tile == 4 {
		wgOutput43(g, mm, m, m0, m1, yn, res, ep)
	} else {
		wgOutput23(g, mm, m, m0, m1, yn, res, ep)
	}
}

// wgGeom is the geometry of one chunk: input and output sizes, padding,
// tiles per row, and the chunk's first tile and tile count.
type wgGeom struct {
	ih, iw, oh, ow, ph, pw, tw, t0, nt int
}

// apply applies the epilogue's activation to one value.
func (e *wgEpilogue) apply(s float32) float32 {
	switch e.act {
	case gemm.ActNone:
	case gemm.ActLeakyRelu:
		if s < 0 {
			s *= e.alpha
		}
	default: // Relu and Clip
		if s < e.lo {
			s = e.lo
		}
		if s > e.hi {
			s = e.hi
		}
	}
	return s
}

// bt6f computes Bᵀ·col for F(4×4, 3×3) (see bt6), factored to 14
// operations.
func bt6f(d0, d1, d2, d3, d4, d5 float32) (v0, v1, v2, v3, v4, v5 float32) {
	p, q := d1+d2, d1-d2
	r, s := d3+d4, d4-d3
	e, f := d4-d2, d3-d1
	// The explicit conversions keep each product rounded on its own (no
	// fused multiply-add), as the assembly computes it.
	return float32(4*d0) - float32(5*d2) + d4, r - float32(4*p), s + float32(4*q),
		e + float32(2*f), e - float32(2*f), float32(4*d1) - float32(5*d3) + d5
}

// at6f computes Aᵀ·col for F(4×4, 3×3) (see at6).
func at6f(m0, m1, m2, m3, m4, m5 float32) (o0, o1, o2, o3 float32) {
	a, b := m1+m2, m1-m2
	c, d := m3+m4, m3-m4
	return m0 + a + c, b + float32(2*d), a + float32(4*c), b + float32(8*d) + m5
}

// wgIn43Tile transforms the 6×6 input tile whose rows start at d[0],
// d[ld], ..., d[5·ld] and writes point ξ of it to out[ξ·stride].
func wgIn43Tile(d []float32, ld int, out []float32, stride int) {
	r0, r1, r2 := d[0:6], d[ld:ld+6], d[2*ld:2*ld+6]
	r3, r4, r5 := d[3*ld:3*ld+6], d[4*ld:4*ld+6], d[5*ld:5*ld+6]
	var e [6][6]float32
	for s := 0; s < 6; s++ {
		e[0][s], e[1][s], e[2][s], e[3][s], e[4][s], e[5][s] = bt6f(r0[s], r1[s], r2[s], r3[s], r4[s], r5[s])
	}
	_ = out[35*stride]
	for i := 0; i < 6; i++ {
		v0, v1, v2, v3, v4, v5 := bt6f(e[i][0], e[i][1], e[i][2], e[i][3], e[i][4], e[i][5])
		o := out[i*6*stride:]
		o[0] = v0
		o[stride] = v1
		o[2*stride] = v2
		o[3*stride] = v3
		o[4*stride] = v4
		o[5*stride] = v5
	}
}

// wgInput43 writes V[ξ][c][j] for the chunk's tiles of image xn, input
// channels c0..c1. Each channel's rows under the chunk are first copied
// into a zero-padded band, so that every tile is read the same way.
func wgInput43(g *wgGeom, xn []float32, c, c0, c1 int, v, band []float32) {
	nt := g.nt
	stride := wgStride(c, nt)
	ty0, ty1 := g.t0/g.tw, (g.t0+nt-1)/g.tw
	// Band: the input rows of tile rows ty0..ty1, from column -pw, wide
	// enough for the eight values read from each tile row.
	bh, bw := (ty1-ty0)*4+6, g.tw*4+4
	band = band[:bh*bw]
	var d [288]float32
	var offs [8]int
	plane := g.ih * g.iw
	for ci := c0; ci < c1; ci++ {
		wgBand(xn[ci*plane:(ci+1)*plane], g.ih, g.iw, ty0*4-g.ph, g.pw, band, bh, bw)
		vc := v[ci*nt:]
		ty, tx := g.t0/g.tw, g.t0%g.tw
		j := 0
		if wgAsm {
			// Eight tiles at a time, gathered from row pointers and
			// transformed in assembly.
			for ; j+8 <= nt; j += 8 {
				for l := 0; l < 8; l++ {
					offs[l] = (ty-ty0)*4*bw + tx*4
					if tx++; tx == g.tw {
						tx = 0
						ty++
					}
				}
				wgIn43o8Asm(band, &offs, bw, &d, vc[j:], stride)
			}
		}
		for ; j < nt; j++ {
			wgIn43Tile(band[(ty-ty0)*4*bw+tx*4:], bw, vc[j:], stride)
			if tx++; tx == g.tw {
				tx = 0
				ty++
			}
		}
	}
}

// wgBand copies rows y0..y0+bh of the plane xc (ih×iw) into band (bh
// rows of bw), image column x at band column x+pw, with zeros outside the
// image.
func wgBand(xc []float32, ih, iw, y0, pw int, band []float32, bh, bw int) {
	for r := 0; r < bh; r++ {
		dst := band[r*bw : (r+1)*bw]
		yy := y0 + r
		if yy < 0 || yy >= ih {
			clear(dst)
			continue
		}
		// Band columns b0..b1 hold image columns b0-pw..b1-pw.
		b0, b1 := min(max(pw, 0), bw), max(min(pw+iw, bw), 0)
		if b0 >= b1 {
			clear(dst)
			continue
		}
		clear(dst[:b0])
		copy(dst[b0:b1], xc[yy*iw+b0-pw:yy*iw+b1-pw])
		clear(dst[b1:])
	}
}

// wgIn43x8Go is the input transform of eight tiles given lane-major in d
// (see the assembly wgIn43x8); it overwrites d.
func wgIn43x8Go(d *[288]float32, v []float32, stride int) {
	for l := 0; l < 8; l++ {
		var t [36]float32
		for k := range t {
			t[k] = d[k*8+l]
		}
		wgIn43Tile(t[:], 6, v[l:], stride)
	}
}

// wgOutput43 computes the output tiles of the chunk from M[ξ][m][j] for
// output channels m0..m1, applying the epilogue.
func wgOutput43(g *wgGeom, mm []float32, m, m0, m1 int, yn, res []float32, ep *wgEpilogue) {
	nt := g.nt
	stride := wgStride(m, nt)
	plane := g.oh * g.ow
	var o8 [192]float32
	var offs [8]int
	var rows, rres [32]*float32
	var sy, sr [8 * 16]float32
	for mo := m0; mo < m1; mo++ {
		var bv float32
		if ep.bias != nil {
			bv = ep.bias[mo]
		}
		yo := yn[mo*plane : (mo+1)*plane]
		var ro []float32
		if res != nil {
			ro = res[mo*plane : (mo+1)*plane]
		}
		mc := mm[mo*nt:]
		ty, tx := g.t0/g.tw, g.t0%g.tw
		j := 0
		if wgAsm && ep.act != gemm.ActLeakyRelu {
			// Eight tiles at a time, transformed and stored with the
			// epilogue in assembly through row pointers: into the
			// output, or into scratch for tiles that cross its border.
			epv := [3]float32{bv, ep.lo, ep.hi}
			var resp **float32
			if ro != nil {
				resp = &rres[0]
			}
			for ; j+8 <= nt; j += 8 {
				ty0, tx0 := ty, tx
				full := true
				for l := 0; l < 8; l++ {
					oy, ox := ty*4, tx*4
					full = full && oy+4 <= g.oh && ox+4 <= g.ow
					offs[l] = oy*g.ow + ox
					if tx++; tx == g.tw {
						tx = 0
						ty++
					}
				}
				if full {
					wgOut43o8Asm(mc[j:], stride, &o8, yo, ro, &offs, g.ow, &epv)
					continue
				}
				ty, tx = ty0, tx0
				for l := 0; l < 8; l++ {
					oy, ox := ty*4, tx*4
					if oy+4 <= g.oh && ox+4 <= g.ow {
						for a := 0; a < 4; a++ {
							rows[8*a+l] = &yo[(oy+a)*g.ow+ox]
							if ro != nil {
								rres[8*a+l] = &ro[(oy+a)*g.ow+ox]
							}
						}
					} else {
						for a := 0; a < 4; a++ {
							rows[8*a+l] = &sy[l*16+4*a]
							if ro != nil {
								rr := sr[l*16+4*a : l*16+4*a+4]
								for b := range rr {
									if oy+a < g.oh && ox+b < g.ow {
										rr[b] = ro[(oy+a)*g.ow+ox+b]
									}
								}
								rres[8*a+l] = &rr[0]
							}
						}
					}
					if tx++; tx == g.tw {
						tx = 0
						ty++
					}
				}
				wgOut43s8Asm(mc[j:], stride, &o8, &rows, resp, &epv)
				// Copy the border tiles' valid parts out of scratch.
				ty, tx = ty0, tx0
				for l := 0; l < 8; l++ {
					oy, ox := ty*4, tx*4
					if oy+4 > g.oh || ox+4 > g.ow {
						for a := 0; a < 4 && oy+a < g.oh; a++ {
							n := min(4, g.ow-ox)
							copy(yo[(oy+a)*g.ow+ox:(oy+a)*g.ow+ox+n], sy[l*16+4*a:l*16+4*a+n])
						}
					}
					if tx++; tx == g.tw {
						tx = 0
						ty++
					}
				}
			}
		}
		if wgAsm {
			for ; j+8 <= nt; j += 8 {
				wgOut43x8Asm(mc[j:], stride, &o8)
				for l := 0; l < 8; l++ {
					var t [16]float32
					for k := range t {
						t[k] = o8[k*8+l]
					}
					wgStore44(g, &t, ty*4, tx*4, bv, yo, ro, ep)
					if tx++; tx == g.tw {
						tx = 0
						ty++
					}
				}
			}
		}
		for ; j < nt; j++ {
			var t [16]float32
			wgOut43Tile(mc[j:], stride, &t)
			wgStore44(g, &t, ty*4, tx*4, bv, yo, ro, ep)
			if tx++; tx == g.tw {
				tx = 0
				ty++
			}
		}
	}
}

// wgOut43Tile computes the 4×4 output tile Aᵀ·Q·A where Q[k][s] is
// q[(6k+s)·stride].
func wgOut43Tile(q []float32, stride int, t *[16]float32) {
	_ = q[35*stride]
	var rr [4][6]float32
	for s := 0; s < 6; s++ {
		rr[0][s], rr[1][s], rr[2][s], rr[3][s] = at6f(q[s*stride], q[(6+s)*stride], q[(12+s)*stride],
			q[(18+s)*stride], q[(24+s)*stride], q[(30+s)*stride])
	}
	for a := 0; a < 4; a++ {
		t[4*a], t[4*a+1], t[4*a+2], t[4*a+3] = at6f(rr[a][0], rr[a][1], rr[a][2], rr[a][3], rr[a][4], rr[a][5])
	}
}

// wgOut43x8Go is the output transform of eight tiles (see the assembly
// wgOut43x8): output (a, b) of tile l goes to out[(4a+b)·8+l].
func wgOut43x8Go(q []float32, stride int, out *[192]float32) {
	for l := 0; l < 8; l++ {
		var t [16]float32
		wgOut43Tile(q[l:], stride, &t)
		for k, v := range t {
			out[k*8+l] = v
		}
	}
}

// wgStore44 writes the 4×4 output tile t at (oy, ox) of the plane yo
// (clipped to the output) as act(t + bias + residual).
func wgStore44(g *wgGeom, t *[16]float32, oy, ox int, bv float32, yo, ro []float32, ep *wgEpilogue) {
	if oy+4 <= g.oh && ox+4 <= g.ow {
		for a := 0; a < 4; a++ {
			off := (oy+a)*g.ow + ox
			row := yo[off : off+4]
			vals := [4]float32{t[4*a] + bv, t[4*a+1] + bv, t[4*a+2] + bv, t[4*a+3] + bv}
			if ro != nil {
				rrow := ro[off : off+4]
				for b := range 4 {
					vals[b] += rrow[b]
				}
			}
			for b := range 4 {
				row[b] = ep.apply(vals[b])
			}
		}
		return
	}
	for a := 0; a < 4 && oy+a < g.oh; a++ {
		off := (oy+a)*g.ow + ox
		for b := 0; b < 4 && ox+b < g.ow; b++ {
			s := t[4*a+b] + bv
			if ro != nil {
				s += ro[off+b]
			}
			yo[off+b] = ep.apply(s)
		}
	}
}

// wgIn23Tile transforms the 4×4 input tile whose rows start at d[0],
// d[ld], d[2·ld], d[3·ld] (F(2×2, 3×3)) and writes point ξ of it to
// out[ξ·stride].
func wgIn23Tile(d []float32, ld int, out []float32, stride int) {
	r0, r1, r2, r3 := d[0:4], d[ld:ld+4], d[2*ld:2*ld+4], d[3*ld:3*ld+4]
	var e [4][4]float32
	for s := 0; s < 4; s++ {
		e[0][s] = r0[s] - r2[s]
		e[1][s] = r1[s] + r2[s]
		e[2][s] = r2[s] - r1[s]
		e[3][s] = r1[s] - r3[s]
	}
	_ = out[15*stride]
	for i := 0; i < 4; i++ {
		a0, a1, a2, a3 := e[i][0], e[i][1], e[i][2], e[i][3]
		o := out[i*4*stride:]
		o[0] = a0 - a2
		o[stride] = a1 + a2
		o[2*stride] = a2 - a1
		o[3*stride] = a1 - a3
	}
}

// wgInput23 writes V[ξ][c][j] for the chunk's tiles (F(2×2, 3×3)),
// input channels c0..c1, from a zero-padded band per channel (see
// wgInput43).
func wgInput23(g *wgGeom, xn []float32, c, c0, c1 int, v, band []float32) {
	nt := g.nt
	stride := wgStride(c, nt)
	ty0, ty1 := g.t0/g.tw, (g.t0+nt-1)/g.tw
	bh, bw := (ty1-ty0)*2+4, g.tw*2+2
	band = band[:bh*bw]
	var d [128]float32
	var offs [8]int
	plane := g.ih * g.iw
	for ci := c0; ci < c1; ci++ {
		wgBand(xn[ci*plane:(ci+1)*plane], g.ih, g.iw, ty0*2-g.ph, g.pw, band, bh, bw)
		vc := v[ci*nt:]
		ty, tx := g.t0/g.tw, g.t0%g.tw
		j := 0
		if wgAsm {
			for ; j+8 <= nt; j += 8 {
				for l := 0; l < 8; l++ {
					offs[l] = (ty-ty0)*2*bw + tx*2
					if tx++; tx == g.tw {
						tx = 0
						ty++
					}
				}
				wgIn23o8Asm(band, &offs, bw, &d, vc[j:], stride)
			}
		}
		for ; j < nt; j++ {
			wgIn23Tile(band[(ty-ty0)*2*bw+tx*2:], bw, vc[j:], stride)
			if tx++; tx == g.tw {
				tx = 0
				ty++
			}
		}
	}
}

// wgOutput23 computes the 2×2 output tiles of the chunk from M[ξ][m][j],
// applying the epilogue.
func wgOutput23(g *wgGeom, mm []float32, m, m0, m1 int, yn, res []float32, ep *wgEpilogue) {
	nt := g.nt
	stride := wgStride(m, nt)
	plane := g.oh * g.ow
	var rows, rres [16]*float32
	var sy, sr [8 * 4]float32
	for mo := m0; mo < m1; mo++ {
		var bv float32
		if ep.bias != nil {
			bv = ep.bias[mo]
		}
		yo := yn[mo*plane : (mo+1)*plane]
		var ro []float32
		if res != nil {
			ro = res[mo*plane : (mo+1)*plane]
		}
		mc := mm[mo*nt:]
		ty, tx := g.t0/g.tw, g.t0%g.tw
		j := 0
		if wgAsm && ep.act != gemm.ActLeakyRelu {
			// Eight tiles at a time in assembly, stored through row
			// pointers: into the output, or into scratch for tiles that
			// cross its border.
			epv := [3]float32{bv, ep.lo, ep.hi}
			var resp **float32
			if ro != nil {
				resp = &rres[0]
			}
			for ; j+8 <= nt; j += 8 {
				ty0, tx0 := ty, tx
				for l := 0; l < 8; l++ {
					oy, ox := ty*2, tx*2
					for a := 0; a < 2; a++ {
						if oy+2 <= g.oh && ox+2 <= g.ow {
							rows[8*a+l] = &yo[(oy+a)*g.ow+ox]
							if ro != nil {
								rres[8*a+l] = &ro[(oy+a)*g.ow+ox]
							}
							continue
						}
						rows[8*a+l] = &sy[l*4+2*a]
						if ro != nil {
							rr := sr[l*4+2*a : l*4+2*a+2]
							for b := range rr {
								if oy+a < g.oh && ox+b < g.ow {
									rr[b] = ro[(oy+a)*g.ow+ox+b]
								}
							}
							rres[8*a+l] = &rr[0]
						}
					}
					if tx++; tx == g.tw {
						tx = 0
						ty++
					}
				}
				wgOut23s8Asm(mc[j:], stride, &rows, resp, &epv)
				// Copy the border tiles' valid parts out of scratch.
				ty, tx = ty0, tx0
				for l := 0; l < 8; l++ {
					oy, ox := ty*2, tx*2
					if oy+2 > g.oh || ox+2 > g.ow {
						for a := 0; a < 2 && oy+a < g.oh; a++ {
							for b := 0; b < 2 && ox+b < g.ow; b++ {
								yo[(oy+a)*g.ow+ox+b] = sy[l*4+2*a+b]
							}
						}
					}
					if tx++; tx == g.tw {
						tx = 0
						ty++
					}
				}
			}
		}
		for ; j < nt; j++ {
			q := mc[j:]
			_ = q[15*stride]
			var r0, r1 [4]float32
			for s := 0; s < 4; s++ {
				q0, q1, q2, q3 := q[s*stride], q[(4+s)*stride], q[(8+s)*stride], q[(12+s)*stride]
				r0[s] = q0 + q1 + q2
				r1[s] = q1 - q2 - q3
			}
			vals := [4]float32{
				r0[0] + r0[1] + r0[2] + bv, r0[1] - r0[2] - r0[3] + bv,
				r1[0] + r1[1] + r1[2] + bv, r1[1] - r1[2] - r1[3] + bv,
			}
			oy, ox := ty*2, tx*2
			for a := 0; a < 2 && oy+a < g.oh; a++ {
				for b := 0; b < 2 && ox+b < g.ow; b++ {
					off := (oy+a)*g.ow + ox + b
					s := vals[a*2+b]
					if ro != nil {
						s += ro[off]
					}
					yo[off] = ep.apply(s)
				}
			}
			if tx++; tx == g.tw {
				tx = 0
				ty++
			}
		}
	}
}

var (
	negInf32 = float32(math.Inf(-1))
	posInf32 = float32(math.Inf(1))
)
