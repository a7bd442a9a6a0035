package gemm

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestSgemmPackedB checks SgemmPackedB, with every rows kernel, against the
// reference product followed by the epilogue, over random shapes (odd
// sizes, depths around the kernel's blocks of 8 and 16), both transposes,
// alpha and beta, padded leading dimensions and NaN guards around A, B and
// C; and against Sgemm.
func TestSgemmPackedB(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	acts := []Epilogue{
		{}, {Act: ActRelu}, {Act: ActClip, Min: -0.5, Max: 0.75}, {Act: ActLeakyRelu, Alpha: 0.1},
		{Act: ActSigmoid}, {Act: ActSiLU}, {Act: ActHardSigmoid, Alpha: 0.2, Beta: 0.5}, {Act: ActHardSwish}, {Act: ActTanh},
	}
	shapes := [][3]int{{1, 1, 1}, {4, 100, 1024}, {1, 70, 9216 / 8}, {3, 17, 7}, {5, 33, 8}, {7, 64, 15}, {8, 9, 16},
		{2, 40, 17}, {3, 20, 2500}, {9, 7, 2049}, {16, 50, 33}, {17, 40, 40}, {30, 20, 100}, {40, 30, 1100}, {64, 20, 70}, {65, 20, 30}, {70, 33, 50}, {100, 17, 9}, {130, 40, 200}, {1, 1000, 512}, {6, 3, 24}}
	for i := 0; i < 40; i++ {
		shapes = append(shapes, [3]int{1 + r.Intn(20), 1 + r.Intn(80), 1 + r.Intn(90)})
	}
	for _, rows := range tileKernels() {
		for si, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			tc := gemmCase{m: m, n: n, k: k, transA: si%2 == 1, transB: si%3 != 1,
				alpha: []float32{1, 0.75, -1.5}[si%3], beta: []float32{0, 0.5, 1}[si%4%3],
				pad: [3]int{si % 3, si % 2, (si / 2) % 3}}
			ep := acts[si%len(acts)]
			switch si % 4 {
			case 0:
				ep.Bias = randSlice(r, n)
			case 1:
				ep.Bias, ep.BiasPerRow = randSlice(r, m), true
				ep.Residual = randSlice(r, m*n)
			case 2:
				ep.Residual, ep.LdResidual = randSlice(r, (m-1)*(n+2)+n), n+2
			}
			checkPackedB(t, r, rows, tc, ep)
		}
	}
}

func checkPackedB(t *testing.T, r *rand.Rand, rows tileFunc, tc gemmCase, ep Epilogue) {
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
	plain := gc.clone()
	sgemm(active, 1, tc.transA, tc.transB, m, n, k, tc.alpha, ga.mat(), ga.ld, gb.mat(), gb.ld, tc.beta, plain.mat(), plain.ld, &ep)
	pb := PackB(tc.transB, k, n, gb.mat(), gb.ld)
	if pb.Depth() != k || pb.Cols() != n {
		t.Fatalf("PackedB is %d×%d, want %d×%d", pb.Depth(), pb.Cols(), k, n)
	}
	gb.checkGuards(t, "PackB")
	var first *guarded
	for _, threads := range []int{1, 2, 3} {
		name := fmt.Sprintf("%s/%v/t%d", tc, ep.Act, threads)
		got := gc.clone()
		e := ep
		sgemmPackedB(rows, threads, tc.transA, m, tc.alpha, ga.mat(), ga.ld, pb, tc.beta, got.mat(), got.ld, &e)
		got.checkGuards(t, name)
		ldr := ep.LdResidual
		if ldr == 0 {
			ldr = n
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				x := float64(want.mat()[i*want.ld+j])
				tol := 2e-7*float64(k+4)*mag[i*n+j] + 1e-6
				if ep.Bias != nil {
					if ep.BiasPerRow {
						x += float64(ep.Bias[i])
					} else {
						x += float64(ep.Bias[j])
					}
				}
				if ep.Residual != nil {
					x += float64(ep.Residual[i*ldr+j])
				}
				w := refAct(&ep, x)
				g := float64(got.mat()[i*got.ld+j])
				if math.Abs(g-w) > 2*tol*(1+math.Abs(x))+4e-7*math.Abs(w) {
					t.Fatalf("%s: c[%d,%d] = %v, want %v (pre-activation %v)", name, i, j, g, w, x)
				}
				// Sgemm, with its own summation order, agrees within
				// twice the rounding bound.
				p := float64(plain.mat()[i*plain.ld+j])
				if math.Abs(g-p) > 4*tol*(1+math.Abs(x))+8e-7*math.Abs(w) {
					t.Fatalf("%s: c[%d,%d] = %v, Sgemm gives %v", name, i, j, g, p)
				}
			}
		}
		if first == nil {
			first = got
			continue
		}
		for i, v := range got.buf {
			if math.Float32bits(v) != math.Float32bits(first.buf[i]) && !(v != v && first.buf[i] != first.buf[i]) {
				t.Fatalf("%s: element %d is %v with %d threads, %v with 1", name, i, v, threads, first.buf[i])
			}
		}
	}
}

