package gemm

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"testing"
	"time"
)

// benchShapes are square products and the GEMMs of ResNet-50's
// convolutions (M output channels, N output pixels, K = Cin·kh·kw).
var benchShapes = []struct {
	name    string
	m, n, k int
}{
	{"sq256", 256, 256, 256},
	{"sq512", 512, 512, 512},
	{"sq1024", 1024, 1024, 1024},
	{"conv64x3136x576", 64, 3136, 576},
	{"conv256x784x1152", 256, 784, 1152},
	{"conv512x49x4608", 512, 49, 4608},
}

func benchGemm(b *testing.B, ks *kernelSet, threads, m, n, k int, ep Epilogue) {
	r := rand.New(rand.NewSource(1))
	x, y, z := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	benchLoop(b, threads, m, n, k, func() {
		sgemm(ks, threads, false, false, m, n, k, 1, x, k, y, n, 0, z, n, &ep)
	})
}

// benchLoop runs f b.N times and reports GFLOP/s for an m×n×k product. On
// a busy machine the mean wall time says little about the kernel: it also
// reports the fastest run, and GFLOP per second of CPU time (of the calling
// thread with one thread, of the whole process otherwise: the throughput
// per busy core).
func benchLoop(b *testing.B, threads, m, n, k int, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f()
	t0, p0 := cpuClocks()
	best := time.Duration(math.MaxInt64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		f()
		best = min(best, time.Since(start))
	}
	b.StopTimer()
	t1, p1 := cpuClocks()
	flops := 2 * float64(m) * float64(n) * float64(k)
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(flops/best.Seconds()/1e9, "bestGFLOP/s")
	cpu := t1 - t0
	if threads > 1 {
		cpu = p1 - p0
	}
	if cpu > 0 {
		b.ReportMetric(flops*float64(b.N)/cpu/1e9, "cpuGFLOP/s")
	}
}

// BenchmarkSgemm measures the kernel set chosen for this CPU with 1 and 2
// threads.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/t%d", s.name, threads), func(b *testing.B) {
				benchGemm(b, active, threads, s.m, s.n, s.k, Epilogue{})
			})
		}
	}
}

// BenchmarkSgemmEpilogue measures a conv-style product with a per-row bias
// and an activation fused.
func BenchmarkSgemmEpilogue(b *testing.B) {
	for _, act := range []Activation{ActNone, ActRelu, ActSiLU} {
		b.Run(act.String(), func(b *testing.B) {
			ep := Epilogue{Bias: make([]float32, 256), BiasPerRow: true, Act: act}
			benchGemm(b, active, 1, 256, 784, 1152, ep)
		})
	}
}

// BenchmarkKernelSets compares every kernel set this CPU runs, one thread.
func BenchmarkKernelSets(b *testing.B) {
	for _, ks := range kernelSets() {
		for _, s := range benchShapes {
			b.Run(ks.name+"/"+s.name, func(b *testing.B) {
				benchGemm(b, ks, 1, s.m, s.n, s.k, Epilogue{})
			})
		}
	}
}

// BenchmarkSgemmPacked measures products with A packed in advance (a
// convolution's weights), 1 and 2 threads.
func BenchmarkSgemmPacked(b *testing.B) {
	for _, s := range benchShapes {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/t%d", s.name, threads), func(b *testing.B) {
				r := rand.New(rand.NewSource(1))
				m, n, k := s.m, s.n, s.k
				pa := PackA(false, m, k, 1, randSlice(r, m*k), k)
				y, z := randSlice(r, k*n), make([]float32, m*n)
				benchLoop(b, threads, m, n, k, func() {
					SgemmPacked(threads, pa, false, n, y, n, 0, z, n, Epilogue{})
				})
			})
		}
	}
}

// BenchmarkSgemv measures the matrix-vector path (m = 1).
func BenchmarkSgemv(b *testing.B) {
	for _, tb := range []bool{false, true} {
		b.Run(fmt.Sprint("transB=", tb), func(b *testing.B) {
			r := rand.New(rand.NewSource(1))
			const k, n = 2048, 2048
			x, y, z := randSlice(r, k), randSlice(r, k*n), make([]float32, n)
			ldb := n
			if tb {
				ldb = k
			}
			benchLoop(b, 1, 1, n, k, func() {
				Sgemm(false, tb, 1, n, k, 1, x, k, y, ldb, 0, z, n)
			})
		})
	}
}
