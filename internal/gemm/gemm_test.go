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

const guard = 9

var nan32 = float32(math.NaN())

// guarded holds an m×n matrix with leading dimension ld inside a buffer
// whose guard bands (before, after, and between the rows when ld > n) are
// NaN and must stay so.
type guarded struct {
	buf        []float32
	m, n, ld   int
	start, end int
}

func newGuarded(r *rand.Rand, m, n, ld int) *guarded {
	size := 0
	if m > 0 && n > 0 {
		size = (m-1)*ld + n
	}
	g := &guarded{buf: make([]float32, size+2*guard), m: m, n: n, ld: ld, start: guard, end: guard + size}
	for i := range g.buf {
		g.buf[i] = nan32
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			g.buf[guard+i*ld+j] = r.Float32()*2 - 1
		}
	}
	return g
}

func (g *guarded) mat() []float32 { return g.buf[g.start:g.end] }

func (g *guarded) clone() *guarded {
	h := *g
	h.buf = append([]float32(nil), g.buf...)
	return &h
}

// checkGuards fails unless every element outside the matrix is still NaN.
func (g *guarded) checkGuards(t *testing.T, name string) {
	t.Helper()
	for i, v := range g.buf {
		off := i - g.start
		inside := off >= 0 && i < g.end && off%g.ld < g.n
		if !inside && !math.IsNaN(float64(v)) {
			t.Fatalf("%s: guard element at offset %d overwritten with %v", name, off, v)
		}
	}
}

// refMag returns |alpha|·Σ|a||b| + |beta·c| for each element: the scale of
// the rounding error a float32 sum may make.
func refMag(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	mag := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += math.Abs(float64(av) * float64(bv))
			}
			s *= math.Abs(float64(alpha))
			if beta != 0 {
				s += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			mag[i*n+j] = s
		}
	}
	return mag
}

// close reports whether got is within the float32 rounding error of want
// for a sum of k products of scale mag.
func closeTo(got, want float32, k int, mag float64) bool {
	tol := 2e-7*float64(k+4)*mag + 1e-30
	return math.Abs(float64(got)-float64(want)) <= tol
}

type gemmCase struct {
	m, n, k        int
	transA, transB bool
	alpha, beta    float32
	pad            [3]int // extra leading-dimension elements of A, B, C
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("m%d_n%d_k%d_ta%v_tb%v_a%v_b%v_pad%v", tc.m, tc.n, tc.k, tc.transA, tc.transB, tc.alpha, tc.beta, tc.pad)
}

// run checks sgemm with ks and threads against SgemmRef on tc.
func (tc gemmCase) run(t *testing.T, r *rand.Rand, ks *kernelSet, threads int) {
	t.Helper()
	m, n, k := tc.m, tc.n, tc.k
	ar, ac := m, k
	if tc.transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tc.transB {
		br, bc = n, k
	}
	ga := newGuarded(r, ar, ac, ac+tc.pad[0])
	gb := newGuarded(r, br, bc, bc+tc.pad[1])
	gc := newGuarded(r, m, n, n+tc.pad[2])
	want := gc.clone()
	SgemmRef(tc.transA, tc.transB, m, n, k, tc.alpha, ga.mat(), ga.ld, gb.mat(), gb.ld, tc.beta, want.mat(), want.ld)
	mag := refMag(tc.transA, tc.transB, m, n, k, tc.alpha, ga.mat(), ga.ld, gb.mat(), gb.ld, tc.beta, gc.mat(), gc.ld)
	got := gc.clone()
	sgemm(ks, threads, tc.transA, tc.transB, m, n, k, tc.alpha, ga.mat(), ga.ld, gb.mat(), gb.ld, tc.beta, got.mat(), got.ld, &Epilogue{})
	name := fmt.Sprintf("%s/%s/t%d", ks.name, tc, threads)
	got.checkGuards(t, name)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			g, w := got.mat()[i*got.ld+j], want.mat()[i*want.ld+j]
			if !closeTo(g, w, k, mag[i*n+j]) {
				t.Fatalf("%s: c[%d,%d] = %v, want %v", name, i, j, g, w)
			}
		}
	}
}

