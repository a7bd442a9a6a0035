package ops

import (
	"slices"

	"github.com/onnxrun/onnxrun/graph"
)

// Concat in place. A Concat whose inputs are each made by one step of the
// plan and read by the Concat alone (SqueezeNet's fire modules,
// GoogLeNet's inception blocks) need not copy them: when the producers
// write their outputs straight into the consecutive parts of one buffer,
// that buffer is the Concat's output.
//
// The plan marks such Concat steps and their producers at compile time
// (placeConcats). Sizes are not known then, so a run uses the sizes the
// Concat's inputs had in the run before (kept with the plan):
// the first producer's output request of the recorded size takes a buffer
// for the whole Concat from the pool, and each producer's request of its
// recorded size is served by its part of it. When the Concat step comes,
// the plan checks that every input is exactly its part (same element
// type, the recorded length, starting at its offset) and that the parts
// are whole blocks of the output (every dim before the axis is 1); then
// the buffer is the output and the Concat's kernel does not run.
// Otherwise — first run, other sizes, a producer that returned other
// memory — the kernel runs as usual, and the parts are plain views that
// the pool recycles with the buffer.

// concatPlace says which input of which Concat step a step's output is.
type concatPlace struct {
	concat, input int
}

// concatMemo is what a plan keeps of a Concat made in place between runs:
// the sizes and element type of its inputs in the last run that recorded
// them (kept with the plan, not with the run's free lists, which sync.Pool
// may drop at any garbage collection).
type concatMemo struct {
	sizes []int // the inputs' element counts (nil: none yet)
	dt    any   // their element type, as a nil slice
	fails int   // runs in a row the inputs were not in place
}

// concatRun is a run's state of one Concat step made in place.
type concatRun struct {
	concatMemo      // loaded from the plan when the run first needs it
	loaded     bool // the memo is loaded
	base       any  // this run's buffer for the whole output (nil: not yet taken)
	handed     []bool
}

// maxConcatFails is how many runs in a row may miss before a Concat stops
// trying to be made in place.
const maxConcatFails = 3

// placeConcats marks the Concat steps whose inputs can be written in place
// and the steps that produce those inputs. Concats whose inputs are the
// first ones of a longer Concat's (DenseNet's blocks: each layer
// concatenates all the features before it) share that Concat's buffer,
// their outputs the leading part of it.
func (p *Plan) placeConcats() {
	readers := map[int]int{}
	producer := map[int]int{}
	for i, st := range p.steps {
		for _, s := range st.in {
			if s <= -2 {
				s = -2 - s
			}
			if s >= 0 {
				readers[s]++
			}
		}
		for _, s := range st.out {
			if s >= 0 {
				producer[s] = i
			}
		}
	}
	external := map[int]bool{}
	for _, s := range p.inputs {
		external[s] = true
	}
	for _, s := range p.outputs {
		external[s] = true
	}
	for _, s := range p.outer {
		external[s] = true
	}
	// The candidates and their axis attributes.
	axes := map[int]int64{}
	var cands []int
	for ci := range p.steps {
		st := &p.steps[ci]
		n := st.node
		if n.Domain != "" || n.OpType != "Concat" || len(st.in) < 1 || len(st.out) != 1 || st.out[0] < 0 || slices.ContainsFunc(st.in, func(s int) bool { return s < 0 }) {
			continue
		}
		def := int64(1)
		if st.opset >= 4 {
			if n.Attr("axis") == nil {
				continue
			}
			def = 0
		}
		axis, err := n.AttrInt("axis", def)
		if err != nil {
			continue
		}
		axes[ci] = axis
		cands = append(cands, ci)
	}
	// Each candidate's root: the longest candidate its inputs begin.
	members := map[int][]int{}
	for _, ci := range cands {
		root := ci
		for _, li := range cands {
			if len(p.steps[li].in) > len(p.steps[root].in) && hasPrefix(p.steps[li].in, p.steps[ci].in) && axes[li] == axes[ci] {
				root = li
			}
		}
		members[root] = append(members[root], ci)
	}
	for _, root := range cands {
		group := members[root]
		rin := p.steps[root].in
		if len(group) == 0 || len(rin) < 2 {
			continue
		}
		ok := true
		var prods []int
		for j, s := range rin {
			// Read by the members that reach input j, and by nothing else.
			want := 0
			for _, m := range group {
				if len(p.steps[m].in) > j {
					want++
				}
			}
			pi, made := producer[s]
			if !made || external[s] || p.consts[s] != nil || readers[s] != want || slices.Contains(rin[:j], s) {
				ok = false
				break
			}
			ps := &p.steps[pi]
			if len(ps.out) != 1 || ps.place != nil || ps.node.OpType == "Concat" || slices.Contains(prods, pi) {
				ok = false
				break
			}
			prods = append(prods, pi)
		}
		if !ok {
			continue
		}
		for j, pi := range prods {
			p.steps[pi].place = &concatPlace{concat: root, input: j}
		}
		for _, m := range group {
			a := int(axes[m])
			p.steps[m].concatAxis = &a
			p.steps[m].concatRoot = root
		}
	}
}

