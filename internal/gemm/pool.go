package gemm

import "sync"

// work hands tasks to the pool's idle goroutines, which block on it (they
// never spin).
var work = make(chan func())

var (
	poolMu      sync.Mutex
	poolWorkers int
)

// maxWorkers bounds the goroutines the pool keeps.
const maxWorkers = 256

func worker() {
	for f := range work {
		f()
	}
}

// parallel runs fn(0), ..., fn(n-1) concurrently, fn(0) on the calling
// goroutine, and returns when all are done. Tasks go to idle pool
// goroutines; when none is idle (for example while other products run), a
// new goroutine is started instead of waiting.
func parallel(n int, fn func(int)) {
	if n <= 1 {
		if n == 1 {
			fn(0)
		}
		return
	}
	poolMu.Lock()
	for poolWorkers < min(n-1, maxWorkers) {
		go worker()
		poolWorkers++
	}
	poolMu.Unlock()
	var wg sync.WaitGroup
	wg.Add(n - 1)
	for i := 1; i < n; i++ {
		f := func() {
			defer wg.Done()
			fn(i)
		}
		select {
		case work <- f:
		default:
			go f()
		}
	}
	fn(0)
	wg.Wait()
}
