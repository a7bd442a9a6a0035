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
		for ti, th := range []int{1, 2, 3, 8} {
			old := tapsScratch
			if ti == 3 {
				tapsScratch = 1 // one image and group at a time
			}
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
			tapsScratch = old
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

// TestIm2colFillStrides runs the im2col path on rows wide enough for full
// 16-wide runs with strides 1 to 5 and dilations 1 to 2, padding on some
// sides, so that every copy form of the fill (contiguous, stride 2 and 4
// unrolled, strided, crossing the padding) is taken.
func TestIm2colFillStrides(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for iter := 0; iter < 60; iter++ {
		s := 1 + iter%5
		k := 1 + r.IntN(5)
		d := 1 + r.IntN(2)
		pad := r.IntN(k)
		in := 16*s + r.IntN(40) + (k-1)*d
		rank := 1 + iter%3
		p := Params{N: 1, Group: 1, C: 1 + r.IntN(4), M: 1 + r.IntN(13)}
		for a := 0; a < rank; a++ {
			ia, ka := in, k
			if a < rank-1 {
				ia, ka = 3+r.IntN(5), 1+r.IntN(3)
				ia = max(ia, (ka-1)*d+1)
			}
			p.In = append(p.In, ia)
			p.Kernel = append(p.Kernel, ka)
			p.Strides = append(p.Strides, s)
			p.Dilations = append(p.Dilations, d)
			p.Pads = append(p.Pads, min(pad, ka-1))
			p.Out = append(p.Out, (ia+2*min(pad, ka-1)-((ka-1)*d+1))/s+1)
		}
		pl, err := NewPlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		q := pl.WithAlgo(Im2col)
		if q.Algo != Im2col {
			continue
		}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.M*p.C*prod(p.Kernel))
		want := make([]float32, p.N*p.M*prod(p.Out))
		Reference(&p, x, w, nil, want)
		y, check := guarded(len(want))
		if err := q.Run(x, w, nil, y, 1); err != nil {
			t.Fatal(err)
		}
		check(t)
		closeAll(t, fmtParams(p), y, want)
	}
}

// TestTransposePacked checks the transposed convolution with weights
// packed once: the reference on larger problems, the same bits on any
// thread count, and weights of another problem refused.
func TestTransposePacked(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for iter := 0; iter < 30; iter++ {
		rank := 1 + iter%3
		p := randParams(r, rank)
		p.C = p.Group * (1 + r.IntN(20))
		p.M = p.Group * (1 + r.IntN(20))
		for a := range p.In {
			k := (p.Kernel[a]-1)*p.Dilations[a] + 1
			p.Out[a] = max(1, (p.In[a]-1)*p.Strides[a]+k-p.Pads[a]-r.IntN(p.Kernel[a]))
		}
		pl, err := NewTransposePlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.C*p.M/p.Group*prod(p.Kernel))
		b := randSlice(r, p.M)
		want := make([]float32, p.N*p.M*prod(p.Out))
		TransposeReference(&p, x, w, b, want)
		tw, err := pl.PackWeights(w)
		if err != nil {
			t.Fatal(err)
		}
		var first []float32
		for _, th := range []int{1, 2, 3, 8} {
			y, check := guarded(len(want))
			if err := pl.RunPacked(x, tw, b, y, th); err != nil {
				t.Fatal(err)
			}
			check(t)
			name := fmt.Sprintf("transposed %s %d threads", fmtParams(p), th)
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
		q := p
		q.C += p.Group
		pq, _ := NewTransposePlan[float32](q)
		if err := pq.RunPacked(make([]float32, q.N*q.C*prod(q.In)), tw, nil, make([]float32, len(want)), 1); err == nil {
			t.Fatalf("weights for %d input channels accepted by a plan of %d", p.C, q.C)
		}
	}
}