// hasPrefix reports whether s begins with the elements of pre.
func hasPrefix(s, pre []int) bool {
	return len(pre) <= len(s) && slices.Equal(s[:len(pre)], pre)
}

// concat returns the run's state of Concat step i of plan p.
func (bp *bufferPool) concat(p *Plan, i, inputs int) *concatRun {
	if bp.concats == nil {
		bp.concats = map[int]*concatRun{}
	}
	cr := bp.concats[i]
	if cr == nil {
		cr = &concatRun{handed: make([]bool, inputs)}
		bp.concats[i] = cr
	}
	if !cr.loaded {
		p.poolMu.Lock()
		if m := p.concatMemo[i]; m != nil {
			cr.sizes = append(cr.sizes[:0], m.sizes...)
			cr.dt, cr.fails = m.dt, m.fails
		}
		p.poolMu.Unlock()
		cr.loaded = true
	}
	return cr
}

// placedBuffer returns the part of the Concat's buffer for the running
// step's output when the step is a Concat input and n is its recorded
// size, or nil.
func placedBuffer[T Elem](rc *RunContext, n int, zero bool) []T {
	fr := rc.frame
	bp := fr.pool
	if rc.step >= len(fr.plan.steps) {
		return nil
	}
	pl := fr.plan.steps[rc.step].place
	if pl == nil || n == 0 {
		return nil
	}
	cst := &fr.plan.steps[pl.concat]
	bp.mu.Lock()
	cr := bp.concat(fr.plan, pl.concat, len(cst.in))
	_, sameType := cr.dt.([]T)
	if cr.sizes == nil || !sameType || cr.fails >= maxConcatFails || cr.handed[pl.input] || cr.sizes[pl.input] != n {
		bp.mu.Unlock()
		return nil
	}
	cr.handed[pl.input] = true
	base, _ := cr.base.([]T)
	total, off := 0, 0
	for j, m := range cr.sizes {
		if j < pl.input {
			off += m
		}
		total += m
	}
	bp.mu.Unlock()
	if base == nil {
		base = poolGetZero[T](bp, total, false)
		bp.mu.Lock()
		cr.base = base
		bp.mu.Unlock()
	}
	part := base[off : off+n : off+n]
	if zero {
		clear(part)
	}
	return part
}