// TestSgemmPackedBRowsIndependent checks that with few rows every row of C
// is the same bits whatever the number of rows computed with it (a batch
// of one gives row i of a batch of m).
func TestSgemmPackedBRowsIndependent(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	for _, rows := range tileKernels() {
		for _, k := range []int{1, 7, 8, 15, 16, 31, 100, 2100} {
			const m, n = FewRows, 37
			a, b := randSlice(r, m*k), randSlice(r, n*k)
			pb := PackB(true, k, n, b, k)
			all := make([]float32, m*n)
			sgemmPackedB(rows, 1, false, m, 1, a, k, pb, 0, all, n, &Epilogue{})
			for mm := 1; mm <= m; mm++ {
				for i0 := 0; i0+mm <= m; i0 += mm {
					part := make([]float32, mm*n)
					sgemmPackedB(rows, 2, false, mm, 1, a[i0*k:], k, pb, 0, part, n, &Epilogue{})
					for i := range part {
						if math.Float32bits(part[i]) != math.Float32bits(all[i0*n+i]) {
							t.Fatalf("k=%d: rows %d..%d: element %d is %v, %v in the product of %d rows", k, i0, i0+mm, i, part[i], all[i0*n+i], m)
						}
					}
				}
			}
		}
	}
}

// TestSgemmPackedBBothLayouts uses one PackedB for products with few and
// with many rows, in both orders, for both stored layouts of B.
func TestSgemmPackedBBothLayouts(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	const k, n = 45, 37
	for _, transB := range []bool{false, true} {
		for _, order := range [][]int{{3, 90, 1}, {90, 3, 70}} {
			b := randSlice(r, k*n)
			ldb := n
			if transB {
				ldb = k
			}
			pb := PackB(transB, k, n, b, ldb)
			for _, m := range order {
				a := randSlice(r, m*k)
				want, got := make([]float32, m*n), make([]float32, m*n)
				SgemmRef(false, transB, m, n, k, 1, a, k, b, ldb, 0, want, n)
				mag := refMag(false, transB, m, n, k, 1, a, k, b, ldb, 0, want, n)
				SgemmPackedB(2, false, m, 1, a, k, pb, 0, got, n, Epilogue{})
				for i := range want {
					if !closeTo(got[i], want[i], k, mag[i]+1) {
						t.Fatalf("transB=%v m=%d (after %v): c[%d] = %v, want %v", transB, m, order, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestSgemmPackedBEdges checks the degenerate products: k = 0 or alpha = 0
// (only beta·C and the epilogue), no rows or columns, and that a beta of
// zero clears NaN in C.
func TestSgemmPackedBEdges(t *testing.T) {
	pb := PackB(false, 0, 2, nil, 2)
	c := []float32{1, 2, 3, 4}
	SgemmPackedB(1, false, 2, 1, nil, 0, pb, 2, c, 2, Epilogue{Bias: []float32{1, 1}})
	if c[0] != 3 || c[3] != 9 {
		t.Fatalf("k=0: got %v, want [3 5 7 9]", c)
	}
	b := []float32{1, 2, 3, 4, 5, 6}
	pb = PackB(false, 2, 3, b, 3)
	c = []float32{1, 1, 1}
	SgemmPackedB(1, false, 1, 0, []float32{1, 1}, 2, pb, 0.5, c, 3, Epilogue{Act: ActRelu})
	if c[0] != 0.5 || c[2] != 0.5 {
		t.Fatalf("alpha=0: got %v, want [0.5 0.5 0.5]", c)
	}
	SgemmPackedB(1, false, 0, 1, nil, 2, pb, 0, nil, 3, Epilogue{})
	c = []float32{float32(math.NaN()), float32(math.NaN()), float32(math.NaN())}
	SgemmPackedB(1, false, 1, 1, []float32{1, 1}, 2, pb, 0, c, 3, Epilogue{})
	if c[0] != 5 || c[1] != 7 || c[2] != 9 {
		t.Fatalf("beta=0 over NaN: got %v, want [5 7 9]", c)
	}
	for _, f := range []func(){
		func() { PackB(true, 3, 2, make([]float32, 5), 3) },
		func() { PackB(false, 3, 2, make([]float32, 5), 2) },
		func() { SgemmPackedB(1, false, 2, 1, make([]float32, 3), 2, pb, 0, make([]float32, 6), 3, Epilogue{}) },
		func() { SgemmPackedB(1, false, 1, 1, make([]float32, 2), 2, pb, 0, make([]float32, 2), 3, Epilogue{}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("short slice did not panic")
				}
			}()
			f()
		}()
	}
}

// BenchmarkSgemmPackedB measures products of a few rows with a prepared B
// (fully connected layers: dcgan's 1024→6272 at batch 4, alexnet's
// 9216→4096 and 4096→4096 and resnet's 512→1000 at batch 1), reporting
// GFLOP/s and the rate at which B is streamed (GB/s), against Sgemm on the
// same operands.
func BenchmarkSgemmPackedB(b *testing.B) {
	shapes := []struct {
		name    string
		m, n, k int
	}{
		{"fc4x6272x1024", 4, 6272, 1024},
		{"fc1x4096x9216", 1, 4096, 9216},
		{"fc1x4096x4096", 1, 4096, 4096},
		{"fc1x1000x512", 1, 1000, 512},
		{"fc8x1000x2048", 8, 1000, 2048},
		{"fc16x1000x2048", 16, 1000, 2048},
		{"fc32x1000x2048", 32, 1000, 2048},
		{"fc64x1000x2048", 64, 1000, 2048},
		{"fc64x6272x1024", 64, 6272, 1024},
		{"fc256x1024x1024", 256, 1024, 1024},
	}
	for _, s := range shapes {
		for _, threads := range []int{1, 2} {
			for _, packed := range []bool{true, false} {
				name := "sgemm"
				if packed {
					name = "packedB"
				}
				b.Run(fmt.Sprintf("%s/%s/t%d", s.name, name, threads), func(b *testing.B) {
					r := rand.New(rand.NewSource(1))
					m, n, k := s.m, s.n, s.k
					x, w, z := randSlice(r, m*k), randSlice(r, n*k), make([]float32, m*n)
					bias := randSlice(r, n)
					pb := PackB(true, k, n, w, k)
					benchLoop(b, threads, m, n, k, func() {
						if packed {
							SgemmPackedB(threads, false, m, 1, x, k, pb, 0, z, n, Epilogue{Bias: bias, Act: ActRelu})
						} else {
							SgemmEpilogue(threads, false, true, m, n, k, 1, x, k, w, k, 0, z, n, Epilogue{Bias: bias, Act: ActRelu})
						}
					})
					b.ReportMetric(float64(n*k*4)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
				})
			}
		}
	}
}
