package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/onnxrun/onnxrun/internal/gemm"
)

// TestDepthwiseMatchesReference runs the depthwise path on random shapes:
// kernels 1..5 wide (not square), strides 1..3, dilations 1..2, paddings
// up to the kernel's reach (and beyond the input), channel multipliers,
// widths from 1 to 40 (across the 8- and 64-wide vector loops), float32
// and float64, 1 and 3 threads.
func TestDepthwiseMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for iter := 0; iter < 300; iter++ {
		c := 1 + r.IntN(5)
		mult := 1 + r.IntN(3)
		if iter%3 != 0 {
			mult = 1
		}
		p := Params{N: 1 + r.IntN(2), C: c, M: c * mult, Group: c}
		ok := true
		for a := 0; a < 2; a++ {
			k := 1 + r.IntN(5)
			d := 1 + r.IntN(2)
			s := 1 + r.IntN(3)
			reach := (k-1)*d + 1
			pb, pe := r.IntN(reach+1), r.IntN(reach+1)
			if iter%7 == 0 {
				pb = -r.IntN(3) // cropping, reachable through the package API
			}
			in := 1 + r.IntN(40)
			if a == 0 {
				in = 1 + r.IntN(12)
			}
			if in+pb+pe < reach || in+pb <= 0 {
				ok = false
			}
			p.In = append(p.In, in)
			p.Kernel = append(p.Kernel, k)
			p.Strides = append(p.Strides, s)
			p.Dilations = append(p.Dilations, d)
			p.Pads = append(p.Pads, pb)
			p.Out = append(p.Out, (in+pb+pe-reach)/s+1)
		}
		if !ok {
			continue
		}
		pl, err := NewPlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		pl = pl.WithAlgo(Depthwise)
		kk := prod(p.Kernel)
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.M*kk)
		var b []float32
		if r.IntN(2) == 0 {
			b = randSlice(r, p.M)
		}
		want := make([]float32, p.N*p.M*prod(p.Out))
		Reference(&p, x, w, b, want)
		y, check := guarded(len(want))
		if err := pl.Run(x, w, b, y, 1+2*(iter%2)); err != nil {
			t.Fatal(err)
		}
		check(t)
		closeAll(t, fmtParams(p), y, want)

		// float64 through the portable loop.
		x64, w64 := widen(x), widen(w)
		var b64 []float64
		if b != nil {
			b64 = widen(b)
		}
		want64 := make([]float64, len(want))
		Reference(&p, x64, w64, b64, want64)
		pl64, err := NewPlan[float64](p)
		if err != nil {
			t.Fatal(err)
		}
		y64 := make([]float64, len(want))
		if err := pl64.WithAlgo(Depthwise).Run(x64, w64, b64, y64, 2); err != nil {
			t.Fatal(err)
		}
		for i := range want64 {
			if d := y64[i] - want64[i]; d > 1e-9 || d < -1e-9 {
				t.Fatalf("float64 %s: element %d = %v, want %v", fmtParams(p), i, y64[i], want64[i])
			}
		}
	}
}

