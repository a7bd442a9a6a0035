package conv

// sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major float32
// matrices (op(A) m×k, op(B) k×n, C m×n), with the signature of a BLAS
// SGEMM. It is a packed, register-blocked pure-Go implementation; a faster
// shared GEMM can replace it here without touching the convolution code.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if beta != 1 {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
			} else {
				for j := range row {
					row[j] *= beta
				}
			}
		}
	}
	if k == 0 || alpha == 0 {
		return
	}
	const mc, kc, nc = 64, 256, 512
	kmax := min(kc, k)
	apack := make([]float32, kmax*((min(mc, m)+3)&^3))
	bpack := make([]float32, kmax*((min(nc, n)+3)&^3))
	for j0 := 0; j0 < n; j0 += nc {
		nb := min(nc, n-j0)
		for p0 := 0; p0 < k; p0 += kc {
			kb := min(kc, k-p0)
			packB(transB, b, ldb, p0, j0, kb, nb, bpack)
			for i0 := 0; i0 < m; i0 += mc {
				mb := min(mc, m-i0)
				packA(transA, a, lda, i0, p0, mb, kb, alpha, apack)
				for jr := 0; jr < nb; jr += 4 {
					bp := bpack[jr*kb : jr*kb+4*kb]
					for ir := 0; ir < mb; ir += 4 {
						ap := apack[ir*kb : ir*kb+4*kb]
						micro4x4(kb, ap, bp, c, (i0+ir)*ldc+j0+jr, ldc, min(4, mb-ir), min(4, nb-jr))
					}
				}
			}
		}
	}
}

// packA stores alpha·op(A)[i0:i0+mb, p0:p0+kb] as panels of 4 rows, each
// panel k-major (4 consecutive values per k), zero-padding the last panel.
func packA(trans bool, a []float32, lda, i0, p0, mb, kb int, alpha float32, dst []float32) {
	for ir := 0; ir < mb; ir += 4 {
		panel := dst[ir*kb : ir*kb+4*kb]
		for r := 0; r < 4; r++ {
			i := i0 + ir + r
			if ir+r >= mb {
				for p := 0; p < kb; p++ {
					panel[p*4+r] = 0
				}
				continue
			}
			if trans {
				for p := 0; p < kb; p++ {
					panel[p*4+r] = alpha * a[(p0+p)*lda+i]
				}
			} else {
				row := a[i*lda+p0 : i*lda+p0+kb]
				for p, v := range row {
					panel[p*4+r] = alpha * v
				}
			}
		}
	}
}

// packB stores op(B)[p0:p0+kb, j0:j0+nb] as panels of 4 columns, each panel
// k-major, zero-padding the last panel.
func packB(trans bool, b []float32, ldb, p0, j0, kb, nb int, dst []float32) {
	for jr := 0; jr < nb; jr += 4 {
		panel := dst[jr*kb : jr*kb+4*kb]
		w := min(4, nb-jr)
		for p := 0; p < kb; p++ {
			q := panel[p*4 : p*4+4]
			for s := 0; s < 4; s++ {
				if s >= w {
					q[s] = 0
				} else if trans {
					q[s] = b[(j0+jr+s)*ldb+p0+p]
				} else {
					q[s] = b[(p0+p)*ldb+j0+jr+s]
				}
			}
		}
	}
}

// micro4x4 adds the product of a 4-row A panel and a 4-column B panel (both
// k-major) to the mr×nr block of C at offset off.
func micro4x4(kb int, ap, bp []float32, c []float32, off, ldc, mr, nr int) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	ap = ap[:4*kb]
	bp = bp[:4*kb]
	for p := 0; p+3 < len(ap) && p+3 < len(bp); p += 4 {
		a0, a1, a2, a3 := ap[p], ap[p+1], ap[p+2], ap[p+3]
		b0, b1, b2, b3 := bp[p], bp[p+1], bp[p+2], bp[p+3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	acc := [4][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}}
	for r := 0; r < mr; r++ {
		row := c[off+r*ldc : off+r*ldc+nr]
		for s := range row {
			row[s] += acc[r][s]
		}
	}
}
