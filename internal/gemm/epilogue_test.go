package gemm

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// refAct is the definition of each activation, in float64.
func refAct(ep *Epilogue, x float64) float64 {
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	switch ep.Act {
	case ActRelu:
		return math.Max(x, 0)
	case ActClip:
		return math.Min(math.Max(x, float64(ep.Min)), float64(ep.Max))
	case ActLeakyRelu:
		if x < 0 {
			return float64(ep.Alpha) * x
		}
		return x
	case ActSigmoid:
		return sig(x)
	case ActSiLU:
		return x * sig(x)
	case ActHardSigmoid:
		return math.Max(0, math.Min(1, float64(ep.Alpha)*x+float64(ep.Beta)))
	case ActHardSwish:
		return x * math.Max(0, math.Min(1, x/6+0.5))
	case ActTanh:
		return math.Tanh(x)
	}
	return x
}

// TestSgemmEpilogue compares the fused epilogue with the reference product
// followed by the epilogue as a separate loop.
func TestSgemmEpilogue(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	acts := []Epilogue{
		{Act: ActNone}, {Act: ActRelu}, {Act: ActClip, Min: -0.5, Max: 0.75}, {Act: ActLeakyRelu, Alpha: 0.1},
		{Act: ActSigmoid}, {Act: ActSiLU}, {Act: ActHardSigmoid, Alpha: 0.2, Beta: 0.5}, {Act: ActHardSwish}, {Act: ActTanh},
	}
	shapes := [][3]int{{1, 1, 1}, {5, 7, 3}, {13, 17, 70}, {64, 49, 300}, {70, 33, 9}, {31, 300, 40}, {100, 100, 600}}
	for i := 0; i < 20; i++ {
		shapes = append(shapes, [3]int{1 + r.Intn(70), 1 + r.Intn(70), 1 + r.Intn(70)})
	}
	for _, ks := range kernelSets() {
		for si, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			for ai, base := range acts {
				ep := base
				// Vary the bias and residual over the cases.
				switch (si + ai) % 4 {
				case 0:
					ep.Bias, ep.BiasPerRow = randSlice(r, m), true
				case 1:
					ep.Bias = randSlice(r, n)
					ep.Residual, ep.LdResidual = randSlice(r, (m-1)*(n+3)+n), n+3
				case 2:
					ep.Residual = randSlice(r, m*n)
				case 3:
					ep.Bias, ep.BiasPerRow = randSlice(r, m), true
					ep.Residual = randSlice(r, m*n)
				}
				beta := float32(0)
				if ai%2 == 1 {
					beta = 0.5
				}
				ldc := n + ai%3
				a, b := randSlice(r, m*k), randSlice(r, k*n)
				gc := newGuarded(r, m, n, ldc)
				want := gc.clone()
				SgemmRef(false, false, m, n, k, 1.25, a, k, b, n, beta, want.mat(), ldc)
				mag := refMag(false, false, m, n, k, 1.25, a, k, b, n, beta, gc.mat(), ldc)
				got := gc.clone()
				for _, threads := range []int{1, 2} {
					copy(got.buf, gc.buf)
					sgemm(ks, threads, false, false, m, n, k, 1.25, a, k, b, n, beta, got.mat(), ldc, &ep)
					name := fmt.Sprintf("%s/m%d_n%d_k%d/%v/t%d", ks.name, m, n, k, ep.Act, threads)
					got.checkGuards(t, name)
					ldr := ep.LdResidual
					if ldr == 0 {
						ldr = n
					}
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							x := float64(want.mat()[i*ldc+j])
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
							g := float64(got.mat()[i*ldc+j])
							// The activations are 1-Lipschitz here (up
							// to |x| for SiLU and HardSwish).
							if math.Abs(g-w) > 2*tol*(1+math.Abs(x))+4e-7*math.Abs(w) {
								t.Fatalf("%s: c[%d,%d] = %v, want %v (pre-activation %v)", name, i, j, g, w, x)
							}
						}
					}
				}
			}
		}
	}
}

