package conv

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Threads resolves a thread count: n when positive, else GOMAXPROCS.
func Threads(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// ParallelFor runs body(worker, i) for i in [0, n) on up to threads
// goroutines; worker is in [0, threads) and identifies per-goroutine scratch.
func ParallelFor(n, threads int, body func(worker, i int)) {
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		for i := 0; i < n; i++ {
			body(0, i)
		}
		return
	}
	var next atomic.Int64
	work := func(w int) {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			body(w, i)
		}
	}
	var wg sync.WaitGroup
	wg.Add(threads - 1)
	for w := 1; w < threads; w++ {
		go func(w int) {
			defer wg.Done()
			work(w)
		}(w)
	}
	work(0) // the calling goroutine is worker 0
	wg.Wait()
}
