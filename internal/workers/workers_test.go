package workers

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestForRunsEveryItemOnce checks item coverage and worker indices for
// many sizes and thread counts, including more threads than items.
func TestForRunsEveryItemOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 64, 1000} {
		for _, threads := range []int{-1, 0, 1, 2, 3, 8} {
			counts := make([]atomic.Int32, n)
			var inUse [64]atomic.Int32
			var bad atomic.Int32
			For(n, threads, func(w, i int) {
				lim := threads
				if lim <= 0 {
					lim = runtime.GOMAXPROCS(0)
				}
				if w < 0 || w >= max(1, min(lim, n)) {
					bad.Add(1)
					return
				}
				if inUse[w].Add(1) != 1 {
					bad.Add(1) // two goroutines share a worker index
				}
				counts[i].Add(1)
				if i%7 == 0 {
					time.Sleep(time.Microsecond)
				}
				inUse[w].Add(-1)
			})
			if bad.Load() != 0 {
				t.Fatalf("n=%d threads=%d: %d bad worker indices", n, threads, bad.Load())
			}
			for i := range counts {
				if c := counts[i].Load(); c != 1 {
					t.Fatalf("n=%d threads=%d: item %d ran %d times", n, threads, i, c)
				}
			}
		}
	}
}

// TestForConcurrentAndNested runs loops from many goroutines at once, and
// loops inside loops: every item must run once and nothing may deadlock.
func TestForConcurrentAndNested(t *testing.T) {
	var wg sync.WaitGroup
	var total atomic.Int64
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 50; r++ {
				For(6, 3, func(_, i int) {
					For(5, 2, func(_, j int) { total.Add(1) })
				})
			}
		}()
	}
	wg.Wait()
	if want := int64(8 * 50 * 6 * 5); total.Load() != want {
		t.Fatalf("ran %d items, want %d", total.Load(), want)
	}
}

// TestForAfterIdle checks that loops still complete after the pool's
// goroutines have gone to sleep.
func TestForAfterIdle(t *testing.T) {
	for r := 0; r < 3; r++ {
		var c atomic.Int32
		For(16, 4, func(_, i int) { c.Add(1) })
		if c.Load() != 16 {
			t.Fatalf("round %d: %d items", r, c.Load())
		}
		time.Sleep(3 * SpinFor)
	}
}

// TestForWaitsForSlowHelpers makes the helpers' items slow so that the
// caller runs out of items first and must wait for them.
func TestForWaitsForSlowHelpers(t *testing.T) {
	var done atomic.Int32
	For(4, 4, func(w, i int) {
		if w != 0 {
			time.Sleep(2 * time.Millisecond)
		}
		done.Add(1)
	})
	if done.Load() != 4 {
		t.Fatalf("returned with %d of 4 items done", done.Load())
	}
}

func BenchmarkForSmall(b *testing.B) {
	var sink atomic.Int64
	for _, threads := range []int{1, 2} {
		b.Run(map[int]string{1: "t1", 2: "t2"}[threads], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				For(8, threads, func(_, j int) {
					s := 0
					for k := 0; k < 20000; k++ {
						s += k ^ j
					}
					sink.Add(int64(s))
				})
			}
		})
	}
}
