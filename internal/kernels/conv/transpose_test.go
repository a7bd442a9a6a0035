package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestTransposeStridesPads runs transposed convolutions of rank 1 to 3
// with strides 1 to 5, dilations 1 to 3, kernels up to 5, begin and end
// padding, output padding (outputs longer than the padded span) and
// groups against the reference: close to it, and the same bits on 1, 2
// and 3 threads. Rows wide enough for the unrolled col2im are included,
// and taps that tile the output.
func TestTransposeStridesPads(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for iter := 0; iter < 400; iter++ {
		rank := []int{1, 2, 2, 2, 3}[iter%5]
		// Every fourth problem has taps that tile the output (kernel =
		// stride, no dilation or padding), which col2im only places.
		tiled := iter%4 == 0
		g := 1 + r.IntN(3)
		p := Params{N: 1 + r.IntN(2), Group: g, C: g * (1 + r.IntN(4)), M: g * (1 + r.IntN(4))}
		for a := 0; a < rank; a++ {
			k := 1 + r.IntN(5)
			d := 1 + r.IntN(3)
			s := 1 + r.IntN(5)
			in := 1 + r.IntN([]int{0, 40, 24, 6}[rank])
			span := (in-1)*s + (k-1)*d + 1
			pad := r.IntN(k*d) % span
			padEnd := r.IntN(k*d) % (span - pad)
			outPad := r.IntN(s)
			if tiled {
				k, d, pad, padEnd, outPad = s, 1, 0, 0, 0
				span = in * s
			}
			p.In = append(p.In, in)
			p.Kernel = append(p.Kernel, k)
			p.Dilations = append(p.Dilations, d)
			p.Strides = append(p.Strides, s)
			p.Pads = append(p.Pads, pad)
			p.Out = append(p.Out, span-pad-padEnd+outPad)
		}
		pl, err := NewTransposePlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		if tiled != pl.tiles() && rank < 3 {
			t.Fatalf("%s: tiles() = %v, want %v", fmtParams(p), pl.tiles(), tiled)
		}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.C*p.M/p.Group*prod(p.Kernel))
		var b []float32
		if r.IntN(2) == 0 {
			b = randSlice(r, p.M)
		}
		want := make([]float32, p.N*p.M*prod(p.Out))
		TransposeReference(&p, x, w, b, want)
		tw, err := pl.PackWeights(w)
		if err != nil {
			t.Fatal(err)
		}
		var first []float32
		for _, th := range []int{1, 2, 3} {
			y, check := guarded(len(want))
			for i := range y {
				y[i] = float32(math.NaN())
			}
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
	}
}
