package ops

import (
	"slices"
	"sync"

	"github.com/onnxrun/onnxrun/graph"
)

// Buffer reuse. Kernels take their output buffers from the run through
// Buffer (or the package's runBuffer); when the plan releases a value for
// the last time (its release lists), a buffer that came from the pool and
// is no longer referenced (by the value or by a view into it) goes back to
// a free list keyed by element type and length, where the next kernel of
// the run — or of a later run of the same plan — finds it. Each run has its
// own free lists (taken from and given back to a sync.Pool of the plan), so
// concurrent runs never share a buffer; graph outputs are never recycled.
// Only the main graph's frame pools; subgraph runs allocate as usual.

type poolKey struct {
	dt graph.DType
	n  int
}

// pooledBuf is a buffer handed out by a run's pool.
type pooledBuf struct {
	key    poolKey
	data   any
	lo, hi uintptr // address range of the data
	refs   int
}

// bufferPool is one run's buffers.
type bufferPool struct {
	mu    sync.Mutex
	free  map[poolKey][]any
	owned map[uintptr]*pooledBuf // live pooled buffers by start address
	views map[uintptr]*pooledBuf // tensors starting inside a pooled buffer
	// spare holds records of recycled buffers for reuse, so that a steady
	// run allocates none.
	spare []*pooledBuf
	// concats are the states of the Concat steps made in place, by step
	// (see planconcat.go).
	concats map[int]*concatRun
	// inPlace counts the Concat steps of the run made in place.
	inPlace int
	// Gets and Reuses count requests and the ones served from a free list.
	gets, reuses int
}

func newBufferPool() *bufferPool {
	return &bufferPool{free: map[poolKey][]any{}, owned: map[uintptr]*pooledBuf{}, views: map[uintptr]*pooledBuf{}}
}

// reset forgets the live buffers (the run's outputs keep theirs) and keeps
// the free lists for the next run.
func (bp *bufferPool) reset() {
	clear(bp.owned)
	clear(bp.views)
	bp.resetConcats()
	bp.gets, bp.reuses, bp.inPlace = 0, 0, 0
}

// get returns a zeroed slice of n elements of type T.
func poolGet[T Elem](bp *bufferPool, n int) []T { return poolGetZero[T](bp, n, true) }

// poolGetZero is poolGet, zeroing a reused slice only when zero is set.
func poolGetZero[T Elem](bp *bufferPool, n int, zero bool) []T {
	key := poolKey{DTypeOf[T](), n}
	bp.mu.Lock()
	var s []T
	bp.gets++
	if l := bp.free[key]; len(l) > 0 {
		s = l[len(l)-1].([]T)
		bp.free[key] = l[:len(l)-1]
		bp.reuses++
	}
	bp.mu.Unlock()
	if s == nil {
		s = make([]T, n)
	} else if zero {
		clear(s)
	}
	if n == 0 {
		return s
	}
	t := &Tensor{Data: s}
	lo, size, _ := dataKey(t)
	bp.mu.Lock()
	var b *pooledBuf
	if k := len(bp.spare); k > 0 {
		b = bp.spare[k-1]
		bp.spare = bp.spare[:k-1]
	} else {
		b = new(pooledBuf)
	}
	*b = pooledBuf{key: key, data: s, lo: lo, hi: lo + uintptr(size)}
	bp.owned[lo] = b
	bp.mu.Unlock()
	return s
}

// find returns the pooled buffer that t's data starts in, or nil.
func (bp *bufferPool) find(t *Tensor) *pooledBuf {
	k, _, ok := dataKey(t)
	if !ok {
		return nil
	}
	if b := bp.owned[k]; b != nil {
		return b
	}
	for _, b := range bp.owned {
		if b.lo <= k && k < b.hi {
			bp.views[k] = b
			return b
		}
	}
	return nil
}

// retain counts one more reference to the pooled buffers of v.
func (bp *bufferPool) retain(v Value) {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	if len(bp.owned) == 0 {
		return
	}
	eachTensor(v, func(t *Tensor) {
		if b := bp.find(t); b != nil {
			b.refs++
		}
	})
}

// release drops a reference to the pooled buffers of v and recycles those
// nothing refers to any more.
func (bp *bufferPool) release(v Value) {
	bp.mu.Lock()
	defer bp.mu.Unlock()
	if len(bp.owned) == 0 {
		return
	}
	eachTensor(v, func(t *Tensor) {
		k, _, ok := dataKey(t)
		if !ok {
			return
		}
		b := bp.owned[k]
		if b == nil {
			if b = bp.views[k]; b == nil || bp.owned[b.lo] != b {
				return
			}
		}
		b.refs--
		if b.refs <= 0 {
			delete(bp.owned, b.lo)
			for vk, vb := range bp.views {
				if vb == b {
					delete(bp.views, vk)
				}
			}
			bp.free[b.key] = append(bp.free[b.key], b.data)
			*b = pooledBuf{}
			bp.spare = append(bp.spare, b)
		}
	})
}

