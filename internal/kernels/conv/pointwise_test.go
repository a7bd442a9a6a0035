package conv

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/onnxrun/onnxrun/internal/gemm"
)

// TestPointwiseKernels runs pointwise layers of odd sizes (input channels
// 1..pwMaxK, or up to pwMaxKWide at large planes, output channels not multiples of the kernel's rows, planes
// not multiples of 8) through the pointwise kernels, assembly and Go, with
// every epilogue activation, with and without bias and residual, against
// the reference loop; outputs must be the same bits on 1, 2 and 3 threads
// and nothing outside the output written.
func TestPointwiseKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	acts := []gemm.Epilogue{{Act: gemm.ActNone}, {Act: gemm.ActRelu}, {Act: gemm.ActClip, Min: -0.5, Max: 0.75},
		{Act: gemm.ActLeakyRelu, Alpha: 0.1}, {Act: gemm.ActSigmoid}, {Act: gemm.ActSiLU},
		{Act: gemm.ActHardSigmoid, Alpha: 0.2, Beta: 0.5}, {Act: gemm.ActHardSwish}, {Act: gemm.ActTanh}}
	kerns := map[string]pwKernel{"go": pwKernelGo, "asm": pwKernelAsm}
	for iter := 0; iter < 80; iter++ {
		g := 1 + r.IntN(2)
		cg := 1 + r.IntN(pwMaxK)
		if iter%4 == 0 {
			cg = pwMaxK
		}
		mg := 1 + r.IntN(20)
		h, w := 1+r.IntN(23), 1+r.IntN(31)
		if iter%7 == 0 {
			h, w = 40+r.IntN(9), 40+r.IntN(9) // several chunks
			if iter%2 == 0 {
				cg = 1 + r.IntN(pwMaxKWide)
			} else {
				cg = 1 + r.IntN(32) // long chunks: the sigmoid after the kernel
			}
		}
		p := Params{N: 1 + r.IntN(2), C: g * cg, M: g * mg, Group: g, In: []int{h, w}, Kernel: []int{1, 1}, Out: []int{h, w},
			Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{0, 0}}
		base, err := NewPlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		if !base.pwOK() {
			t.Fatalf("%s: pointwise kernels refuse it", fmtParams(p))
		}
		x := randSlice(r, p.N*p.C*h*w)
		wt := randSlice(r, p.M*cg)
		var b []float32
		if iter%2 == 0 {
			b = randSlice(r, p.M)
		}
		n := p.N * p.M * h * w
		ep := acts[iter%len(acts)]
		if iter%3 == 0 {
			ep.Residual = randSlice(r, n)
		}
		want := make([]float32, n)
		Reference(&p, x, wt, b, want)
		for i := range want {
			v := float64(want[i])
			if ep.Residual != nil {
				v += float64(ep.Residual[i])
			}
			want[i] = float32(actRef(&ep, v))
		}
		for name, k := range kerns {
			pl := *base
			pl.pwKern = k
			pw, err := pl.PackWeights(wt)
			if err != nil {
				t.Fatal(err)
			}
			if pw.pw == nil {
				t.Fatal("weights not packed for the pointwise kernel")
			}
			var first []float32
			for _, th := range []int{1, 2, 3} {
				y, check := guarded(n)
				if err := pl.RunEpilogue(x, pw, b, ep, y, th); err != nil {
					t.Fatal(err)
				}
				check(t)
				what := fmt.Sprintf("%s %v %s bias %v res %v, %d threads", name, ep.Act, fmtParams(p), b != nil, ep.Residual != nil, th)
				closeAll(t, what, y, want)
				if first == nil {
					first = append([]float32(nil), y...)
				} else {
					for i := range y {
						if y[i] != first[i] {
							t.Fatalf("%s: element %d is %v, %v on 1 thread", what, i, y[i], first[i])
						}
					}
				}
			}
		}
	}
}

// BenchmarkPointwiseLayers runs pointwise layers of MobileNetV2 and
// EfficientNet-B0 with their activations, by the pointwise kernels (where
// pwOK takes them) and by the packed GEMM, one thread.
func BenchmarkPointwiseLayers(b *testing.B) {
	for _, sh := range [][3]int{{16, 96, 112}, {32, 16, 112}, {24, 144, 56}, {40, 240, 28}, {96, 24, 56}, {80, 480, 14}, {112, 672, 14}, {160, 960, 7}, {192, 32, 28}, {672, 112, 14}, {960, 320, 7}, {512, 1000, 13}, {64, 256, 13}} {
		k, m, hw := sh[0], sh[1], sh[2]
		p := Params{N: 1, C: k, M: m, Group: 1, In: []int{hw, hw}, Kernel: []int{1, 1}, Out: []int{hw, hw},
			Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{0, 0}}
		r := rand.New(rand.NewPCG(1, 1))
		x := randSlice(r, k*hw*hw)
		w := randSlice(r, m*k)
		bias := randSlice(r, m)
		y := make([]float32, m*hw*hw)
		for _, act := range []gemm.Activation{gemm.ActClip, gemm.ActSiLU} {
			for _, kern := range []string{"pw", "gemm"} {
				b.Run(fmt.Sprintf("%dx%dx%d/%v/%s", k, m, hw, act, kern), func(b *testing.B) {
					pl, err := NewPlan[float32](p)
					if err != nil {
						b.Fatal(err)
					}
					if kern == "gemm" {
						pl.pwKern = nil
					} else if pl.pwKern == nil {
						b.Skip("no pointwise kernel here")
					}
					pw, err := pl.PackWeights(w)
					if err != nil {
						b.Fatal(err)
					}
					ep := gemm.Epilogue{Act: act, Min: 0, Max: 6}
					_, p0 := cpuClocks()
					for i := 0; i < b.N; i++ {
						if err := pl.RunEpilogue(x, pw, bias, ep, y, 1); err != nil {
							b.Fatal(err)
						}
					}
					_, p1 := cpuClocks()
					if p1 > p0 {
						b.ReportMetric((p1-p0)/float64(b.N)*1e3, "cpu-ms")
						b.ReportMetric(2*float64(m*k*hw*hw)*float64(b.N)/(p1-p0)/1e9, "GFLOP/cpu-s")
					}
				})
			}
		}
	}
}
