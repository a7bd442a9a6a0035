package gemm

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

const guard = 7

// withGuard returns a slice of n elements followed by a guard band of NaNs
// that must stay untouched.
func withGuard(s []float32) []float32 {
	out := make([]float32, len(s)+guard)
	copy(out, s)
	for i := len(s); i < len(out); i++ {
		out[i] = float32(math.NaN())
	}
	return out
}

func TestSgemmMatchesReference(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	sizes := [][3]int{{1, 1, 1}, {1, 7, 3}, {5, 1, 9}, {3, 5, 2}, {4, 4, 4}, {7, 13, 5},
		{17, 3, 300}, {65, 67, 259}, {130, 9, 31}, {2, 2100, 3}, {33, 2049, 17}, {0, 3, 4}, {3, 4, 0},
		{1, 300, 200}, {1, 1, 7}, {200, 1, 300}, {1, 5000, 70}, {3000, 1, 90}}
	for _, sz := range sizes {
		m, n, k := sz[0], sz[1], sz[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}, {0, 3}} {
					for _, threads := range []int{1, 3} {
						alpha, beta := ab[0], ab[1]
						name := fmt.Sprintf("m%d_n%d_k%d_ta%v_tb%v_a%v_b%v_t%d", m, n, k, ta, tb, alpha, beta, threads)
						lda, ldb, ldc := k+2, n+1, n+3
						if ta {
							lda = m + 2
						}
						if tb {
							ldb = k + 1
						}
						ar, br := m, k
						if ta {
							ar = k
						}
						if tb {
							br = n
						}
						a := randSlice(r, max(0, ar*lda-(lda-ifElse(ta, m, k))))
						b := randSlice(r, max(0, br*ldb-(ldb-ifElse(tb, k, n))))
						c0 := randSlice(r, max(0, m*ldc-(ldc-n)))
						want := append([]float32{}, c0...)
						SgemmRef(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
						got := withGuard(c0)
						SgemmThreads(threads, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, got[:len(c0)], ldc)
						for i := range want {
							if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
								t.Fatalf("%s: c[%d] = %v, want %v", name, i, got[i], want[i])
							}
						}
						for i := len(c0); i < len(got); i++ {
							if !math.IsNaN(float64(got[i])) {
								t.Fatalf("%s: guard element %d overwritten", name, i-len(c0))
							}
						}
					}
				}
			}
		}
	}
}

func ifElse(c bool, x, y int) int {
	if c {
		return x
	}
	return y
}

func TestSgemmBetaZeroClearsNaN(t *testing.T) {
	c := []float32{float32(math.NaN()), float32(math.Inf(1))}
	Sgemm(false, false, 1, 2, 1, 1, []float32{2}, 1, []float32{3, 4}, 2, 0, c, 2)
	if c[0] != 6 || c[1] != 8 {
		t.Fatalf("got %v, want [6 8]", c)
	}
}

func TestSgemmShortSlicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a short A")
		}
	}()
	Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
}

func BenchmarkSgemv(b *testing.B) {
	for _, tb := range []bool{false, true} {
		b.Run(fmt.Sprint("transB=", tb), func(b *testing.B) {
			r := rand.New(rand.NewSource(1))
			const k, n = 2048, 2048
			x, y, z := randSlice(r, k), randSlice(r, k*n), make([]float32, n)
			ldb := n
			if tb {
				ldb = k
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Sgemm(false, tb, 1, n, k, 1, x, k, y, ldb, 0, z, n)
			}
			b.ReportMetric(2*float64(n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range []int{64, 256, 512, 1024} {
		b.Run(fmt.Sprint(s), func(b *testing.B) {
			r := rand.New(rand.NewSource(1))
			x, y, z := randSlice(r, s*s), randSlice(r, s*s), make([]float32, s*s)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Sgemm(false, false, s, s, s, 1, x, s, y, s, 0, z, s)
			}
			b.ReportMetric(2*float64(s*s*s)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
