package conv

import "github.com/onnxrun/onnxrun/internal/gemm"

// Winograd F(4×4, 3×3): 4×4 output tiles from 6×6 input tiles, 36 GEMMs
// per chunk of tiles and 2.25 multiplies per output and input channel (4
// times fewer than direct, 1.8 times fewer than F(2×2, 3×3)). The
// transforms are the usual ones with interpolation points 0, ±1, ±2, ∞:
//
//	Bᵀ = | 4  0 -5  0 1 0 |   G = |  1/4     0     0   |   Aᵀ = | 1 1  1 1  1 0 |
//	     | 0 -4 -4  1 1 0 |       | -1/6  -1/6  -1/6  |        | 0 1 -1 2 -2 0 |
//	     | 0  4 -4 -1 1 0 |       | -1/6   1/6  -1/6  |        | 0 1  1 4  4 0 |
//	     | 0 -2 -1  2 1 0 |       |  1/24  1/12  1/6  |        | 0 1 -1 8 -8 1 |
//	     | 0  2 -1 -2 1 0 |       |  1/24 -1/12  1/6  |
//	     | 0  4  0 -5 0 1 |       |  0     0     1    |

var (
	wBT43 = [6][6]float64{
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	}
	wG43 = [6][3]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	}
	wAT43 = [4][6]float64{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	}
)

// winograd43OK reports whether F(4×4, 3×3) suits p: the F(2×2, 3×3)
// conditions and outputs large enough for 4×4 tiles to be mostly full.
func winograd43OK(p *Params) bool {
	return winogradOK(p) && p.Out[0] >= 8 && p.Out[1] >= 8
}

// Winograd43Weights transforms weights [M, C, 3, 3] to U = G g Gᵀ laid out
// [36][M][C].
func Winograd43Weights[T float32 | float64](w []T, m, c int) []T {
	u := make([]T, 36*m*c)
	for o := 0; o < m; o++ {
		for i := 0; i < c; i++ {
			g := w[(o*c+i)*9 : (o*c+i)*9+9]
			var t [6][3]float64
			for r := 0; r < 6; r++ {
				for j := 0; j < 3; j++ {
					t[r][j] = wG43[r][0]*float64(g[j]) + wG43[r][1]*float64(g[3+j]) + wG43[r][2]*float64(g[6+j])
				}
			}
			for r := 0; r < 6; r++ {
				for s := 0; s < 6; s++ {
					v := t[r][0]*wG43[s][0] + t[r][1]*wG43[s][1] + t[r][2]*wG43[s][2]
					u[((r*6+s)*m+o)*c+i] = T(v)
				}
			}
		}
	}
	return u
}

// bt6 computes Bᵀ·col for one column of 6 values (the rows of Bᵀ above,
// written out).
func bt6[T float32 | float64 | int32](d0, d1, d2, d3, d4, d5 T) (T, T, T, T, T, T) {
	return 4*d0 - 5*d2 + d4,
		-4*d1 - 4*d2 + d3 + d4,
		4*d1 - 4*d2 - d3 + d4,
		-2*d1 - d2 + 2*d3 + d4,
		2*d1 - d2 - 2*d3 + d4,
		4*d1 - 5*d3 + d5
}

// at6 computes Aᵀ·col for one column of 6 values.
func at6[T float32 | float64 | int32](m0, m1, m2, m3, m4, m5 T) (T, T, T, T) {
	a, b := m1+m2, m1-m2
	c, d := m3+m4, m3-m4
	return m0 + a + c, b + 2*d, a + 4*c, b + 8*d + m5
}