func widen(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// TestDepthwiseEpilogue runs RunEpilogue on depthwise plans of the
// MobileNet and EfficientNet kinds (3×3 and 5×5, stride 1 and 2) and on
// random ones, for every activation, with and without bias and residual,
// against the reference convolution followed by the epilogue; the
// results must be the same bits for 1, 2 and 3 threads.
func TestDepthwiseEpilogue(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	acts := []gemm.Epilogue{{Act: gemm.ActNone}, {Act: gemm.ActRelu}, {Act: gemm.ActClip, Min: 0, Max: 6},
		{Act: gemm.ActClip, Min: -0.5, Max: 0.75}, {Act: gemm.ActLeakyRelu, Alpha: 0.1}, {Act: gemm.ActSigmoid},
		{Act: gemm.ActSiLU}, {Act: gemm.ActHardSigmoid, Alpha: 0.2, Beta: 0.5}, {Act: gemm.ActHardSwish},
		{Act: gemm.ActTanh}}
	for iter := 0; iter < 120; iter++ {
		k := []int{3, 5, 1 + r.IntN(4)}[iter%3]
		s := 1 + iter%2
		if iter%7 == 6 {
			s = 3
		}
		hw := 1 + r.IntN(30)
		if iter%4 == 1 {
			hw = 30 + r.IntN(60) // wide rows: the row kernels (3×3 unrolled)
		}
		pad := k / 2
		out := (hw+2*pad-k)/s + 1
		if out <= 0 {
			continue
		}
		c := 1 + r.IntN(12)
		if hw > 30 {
			c = 1 + r.IntN(3)
		}
		p := Params{N: 1 + r.IntN(2), C: c, M: c, Group: c, In: []int{hw, hw + r.IntN(3)}, Kernel: []int{k, k},
			Strides: []int{s, s}, Dilations: []int{1, 1}, Pads: []int{pad, pad}}
		p.Out = []int{out, (p.In[1]+2*pad-k)/s + 1}
		pl, err := NewPlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		if pl.Algo != Depthwise && c > 1 && k > 1 {
			t.Fatalf("%s: algorithm %v", fmtParams(p), pl.Algo)
		}
		pl = pl.WithAlgo(Depthwise)
		if !pl.FusesEpilogue() {
			t.Fatalf("%s: depthwise does not fuse the epilogue", fmtParams(p))
		}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.M*prod(p.Kernel))
		var b []float32
		if iter%2 == 0 {
			b = randSlice(r, p.M)
		}
		n := p.N * p.M * prod(p.Out)
		ep := acts[iter%len(acts)]
		if iter%3 == 2 {
			ep.Residual = randSlice(r, n)
		}
		want := make([]float32, n)
		Reference(&p, x, w, b, want)
		for i := range want {
			v := float64(want[i])
			if ep.Residual != nil {
				v += float64(ep.Residual[i])
			}
			want[i] = float32(actRef(&ep, v))
		}
		pw, err := pl.PackWeights(w)
		if err != nil {
			t.Fatal(err)
		}
		var first []float32
		for _, th := range []int{1, 2, 3} {
			y, check := guarded(n)
			if err := pl.RunEpilogue(x, pw, b, ep, y, th); err != nil {
				t.Fatal(err)
			}
			check(t)
			what := fmt.Sprintf("%v %s %d threads", ep.Act, fmtParams(p), th)
			closeAll(t, what, y, want)
			if first == nil {
				first = slices.Clone(y)
			} else if !slices.Equal(first, y) {
				t.Fatalf("%s: not the same bits as with 1 thread", what)
			}
		}
	}
}

// TestConvPlaneKernel compares convPlane (the assembly kernel where it
// runs) with convPlaneGo on plane widths around the vector block sizes,
// with no epilogue, a clamp, the sigmoid and SiLU, row by row and as a
// list of output vectors, inside guard bands: rows and columns from 1
// up, so that the tail's overrun store and its masked form both run.
func TestConvPlaneKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, ow := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 56, 57, 63, 64, 65, 112, 200} {
		for _, oh := range []int{1, 2, 3, 5} {
			ntaps := 1 + r.IntN(25)
			ld := ow + r.IntN(9)
			offs := make([]int, ntaps)
			maxOff := 0
			for i := range offs {
				offs[i] = r.IntN(60)
				maxOff = max(maxOff, offs[i])
			}
			l := dwLayout{offs: offs, ld: ld}
			for _, o := range offs {
				l.boffs = append(l.boffs, 4*o)
			}
			src := randSlice(r, maxOff+(oh-1)*ld+(ow+7)&^7)
			w := randSlice(r, ntaps)
			for mode := 0; mode < 4; mode++ {
				e := dwEpilogue[float32]{lo: float32(math.Inf(-1)), hi: float32(math.Inf(1))}
				switch mode {
				case 1:
					e.clamp, e.lo, e.hi = true, -0.5, 1.5
				case 2, 3:
					e.sig = mode - 1
				}
				want := make([]float32, oh*ow)
				convPlaneGo(want, src, offs, w, oh, ow, ld, 0.25, e.lo, e.hi, e.clamp)
				if e.sig != 0 {
					for i, v := range want {
						s := 1 / (1 + math.Exp(-float64(v)))
						if e.sig == 2 {
							s *= float64(v)
						}
						want[i] = float32(s)
					}
				}
				got, check := guarded(oh * ow)
				convPlane(got, src, &l, w, oh, ow, 0.25, &e)
				check(t)
				closeAll(t, fmt.Sprintf("plane %dx%d, %d taps, mode %d", oh, ow, ntaps, mode), got, want)
				if hasDWAsm {
					// The same through the list of output vectors.
					lj := l
					lj.buildJobs(oh, ow, maxOff)
					got, check := guarded(oh * ow)
					convPlane(got, src, &lj, w, oh, ow, 0.25, &e)
					check(t)
					closeAll(t, fmt.Sprintf("jobs, plane %dx%d, %d taps, mode %d", oh, ow, ntaps, mode), got, want)
				}
			}
		}
	}
}

