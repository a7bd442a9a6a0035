package conv

import "github.com/onnxrun/onnxrun/internal/gemm"

// Winograd F(2×2, 3×3): each 2×2 output tile comes from a 4×4 input tile d
// as Y = Aᵀ [ Σ_c (G g Gᵀ) ⊙ (Bᵀ d B) ] A, which turns the 36 multiplies per
// tile and input channel of a direct 3×3 convolution into 16, done as 16
// GEMMs [M × C]·[C × tiles] over a chunk of tiles.
//
//	Bᵀ = | 1  0 -1  0 |   G = | 1    0    0   |   Aᵀ = | 1 1  1  0 |
//	     | 0  1  1  0 |       | 1/2  1/2  1/2 |        | 0 1 -1 -1 |
//	     | 0 -1  1  0 |       | 1/2 -1/2  1/2 |
//	     | 0  1  0 -1 |       | 0    0    1   |

// winogradOK reports whether p is a convolution Winograd F(2×2, 3×3)
// computes: 2-d, 3×3, stride 1, no dilation, one group, and enough
// channels for the transforms to pay off.
func winogradOK(p *Params) bool {
	return len(p.In) == 2 && p.Group == 1 && p.Kernel[0] == 3 && p.Kernel[1] == 3 &&
		p.Strides[0] == 1 && p.Strides[1] == 1 && p.Dilations[0] == 1 && p.Dilations[1] == 1 &&
		p.C >= 8 && p.M >= 8 && p.Out[0] >= 4 && p.Out[1] >= 4
}

// WinogradWeights transforms weights [M, C, 3, 3] to U = G g Gᵀ laid out
// [16][M][C]: the A operands of the 16 GEMMs.
func WinogradWeights[T float32 | float64](w []T, m, c int) []T {
	u := make([]T, 16*m*c)
	for o := 0; o < m; o++ {
		for i := 0; i < c; i++ {
			g := w[(o*c+i)*9 : (o*c+i)*9+9]
			// t = G g (4×3)
			var t [4][3]T
			for j := 0; j < 3; j++ {
				g0, g1, g2 := g[j], g[3+j], g[6+j]
				t[0][j] = g0
				t[1][j] = (g0 + g1 + g2) / 2
				t[2][j] = (g0 - g1 + g2) / 2
				t[3][j] = g2
			}
			// U = t Gᵀ (4×4)
			for r := 0; r < 4; r++ {
				a, b, cc := t[r][0], t[r][1], t[r][2]
				row := [4]T{a, (a + b + cc) / 2, (a - b + cc) / 2, cc}
				for s := 0; s < 4; s++ {
					u[((r*4+s)*m+o)*c+i] = row[s]
				}
			}
		}
	}
	return u
}

// winogradChunk is the number of 2×2 tiles one work item transforms.
func (pl *Plan[T]) winogradChunk() int {
	// Keep V (16·C·chunk) and M (16·M·chunk) near half a MB of float32.
	per := 16 * (pl.P.C + pl.P.M)
	ch := (1 << 17) / per
	return max(8, min(ch&^7, 256))
}

