// Package workers runs the parallel loops of the kernels on a pool of
// long-lived goroutines.
//
// Starting a goroutine for each parallel loop costs little in Go itself,
// but waking an idle CPU to run it can take tens of microseconds (on a
// virtual machine a halted virtual CPU must be interrupted), which is a
// large part of a small convolution or pooling node. The pool's
// goroutines therefore wait a short while (SpinFor) for the next loop
// after finishing one, then block: between the nodes of a run they are
// ready at once, and once a run is over they sleep and use no CPU.
//
// Items are handed out dynamically (whoever is free takes the next one),
// and the caller takes items too: a helper that arrives late finds
// nothing left and the caller does not wait for it. What an item computes
// must therefore not depend on which goroutine runs it; the worker index
// passed to the body is only for per-goroutine scratch.
package workers

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// SpinFor is how long a pool goroutine keeps looking for a new loop after
// finishing one before it blocks.
const SpinFor = 100 * time.Microsecond

// task is one parallel loop.
type task struct {
	body  func(worker, i int)
	n     int64
	next  atomic.Int64 // next item to take
	slots atomic.Int32 // worker indices handed out (the caller is 0)
	// active counts helpers inside the loop; closedBit is set by the
	// caller once it has run out of items, after which arriving helpers
	// leave at once.
	active atomic.Int32
	done   chan struct{} // the last helper out after closing signals it
}

const closedBit = 1 << 30

// work runs items until none is left.
func (t *task) work(w int) {
	for {
		i := t.next.Add(1) - 1
		if i >= t.n {
			return
		}
		t.body(w, int(i))
	}
}

// help is what a pool goroutine does with a task it was given.
func (t *task) help() {
	if t.active.Add(1)&closedBit == 0 {
		t.work(int(t.slots.Add(1)))
	}
	if t.active.Add(-1) == closedBit {
		select {
		case t.done <- struct{}{}:
		default:
		}
	}
}

// worker states.
const (
	parked int32 = iota
	spinning
	busy
)

type worker struct {
	state atomic.Int32
	slot  atomic.Pointer[task] // a task handed to a spinning worker
	wake  chan *task           // a task handed to a parked worker
}

var (
	mu   sync.Mutex
	pool []*worker // grows up to GOMAXPROCS-1 goroutines, never shrinks
)

func (w *worker) loop(t *task) {
	for {
		t.help()
		t = w.wait()
	}
}

// wait spins for up to SpinFor for a task, then blocks until one comes.
func (w *worker) wait() *task {
	w.state.Store(spinning)
	deadline := time.Now().Add(SpinFor)
	for n := 0; ; n++ {
		if w.state.Load() == busy {
			for {
				if t := w.slot.Swap(nil); t != nil {
					return t
				}
			}
		}
		if n%64 == 63 {
			if time.Now().After(deadline) {
				if w.state.CompareAndSwap(spinning, parked) {
					return <-w.wake
				}
				continue // claimed meanwhile: the slot is being filled
			}
			runtime.Gosched()
		}
	}
}

// claim hands t to up to want idle pool goroutines, spinning ones first,
// starting new ones while the pool is smaller than GOMAXPROCS-1, and
// returns how many it found.
func claim(t *task, want int) int {
	got := 0
	mu.Lock()
	defer mu.Unlock()
	for _, w := range pool {
		if got == want {
			return got
		}
		if w.state.CompareAndSwap(spinning, busy) {
			w.slot.Store(t)
			got++
		}
	}
	for _, w := range pool {
		if got == want {
			return got
		}
		if w.state.CompareAndSwap(parked, busy) {
			w.wake <- t
			got++
		}
	}
	for got < want && len(pool) < runtime.GOMAXPROCS(0)-1 {
		w := &worker{wake: make(chan *task, 1)}
		w.state.Store(busy)
		pool = append(pool, w)
		go w.loop(t)
		got++
	}
	return got
}

// For runs body(worker, i) for every i in [0, n) on the calling goroutine
// and up to threads-1 pool goroutines, and returns when all have run.
// worker is in [0, threads) and differs between goroutines running at the
// same time (for per-goroutine scratch); items are taken in increasing
// order by whoever is free. threads <= 0 means GOMAXPROCS.
func For(n, threads int, body func(worker, i int)) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = min(threads, n)
	if threads <= 1 {
		for i := 0; i < n; i++ {
			body(0, i)
		}
		return
	}
	t := &task{body: body, n: int64(n), done: make(chan struct{}, 1)}
	helpers := claim(t, threads-1)
	t.work(0)
	if helpers == 0 {
		return
	}
	if t.active.Or(closedBit) == 0 {
		return // no helper is inside; later arrivals leave at once
	}
	// Helpers are finishing their last items: wait a little, then block.
	deadline := time.Now().Add(SpinFor)
	for n := 0; t.active.Load() != closedBit; n++ {
		if n%64 == 63 {
			if time.Now().After(deadline) {
				<-t.done
				return
			}
			runtime.Gosched()
		}
	}
}
