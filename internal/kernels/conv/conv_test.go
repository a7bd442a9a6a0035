package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

const guard = 37

// guarded returns a slice of n values inside a buffer with guard bands of
// NaN-free sentinel values, and a check that the bands are intact.
func guarded(n int) ([]float32, func(t *testing.T)) {
	buf := make([]float32, n+2*guard)
	for i := range buf {
		buf[i] = 12345.5
	}
	return buf[guard : guard+n : guard+n], func(t *testing.T) {
		t.Helper()
		for i := 0; i < guard; i++ {
			if buf[i] != 12345.5 || buf[guard+n+i] != 12345.5 {
				t.Fatalf("write outside the output buffer")
			}
		}
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func closeAll(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-4+1e-4*math.Abs(float64(want[i])) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// randParams draws a random convolution problem of the given spatial rank.
func randParams(r *rand.Rand, rank int) Params {
	g := 1 + r.IntN(3)
	if r.IntN(4) == 0 {
		g = 1 + r.IntN(5) // depthwise-like: C = g
	}
	p := Params{N: 1 + r.IntN(2), Group: g}
	p.C = g * (1 + r.IntN(3))
	if r.IntN(3) == 0 {
		p.C = g
	}
	p.M = g * (1 + r.IntN(3))
	maxIn := []int{0, 17, 11, 6, 4}[rank]
	for a := 0; a < rank; a++ {
		k := 1 + r.IntN(3)
		d := 1 + r.IntN(2)
		s := 1 + r.IntN(2)
		pad := r.IntN(k)
		padEnd := r.IntN(k)
		in := max((k-1)*d+1-pad-padEnd, 1) + r.IntN(maxIn)
		out := (in+pad+padEnd-((k-1)*d+1))/s + 1
		p.In = append(p.In, in)
		p.Kernel = append(p.Kernel, k)
		p.Dilations = append(p.Dilations, d)
		p.Strides = append(p.Strides, s)
		p.Pads = append(p.Pads, pad)
		p.Out = append(p.Out, out)
	}
	return p
}

func TestConvMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 400; iter++ {
		rank := 1 + iter%4
		p := randParams(r, rank)
		if iter%10 == 0 { // pointwise
			for a := range p.In {
				p.Kernel[a], p.Strides[a], p.Pads[a], p.Out[a] = 1, 1, 0, p.In[a]
			}
		}
		pl, err := NewPlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.M*p.C/p.Group*prod(p.Kernel))
		var b []float32
		if r.IntN(2) == 0 {
			b = randSlice(r, p.M)
		}
		want := make([]float32, p.N*p.M*prod(p.Out))
		Reference(&p, x, w, b, want)
		for ai, a := range []Algo{pl.Algo, Im2col, Depthwise, Pointwise, Winograd, Winograd43, Im2col, Pointwise} {
			q := pl.WithAlgo(a)
			if ai >= 6 {
				// Force several output tiles per image.
				q.tile = 1 + r.IntN(16)
			}
			for _, th := range []int{1, 3} {
				y, check := guarded(len(want))
				for i := range y {
					y[i] = float32(math.NaN())
				}
				if err := q.Run(x, w, b, y, th); err != nil {
					t.Fatal(err)
				}
				check(t)
				closeAll(t, q.Algo.String()+" "+fmtParams(p), y, want)
			}
		}
	}
}

func fmtParams(p Params) string {
	return "params " + func() string { return fmtAny(p) }()
}

func TestTransposeMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 300; iter++ {
		rank := 1 + iter%3
		p := randParams(r, rank)
		// Reinterpret: In is the transposed conv input, Out its output.
		for a := range p.In {
			k := (p.Kernel[a]-1)*p.Dilations[a] + 1
			p.Out[a] = (p.In[a]-1)*p.Strides[a] + k - p.Pads[a] - r.IntN(p.Kernel[a]) + r.IntN(2)
			p.Out[a] = max(p.Out[a], 1)
		}
		pl, err := NewTransposePlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.C*p.M/p.Group*prod(p.Kernel))
		var b []float32
		if r.IntN(2) == 0 {
			b = randSlice(r, p.M)
		}
		want := make([]float32, p.N*p.M*prod(p.Out))
		TransposeReference(&p, x, w, b, want)
		for _, th := range []int{1, 4} {
			y, check := guarded(len(want))
			if err := pl.Run(x, w, b, y, th); err != nil {
				t.Fatal(err)
			}
			check(t)
			closeAll(t, "transpose "+fmtParams(p), y, want)
		}
	}
}