// TestSgemmEpilogueZeroK checks that the epilogue also runs when there is
// no product to add (k = 0 or alpha = 0).
func TestSgemmEpilogueZeroK(t *testing.T) {
	for _, k := range []int{0, 2} {
		c := []float32{1, -2, 3, -4}
		ep := Epilogue{Bias: []float32{10, 20}, Act: ActRelu, Residual: []float32{-100, 0, 0, 0}}
		a, b := make([]float32, 2*k), make([]float32, 2*k)
		alpha := float32(0)
		SgemmEpilogue(1, false, false, 2, 2, k, alpha, a, max(k, 1), b, 2, 1, c, 2, ep)
		want := []float32{0, 18, 13, 16}
		for i := range c {
			if c[i] != want[i] {
				t.Fatalf("k=%d: got %v, want %v", k, c, want)
			}
		}
	}
}

func TestActivationString(t *testing.T) {
	if ActSiLU.String() != "SiLU" || Activation(99).String() != "Activation(99)" {
		t.Fatal("bad activation names")
	}
}

// TestExpf checks expf against math.Exp over its range.
func TestExpf(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	xs := []float32{0, 1, -1, 88.7, -87.3, 88.72, -87.33, 1e-8, -1e-8, 20, -20}
	for i := 0; i < 100000; i++ {
		xs = append(xs, r.Float32()*176-87.3)
	}
	for _, x := range xs {
		got, want := float64(expf(x)), math.Exp(float64(x))
		if math.Abs(got-want) > 4e-7*want {
			t.Fatalf("expf(%v) = %v, want %v", x, got, want)
		}
	}
	if !math.IsInf(float64(expf(89)), 1) || expf(-88) != 0 || !math.IsNaN(float64(expf(nan32))) {
		t.Fatal("expf: bad saturation or NaN")
	}
	if s := sigmoid(float32(math.Inf(-1))); s != 0 {
		t.Fatalf("sigmoid(-Inf) = %v", s)
	}
	if s := sigmoid(float32(math.Inf(1))); s != 1 {
		t.Fatalf("sigmoid(+Inf) = %v", s)
	}
}

// TestVecSigmoid checks the vector Sigmoid and SiLU, where there is one,
// against float64.
func TestVecSigmoid(t *testing.T) {
	if vecSigmoid == nil {
		t.Skip("no vector sigmoid on this CPU or build")
	}
	r := rand.New(rand.NewSource(7))
	x := []float32{0, 1, -1, 88, -88, 100, -100, 1e-8, -1e-8, 20, -20, 87.3, -87.3, 5, -5, 0.5}
	for i := 0; i < 100000; i++ {
		x = append(x, r.Float32()*200-100)
	}
	for _, silu := range []bool{false, true} {
		y := append([]float32(nil), x...)
		vecSigmoid(y, silu)
		for i, v := range x {
			w := 1 / (1 + math.Exp(-float64(v)))
			if silu {
				w *= float64(v)
			}
			if d := math.Abs(float64(y[i]) - w); d > 4e-7*math.Abs(w)+1e-30 {
				t.Fatalf("silu=%v: f(%v) = %v, want %v", silu, v, y[i], w)
			}
		}
	}
	y := []float32{nan32, 0, 0, 0, 0, 0, 0, 0}
	vecSigmoid(y, false)
	if !math.IsNaN(float64(y[0])) || y[1] != 0.5 {
		t.Fatalf("got %v, want NaN then 0.5", y)
	}
}

// TestSigmoidMatchesEpilogue checks that Sigmoid gives what the epilogue's
// activation gives, on lengths that are and are not multiples of the vector
// width, and stays within float32 accuracy of the exact function.
func TestSigmoidMatchesEpilogue(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 1000} {
		for _, silu := range []bool{false, true} {
			x := make([]float32, n)
			for i := range x {
				x[i] = r.Float32()*40 - 20
			}
			y := append([]float32(nil), x...)
			Sigmoid(y, silu)
			for i, v := range x {
				w := 1 / (1 + math.Exp(-float64(v)))
				if silu {
					w *= float64(v)
				}
				if d := math.Abs(float64(y[i]) - w); d > 4e-7*math.Abs(w)+1e-30 {
					t.Fatalf("n=%d silu=%v: f(%v) = %v, want %v", n, silu, v, y[i], w)
				}
			}
		}
	}
}

