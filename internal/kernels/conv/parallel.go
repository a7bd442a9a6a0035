package conv

import (
	"runtime"

	"github.com/onnxrun/onnxrun/internal/workers"
)

// Threads resolves a thread count: n when positive, else GOMAXPROCS.
func Threads(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// ParallelFor runs body(worker, i) for i in [0, n) on up to threads
// goroutines (the caller and the shared pool of internal/workers); worker
// is in [0, threads) and identifies per-goroutine scratch. Items go to
// whichever goroutine is free, so what an item computes must not depend
// on worker.
func ParallelFor(n, threads int, body func(worker, i int)) {
	workers.For(n, threads, body)
}