// TestTapsKernel compares tapsF32 (the assembly kernel where it runs)
// with tapsGo on lengths around the vector widths, inside guard bands.
func TestTapsKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 71, 127, 128, 200} {
		ntaps := 1 + r.IntN(25)
		src := randSlice(r, n+50)
		offs := make([]int, ntaps)
		for i := range offs {
			offs[i] = r.IntN(51)
		}
		w := randSlice(r, ntaps)
		want := make([]float32, n)
		tapsGo(want, src, offs, w, 0.5)
		got, check := guarded(n)
		tapsF32(got, src, offs, w, 0.5)
		check(t)
		closeAll(t, "taps", got, want)
	}
}

// TestFillRows checks the row copy and the even/odd row split (the
// assembly kernels where they run) on lengths around the vector width,
// inside guard bands.
func TestFillRows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for iter := 0; iter < 200; iter++ {
		rows := 1 + r.IntN(4)
		na, nb := r.IntN(40), r.IntN(40)
		if iter%2 == 0 {
			nb = max(0, na-r.IntN(2))
		}
		lds := max(2*na-1, 2*nb) + r.IntN(5)
		ldd := max(na, nb) + r.IntN(5)
		src := randSlice(r, (rows-1)*lds+max(2*na-1, 2*nb, 1))
		// a and b interleaved in one buffer, as in the scratch.
		buf, check := guarded((rows-1)*ldd + 2*max(na, nb, 1))
		want := slices.Clone(buf)
		off := max(na, nb, 1)
		splitRows(buf, buf[off:], src, rows, na, nb, ldd, lds)
		check(t)
		for q := 0; q < rows; q++ {
			for k := 0; k < na; k++ {
				want[q*ldd+k] = src[q*lds+2*k]
			}
			for k := 0; k < nb; k++ {
				want[q*ldd+off+k] = src[q*lds+2*k+1]
			}
		}
		if !slices.Equal(buf, want) {
			t.Fatalf("split rows %d, na %d, nb %d: got %v, want %v", rows, na, nb, buf, want)
		}

		cols := na
		if cols == 0 {
			continue
		}
		// The copy writes zeros after each row up to a multiple of 8.
		dst, check := guarded((rows-1)*ldd + (cols+7)&^7)
		clear(dst)
		want = slices.Clone(dst)
		copyRows(dst, src, rows, cols, ldd, lds)
		check(t)
		for q := 0; q < rows; q++ {
			copy(want[q*ldd:q*ldd+cols], src[q*lds:])
		}
		if !slices.Equal(dst, want) {
			t.Fatalf("copy rows %d, cols %d: got %v, want %v", rows, cols, dst, want)
		}
	}
}