func TestFloat64AndInt32(t *testing.T) {
	p := Params{N: 1, C: 4, M: 6, Group: 2, In: []int{5, 7}, Kernel: []int{3, 2}, Out: []int{3, 3},
		Strides: []int{2, 2}, Dilations: []int{1, 2}, Pads: []int{1, 0}}
	x := make([]int32, 4*35)
	w := make([]int32, 6*2*6)
	for i := range x {
		x[i] = int32(i%7 - 3)
	}
	for i := range w {
		w[i] = int32(i%5 - 2)
	}
	want := make([]int32, 6*9)
	Reference(&p, x, w, nil, want)
	pl, _ := NewPlan[int32](p)
	got := make([]int32, len(want))
	if err := pl.Run(x, w, nil, got, 2); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("int32 element %d = %d, want %d", i, got[i], want[i])
		}
	}
	xf := make([]float64, len(x))
	wf := make([]float64, len(w))
	for i := range x {
		xf[i] = float64(x[i])
	}
	for i := range w {
		wf[i] = float64(w[i])
	}
	pf, _ := NewPlan[float64](p)
	gf := make([]float64, len(want))
	if err := pf.Run(xf, wf, nil, gf, 1); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if gf[i] != float64(want[i]) {
			t.Fatalf("float64 element %d = %v, want %d", i, gf[i], want[i])
		}
	}
}

func TestRunRejectsBadSizes(t *testing.T) {
	p := Params{N: 1, C: 1, M: 1, Group: 1, In: []int{3}, Kernel: []int{2}, Out: []int{2},
		Strides: []int{1}, Dilations: []int{1}, Pads: []int{0}}
	pl, err := NewPlan[float32](p)
	if err != nil {
		t.Fatal(err)
	}
	if err := pl.Run(make([]float32, 2), make([]float32, 2), nil, make([]float32, 2), 1); err == nil {
		t.Fatal("short input accepted")
	}
	p.Group = 2
	if _, err := NewPlan[float32](p); err == nil {
		t.Fatal("bad group accepted")
	}
}

// resnet3x3 is a ResNet stage-2 style layer: 1×64×56×56 input, 64 3×3
// filters, stride 1, pad 1.
var resnet3x3 = Params{N: 1, C: 64, M: 64, Group: 1, In: []int{56, 56}, Kernel: []int{3, 3}, Out: []int{56, 56},
	Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{1, 1}}

// BenchmarkResNet3x3 runs resnet3x3 with the chosen algorithm (im2col +
// GEMM); GFLOP/s counts the direct convolution's 2·M·C·9 operations per
// output.
func BenchmarkResNet3x3(b *testing.B) { benchConv(b, resnet3x3) }

// BenchmarkResNet3x3Winograd runs resnet3x3 through Winograd F(2×2, 3×3).
func BenchmarkResNet3x3Winograd(b *testing.B) { benchConvAlgo(b, resnet3x3, Winograd) }

// BenchmarkResNet3x3Winograd43 runs resnet3x3 through Winograd F(4×4, 3×3).
func BenchmarkResNet3x3Winograd43(b *testing.B) { benchConvAlgo(b, resnet3x3, Winograd43) }

// BenchmarkPointwise runs a 1×1 256→64 layer on 56×56.
func BenchmarkPointwise(b *testing.B) {
	p := Params{N: 1, C: 256, M: 64, Group: 1, In: []int{56, 56}, Kernel: []int{1, 1}, Out: []int{56, 56},
		Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{0, 0}}
	benchConv(b, p)
}

// BenchmarkDepthwise runs a MobileNet style 3×3 depthwise layer, 144×56×56.
func BenchmarkDepthwise(b *testing.B) {
	p := Params{N: 1, C: 144, M: 144, Group: 144, In: []int{56, 56}, Kernel: []int{3, 3}, Out: []int{56, 56},
		Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{1, 1}}
	benchConv(b, p)
}

