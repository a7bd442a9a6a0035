package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randomRois returns n ROIs over an h x w image at scale: most inside it,
// some reaching past its edges, some inverted, tiny or far outside.
func randomRois(r *rand.Rand, n, h, w int, scale float64) []float64 {
	rois := make([]float64, 4*n)
	for i := range n {
		H, W := float64(h)/scale, float64(w)/scale
		x0, y0 := r.Float64()*W, r.Float64()*H
		x1, y1 := x0+r.Float64()*W*0.7, y0+r.Float64()*H*0.7
		switch r.IntN(8) {
		case 0: // past the edges
			x0, y0, x1, y1 = x0-W/2, y0-H/3, x1+W/2, y1+H
		case 1: // inverted
			x0, x1 = x1, x0
		case 2: // tiny
			x1, y1 = x0+r.Float64()*0.3, y0+r.Float64()*0.3
		case 3: // far outside
			x0, x1 = x0+2*W, x1+2*W
		}
		copy(rois[4*i:], []float64{x0, y0, x1, y1})
	}
	return rois
}

func TestRoiAlignAvgMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for it := range 300 {
		n, c := 1+r.IntN(2), 1+r.IntN(40)
		h, w := 1+r.IntN(30), 1+r.IntN(30)
		k := &roiAlignKernel{oh: 1 + r.IntN(9), ow: 1 + r.IntN(9), sampling: r.IntN(4),
			scale: []float64{1, 0.5, 0.25, 0.125}[r.IntN(4)], halfPixel: r.IntN(2) == 0}
		nr := r.IntN(7)
		rois := randomRois(r, nr, h, w, k.scale)
		bidx := make([]int64, nr)
		for i := range bidx {
			bidx[i] = int64(r.IntN(n))
		}
		x32 := make([]float32, n*c*h*w)
		x64 := make([]float64, len(x32))
		for i := range x32 {
			x32[i] = float32(r.NormFloat64())
			x64[i] = float64(x32[i])
		}
		name := fmt.Sprintf("case %d: x[%d %d %d %d] %+v rois %v", it, n, c, h, w, *k, rois)
		want64 := roiAlignRef(k, x64, rois, bidx, c, h, w, 1)
		want32 := roiAlignRef(k, x32, rois, bidx, c, h, w, 1)
		got64 := roiAlignAvg(k, x64, rois, bidx, c, h, w, 1)
		got32 := roiAlignAvg(k, x32, rois, bidx, c, h, w, 1)
		if len(got32) != len(want32) || len(got64) != len(want64) {
			t.Fatalf("%s: %d and %d outputs, want %d", name, len(got32), len(got64), len(want32))
		}
		for i := range want64 {
			// The sums are reordered: they agree to rounding.
			if d := math.Abs(got64[i] - want64[i]); d > 1e-12*(1+math.Abs(want64[i])) {
				t.Fatalf("%s: float64 output %d is %v, want %v", name, i, got64[i], want64[i])
			}
			if d := math.Abs(float64(got32[i]) - float64(want32[i])); d > 1e-6*(1+math.Abs(float64(want32[i]))) {
				t.Fatalf("%s: float32 output %d is %v, want %v", name, i, got32[i], want32[i])
			}
		}
		for _, th := range []int{2, 3, 8} {
			again := roiAlignAvg(k, x32, rois, bidx, c, h, w, th)
			for i := range again {
				if math.Float32bits(again[i]) != math.Float32bits(got32[i]) {
					t.Fatalf("%s: %d threads: output %d is %v, 1 thread gives %v", name, th, i, again[i], got32[i])
				}
			}
		}
	}
}

func TestRoiAxisMergesSamples(t *testing.T) {
	// Two bins of width 0.5 from 1.1, two samples each: (1.225, 1.475)
	// then (1.725, 1.975). Bin 0 reads pixels 1 and 2, bin 1 pixels 1, 2.
	var a roiAxis
	a.build(1.1, 0.5, 2, 2, 10)
	want := []struct {
		pos []int
		wt  []float64
	}{
		{[]int{1, 2}, []float64{(1 - 0.225) + (1 - 0.475), 0.225 + 0.475}},
		{[]int{1, 2}, []float64{(1 - 0.725) + (1 - 0.975), 0.725 + 0.975}},
	}
	for b, wb := range want {
		pos, wt := a.pos[a.start[b]:a.start[b+1]], a.wt[a.start[b]:a.start[b+1]]
		if len(pos) != len(wb.pos) {
			t.Fatalf("bin %d: pixels %v, want %v", b, pos, wb.pos)
		}
		for i := range pos {
			if pos[i] != wb.pos[i] || math.Abs(wt[i]-wb.wt[i]) > 1e-12 {
				t.Fatalf("bin %d: pixels %v weights %v, want %v %v", b, pos, wt, wb.pos, wb.wt)
			}
		}
	}
	// Past the last pixel a sample reads it with weight 1; outside
	// [-1, size] a sample has no weight.
	a.build(-3, 1, 1, 1, 4) // sample at -2.5
	if a.start[1] != 0 {
		t.Fatalf("sample at -2.5: pixels %v", a.pos)
	}
	a.build(3.2, 0.5, 1, 1, 4) // sample at 3.45
	if len(a.pos) != 1 || a.pos[0] != 3 || a.wt[0] != 1 {
		t.Fatalf("sample at 3.45: pixels %v weights %v, want [3] [1]", a.pos, a.wt)
	}
}

func BenchmarkRoiAlign(b *testing.B) {
	// Mask R-CNN's mask pooling of 41 ROIs from a 256-channel 64x64 level.
	r := rand.New(rand.NewPCG(1, 1))
	k := &roiAlignKernel{oh: 14, ow: 14, sampling: 2, scale: 0.25}
	h, w, c := 64, 64, 256
	x := make([]float32, c*h*w)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	nr := 41
	rois := make([]float64, 4*nr)
	for i := range nr {
		x0, y0 := r.Float64()*200, r.Float64()*200
		copy(rois[4*i:], []float64{x0, y0, x0 + 10 + r.Float64()*100, y0 + 10 + r.Float64()*100})
	}
	bidx := make([]int64, nr)
	for _, impl := range []struct {
		name string
		f    func() []float32
	}{
		{"ref", func() []float32 { return roiAlignRef(k, x, rois, bidx, c, h, w, 1) }},
		{"avg", func() []float32 { return roiAlignAvg(k, x, rois, bidx, c, h, w, 1) }},
	} {
		b.Run(impl.name, func(b *testing.B) {
			for b.Loop() {
				impl.f()
			}
		})
	}
}
