package conv

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onnxrun/onnxrun/internal/gemm"
)

// TestWinogradTransforms8MatchGo checks the eight-tile transforms (the
// assembly where it is built in) against the Go ones, bit for bit, with
// guard values around the output.
func TestWinogradTransforms8MatchGo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 20; iter++ {
		stride := 8 + r.IntN(40)
		var d, d2 [288]float32
		for i := range d {
			d[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(7)-3)))
		}
		d2 = d
		n := 35*stride + 8 + 16
		v1, v2 := make([]float32, n), make([]float32, n)
		for i := range v1 {
			v1[i], v2[i] = -7777, -7777
		}
		wgIn43x8Asm(&d, v1[8:], stride)
		wgIn43x8Go(&d2, v2[8:], stride)
		for i := range v1 {
			if math.Float32bits(v1[i]) != math.Float32bits(v2[i]) {
				t.Fatalf("input transform, stride %d: element %d is %v, Go gives %v", stride, i, v1[i], v2[i])
			}
		}
		q := make([]float32, 35*stride+8)
		for i := range q {
			q[i] = float32(r.NormFloat64())
		}
		var o1, o2 [192]float32
		wgOut43x8Asm(q, stride, &o1)
		wgOut43x8Go(q, stride, &o2)
		for i := 0; i < 128; i++ {
			if math.Float32bits(o1[i]) != math.Float32bits(o2[i]) {
				t.Fatalf("output transform, stride %d: element %d is %v, Go gives %v", stride, i, o1[i], o2[i])
			}
		}
	}
}

// TestWinogradF32EpilogueChunks runs the float32 Winograd path with small
// chunks (several per image, the last one partial) on both of its work
// splits, with bias, residual and each activation the output transform
// applies, against the reference followed by the epilogue; and checks
// that the eight-tile transforms and the one-tile ones give the same bits.
func TestWinogradF32EpilogueChunks(t *testing.T) {
	saved := wgChunkBytes
	defer func() { wgChunkBytes = saved }()
	r := rand.New(rand.NewPCG(5, 6))
	acts := []gemm.Epilogue{{}, {Act: gemm.ActRelu}, {Act: gemm.ActClip, Min: -0.5, Max: 0.7}, {Act: gemm.ActLeakyRelu, Alpha: 0.1},
		{Act: gemm.ActSigmoid}, {Act: gemm.ActHardSwish}}
	for iter := 0; iter < 12; iter++ {
		tile := 2 + 2*(iter%2)
		p := Params{N: 1 + r.IntN(3), C: 8 + r.IntN(12), M: 8 + r.IntN(12), Group: 1, Kernel: []int{3, 3},
			Strides: []int{1, 1}, Dilations: []int{1, 1}}
		for a := 0; a < 2; a++ {
			pb, pe := r.IntN(3), r.IntN(3)
			in := 12 + r.IntN(20)
			p.In = append(p.In, in)
			p.Pads = append(p.Pads, pb)
			p.Out = append(p.Out, in+pb+pe-2)
		}
		pts := (tile + 2) * (tile + 2)
		// Chunks of 32 tiles.
		wgChunkBytes = func() int { return 4 * pts * (p.C + p.M) * 40 }
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.M*p.C*9)
		b := randSlice(r, p.M)
		res := randSlice(r, p.N*p.M*prod(p.Out))
		conv := make([]float32, len(res))
		Reference(&p, x, w, b, conv)
		mag := make([]float32, len(res))
		Reference(&p, absSlice(x), absSlice(w), absSlice(b), mag)
		algo := Winograd
		if tile == 4 {
			algo = Winograd43
		}
		pa := winogradPackF32(algo, w, p.M, p.C)
		for ai, ge := range acts {
			ge.Residual = res
			var first []float32
			for _, th := range []int{1, 2, 3} {
				for _, asm := range []bool{true, false} {
					if !asm && (th != 1 || !wgAsm) {
						continue
					}
					savedAsm := wgAsm
					wgAsm = wgAsm && asm
					y, check := guarded(len(res))
					runWinogradPackedF32(&p, algo, x, pa, b, &ge, y, th)
					wgAsm = savedAsm
					check(t)
					if first == nil {
						first = y
						for i := range y {
							want := conv[i] + res[i]
							// Bound on the error of the sum, times the
							// activation's largest slope (HardSwish: 1.5),
							// plus the error of the activation itself.
							tol := 1e-5*float64(mag[i]+abs32(res[i])) + 1e-6
							switch ge.Act {
							case gemm.ActSigmoid:
								want = float32(1 / (1 + math.Exp(-float64(want))))
								tol += 1e-6
							case gemm.ActHardSwish:
								want = want * max(0, min(1, want/6+0.5))
								tol *= 1.5
							case gemm.ActRelu:
								want = max(want, 0)
							case gemm.ActClip:
								want = min(max(want, ge.Min), ge.Max)
							case gemm.ActLeakyRelu:
								if want < 0 {
									want *= ge.Alpha
								}
							}
							if d := math.Abs(float64(y[i] - want)); d > tol {
								t.Fatalf("F(%d) %s act %d: element %d = %v, want %v", tile, fmtParams(p), ai, i, y[i], want)
							}
						}
						continue
					}
					for i := range y {
						if math.Float32bits(y[i]) != math.Float32bits(first[i]) {
							t.Fatalf("F(%d) %s act %d, %d threads asm %v: element %d = %v, first run %v",
								tile, fmtParams(p), ai, th, asm, i, y[i], first[i])
						}
					}
				}
			}
		}
	}
}