// concatInPlace returns the output of Concat step i when its inputs were
// written in place.
func (fr *frame) concatInPlace(i int, st *step, args []Value) (*Tensor, bool) {
	bp := fr.pool
	bp.mu.Lock()
	defer bp.mu.Unlock()
	cr := bp.concats[st.concatRoot]
	if cr == nil || cr.base == nil || len(args) > len(cr.sizes) || (i == st.concatRoot && len(args) != len(cr.sizes)) {
		return nil, false
	}
	baseT := &Tensor{Data: cr.base}
	base, total, ok := dataKey(baseT)
	if !ok {
		return nil, false
	}
	var shape []int
	axis := *st.concatAxis
	off := uintptr(0)
	for j, a := range args {
		t, ok := a.(*Tensor)
		if !ok || t.DType != sliceDType(cr.base) {
			return nil, false
		}
		k, size, ok := dataKey(t)
		if !ok || k != base+off || Size(t.Shape) != cr.sizes[j] || sliceLen(t.Data) != cr.sizes[j] {
			return nil, false
		}
		off += uintptr(size)
		if j == 0 {
			r := t.Rank()
			if axis < 0 {
				axis += r
			}
			if axis < 0 || axis >= r || Size(t.Shape[:axis]) != 1 {
				return nil, false
			}
			shape = slices.Clone(t.Shape)
			continue
		}
		if t.Rank() != len(shape) {
			return nil, false
		}
		for d := range shape {
			if d != axis && t.Shape[d] != shape[d] {
				return nil, false
			}
		}
		shape[axis] += t.Shape[axis]
	}
	if int64(off) > total {
		return nil, false
	}
	bp.inPlace++
	return &Tensor{DType: sliceDType(cr.base), Shape: shape, Data: leading(cr.base, Size(shape))}, true
}

// recordConcat keeps the sizes and element type of Concat step i's inputs
// for the next runs of plan p, and counts a miss when they were not in
// place.
func (p *Plan) recordConcat(i int, args []Value, inPlace bool) {
	p.poolMu.Lock()
	defer p.poolMu.Unlock()
	if p.concatMemo == nil {
		p.concatMemo = map[int]*concatMemo{}
	}
	m := p.concatMemo[i]
	if m == nil {
		m = &concatMemo{}
		p.concatMemo[i] = m
	}
	if inPlace {
		m.fails = 0
	} else if m.sizes != nil {
		m.fails++
	}
	m.sizes = m.sizes[:0]
	m.dt = nil
	for j, a := range args {
		t, ok := a.(*Tensor)
		if !ok || sliceLen(t.Data) != Size(t.Shape) {
			m.sizes = nil
			return
		}
		if j == 0 {
			m.dt = emptyLike(t.Data)
		} else if sliceDType(t.Data) != sliceDType(m.dt) {
			m.dt = nil
		}
		m.sizes = append(m.sizes, Size(t.Shape))
	}
}

// resetConcats forgets the run's Concat buffers, keeping the sizes.
func (bp *bufferPool) resetConcats() {
	for _, cr := range bp.concats {
		cr.base = nil
		cr.loaded = false
		clear(cr.handed)
	}
}

// leading returns the first n elements of a pool slice, capacity n.
func leading(data any, n int) any {
	switch d := data.(type) {
	case []float32:
		return d[:n:n]
	case []float64:
		return d[:n:n]
	case []int64:
		return d[:n:n]
	case []int32:
		return d[:n:n]
	}
	return nil
}

// sliceLen returns the length of a tensor's data slice.
func sliceLen(data any) int {
	switch d := data.(type) {
	case []float32:
		return len(d)
	case []float64:
		return len(d)
	case []int64:
		return len(d)
	case []int32:
		return len(d)
	}
	return -1
}

// emptyLike returns a nil slice of data's type for the element types the
// pool serves, or nil.
func emptyLike(data any) any {
	switch data.(type) {
	case []float32:
		return []float32(nil)
	case []float64:
		return []float64(nil)
	case []int64:
		return []int64(nil)
	case []int32:
		return []int32(nil)
	}
	return nil
}

// sliceDType returns the element type of the pool's slice types.
func sliceDType(data any) graph.DType {
	switch data.(type) {
	case []float32:
		return graph.Float
	case []float64:
		return graph.Double
	case []int64:
		return graph.Int64
	case []int32:
		return graph.Int32
	}
	return graph.Undefined
}