func benchConv(b *testing.B, p Params) { benchConvAlgo(b, p, -1) }

func benchConvAlgo(b *testing.B, p Params, a Algo) { benchConvThreads(b, p, a, 0) }

func benchConvThreads(b *testing.B, p Params, a Algo, threads int) {
	pl, err := NewPlan[float32](p)
	if err != nil {
		b.Fatal(err)
	}
	if a >= 0 {
		pl = pl.WithAlgo(a)
	}
	r := rand.New(rand.NewPCG(1, 1))
	x := randSlice(r, p.N*p.C*prod(p.In))
	w := randSlice(r, p.M*p.C/p.Group*prod(p.Kernel))
	y := make([]float32, p.N*p.M*prod(p.Out))
	flops := 2 * float64(p.N*p.M*prod(p.Out)*p.C/p.Group*prod(p.Kernel))
	packed, err := pl.PackWeights(w)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	_, p0 := cpuClocks()
	for i := 0; i < b.N; i++ {
		if err := pl.RunPacked(x, packed, nil, y, threads); err != nil {
			b.Fatal(err)
		}
	}
	_, p1 := cpuClocks()
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	// On a shared machine wall time overstates the cost: also report the
	// rate per CPU-second (all threads), which load from others does not skew.
	if p1 > p0 {
		b.ReportMetric(flops*float64(b.N)/(p1-p0)/1e9, "GFLOP/cpu-s")
	}
}

func fmtAny(v any) string { return fmt.Sprintf("%+v", v) }

// TestWinogradMatchesReference runs 3×3 stride-1 layers of odd and even
// sizes and paddings through Winograd F(2×2, 3×3).
func TestWinogradMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for iter := 0; iter < 40; iter++ {
		p := Params{N: 1 + r.IntN(2), C: 8 + r.IntN(9), M: 8 + r.IntN(9), Group: 1, Kernel: []int{3, 3},
			Strides: []int{1, 1}, Dilations: []int{1, 1}}
		for a := 0; a < 2; a++ {
			pb, pe := r.IntN(3), r.IntN(3)
			in := 6 + r.IntN(10)
			p.In = append(p.In, in)
			p.Pads = append(p.Pads, pb)
			p.Out = append(p.Out, in+pb+pe-2)
		}
		pl, err := NewPlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		if c := Candidates[float32](&p); len(c) < 2 || c[1] != Winograd {
			t.Fatalf("%+v: candidates %v, want winograd among them", p, c)
		}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.M*p.C*9)
		b := randSlice(r, p.M)
		want := make([]float32, p.N*p.M*prod(p.Out))
		Reference(&p, x, w, b, want)
		// Σ|w·x| + |b| per output bounds the rounding error of any
		// summation order; Winograd's transforms scale it by a constant.
		mag := make([]float32, len(want))
		Reference(&p, absSlice(x), absSlice(w), absSlice(b), mag)
		for _, a := range []Algo{Winograd, Winograd43} {
			q := pl.WithAlgo(a)
			for _, th := range []int{1, 3} {
				y, check := guarded(len(want))
				if err := q.Run(x, w, b, y, th); err != nil {
					t.Fatal(err)
				}
				check(t)
				for i := range want {
					if d := math.Abs(float64(y[i] - want[i])); d > 1e-5*float64(mag[i])+1e-6 {
						t.Fatalf("%v %s: element %d = %v, want %v (error %.3g of magnitude %v)",
							a, fmtParams(p), i, y[i], want[i], d, mag[i])
					}
				}
			}
		}
		// float64 through the same transforms.
		pd, _ := NewPlan[float64](p)
		if iter%2 == 0 {
			pd = pd.WithAlgo(Winograd)
		} else {
			pd = pd.WithAlgo(Winograd43)
		}
		x64, w64 := make([]float64, len(x)), make([]float64, len(w))
		for i := range x {
			x64[i] = float64(x[i])
		}
		for i := range w {
			w64[i] = float64(w[i])
		}
		y64 := make([]float64, len(want))
		if err := pd.Run(x64, w64, nil, y64, 2); err != nil {
			t.Fatal(err)
		}
		want64 := make([]float64, len(want))
		Reference(&p, x64, w64, nil, want64)
		for i := range want64 {
			if d := y64[i] - want64[i]; d > 1e-9 || d < -1e-9 {
				t.Fatalf("float64 element %d = %v, want %v", i, y64[i], want64[i])
			}
		}
	}
}

