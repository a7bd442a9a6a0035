package gemm

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestSgemmPacked checks SgemmPacked against the reference, and that it
// gives bit for bit what the unpacked product gives (when it is no
// matrix-vector product).
func TestSgemmPacked(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	shapes := [][3]int{{1, 1, 1}, {64, 3136 / 7, 576}, {70, 49, 1030}, {13, 5, 300}, {512 / 4, 49, 4608 / 4}}
	for i := 0; i < 30; i++ {
		shapes = append(shapes, [3]int{1 + r.Intn(70), 1 + r.Intn(70), 1 + r.Intn(70)})
	}
	for _, ks := range kernelSets() {
		for i, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			transA, transB := i%2 == 1, i%3 == 1
			alpha, beta := float32(0.75), float32(i%2)*0.5
			lda, ldb, ldc := k+i%3, n+i%2, n+1
			if transA {
				lda = m + i%3
			}
			if transB {
				ldb = k + i%2
			}
			a := randSlice(r, lda*max(m, k))
			b := randSlice(r, ldb*max(n, k))
			ep := Epilogue{Bias: randSlice(r, m), BiasPerRow: true, Act: ActRelu}
			gc := newGuarded(r, m, n, ldc)
			want := gc.clone()
			SgemmRef(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, want.mat(), ldc)
			mag := refMag(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, gc.mat(), ldc)
			same := gc.clone()
			sgemm(ks, 1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, same.mat(), ldc, &ep)
			pa := packAWith(ks, transA, m, k, alpha, a, lda)
			if pa.Rows() != m || pa.Depth() != k {
				t.Fatalf("PackedA is %d×%d, want %d×%d", pa.Rows(), pa.Depth(), m, k)
			}
			for _, threads := range []int{1, 2, 3} {
				name := fmt.Sprintf("%s/m%d_n%d_k%d_ta%v_tb%v/t%d", ks.name, m, n, k, transA, transB, threads)
				got := gc.clone()
				SgemmPacked(threads, pa, transB, n, b, ldb, beta, got.mat(), ldc, ep)
				got.checkGuards(t, name)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						g := got.mat()[i*ldc+j]
						w := max(want.mat()[i*ldc+j]+ep.Bias[i], 0)
						if !closeTo(g, w, k, mag[i*n+j]+1) {
							t.Fatalf("%s: c[%d,%d] = %v, want %v", name, i, j, g, w)
						}
						// (One row or column goes through the
						// matrix-vector path, summed otherwise.)
						if m > 1 && n > 1 && math.Float32bits(g) != math.Float32bits(same.mat()[i*ldc+j]) {
							t.Fatalf("%s: c[%d,%d] = %v, unpacked product gives %v", name, i, j, g, same.mat()[i*ldc+j])
						}
					}
				}
			}
		}
	}
}

func TestSgemmPackedZeroK(t *testing.T) {
	pa := PackA(false, 2, 0, 1, nil, 0)
	c := []float32{1, 2, 3, 4}
	SgemmPacked(1, pa, false, 2, nil, 2, 2, c, 2, Epilogue{Bias: []float32{1, 1}})
	if c[0] != 3 || c[3] != 9 {
		t.Fatalf("got %v, want [3 5 7 9]", c)
	}
}

// fillFrom is the FillB of a stored row-major k×n matrix b: the reference
// for the documented panel layout.
func fillFrom(b []float32, ldb int) FillB {
	return func(dst []float32, pc, kb, j0, nb, nr, lastW int) {
		for q := 0; q*nr < nb; q++ {
			pw := nr
			if (q+1)*nr >= nb {
				pw = lastW
			}
			panel := dst[q*nr*kb:]
			for p := 0; p < kb; p++ {
				for c := 0; c < pw; c++ {
					v := float32(0)
					if j := q*nr + c; j < nb {
						v = b[(pc+p)*ldb+j0+j]
					}
					panel[p*pw+c] = v
				}
			}
		}
	}
}

// TestSgemmPackedRowsAndFill checks that a range of rows computed with
// SgemmPackedRows, or with SgemmPackedFill from a FillB, gives bit for bit
// those rows of SgemmPacked's product, epilogue included, and writes
// nothing outside C.
func TestSgemmPackedRowsAndFill(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	shapes := [][3]int{{1, 1, 1}, {6, 16, 1}, {7, 17, 600}, {64, 49, 576}, {13, 4200, 40}, {40, 33, 300}, {1, 100, 70}}
	for i := 0; i < 20; i++ {
		shapes = append(shapes, [3]int{1 + r.Intn(50), 1 + r.Intn(90), 1 + r.Intn(600)})
	}
	acts := []Activation{ActNone, ActRelu, ActSigmoid, ActClip}
	for _, ks := range kernelSets() {
		for si, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			ldb, ldc := n+si%3, n+si%2
			a, b := randSlice(r, m*k), randSlice(r, k*ldb)
			pa := packAWith(ks, false, m, k, 1, a, k)
			ep := Epilogue{Act: acts[si%len(acts)], Min: -0.25, Max: 0.5}
			if si%2 == 0 {
				ep.Bias, ep.BiasPerRow = randSlice(r, m), true
			}
			if si%3 != 2 {
				ep.Residual, ep.LdResidual = randSlice(r, m*(n+1)), n+1
			}
			want := make([]float32, m*ldc)
			SgemmPacked(1, pa, false, n, b, ldb, 0, want, ldc, ep)
			align := pa.RowAlign()
			for trial := 0; trial < 4; trial++ {
				i0 := r.Intn(m/align+1) * align
				if i0 >= m {
					i0 = 0
				}
				i1 := i0 + 1 + r.Intn(m-i0)
				if trial == 0 {
					i0, i1 = 0, m
				}
				e := ep
				if e.Bias != nil {
					e.Bias = e.Bias[i0:]
				}
				if e.Residual != nil {
					e.Residual = e.Residual[i0*e.LdResidual:]
				}
				for _, mode := range []string{"rows", "fill"} {
					for _, th := range []int{1, 3} {
						if mode == "fill" && th > 1 {
							continue
						}
						name := fmt.Sprintf("%s/%s/m%d_n%d_k%d/rows%d-%d/t%d", ks.name, mode, m, n, k, i0, i1, th)
						gc := newGuarded(r, i1-i0, n, ldc)
						if mode == "rows" {
							SgemmPackedRows(th, pa, i0, i1, false, n, b, ldb, 0, gc.mat(), ldc, e)
						} else {
							SgemmPackedFill(pa, i0, i1, n, fillFrom(b, ldb), gc.mat(), ldc, e)
						}
						gc.checkGuards(t, name)
						for i := i0; i < i1; i++ {
							for j := 0; j < n; j++ {
								g, w := gc.mat()[(i-i0)*ldc+j], want[i*ldc+j]
								if math.Float32bits(g) != math.Float32bits(w) {
									t.Fatalf("%s: c[%d,%d] = %v, SgemmPacked gives %v", name, i, j, g, w)
								}
							}
						}
					}
				}
			}
		}
	}
}

func TestSgemmPackedRowsRejectsMisalignedRows(t *testing.T) {
	pa := PackA(false, 20, 3, 1, make([]float32, 60), 3)
	if pa.RowAlign() == 1 {
		t.Skip("every row is aligned")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a misaligned first row")
		}
	}()
	SgemmPackedRows(1, pa, 1, 5, false, 2, make([]float32, 6), 2, 0, make([]float32, 8), 2, Epilogue{})
}
