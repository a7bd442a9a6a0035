package gemm

import "github.com/onnxrun/onnxrun/internal/workers"

// runner is work split into parts: runPart(i) does part i. Parts of one
// runner may run concurrently, and what a part computes does not depend
// on the goroutine that runs it.
type runner interface{ runPart(i int) }

// parallelRun runs r.runPart(0), ..., r.runPart(n-1) on the calling
// goroutine and the shared pool of internal/workers (up to n goroutines
// in all, each part on whichever is free), and returns when all are done.
func parallelRun(n int, r runner) {
	if n <= 1 {
		if n == 1 {
			r.runPart(0)
		}
		return
	}
	workers.For(n, n, func(_, i int) { r.runPart(i) })
}

// funcRunner runs a function as a runner.
type funcRunner func(int)

func (f funcRunner) runPart(i int) { f(i) }

// parallel runs fn(0), ..., fn(n-1) as parallelRun does.
func parallel(n int, fn func(int)) { parallelRun(n, funcRunner(fn)) }