func abs32(v float32) float32 { return float32(math.Abs(float64(v))) }

// TestWinogradF32WidePads covers paddings wider than the kernel reach
// (outputs that see only padding, tiles far outside the image). Such an
// output is the bias exactly in a direct convolution, but Winograd's
// transforms mix it with the other values of its tile, so its error is
// bounded by the largest magnitude of the plane rather than its own.
func TestWinogradF32WidePads(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, pads := range [][4]int{{3, 0, 0, 3}, {4, 5, 2, 3}, {0, 6, 6, 0}} {
		p := Params{N: 1, C: 9, M: 10, Group: 1, In: []int{13, 17}, Kernel: []int{3, 3},
			Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{pads[0], pads[1]}}
		p.Out = []int{13 + pads[0] + pads[2] - 2, 17 + pads[1] + pads[3] - 2}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.M*p.C*9)
		b := randSlice(r, p.M)
		want := make([]float32, p.N*p.M*prod(p.Out))
		Reference(&p, x, w, b, want)
		mag := make([]float32, len(want))
		Reference(&p, absSlice(x), absSlice(w), absSlice(b), mag)
		plane := prod(p.Out)
		pl, err := NewPlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []Algo{Winograd, Winograd43} {
			y, check := guarded(len(want))
			if err := pl.WithAlgo(a).Run(x, w, b, y, 2); err != nil {
				t.Fatal(err)
			}
			check(t)
			for i := range want {
				var pm float32
				for _, v := range mag[i/plane*plane : (i/plane+1)*plane] {
					pm = max(pm, v)
				}
				if d := math.Abs(float64(y[i] - want[i])); d > 1e-5*float64(pm)+1e-6 {
					t.Fatalf("%v pads %v: element %d = %v, want %v", a, p.Pads, i, y[i], want[i])
				}
			}
		}
	}
}

// TestWinogradRunEpilogue runs float32 Winograd plans through
// Plan.RunEpilogue with every activation, with and without bias and
// residual, against the reference convolution followed by the epilogue.
// The error bound is that of the sum (see TestWinogradMatchesReference)
// times the activation's largest slope (1.5, HardSwish), plus 1e-6 for the
// activation's own rounding.
func TestWinogradRunEpilogue(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	acts := []gemm.Epilogue{{Act: gemm.ActNone}, {Act: gemm.ActRelu}, {Act: gemm.ActClip, Min: -0.5, Max: 0.75},
		{Act: gemm.ActLeakyRelu, Alpha: 0.1}, {Act: gemm.ActSigmoid}, {Act: gemm.ActSiLU},
		{Act: gemm.ActHardSigmoid, Alpha: 0.2, Beta: 0.5}, {Act: gemm.ActHardSwish}, {Act: gemm.ActTanh}}
	for iter := 0; iter < 36; iter++ {
		p := Params{N: 1 + r.IntN(2), C: 8 + r.IntN(9), M: 8 + r.IntN(9), Group: 1, Kernel: []int{3, 3},
			Strides: []int{1, 1}, Dilations: []int{1, 1}}
		for a := 0; a < 2; a++ {
			pb, pe := r.IntN(3), r.IntN(3)
			in := 8 + r.IntN(14)
			p.In = append(p.In, in)
			p.Pads = append(p.Pads, pb)
			p.Out = append(p.Out, in+pb+pe-2)
		}
		algo := Winograd
		if iter%2 == 1 {
			algo = Winograd43
		}
		pl, err := NewPlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		pl = pl.WithAlgo(algo)
		if !pl.FusesEpilogue() {
			t.Fatalf("%v plan does not fuse the epilogue", algo)
		}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.M*p.C*9)
		var b []float32
		if iter%3 != 2 {
			b = randSlice(r, p.M)
		}
		n := p.N * p.M * prod(p.Out)
		ep := acts[iter%len(acts)]
		if iter%4 != 3 {
			ep.Residual = randSlice(r, n)
		}
		conv := make([]float32, n)
		Reference(&p, x, w, b, conv)
		mag := make([]float32, n)
		var absB []float32
		if b != nil {
			absB = absSlice(b)
		}
		Reference(&p, absSlice(x), absSlice(w), absB, mag)
		pw, err := pl.PackWeights(w)
		if err != nil {
			t.Fatal(err)
		}
		var first []float32
		for _, th := range []int{1, 2, 5} {
			y, check := guarded(n)
			if err := pl.RunEpilogue(x, pw, b, ep, y, th); err != nil {
				t.Fatal(err)
			}
			check(t)
			for i := range y {
				v, m := float64(conv[i]), float64(mag[i])
				if ep.Residual != nil {
					v += float64(ep.Residual[i])
					m += math.Abs(float64(ep.Residual[i]))
				}
				want := actRef(&ep, v)
				if d := math.Abs(float64(y[i]) - want); d > 1.5*(1e-5*m+1e-6)+1e-6 {
					t.Fatalf("%v %v %s %d threads: element %d = %v, want %v", algo, ep.Act, fmtParams(p), th, i, y[i], want)
				}
				if first != nil && math.Float32bits(y[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%v %v %s: %d threads give element %d = %v, 1 thread %v", algo, ep.Act, fmtParams(p), th, i, y[i], first[i])
				}
			}
			if first == nil {
				first = y
			}
		}
	}
}
