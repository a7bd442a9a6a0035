package gemm

import (
	"math/rand"
	"runtime"
	"testing"
)

// BenchmarkMicroKernel measures the bare micro-kernel on packed panels
// that stay in L1/L2 (k = 256), the ceiling of the whole product.
func BenchmarkMicroKernel(b *testing.B) {
	for _, ks := range kernelSets() {
		b.Run(ks.name, func(b *testing.B) {
			const k = 256
			r := rand.New(rand.NewSource(1))
			a, bp := randSlice(r, 16*k*ks.mr), randSlice(r, k*ks.nr)
			c := make([]float32, ks.mr*ks.nr)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			t0, _ := cpuClocks()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				off := (i % 16) * k * ks.mr
				ks.tile(k, a[off:], bp, c, ks.nr, 1, true, &tileEp{})
			}
			b.StopTimer()
			t1, _ := cpuClocks()
			flops := 2 * float64(k*ks.mr*ks.nr) * float64(b.N)
			if t1 > t0 {
				b.ReportMetric(flops/(t1-t0)/1e9, "cpuGFLOP/s")
			}
		})
	}
}
