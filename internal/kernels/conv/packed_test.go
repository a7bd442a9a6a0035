package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onnxrun/onnxrun/internal/gemm"
)

// actRef is the definition of the epilogue activations, in float64.
func actRef(ep *gemm.Epilogue, x float64) float64 {
	switch ep.Act {
	case gemm.ActRelu:
		return math.Max(x, 0)
	case gemm.ActClip:
		return math.Min(math.Max(x, float64(ep.Min)), float64(ep.Max))
	case gemm.ActLeakyRelu:
		if x < 0 {
			return float64(ep.Alpha) * x
		}
		return x
	case gemm.ActSigmoid:
		return 1 / (1 + math.Exp(-x))
	case gemm.ActSiLU:
		return x / (1 + math.Exp(-x))
	case gemm.ActHardSigmoid:
		return math.Max(0, math.Min(1, float64(ep.Alpha)*x+float64(ep.Beta)))
	case gemm.ActHardSwish:
		return x * math.Max(0, math.Min(1, x/6+0.5))
	case gemm.ActTanh:
		return math.Tanh(x)
	}
	return x
}

// bigParams draws a convolution large enough for the packed GEMM path to
// split its output among threads and to take several k blocks.
func bigParams(r *rand.Rand, rank int) Params {
	p := randParams(r, rank)
	g := 1 + r.IntN(2)
	p.Group = g
	p.C = g * (1 + r.IntN(40))
	p.M = g * (1 + r.IntN(50))
	for a := range p.In {
		grow := []int{0, 300, 30, 9}[rank]
		p.In[a] += r.IntN(grow)
		dk := (p.Kernel[a]-1)*p.Dilations[a] + 1
		// Output size for the (unchanged) pads at both ends: the padding
		// after is drawn anew.
		end := r.IntN(p.Kernel[a])
		p.Out[a] = (p.In[a]+p.Pads[a]+end-dk)/p.Strides[a] + 1
	}
	return p
}

// TestPackedGEMMSplits runs the float32 pointwise and im2col paths on
// larger problems, with the default split for several thread counts and
// with forced splits into odd tiles and channel blocks: every result must
// match the reference, and all must agree bit for bit.
func TestPackedGEMMSplits(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for iter := 0; iter < 40; iter++ {
		rank := 1 + iter%3
		p := bigParams(r, rank)
		if iter%7 == 0 {
			for a := range p.In {
				p.Kernel[a], p.Strides[a], p.Pads[a], p.Out[a], p.Dilations[a] = 1, 1, 0, p.In[a], 1
			}
		}
		pl, err := NewPlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		if pl.Algo == Depthwise {
			pl = pl.WithAlgo(Im2col)
		}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.M*p.C/p.Group*prod(p.Kernel))
		b := randSlice(r, p.M)
		want := make([]float32, p.N*p.M*prod(p.Out))
		Reference(&p, x, w, b, want)
		pw, err := pl.PackWeights(w)
		if err != nil {
			t.Fatal(err)
		}
		var first []float32
		run := func(q *Plan[float32], th int, what string) {
			y, check := guarded(len(want))
			for i := range y {
				y[i] = float32(math.NaN())
			}
			if err := q.RunPacked(x, pw, b, y, th); err != nil {
				t.Fatal(err)
			}
			check(t)
			name := fmt.Sprintf("%v %s %s", q.Algo, fmtParams(p), what)
			closeAll(t, name, y, want)
			if first == nil {
				first = y
				return
			}
			for i := range y {
				if math.Float32bits(y[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%s: element %d is %v, 1 thread gives %v", name, i, y[i], first[i])
				}
			}
		}
		for _, th := range []int{1, 2, 3, 8} {
			run(pl, th, fmt.Sprintf("%d threads", th))
		}
		for k := 0; k < 3; k++ {
			q := *pl
			q.forceSplit = [2]int{16 * (1 + r.IntN(8)), 6 * (1 + r.IntN(4))}
			run(&q, 1+r.IntN(3), fmt.Sprintf("split %v", q.forceSplit))
		}
	}
}

// TestRunEpilogue checks the fused epilogue (bias, residual, activation)
// of the float32 GEMM paths against the reference convolution followed by
// the epilogue.
func TestRunEpilogue(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	acts := []gemm.Epilogue{{Act: gemm.ActNone}, {Act: gemm.ActRelu}, {Act: gemm.ActClip, Min: -0.5, Max: 0.75},
		{Act: gemm.ActLeakyRelu, Alpha: 0.1}, {Act: gemm.ActSigmoid}, {Act: gemm.ActSiLU},
		{Act: gemm.ActHardSigmoid, Alpha: 0.2, Beta: 0.5}, {Act: gemm.ActHardSwish}, {Act: gemm.ActTanh}}
	for iter := 0; iter < 60; iter++ {
		rank := 1 + iter%4
		var p Params
		if iter%3 == 0 {
			p = randParams(r, rank)
		} else {
			p = bigParams(r, 1+iter%3)
		}
		if iter%5 == 0 {
			for a := range p.In {
				p.Kernel[a], p.Strides[a], p.Pads[a], p.Out[a] = 1, 1, 0, p.In[a]
			}
		}
		pl, err := NewPlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		if !pl.FusesEpilogue() {
			if err := pl.RunEpilogue(nil, nil, nil, gemm.Epilogue{}, nil, 1); err == nil {
				t.Fatalf("%v: RunEpilogue without FusesEpilogue gives no error", pl.Algo)
			}
			pl = pl.WithAlgo(Im2col)
		}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.M*p.C/p.Group*prod(p.Kernel))
		var b []float32
		if iter%2 == 0 {
			b = randSlice(r, p.M)
		}
		n := p.N * p.M * prod(p.Out)
		ep := acts[iter%len(acts)]
		if iter%4 != 3 {
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
		for _, th := range []int{1, 2, 5} {
			y, check := guarded(n)
			if err := pl.RunEpilogue(x, pw, b, ep, y, th); err != nil {
				t.Fatal(err)
			}
			check(t)
			closeAll(t, fmt.Sprintf("%v %v %s %d threads", pl.Algo, ep.Act, fmtParams(p), th), y, want)
		}
	}
}