// runWinograd computes the convolution from transformed weights u
// (WinogradWeights layout); bias may be nil.
func (pl *Plan[T]) runWinograd(x, u, bias, y []T, threads int) {
	p := &pl.P
	if xf, ok := any(x).([]float32); ok {
		// Not reached from Plan.Run (PackWeights packs float32 weights
		// for runWinogradPackedF32); kept for direct callers.
		pa := make([]*gemm.PackedA, 0, 36)
		pts := len(u) / (p.M * p.C)
		for xi := 0; xi < pts; xi++ {
			pa = append(pa, gemm.PackA(false, p.M, p.C, 1, any(u[xi*p.M*p.C:(xi+1)*p.M*p.C]).([]float32), p.C))
		}
		runWinogradPackedF32(p, Winograd, xf, pa, any(bias).([]float32), nil, any(y).([]float32), threads)
		return
	}
	ih, iw := p.In[0], p.In[1]
	oh, ow := p.Out[0], p.Out[1]
	ph, pw := p.Pads[0], p.Pads[1]
	th, tw := (oh+1)/2, (ow+1)/2
	tiles := th * tw
	chunk := pl.winogradChunk()
	chunk = splitChunk(chunk, tiles, p.N)
	chunks := (tiles + chunk - 1) / chunk
	items := p.N * chunks
	c, m := p.C, p.M
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
			scratch[wk] = &buf{v: getScratch[T](16 * c * chunk), mm: getScratch[T](16 * m * chunk)}
		}
		v := scratch[wk].v[:16*c*nt]
		mm := scratch[wk].mm[:16*m*nt]
		// Input transform: V[ξ][c][t] = (Bᵀ d B)[ξ].
		for ci := 0; ci < c; ci++ {
			xc := x[(n*c+ci)*ih*iw : (n*c+ci+1)*ih*iw]
			for j := 0; j < nt; j++ {
				t := t0 + j
				y0, x0 := (t/tw)*2-ph, (t%tw)*2-pw
				var d [4][4]T
				inside := y0 >= 0 && x0 >= 0 && y0+4 <= ih && x0+4 <= iw
				for r := 0; r < 4; r++ {
					yy := y0 + r
					if inside {
						row := xc[yy*iw+x0 : yy*iw+x0+4]
						d[r] = [4]T{row[0], row[1], row[2], row[3]}
						continue
					}
					if yy < 0 || yy >= ih {
						continue
					}
					for s := 0; s < 4; s++ {
						if xx := x0 + s; xx >= 0 && xx < iw {
							d[r][s] = xc[yy*iw+xx]
						}
					}
				}
				// Bᵀ d
				var e [4][4]T
				for s := 0; s < 4; s++ {
					e[0][s] = d[0][s] - d[2][s]
					e[1][s] = d[1][s] + d[2][s]
					e[2][s] = d[2][s] - d[1][s]
					e[3][s] = d[1][s] - d[3][s]
				}
				// (Bᵀ d) B
				for r := 0; r < 4; r++ {
					a0, a1, a2, a3 := e[r][0], e[r][1], e[r][2], e[r][3]
					base := (r*4*c+ci)*nt + j
					v[base] = a0 - a2
					v[base+c*nt] = a1 + a2
					v[base+2*c*nt] = a2 - a1
					v[base+3*c*nt] = a1 - a3
				}
			}
		}
		// 16 GEMMs: M[ξ] (m×nt) = U[ξ] (m×c) · V[ξ] (c×nt).
		clear(mm)
		for xi := 0; xi < 16; xi++ {
			gemmAcc(false, m, nt, c, u[xi*m*c:], c, v[xi*c*nt:], nt, mm[xi*m*nt:], nt)
		}
		// Output transform: Y = Aᵀ M A per output channel and tile.
		for mo := 0; mo < m; mo++ {
			var bv T
			if bias != nil {
				bv = bias[mo]
			}
			yo := y[(n*m+mo)*oh*ow : (n*m+mo+1)*oh*ow]
			for j := 0; j < nt; j++ {
				var q [4][4]T
				for xi := 0; xi < 16; xi++ {
					q[xi/4][xi%4] = mm[(xi*m+mo)*nt+j]
				}
				// Aᵀ q (2×4)
				var r0, r1 [4]T
				for s := 0; s < 4; s++ {
					r0[s] = q[0][s] + q[1][s] + q[2][s]
					r1[s] = q[1][s] - q[2][s] - q[3][s]
				}
				y00 := r0[0] + r0[1] + r0[2] + bv
				y01 := r0[1] - r0[2] - r0[3] + bv
				y10 := r1[0] + r1[1] + r1[2] + bv
				y11 := r1[1] - r1[2] - r1[3] + bv
				t := t0 + j
				oy, ox := (t/tw)*2, (t%tw)*2
				yo[oy*ow+ox] = y00
				if ox+1 < ow {
					yo[oy*ow+ox+1] = y01
				}
				if oy+1 < oh {
					yo[(oy+1)*ow+ox] = y10
					if ox+1 < ow {
						yo[(oy+1)*ow+ox+1] = y11
					}
				}
			}
		}
	})
}

// splitTarget is the number of work items splitChunk aims for. It is a
// constant, not the run's thread count: the chunk decides the width of the
// transform-domain GEMMs, and a width that changed with the thread count
// would change which GEMM kernel computes a given output and so its last
// bits (outputs must be bit-identical across thread counts).
const splitTarget = 16

// splitChunk shrinks a chunk of tiles (to no fewer than 4) when there would
// be fewer than splitTarget work items, as for small images, so that
// several threads have work.
func splitChunk(chunk, tiles, n int) int {
	if n*((tiles+chunk-1)/chunk) >= splitTarget {
		return chunk
	}
	perImage := (splitTarget + n - 1) / n
	return max(4, min(chunk, (tiles+perImage-1)/perImage))
}
