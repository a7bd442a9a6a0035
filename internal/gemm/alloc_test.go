package gemm

import (
	"math/rand"
	"testing"
)

// allocCases are steady-state products of every entry point that a
// network's run makes many times over, with and without an epilogue (one
// the kernels fuse, one applied in Go), edge tiles and a narrow last
// panel.
func allocCases(r *rand.Rand) []struct {
	name string
	f    func(threads int)
} {
	m, n, k := 70, 203, 150
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	c := make([]float32, m*n)
	bias, res := randSlice(r, m), randSlice(r, m*n)
	pa := PackA(false, m, k, 1, a, k)
	pb := PackB(true, k, n, randSlice(r, n*k), k)
	fill := func(dst []float32, pc, kb, j0, nb, nr, lastW int) {
		packB(active, false, b, n, pc, j0, kb, nb, lastW, dst)
	}
	relu := Epilogue{Bias: bias, BiasPerRow: true, Residual: res, Act: ActRelu}
	silu := Epilogue{Bias: bias, BiasPerRow: true, Act: ActSiLU}
	return []struct {
		name string
		f    func(threads int)
	}{
		{"SgemmPacked", func(t int) { SgemmPacked(t, pa, false, n, b, n, 0, c, n, Epilogue{}) }},
		{"SgemmPacked/relu", func(t int) { SgemmPacked(t, pa, false, n, b, n, 0, c, n, relu) }},
		{"SgemmPacked/silu", func(t int) { SgemmPacked(t, pa, false, n, b, n, 0, c, n, silu) }},
		{"SgemmPackedRows", func(t int) { SgemmPackedRows(t, pa, 6, 60, false, n, b, n, 0, c, n, Epilogue{}) }},
		{"SgemmPackedFill/relu", func(int) { SgemmPackedFill(pa, 0, m, n, fill, c, n, relu) }},
		{"SgemmEpilogue/relu", func(t int) { SgemmEpilogue(t, false, false, m, n, k, 1, a, k, b, n, 0, c, n, relu) }},
		{"Sgemm/row", func(t int) { SgemmEpilogue(t, false, false, 1, n, k, 1, a, k, b, n, 0, c, n, relu) }},
		{"Sgemm/col", func(t int) { SgemmEpilogue(t, false, true, m, 1, k, 1, a, k, b, k, 0, c, 1, silu) }},
		{"SgemmPackedB", func(t int) { SgemmPackedB(t, false, 3, 1, a, k, pb, 0, c, n, Epilogue{Act: ActRelu}) }},
	}
}

// TestSteadyStateAllocs checks that repeated single-threaded products
// allocate nothing once their recycled memory exists.
func TestSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	for _, tc := range allocCases(rand.New(rand.NewSource(9))) {
		tc.f(1)
		if got := testing.AllocsPerRun(20, func() { tc.f(1) }); got != 0 {
			t.Errorf("%s: %v allocations per call, want 0", tc.name, got)
		}
	}
}

// BenchmarkSteadyStateAllocs reports the allocations per call of the
// products of TestSteadyStateAllocs with one and two threads (with two, a
// call allocates only when it has to start a goroutine because none of
// the pool's is idle).
func BenchmarkSteadyStateAllocs(b *testing.B) {
	for _, tc := range allocCases(rand.New(rand.NewSource(9))) {
		for _, threads := range []int{1, 2} {
			b.Run(tc.name+map[int]string{1: "/t1", 2: "/t2"}[threads], func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					tc.f(threads)
				}
			})
		}
	}
}