// TestWeightsForAnotherPlan checks that weights prepared for one algorithm
// or problem are refused by another plan.
func TestWeightsForAnotherPlan(t *testing.T) {
	p := resnet3x3
	pl, err := NewPlan[float32](p)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := pl.PackWeights(make([]float32, p.M*p.C*9))
	if err != nil {
		t.Fatal(err)
	}
	x, y := make([]float32, p.C*56*56), make([]float32, p.M*56*56)
	if err := pl.WithAlgo(Winograd).RunPacked(x, pw, nil, y, 1); err == nil {
		t.Error("im2col weights accepted by a Winograd plan")
	}
	q := p
	q.M = 32
	pl2, _ := NewPlan[float32](q)
	if err := pl2.RunPacked(x, pw, nil, y[:32*56*56], 1); err == nil {
		t.Error("weights of 64 filters accepted by a plan of 32")
	}
	if err := pl.RunPacked(x, nil, nil, y, 1); err == nil {
		t.Error("nil weights accepted")
	}
	if err := pl.RunEpilogue(x, pw, nil, gemm.Epilogue{Residual: make([]float32, 3)}, y, 1); err == nil {
		t.Error("a short residual accepted")
	}
}

// TestTapsMatchesReference runs the Taps algorithm on random stride-1
// problems of one to three axes (and strided ones, which fall back to the
// reference loop), with and without an epilogue: it must match the
// reference and give the same bits on any thread count.
func TestTapsMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for iter := 0; iter < 150; iter++ {
		rank := 1 + iter%3
		var p Params
		if iter%2 == 0 {
			p = randParams(r, rank)
		} else {
			p = bigParams(r, rank)
			p.M = p.Group * (1 + r.IntN(3))
		}
		if iter%5 != 0 {
			for a := range p.Strides {
				if p.Strides[a] != 1 {
					p.Strides[a] = 1
					p.Out[a] = (p.Out[a]-1)*2 + 1 // any size the padding allows
					p.Out[a] = min(p.Out[a], p.In[a]+p.Pads[a]-(p.Kernel[a]-1)*p.Dilations[a])
					p.Out[a] = max(p.Out[a], 1)
				}
			}
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
		}
		pl, err := NewPlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		q := pl.WithAlgo(Taps)
		if q.Algo == Taps && !tapsOK(&p) {
			t.Fatalf("Taps offered for %s", fmtParams(p))
		}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.M*p.C/p.Group*prod(p.Kernel))
		var b []float32
		if iter%3 != 0 {
			b = randSlice(r, p.M)
		}
		n := p.N * p.M * prod(p.Out)
		var ep gemm.Epilogue
		if iter%4 == 1 {
			ep = gemm.Epilogue{Act: gemm.ActTanh, Residual: randSlice(r, n)}
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
		pw, err := q.PackWeights(w)
		if err != nil {
			t.Fatal(err)
		}
		var first []float32
		for _, th := range []int{1, 2, 3, 8} {
			y, check := guarded(n)
			for i := range y {
				y[i] = float32(math.NaN())
			}
			if q.FusesEpilogue() {
				err = q.RunEpilogue(x, pw, b, ep, y, th)
			} else {
				err = q.RunPacked(x, pw, b, y, th)
				for i := range y {
					v := float64(y[i])
					if ep.Residual != nil {
						v += float64(ep.Residual[i])
					}
					y[i] = float32(actRef(&ep, v))
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			check(t)
			name := fmt.Sprintf("%v %s %d threads", q.Algo, fmtParams(p), th)
			closeAll(t, name, y, want)
			if first == nil {
				first = y
				continue
			}
			for i := range y {
				if math.Float32bits(y[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%s: element %d is %v, 1 thread gives %v", name, i, y[i], first[i])
				}
			}
		}
		// float64 through the portable loop.
		p64, _ := NewPlan[float64](p)
		q64 := p64.WithAlgo(Taps)
		y64 := make([]float64, n)
		w64, x64 := widen(w), widen(x)
		var b64 []float64
		if b != nil {
			b64 = widen(b)
		}
		if err := q64.Run(x64, w64, b64, y64, 2); err != nil {
			t.Fatal(err)
		}
		want64 := make([]float64, n)
		Reference(&p, x64, w64, b64, want64)
		for i := range y64 {
			if math.Abs(y64[i]-want64[i]) > 1e-9*(1+math.Abs(want64[i])) {
				t.Fatalf("float64 %v %s: element %d = %v, want %v", q64.Algo, fmtParams(p), i, y64[i], want64[i])
			}
		}
	}
}