func TestSgemmRandomShapes(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	abs := [][2]float32{{1, 0}, {1, 1}, {0.5, 1}, {-2, 0.25}, {0, 3}, {1.5, -1}}
	var cases []gemmCase
	for i := 0; i < 300; i++ {
		ab := abs[r.Intn(len(abs))]
		cases = append(cases, gemmCase{
			m: 1 + r.Intn(70), n: 1 + r.Intn(70), k: 1 + r.Intn(70),
			transA: r.Intn(2) == 1, transB: r.Intn(2) == 1,
			alpha: ab[0], beta: ab[1],
			pad: [3]int{r.Intn(3) * r.Intn(5), r.Intn(3) * r.Intn(5), r.Intn(3) * r.Intn(5)},
		})
	}
	// Larger shapes: several k blocks, several m and n blocks, thin and
	// narrow edges, k = 0.
	for _, s := range [][3]int{{130, 9, 600}, {7, 300, 1100}, {257, 261, 259}, {300, 33, 70},
		{1, 2100, 3}, {33, 4200, 17}, {70, 49, 1030}, {2, 3, 0}, {0, 3, 4}, {3, 0, 4},
		{1, 300, 200}, {1, 1, 7}, {200, 1, 300}, {1, 5000, 70}, {3000, 1, 90}} {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			cases = append(cases, gemmCase{m: s[0], n: s[1], k: s[2], transA: tr[0], transB: tr[1],
				alpha: 0.75, beta: 0.5, pad: [3]int{1, 3, 2}})
		}
	}
	for _, ks := range kernelSets() {
		for _, tc := range cases {
			for _, threads := range []int{1, 3} {
				tc.run(t, r, ks, threads)
			}
		}
	}
}

// TestSgemmDeterministic checks that results are bit-identical whatever
// the thread count.
func TestSgemmDeterministic(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, ks := range kernelSets() {
		for _, s := range [][3]int{{200, 300, 500}, {97, 1000, 70}, {512, 49, 700}, {61, 3136, 67}, {1, 4000, 300}, {3000, 1, 200}} {
			m, n, k := s[0], s[1], s[2]
			a, b := randSlice(r, m*k), randSlice(r, k*n)
			c0 := randSlice(r, m*n)
			ep := Epilogue{Bias: randSlice(r, m), BiasPerRow: true, Act: ActRelu}
			var first []float32
			for _, threads := range []int{1, 2, 3, 4, 7} {
				c := append([]float32(nil), c0...)
				sgemm(ks, threads, false, false, m, n, k, 1, a, k, b, n, 0.5, c, n, &ep)
				if first == nil {
					first = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
						t.Fatalf("%s m%d n%d k%d: threads %d: c[%d] = %v, with 1 thread %v", ks.name, m, n, k, threads, i, c[i], first[i])
					}
				}
			}
		}
	}
}

func TestSgemmBetaZeroClearsNaN(t *testing.T) {
	for _, ks := range kernelSets() {
		c := []float32{nan32, float32(math.Inf(1))}
		sgemm(ks, 1, false, false, 1, 2, 1, 1, []float32{2}, 1, []float32{3, 4}, 2, 0, c, 2, &Epilogue{})
		if c[0] != 6 || c[1] != 8 {
			t.Fatalf("%s: got %v, want [6 8]", ks.name, c)
		}
	}
}

func TestSgemmShortSlicePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"A": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
		"ldc": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 4), 1)
		},
		"bias": func() {
			SgemmEpilogue(1, false, false, 2, 3, 2, 1, make([]float32, 4), 2, make([]float32, 6), 3, 0, make([]float32, 6), 3,
				Epilogue{Bias: make([]float32, 2)})
		},
		"residual": func() {
			SgemmEpilogue(1, false, false, 2, 3, 2, 1, make([]float32, 4), 2, make([]float32, 6), 3, 0, make([]float32, 6), 3,
				Epilogue{Residual: make([]float32, 5)})
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int{"32K": 32 << 10, "512K": 512 << 10, "16384K": 16 << 20, "1M": 1 << 20, "77": 77, "x": 0, "": 0} {
		if got := parseSize(s); got != want {
			t.Errorf("parseSize(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestBlocking(t *testing.T) {
	for _, ks := range kernelSets() {
		for _, k := range []int{1, 63, 256, 257, 576, 1152, 4608} {
			bl := blockingFor(ks, k)
			if bl.kc < 1 || bl.kc > max(k, 1) || bl.mc%ks.mr != 0 || bl.nc%ks.nr != 0 || bl.mc <= 0 || bl.nc <= 0 {
				t.Errorf("%s k=%d: bad blocking %+v", ks.name, k, bl)
			}
			if ceilDiv(k, bl.kc) != ceilDiv(k, min(max(l1/2/(4*ks.nr), 64), 1024)) {
				t.Errorf("%s k=%d: kc %d makes more blocks than needed", ks.name, k, bl.kc)
			}
		}
	}
}

func TestParallelRunsAll(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5, 40} {
		done := make([]int, n)
		parallel(n, func(i int) { done[i]++ })
		for i, d := range done {
			if d != 1 {
				t.Fatalf("n=%d: task %d ran %d times", n, i, d)
			}
		}
	}
}
