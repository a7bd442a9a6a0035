package ops

import (
	"math"
	"math/rand"
	"testing"
)

// TestExpF32 checks expF32 against math.Exp after rounding to float32:
// equal or one ulp apart, with the special values exact.
func TestExpF32(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	check := func(x float32) {
		got := float32(expF32(float64(x)))
		want := float32(math.Exp(float64(x)))
		if got == want || (math.IsNaN(float64(got)) && math.IsNaN(float64(want))) {
			return
		}
		if math.IsInf(float64(want), 0) || want == 0 || math.Abs(float64(got-want)) > float64(math.Nextafter32(want, float32(math.Inf(1)))-want) {
			t.Fatalf("expF32(%v) = %v, want %v", x, got, want)
		}
	}
	for _, x := range []float32{0, -0, 1, -1, 88.72, 88.73, 88.8, 89, -87.3, -103.9, -104, -110, 1e-30,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())} {
		check(x)
	}
	for i := 0; i < 1000000; i++ {
		check(float32(r.Float64()*210 - 105))
	}
}