// runWinograd43 computes the convolution from Winograd43Weights u.
func (pl *Plan[T]) runWinograd43(x, u, bias, y []T, threads int) {
	p := &pl.P
	if xf, ok := any(x).([]float32); ok {
		// Not reached from Plan.Run (PackWeights packs float32 weights
		// for runWinogradPackedF32); kept for direct callers.
		pa := make([]*gemm.PackedA, 0, 36)
		pts := len(u) / (p.M * p.C)
		for xi := 0; xi < pts; xi++ {
			pa = append(pa, gemm.PackA(false, p.M, p.C, 1, any(u[xi*p.M*p.C:(xi+1)*p.M*p.C]).([]float32), p.C))
		}
		runWinogradPackedF32(p, Winograd43, xf, pa, any(bias).([]float32), nil, any(y).([]float32), threads)
		return
	}
	ih, iw := p.In[0], p.In[1]
	oh, ow := p.Out[0], p.Out[1]
	ph, pw := p.Pads[0], p.Pads[1]
	th, tw := (oh+3)/4, (ow+3)/4
	tiles := th * tw
	c, m := p.C, p.M
	chunk := max(8, min(((1<<17)/(36*(c+m)))&^7, 128))
	chunk = splitChunk(chunk, tiles, p.N)
	chunks := (tiles + chunk - 1) / chunk
	items := p.N * chunks
	type buf struct{ v, mm []T }
	scratch := make([]*buf, min(threads, items))
	defer func() {
		for _, b := range scratch {
			if b != nil {
				putScratch(b.v)
				putScratch(b.mm)
			}
		}
	}()
	ParallelFor(items, threads, func(wk, it int) {
		n, ck := it/chunks, it%chunks
		t0 := ck * chunk
		nt := min(chunk, tiles-t0)
		if scratch[wk] == nil {
			scratch[wk] = &buf{v: getScratch[T](36 * c * chunk), mm: getScratch[T](36 * m * chunk)}
		}
		v := scratch[wk].v[:36*c*nt]
		mm := scratch[wk].mm[:36*m*nt]
		stride := c * nt // distance between consecutive ξ in V
		for ci := 0; ci < c; ci++ {
			xc := x[(n*c+ci)*ih*iw : (n*c+ci+1)*ih*iw]
			for j := 0; j < nt; j++ {
				t := t0 + j
				y0, x0 := (t/tw)*4-ph, (t%tw)*4-pw
				var d [6][6]T
				inside := y0 >= 0 && x0 >= 0 && y0+6 <= ih && x0+6 <= iw
				for r := 0; r < 6; r++ {
					yy := y0 + r
					if inside {
						row := xc[yy*iw+x0 : yy*iw+x0+6]
						d[r] = [6]T{row[0], row[1], row[2], row[3], row[4], row[5]}
						continue
					}
					if yy < 0 || yy >= ih {
						continue
					}
					for s := 0; s < 6; s++ {
						if xx := x0 + s; xx >= 0 && xx < iw {
							d[r][s] = xc[yy*iw+xx]
						}
					}
				}
				// E = Bᵀ d (columns), then V = E B (rows).
				var e [6][6]T
				for s := 0; s < 6; s++ {
					e[0][s], e[1][s], e[2][s], e[3][s], e[4][s], e[5][s] = bt6(d[0][s], d[1][s], d[2][s], d[3][s], d[4][s], d[5][s])
				}
				for r := 0; r < 6; r++ {
					v0, v1, v2, v3, v4, v5 := bt6(e[r][0], e[r][1], e[r][2], e[r][3], e[r][4], e[r][5])
					base := (r*6*c+ci)*nt + j
					v[base] = v0
					v[base+stride] = v1
					v[base+2*stride] = v2
					v[base+3*stride] = v3
					v[base+4*stride] = v4
					v[base+5*stride] = v5
				}
			}
		}
		clear(mm)
		for xi := 0; xi < 36; xi++ {
			gemmAcc(false, m, nt, c, u[xi*m*c:], c, v[xi*c*nt:], nt, mm[xi*m*nt:], nt)
		}
		for mo := 0; mo < m; mo++ {
			var bv T
			if bias != nil {
				bv = bias[mo]
			}
			yo := y[(n*m+mo)*oh*ow : (n*m+mo+1)*oh*ow]
			for j := 0; j < nt; j++ {
				var q [6][6]T
				for xi := 0; xi < 36; xi++ {
					q[xi/6][xi%6] = mm[(xi*m+mo)*nt+j]
				}
				// R = Aᵀ q (4×6), then Y = R A (4×4).
				var rr [4][6]T
				for s := 0; s < 6; s++ {
					rr[0][s], rr[1][s], rr[2][s], rr[3][s] = at6(q[0][s], q[1][s], q[2][s], q[3][s], q[4][s], q[5][s])
				}
				t := t0 + j
				oy, ox := (t/tw)*4, (t%tw)*4
				for a := 0; a < 4 && oy+a < oh; a++ {
					y0, y1, y2, y3 := at6(rr[a][0], rr[a][1], rr[a][2], rr[a][3], rr[a][4], rr[a][5])
					row := yo[(oy+a)*ow:]
					vals := [4]T{y0 + bv, y1 + bv, y2 + bv, y3 + bv}
					for b := 0; b < 4 && ox+b < ow; b++ {
						row[ox+b] = vals[b]
					}
				}
			}
		}
	})
}