// runBuffer returns a zeroed slice of n elements for a kernel's output:
// from the run's pool when there is one, else newly allocated.
func runBuffer[T Elem](rc *RunContext, n int) []T {
	if rc != nil && rc.frame != nil && rc.frame.pool != nil {
		if s := placedBuffer[T](rc, n, true); s != nil {
			return s
		}
		return poolGet[T](rc.frame.pool, n)
	}
	return make([]T, n)
}

// runBufferFull is runBuffer for a kernel that writes every element of
// its output: a reused slice is not zeroed first.
func runBufferFull[T Elem](rc *RunContext, n int) []T {
	if rc != nil && rc.frame != nil && rc.frame.pool != nil {
		if s := placedBuffer[T](rc, n, false); s != nil {
			return s
		}
		return poolGetZero[T](rc.frame.pool, n, false)
	}
	return make([]T, n)
}

// Buffer returns a zeroed tensor of type dt and the given shape for a
// kernel's output, reusing memory the run no longer needs when it can.
// The memory may be recycled once the plan releases the tensor: a kernel
// must return it (or nothing) and keep no reference.
func (rc *RunContext) Buffer(dt graph.DType, shape []int) (*Tensor, error) {
	return tensorBuffer(rc, dt, shape, true)
}

// tensorBuffer is RunContext.Buffer; when zero is false, a recycled buffer
// is not cleared (for a kernel that writes every element of its output).
func tensorBuffer(rc *RunContext, dt graph.DType, shape []int, zero bool) (*Tensor, error) {
	n := Size(shape)
	var data any
	switch dt {
	case graph.Float:
		data = runBufferOf[float32](rc, n, zero)
	case graph.Double:
		data = runBufferOf[float64](rc, n, zero)
	case graph.Int64:
		data = runBufferOf[int64](rc, n, zero)
	case graph.Int32:
		data = runBufferOf[int32](rc, n, zero)
	default:
		return Zeros(dt, shape)
	}
	return &Tensor{DType: dt, Shape: append([]int(nil), shape...), Data: data}, nil
}

func runBufferOf[T Elem](rc *RunContext, n int, zero bool) []T {
	if zero {
		return runBuffer[T](rc, n)
	}
	return runBufferFull[T](rc, n)
}

// PoolStats reports how many buffer requests the plan's last finished run
// made and how many were served from recycled memory.
func (p *Plan) PoolStats() (gets, reuses int) {
	p.poolMu.Lock()
	defer p.poolMu.Unlock()
	return p.lastGets, p.lastReuses
}

// takePool returns free lists for a run.
func (p *Plan) takePool() *bufferPool {
	if bp, ok := p.pools.Get().(*bufferPool); ok {
		return bp
	}
	return newBufferPool()
}

// givePool keeps a finished run's free lists for later runs.
func (p *Plan) givePool(bp *bufferPool) {
	p.poolMu.Lock()
	p.lastGets, p.lastReuses, p.lastInPlace = bp.gets, bp.reuses, bp.inPlace
	p.poolMu.Unlock()
	bp.reset()
	p.pools.Put(bp)
}

// canOverwrite reports whether the running kernel may write its output
// into the memory of its input i: the input is read for the last time by
// this node (and by no other input of it), and its memory came from the
// run's pool and is referenced by nothing else. A kernel that overwrites
// the input returns that memory as its output.
func (rc *RunContext) canOverwrite(i int) bool {
	if rc == nil || rc.frame == nil || rc.frame.pool == nil {
		return false
	}
	fr := rc.frame
	p := fr.plan
	if rc.step >= len(p.steps) {
		return false
	}
	st := &p.steps[rc.step]
	if i >= len(st.in) || st.in[i] < 0 {
		return false
	}
	s := st.in[i]
	for j, o := range st.in {
		if j != i && (o == s || o == -2-s) {
			return false
		}
	}
	if !slices.Contains(p.release[rc.step], s) {
		return false
	}
	t, ok := fr.vals[s].(*Tensor)
	if !ok {
		return false
	}
	k, _, ok := dataKey(t)
	if !ok {
		return false
	}
	bp := fr.pool
	bp.mu.Lock()
	defer bp.mu.Unlock()
	b := bp.owned[k]
	return b != nil && b.refs == 1
}