// TestConvSplitsChannels covers the output-channel split used when a layer
// has too few output tiles for the threads.
func TestConvSplitsChannels(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, p := range []Params{
		{N: 1, C: 8, M: 64, Group: 1, In: []int{3, 3}, Kernel: []int{3, 3}, Out: []int{3, 3},
			Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{1, 1}},
		{N: 1, C: 6, M: 96, Group: 1, In: []int{2, 2}, Kernel: []int{1, 1}, Out: []int{2, 2},
			Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{0, 0}},
		{N: 2, C: 4, M: 100, Group: 2, In: []int{5}, Kernel: []int{2}, Out: []int{4},
			Strides: []int{1}, Dilations: []int{1}, Pads: []int{0}},
	} {
		pl, err := NewPlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.M*p.C/p.Group*prod(p.Kernel))
		b := randSlice(r, p.M)
		want := make([]float32, p.N*p.M*prod(p.Out))
		Reference(&p, x, w, b, want)
		for _, th := range []int{1, 2, 5, 16} {
			y, check := guarded(len(want))
			if err := pl.Run(x, w, b, y, th); err != nil {
				t.Fatal(err)
			}
			check(t)
			closeAll(t, fmtParams(p), y, want)
		}
	}
}

// TestDepthwise3x3 covers the fused three-tap rows of the depthwise loop:
// paddings, dilations, channel multipliers and widths narrower than the
// kernel's reach.
func TestDepthwise3x3(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for iter := 0; iter < 60; iter++ {
		c := 1 + r.IntN(5)
		mult := 1 + r.IntN(2)
		d := 1 + r.IntN(2)
		p := Params{N: 1 + r.IntN(2), C: c, M: c * mult, Group: c, Kernel: []int{3, 3},
			Strides: []int{1 + r.IntN(2), 1}, Dilations: []int{d, d}}
		for a := 0; a < 2; a++ {
			pb, pe := r.IntN(3), r.IntN(3)
			in := max(2*d+1-pb-pe, 1) + r.IntN(9)
			p.In = append(p.In, in)
			p.Pads = append(p.Pads, pb)
			p.Out = append(p.Out, (in+pb+pe-(2*d+1))/p.Strides[a]+1)
		}
		pl, err := NewPlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		if c > 1 && pl.Algo != Depthwise {
			t.Fatalf("%+v: chose %v", p, pl.Algo)
		}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.M*9)
		b := randSlice(r, p.M)
		want := make([]float32, p.N*p.M*prod(p.Out))
		Reference(&p, x, w, b, want)
		y, check := guarded(len(want))
		if err := pl.WithAlgo(Depthwise).Run(x, w, b, y, 2); err != nil {
			t.Fatal(err)
		}
		check(t)
		closeAll(t, fmtParams(p), y, want)
	}
}

func absSlice(s []float32) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(math.Abs(float64(v)))
	}
	return out
}

// An empty batch (a detection head given no regions) is valid: every
// algorithm returns at once without touching the buffers.
func TestEmptyBatch(t *testing.T) {
	p := Params{N: 0, C: 64, M: 64, Group: 1, In: []int{14, 14}, Kernel: []int{3, 3}, Out: []int{14, 14},
		Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{1, 1}}
	for _, q := range []Params{p, func() Params { q := p; q.Kernel, q.Pads = []int{1, 1}, []int{0, 0}; return q }(),
		func() Params { q := p; q.Group, q.M = 64, 64; return q }()} {
		for _, a := range Candidates[float32](&q) {
			pl, err := NewPlan[float32](q)
			if err != nil {
				t.Fatal(err)
			}
			pl = pl.WithAlgo(a)
			w := make([]float32, q.M*q.C/q.Group*q.Kernel[0]*q.Kernel[1])
			if err := pl.Run(nil, w, make([]float32, q.M), nil, 4); err != nil {
				t.Errorf("%v: %v", a, err)
			}
		}
	}
}
