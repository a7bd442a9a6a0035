package gemm

import (
	"fmt"
	"math/rand"
	"runtime"
	"testing"
	"time"
)

// BenchmarkSigmoid measures Sigmoid and SiLU on slices as long as a tile
// row (16), a small feature map and a large one. On a busy machine the
// mean wall time says little: it also reports the fastest batch of calls
// and the calling thread's CPU time, per element.
func BenchmarkSigmoid(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	for _, n := range []int{16, 784, 12544} {
		for _, silu := range []bool{false, true} {
			x := make([]float32, n)
			for i := range x {
				x[i] = r.Float32()*20 - 10
			}
			y := make([]float32, n)
			b.Run(fmt.Sprintf("n%d/silu=%v", n, silu), func(b *testing.B) {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				batch := max(1, 20000/n)
				best := time.Duration(1 << 62)
				t0, _ := cpuClocks()
				calls := 0
				for b.Loop() {
					start := time.Now()
					for range batch {
						copy(y, x)
						Sigmoid(y, silu)
					}
					best = min(best, time.Since(start))
					calls += batch
				}
				t1, _ := cpuClocks()
				b.ReportMetric(float64(best.Nanoseconds())/float64(batch*n), "best-ns/elem")
				b.ReportMetric((t1-t0)*1e9/float64(calls*n), "cpu-ns/elem")
			})
		}
	}
}
