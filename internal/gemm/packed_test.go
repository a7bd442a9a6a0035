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
