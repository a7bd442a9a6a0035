package gemm

import (
	"math"
	"math/rand"
	"testing"
	"time"
)

// BenchmarkMicroKernel measures the bare micro-kernel on packed panels
// that stay in L1/L2 (k = 256), the ceiling of the whole product. It
// reports the best of batches of 256 calls (the closest to an idle core).
func BenchmarkMicroKernel(b *testing.B) {
	for _, ks := range kernelSets() {
		b.Run(ks.name, func(b *testing.B) {
			const k, batch = 256, 256
			r := rand.New(rand.NewSource(1))
			a, bp := randSlice(r, 16*k*ks.mr), randSlice(r, k*ks.nr)
			c := make([]float32, ks.mr*ks.nr)
			te := &tileEp{}
			best := time.Duration(math.MaxInt64)
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				start := time.Now()
				for j := 0; j < batch; j++ {
					off := (j % 16) * k * ks.mr
					ks.tile(k, a[off:], bp, c, ks.nr, 1, true, te)
				}
				best = min(best, time.Since(start))
			}
			flops := 2 * float64(k*ks.mr*ks.nr) * batch
			b.ReportMetric(flops/best.Seconds()/1e9, "bestGFLOP/s")
		})
	}
}
