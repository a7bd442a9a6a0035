package vec

import (
	"math"
	"math/rand"
	"testing"
)

// same reports whether a and b are the same float32 result: the same bits,
// or both NaN.
func same(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// randVals fills n values with a mix of ordinary numbers and the special
// values (zeros, infinities, NaN) the kernels must treat as Go does.
func randVals(r *rand.Rand, n int) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, -3}
	v := make([]float32, n)
	for i := range v {
		if r.Intn(8) == 0 {
			v[i] = special[r.Intn(len(special))]
		} else {
			v[i] = float32(r.NormFloat64() * 4)
		}
	}
	return v
}

// guarded returns a slice of n elements inside a buffer whose guard
// elements around it hold a sentinel, and a check that they still do.
func guarded(n int) ([]float32, func(t *testing.T)) {
	const g = 9
	buf := make([]float32, n+2*g)
	for i := range buf {
		buf[i] = 12345
	}
	return buf[g : g+n], func(t *testing.T) {
		t.Helper()
		for i := 0; i < g; i++ {
			if buf[i] != 12345 || buf[g+n+i] != 12345 {
				t.Fatalf("n=%d: write outside the output", n)
			}
		}
	}
}

func check(t *testing.T, what string, n int, got, want []float32) {
	t.Helper()
	for i := range want {
		if !same(got[i], want[i]) {
			t.Fatalf("%s n=%d: [%d] = %v, want %v", what, n, i, got[i], want[i])
		}
	}
}

func sizes() []int {
	s := []int{0, 1, 7, 8, 9, 15, 16, 31, 32, 33, 63, 64, 65, 100, 257}
	return s
}

func TestArith(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, n := range sizes() {
		x, y := randVals(r, n), randVals(r, n)
		s := randVals(r, 1)[0]
		for op := Add; op <= Div; op++ {
			want := make([]float32, n)
			dst, ok := guarded(n)
			vvGo(op, want, x, y)
			VV(op, dst, x, y)
			check(t, "VV", n, dst, want)
			ok(t)
			vsGo(op, want, x, s)
			VS(op, dst, x, s)
			check(t, "VS", n, dst, want)
			ok(t)
			svGo(op, want, s, y)
			SV(op, dst, s, y)
			check(t, "SV", n, dst, want)
			ok(t)
			// In place.
			in := append([]float32(nil), x...)
			vvGo(op, want, x, y)
			VV(op, in, in, y)
			check(t, "VV in place", n, in, want)
		}
	}
}

func TestAffineClamp(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, n := range sizes() {
		x := randVals(r, n)
		for _, ab := range [][2]float32{{1.5, -0.25}, {0, 0}, {-3, 1e30}, {float32(math.Inf(1)), 0}} {
			want := make([]float32, n)
			dst, ok := guarded(n)
			affineGo(want, x, ab[0], ab[1])
			Affine(dst, x, ab[0], ab[1])
			check(t, "Affine", n, dst, want)
			ok(t)
		}
		for _, lh := range [][2]float32{{0, float32(math.Inf(1))}, {0, 6}, {-1, 1}, {2, 2}} {
			want := make([]float32, n)
			dst, ok := guarded(n)
			clampGo(want, x, lh[0], lh[1])
			Clamp(dst, x, lh[0], lh[1])
			check(t, "Clamp", n, dst, want)
			ok(t)
			for i, v := range x {
				if v != v {
					continue
				}
				if w := float32(math.Min(math.Max(float64(v), float64(lh[0])), float64(lh[1]))); dst[i] != w {
					t.Fatalf("Clamp(%v, %v, %v) = %v, want %v", v, lh[0], lh[1], dst[i], w)
				}
			}
		}
	}
}

func BenchmarkClamp(b *testing.B) {
	x := make([]float32, 1<<16)
	y := make([]float32, len(x))
	b.SetBytes(int64(8 * len(x)))
	for b.Loop() {
		Clamp(y, x, 0, float32(math.Inf(1)))
	}
}

func TestTranspose32(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for it := 0; it < 300; it++ {
		m, n := 1+r.Intn(80), 1+r.Intn(80)
		if it < 4 {
			m, n = 8*(1+it), 8*(4-it)
		}
		ldd, lds := n+r.Intn(3), m+r.Intn(3)
		src := make([]uint32, (n-1)*lds+m)
		for i := range src {
			src[i] = r.Uint32()
		}
		const g = 11
		buf := make([]uint32, (m-1)*ldd+n+2*g)
		for i := range buf {
			buf[i] = 0xdeadbeef
		}
		dst := buf[g : len(buf)-g]
		Transpose32(dst, ldd, src, lds, m, n)
		for i := 0; i < m; i++ {
			for j := 0; j < ldd && i*ldd+j < len(dst); j++ {
				want := uint32(0xdeadbeef) // the gaps between rows stay
				if j < n {
					want = src[j*lds+i]
				}
				if dst[i*ldd+j] != want {
					t.Fatalf("m=%d n=%d ldd=%d lds=%d: [%d][%d] = %x, want %x", m, n, ldd, lds, i, j, dst[i*ldd+j], want)
				}
			}
		}
		for i := 0; i < g; i++ {
			if buf[i] != 0xdeadbeef || buf[len(buf)-1-i] != 0xdeadbeef {
				t.Fatalf("m=%d n=%d: write outside dst", m, n)
			}
		}
	}
}