// BenchmarkDepthwiseMobileNet runs the depthwise layers of MobileNetV2
// (3×3, stride 1 and 2) and EfficientNet's 5×5 ones, one thread.
func BenchmarkDepthwiseMobileNet(b *testing.B) {
	for _, c := range []struct {
		name      string
		ch, hw, k int
		s         int
	}{
		{"3x3s1-144x56", 144, 56, 3, 1},
		{"3x3s2-144x56", 144, 56, 3, 2},
		{"3x3s1-576x14", 576, 14, 3, 1},
		{"3x3s1-960x7", 960, 7, 3, 1},
		{"5x5s1-480x14", 480, 14, 5, 1},
		{"5x5s2-240x28", 240, 28, 5, 2},
	} {
		pad := c.k / 2
		out := (c.hw+2*pad-c.k)/c.s + 1
		p := Params{N: 1, C: c.ch, M: c.ch, Group: c.ch, In: []int{c.hw, c.hw}, Kernel: []int{c.k, c.k},
			Out: []int{out, out}, Strides: []int{c.s, c.s}, Dilations: []int{1, 1}, Pads: []int{pad, pad}}
		b.Run(c.name, func(b *testing.B) { benchConvThreads(b, p, Depthwise, 1) })
	}
}

// BenchmarkDepthwiseEpilogue runs depthwise layers of MobileNetV2 (Clip
// 0..6) and EfficientNet-B0 (SiLU) through RunEpilogue, one thread.
func BenchmarkDepthwiseEpilogue(b *testing.B) {
	for _, c := range []struct {
		name      string
		ch, hw, k int
		s         int
		act       gemm.Activation
	}{
		{"relu6-3x3s1-32x112", 32, 112, 3, 1, gemm.ActClip},
		{"relu6-3x3s2-96x112", 96, 112, 3, 2, gemm.ActClip},
		{"relu6-3x3s1-144x56", 144, 56, 3, 1, gemm.ActClip},
		{"relu6-3x3s1-384x14", 384, 14, 3, 1, gemm.ActClip},
		{"relu6-3x3s2-576x14", 576, 14, 3, 2, gemm.ActClip},
		{"relu6-3x3s1-960x7", 960, 7, 3, 1, gemm.ActClip},
		{"silu-3x3s1-32x112", 32, 112, 3, 1, gemm.ActSiLU},
		{"silu-5x5s2-144x56", 144, 56, 5, 2, gemm.ActSiLU},
		{"silu-5x5s1-672x14", 672, 14, 5, 1, gemm.ActSiLU},
		{"silu-5x5s1-1152x7", 1152, 7, 5, 1, gemm.ActSiLU},
		{"relu-5x5s1-672x14", 672, 14, 5, 1, gemm.ActRelu},
	} {
		pad := c.k / 2
		out := (c.hw+2*pad-c.k)/c.s + 1
		p := Params{N: 1, C: c.ch, M: c.ch, Group: c.ch, In: []int{c.hw, c.hw}, Kernel: []int{c.k, c.k},
			Out: []int{out, out}, Strides: []int{c.s, c.s}, Dilations: []int{1, 1}, Pads: []int{pad, pad}}
		ep := gemm.Epilogue{Act: c.act, Min: 0, Max: 6}
		b.Run(c.name, func(b *testing.B) {
			pl, err := NewPlan[float32](p)
			if err != nil {
				b.Fatal(err)
			}
			pl = pl.WithAlgo(Depthwise)
			r := rand.New(rand.NewPCG(1, 1))
			x := randSlice(r, p.N*p.C*prod(p.In))
			pw, err := pl.PackWeights(randSlice(r, p.M*prod(p.Kernel)))
			if err != nil {
				b.Fatal(err)
			}
			bias := randSlice(r, p.M)
			y := make([]float32, p.N*p.M*prod(p.Out))
			flops := 2 * float64(len(y)*prod(p.Kernel))
			b.ResetTimer()
			_, p0 := cpuClocks()
			for i := 0; i < b.N; i++ {
				if err := pl.RunEpilogue(x, pw, bias, ep, y, 1); err != nil {
					b.Fatal(err)
				}
			}
			_, p1 := cpuClocks()
			if p1 > p0 {
				b.ReportMetric(flops*float64(b.N)/(p1-p0)/1e9, "GFLOP/cpu-s")
				b.ReportMetric((p1-p0)/float64(b.N)*1e6, "cpu-us/op")
			}
		})
	}
}