// TestTanh checks the epilogue's tanh (vector and scalar forms) against
// math.Tanh, on lengths that are and are not multiples of the vector
// width.
func TestTanh(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	x := []float32{0, 1e-8, -1e-8, 0.2499, -0.2499, 0.25, -0.25, 0.5, 9, -9, 9.5, 20, -20, 88, -88, 100, 1e-30}
	for i := 0; i < 100000; i++ {
		x = append(x, (r.Float32()*2-1)*float32(math.Pow(10, float64(r.Intn(4)-2))))
	}
	check := func(name string, got []float32) {
		t.Helper()
		for i, v := range x[:len(got)] {
			w := math.Tanh(float64(v))
			if d := math.Abs(float64(got[i]) - w); d > 2e-6*math.Abs(w)+1e-37 {
				t.Fatalf("%s: tanh(%v) = %v, want %v", name, v, got[i], w)
			}
		}
	}
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = tanh32(v)
	}
	check("tanh32", y)
	for _, n := range []int{len(x), len(x) - 3, 7} {
		y := append([]float32(nil), x[:n]...)
		(&Epilogue{Act: ActTanh}).activate(y)
		check(fmt.Sprintf("activate n=%d", n), y)
	}
	y = []float32{nan32, 0, 0, 0, 0, 0, 0, 0, nan32}
	tanhSlice(y)
	if !math.IsNaN(float64(y[0])) || !math.IsNaN(float64(y[8])) || y[1] != 0 {
		t.Fatalf("got %v, want NaN, zeros, NaN", y)
	}
}

// TestVecSigmoidSweep checks the vector Sigmoid and SiLU on every 997th
// float32 in [-100, 100] (both signs, all exponents) against float64, and
// that slices of every length up to 9 vectors (the kernel's four-vector
// and one-vector loops) are computed whole and not past their end.
func TestVecSigmoidSweep(t *testing.T) {
	if vecSigmoid == nil {
		t.Skip("no vector sigmoid on this CPU or build")
	}
	var x []float32
	for _, sign := range []uint32{0, 1 << 31} {
		for b := uint32(0); b <= math.Float32bits(100); b += 997 {
			x = append(x, math.Float32frombits(b|sign))
		}
	}
	x = x[:len(x)&^7]
	for _, silu := range []bool{false, true} {
		y := append([]float32(nil), x...)
		vecSigmoid(y, silu)
		for i, v := range x {
			w := 1 / (1 + math.Exp(-float64(v)))
			if silu {
				w *= float64(v)
			}
			if d := math.Abs(float64(y[i]) - w); d > 4e-7*math.Abs(w)+1e-30 {
				t.Fatalf("silu=%v: f(%v) = %v, want %v", silu, v, y[i], w)
			}
		}
		for n := 8; n <= 72; n += 8 {
			y := append([]float32(nil), x[:n+8]...)
			vecSigmoid(y[:n], silu)
			want := append([]float32(nil), x[:n]...)
			for i, v := range want {
				want[i] = v * sigmoid(v)
				if !silu {
					want[i] = sigmoid(v)
				}
			}
			for i := range n {
				if d := math.Abs(float64(y[i] - want[i])); d > 4e-7*math.Abs(float64(want[i]))+1e-30 {
					t.Fatalf("silu=%v n=%d: element %d is %v, want %v", silu, n, i, y[i], want[i])
				}
			}
			for i := n; i < n+8; i++ {
				if y[i] != x[i] {
					t.Fatalf("silu=%v n=%d: element %d past the end changed", silu, n, i)
				}
			}
		}
	}
}

// TestSigmoidRows16 checks that the tile form of the vector Sigmoid and
// SiLU gives, bit for bit, what the slice form gives on each row, and
// leaves the rest of the matrix alone.
func TestSigmoidRows16(t *testing.T) {
	if !hasVecSigmoid {
		t.Skip("no vector sigmoid on this CPU or build")
	}
	r := rand.New(rand.NewSource(11))
	const ld = 21
	for rows := 0; rows <= 7; rows++ {
		for _, silu := range []bool{false, true} {
			c := make([]float32, (rows+1)*ld)
			for i := range c {
				c[i] = r.Float32()*60 - 30
			}
			c[3] = nan32
			want := append([]float32(nil), c...)
			for i := 0; i < rows; i++ {
				vecSigmoid(want[i*ld+2:i*ld+18], silu)
			}
			sigmoidRows16(c[2:], ld, rows, silu)
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
					t.Fatalf("rows=%d silu=%v: element %d is %v, want %v", rows, silu, i, c[i], want[i])
				}
			}
		}
	}
}
