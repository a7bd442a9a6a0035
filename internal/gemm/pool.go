package gemm

import "sync"

// runner is work split into parts: runPart(i) does part i. Parts of one
// runner may run concurrently.
type runner interface{ runPart(i int) }

// job is part i of r, counted down on wg when done.
type job struct {
	r  runner
	i  int
	wg *sync.WaitGroup
}

// work hands jobs to the pool's idle goroutines, which block on it (they
// never spin). Jobs travel by value, so handing one out allocates nothing.
var work = make(chan job)

var (
	poolMu      sync.Mutex
	poolWorkers int
)

// maxWorkers bounds the goroutines the pool keeps.
const maxWorkers = 256

func worker() {
	for j := range work {
		j.run()
	}
}

func (j job) run() {
	defer j.wg.Done()
	j.r.runPart(j.i)
}

// waitGroups recycles the WaitGroups of parallelRun.
var waitGroups = sync.Pool{New: func() any { return new(sync.WaitGroup) }}

// parallelRun runs r.runPart(0), ..., r.runPart(n-1) concurrently, part 0
// on the calling goroutine, and returns when all are done. Parts go to
// idle pool goroutines; when none is idle (for example while other
// products run), a new goroutine is started instead of waiting. Once the
// pool has its goroutines, a call allocates nothing unless it has to start
// one.
func parallelRun(n int, r runner) {
	if n <= 1 {
		if n == 1 {
			r.runPart(0)
		}
		return
	}
	poolMu.Lock()
	for poolWorkers < min(n-1, maxWorkers) {
		go worker()
		poolWorkers++
	}
	poolMu.Unlock()
	wg := waitGroups.Get().(*sync.WaitGroup)
	wg.Add(n - 1)
	for i := 1; i < n; i++ {
		j := job{r: r, i: i, wg: wg}
		select {
		case work <- j:
		default:
			go j.run()
		}
	}
	r.runPart(0)
	wg.Wait()
	waitGroups.Put(wg)
}

// funcRunner runs a function as a runner.
type funcRunner func(int)

func (f funcRunner) runPart(i int) { f(i) }

// parallel runs fn(0), ..., fn(n-1) as parallelRun does.
func parallel(n int, fn func(int)) { parallelRun(n, funcRunner(fn)) }
