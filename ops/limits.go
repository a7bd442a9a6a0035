package ops

import (
	"bufio"
	"fmt"
	"math"
	"math/bits"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/onnxrun/onnxrun/graph"
)

// Limits bound what one run of a model may use. A zero field takes the
// default (see DefaultLimits); a negative field means no limit. Exceeding a
// limit is an error (a *LimitError) naming the node, the request and the
// limit, never an out-of-memory crash.
type Limits struct {
	// MaxTensorBytes bounds the size of one tensor an op allocates
	// (initializers and caller inputs are not counted).
	MaxTensorBytes int64
	// MaxLiveBytes bounds the bytes of all the tensors a run holds at once
	// (outputs of nodes not yet released, Loop scan outputs being
	// accumulated).
	MaxLiveBytes int64
	// MaxDepth bounds the nesting of subgraphs (If, Loop, Scan bodies) and
	// of model-local function calls.
	MaxDepth int
	// MaxLoopIterations bounds the iterations of one Loop node's run.
	MaxLoopIterations int64
}

// Default limits (see DefaultLimits for MaxLiveBytes).
const (
	DefaultMaxTensorBytes    = 512 << 20
	DefaultMaxDepth          = 64
	DefaultMaxLoopIterations = 1 << 20
)

var (
	memOnce  sync.Once
	memBytes int64
)

// AvailableMemory returns the memory this process can expect to use: the
// smallest of the physical memory (/proc/meminfo MemTotal), the cgroup
// memory limit and the address-space and data-segment rlimits. It returns
// 8 GiB when none of these can be read.
func AvailableMemory() int64 {
	memOnce.Do(func() { memBytes = availableMemory() })
	return memBytes
}

func availableMemory() int64 {
	best := int64(math.MaxInt64)
	take := func(v int64) {
		if v > 0 && v < best {
			best = v
		}
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				if err == nil && kb < math.MaxInt64>>10 {
					take(kb << 10)
				}
			}
		}
		f.Close()
	}
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := os.ReadFile(p); err == nil {
			if v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil {
				take(v)
			}
		}
	}
	for _, v := range rlimits() {
		take(v)
	}
	if best == math.MaxInt64 {
		return 8 << 30
	}
	return best
}

// DefaultLimits returns the limits a zero Limits stands for: 512 MiB per
// tensor (or a quarter of AvailableMemory, if less), half of
// AvailableMemory for all live tensors, subgraphs nested 64 deep and 2^20
// Loop iterations.
func DefaultLimits() Limits {
	return Limits{
		MaxTensorBytes:    min(DefaultMaxTensorBytes, AvailableMemory()/4),
		MaxLiveBytes:      AvailableMemory() / 2,
		MaxDepth:          DefaultMaxDepth,
		MaxLoopIterations: DefaultMaxLoopIterations,
	}
}

// Resolved returns l with zero fields replaced by their defaults and
// negative fields by the largest value (no limit).
func (l Limits) Resolved() Limits {
	d := DefaultLimits()
	pick := func(v, def int64) int64 {
		switch {
		case v == 0:
			return def
		case v < 0:
			return math.MaxInt64
		}
		return v
	}
	out := Limits{
		MaxTensorBytes:    pick(l.MaxTensorBytes, d.MaxTensorBytes),
		MaxLiveBytes:      pick(l.MaxLiveBytes, d.MaxLiveBytes),
		MaxDepth:          int(pick(int64(l.MaxDepth), int64(d.MaxDepth))),
		MaxLoopIterations: pick(l.MaxLoopIterations, d.MaxLoopIterations),
	}
	if out.MaxDepth <= 0 { // overflowed int on 32-bit systems
		out.MaxDepth = math.MaxInt32
	}
	return out
}

// LimitError reports a request beyond one of the Limits.
type LimitError struct {
	// Limit names the limit: "MaxTensorBytes", "MaxLiveBytes", "MaxDepth"
	// or "MaxLoopIterations".
	Limit string
	// What describes the request ("float32[1000000,1000000] (4e+12 bytes)",
	// "iteration 1048577").
	What string
	// Requested is the amount asked for, Max the limit.
	Requested, Max int64
}

// limitHints says how to raise each limit.
var limitHints = map[string]string{
	"MaxTensorBytes":    "raise it with onnxrun.WithLimits (MaxTensorBytes) or --max-tensor-bytes",
	"MaxLiveBytes":      "raise it with onnxrun.WithLimits (MaxLiveBytes) or --max-memory",
	"MaxDepth":          "raise it with onnxrun.WithLimits (MaxDepth) or --max-depth",
	"MaxLoopIterations": "raise it with onnxrun.WithLimits (MaxLoopIterations) or --max-loop",
}

func (e *LimitError) Error() string {
	var s string
	switch e.Limit {
	case "MaxTensorBytes":
		s = fmt.Sprintf("tensor %s exceeds the limit of %s per tensor", e.What, fmtBytes(e.Max))
	case "MaxLiveBytes":
		s = fmt.Sprintf("%s would bring the run's live tensors to %s, over the limit of %s", e.What, fmtBytes(e.Requested), fmtBytes(e.Max))
	case "MaxDepth":
		s = fmt.Sprintf("%s: subgraphs and function calls nested %d deep exceed the limit of %d", e.What, e.Requested, e.Max)
	case "MaxLoopIterations":
		s = fmt.Sprintf("%s exceeds the limit of %d Loop iterations", e.What, e.Max)
	default:
		s = fmt.Sprintf("%s exceeds limit %s (%d)", e.What, e.Limit, e.Max)
	}
	if h := limitHints[e.Limit]; h != "" {
		s += " (" + h + ")"
	}
	return s
}

func fmtBytes(n int64) string {
	switch {
	case n == math.MaxInt64:
		return "unlimited"
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'g', 4, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'g', 4, 64) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// ElemSize is the storage size in bytes of one element of dt as this
// package holds it (16 for a string header, without its text).
func ElemSize(dt graph.DType) int64 {
	switch dt {
	case graph.Bool, graph.Int8, graph.Uint8:
		return 1
	case graph.Float16, graph.BFloat16, graph.Int16, graph.Uint16:
		return 2
	case graph.Float, graph.Int32, graph.Uint32:
		return 4
	case graph.Double, graph.Int64, graph.Uint64, graph.Complex64:
		return 8
	case graph.Complex128, graph.String:
		return 16
	}
	return 8
}

// ShapeBytes returns the bytes a tensor of type dt and the given shape
// needs, saturating at math.MaxInt64; ok is false for a negative dim.
func ShapeBytes(dt graph.DType, shape []int) (n int64, ok bool) {
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d == 0 {
			return 0, true
		}
	}
	n = ElemSize(dt)
	for _, d := range shape {
		hi, lo := bits.Mul64(uint64(n), uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return math.MaxInt64, true
		}
		n = int64(lo)
	}
	return n, true
}

func describe(dt graph.DType, shape []int, n int64) string {
	b := "more than 9.2e18 bytes"
	if n < math.MaxInt64 {
		b = strconv.FormatInt(n, 10) + " bytes"
	}
	return fmt.Sprintf("%s%v (%s)", dt, shape, b)
}

// runState is shared by the frames of one Plan.Run (the main graph and the
// subgraphs it runs): the live-bytes account and the nesting depth.
type runState struct {
	lim   Limits
	mu    sync.Mutex
	live  int64
	peak  int64
	bufs  map[uintptr]liveBuf // by value: no allocation per buffer
	depth int
}

type liveBuf struct {
	refs  int
	bytes int64 // 0 for memory the run does not own (weights, inputs)
}

func newRunState(opts *Options) *runState {
	var l Limits
	if opts != nil {
		l = opts.Limits
	}
	return &runState{lim: l.Resolved(), bufs: map[uintptr]liveBuf{}}
}

// state returns the run's shared state (nil outside a Plan run).
func (rc *RunContext) state() *runState {
	if rc == nil || rc.frame == nil {
		return nil
	}
	return rc.frame.state
}

// limits returns the resolved limits in force for rc.
func (rc *RunContext) limits() Limits {
	if s := rc.state(); s != nil {
		return s.lim
	}
	var l Limits
	if rc.Options != nil {
		l = rc.Options.Limits
	}
	return l.Resolved()
}

// CheckAlloc returns an error (a *LimitError) if a tensor of type dt and
// the given shape would exceed the run's MaxTensorBytes, or bring its live
// tensors over MaxLiveBytes. Kernels call it before allocating an output
// whose size comes from data (a shape input, repeats, pads, scales, a
// trip count). A negative dim is an error too.
func (rc *RunContext) CheckAlloc(dt graph.DType, shape []int) error {
	n, ok := ShapeBytes(dt, shape)
	if !ok {
		return fmt.Errorf("ops: shape %v has a negative dim", shape)
	}
	return rc.checkBytes(n, func() string { return describe(dt, shape, n) })
}

// CheckBytes is CheckAlloc for a request of n bytes described by what.
func (rc *RunContext) CheckBytes(what string, n int64) error {
	return rc.checkBytes(n, func() string { return what })
}

// checkBytes checks a request of n bytes; what describes it, and is called
// only for an error.
func (rc *RunContext) checkBytes(n int64, what func() string) error {
	l := rc.limits()
	if n > l.MaxTensorBytes {
		return &LimitError{Limit: "MaxTensorBytes", What: what(), Requested: n, Max: l.MaxTensorBytes}
	}
	if s := rc.state(); s != nil {
		s.mu.Lock()
		live := s.live
		s.mu.Unlock()
		if live > l.MaxLiveBytes-n {
			return &LimitError{Limit: "MaxLiveBytes", What: "allocating " + what(), Requested: satAdd(live, n), Max: l.MaxLiveBytes}
		}
	}
	return nil
}

// Alloc checks a tensor of type dt and the given shape with CheckAlloc,
// then returns it zero-filled.
func (rc *RunContext) Alloc(dt graph.DType, shape []int) (*Tensor, error) {
	if err := rc.CheckAlloc(dt, shape); err != nil {
		return nil, err
	}
	return Zeros(dt, shape)
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// dataKey identifies a tensor's backing array; ok is false for empty data.
func dataKey(t *Tensor) (uintptr, int64, bool) {
	if t == nil || t.Data == nil {
		return 0, 0, false
	}
	v := reflect.ValueOf(t.Data)
	if v.Kind() != reflect.Slice || v.Len() == 0 {
		return 0, 0, false
	}
	return v.Pointer(), int64(v.Len()) * int64(v.Type().Elem().Size()), true
}

// each calls f for every tensor in v.
func eachTensor(v Value, f func(*Tensor)) {
	switch v := v.(type) {
	case *Tensor:
		f(v)
	case *Sequence:
		for _, t := range v.Items {
			f(t)
		}
	case *Optional:
		eachTensor(v.Value, f)
	}
}

// external records memory the run does not own (weights, inputs, outer
// values), so that values aliasing it are not counted.
func (s *runState) external(v Value) {
	s.mu.Lock()
	defer s.mu.Unlock()
	eachTensor(v, func(t *Tensor) {
		if k, _, ok := dataKey(t); ok {
			b := s.bufs[k]
			b.refs++
			s.bufs[k] = b
		}
	})
}

// retain counts v's memory as live and checks the limits: what names the
// node that made v.
func (s *runState) retain(v Value) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	eachTensor(v, func(t *Tensor) {
		k, n, ok := dataKey(t)
		if !ok {
			return
		}
		if b, ok := s.bufs[k]; ok {
			b.refs++
			s.bufs[k] = b
			return
		}
		s.bufs[k] = liveBuf{refs: 1, bytes: n}
		if n > s.lim.MaxTensorBytes && err == nil {
			err = &LimitError{Limit: "MaxTensorBytes", What: describe(t.DType, t.Shape, n), Requested: n, Max: s.lim.MaxTensorBytes}
		}
		s.live = satAdd(s.live, n)
		if s.live > s.peak {
			s.peak = s.live
		}
		if s.live > s.lim.MaxLiveBytes && err == nil {
			err = &LimitError{Limit: "MaxLiveBytes", What: "output " + describe(t.DType, t.Shape, n), Requested: s.live, Max: s.lim.MaxLiveBytes}
		}
	})
	return err
}

// release drops one reference to v's memory.
func (s *runState) release(v Value) {
	s.mu.Lock()
	defer s.mu.Unlock()
	eachTensor(v, func(t *Tensor) {
		k, _, ok := dataKey(t)
		if !ok {
			return
		}
		if b, ok := s.bufs[k]; ok {
			b.refs--
			if b.refs <= 0 {
				s.live -= b.bytes
				delete(s.bufs, k)
			} else {
				s.bufs[k] = b
			}
		}
	})
}

// resize records that the run's buffer t starts in now holds all of t (a
// Concat made in place over the buffer its first input starts) and checks
// the limits as retain does.
func (s *runState) resize(t *Tensor) error {
	k, n, ok := dataKey(t)
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bufs[k]
	if !ok || b.bytes >= n || b.bytes == 0 {
		return nil
	}
	s.live = satAdd(s.live, n-b.bytes)
	s.peak = max(s.peak, s.live)
	b.bytes = n
	s.bufs[k] = b
	if n > s.lim.MaxTensorBytes {
		return &LimitError{Limit: "MaxTensorBytes", What: describe(t.DType, t.Shape, n), Requested: n, Max: s.lim.MaxTensorBytes}
	}
	if s.live > s.lim.MaxLiveBytes {
		return &LimitError{Limit: "MaxLiveBytes", What: "output " + describe(t.DType, t.Shape, n), Requested: s.live, Max: s.lim.MaxLiveBytes}
	}
	return nil
}

// enter increases the nesting depth for a run of subgraph g.
func (s *runState) enter(g *graph.Graph) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.depth+1 > s.lim.MaxDepth {
		return &LimitError{Limit: "MaxDepth", What: fmt.Sprintf("graph %q", g.Name), Requested: int64(s.depth + 1), Max: int64(s.lim.MaxDepth)}
	}
	s.depth++
	return nil
}

func (s *runState) leave() {
	s.mu.Lock()
	s.depth--
	s.mu.Unlock()
}

// CheckIteration returns a *LimitError when iteration it (counting from 0)
// of a loop is beyond MaxLoopIterations.
func (rc *RunContext) CheckIteration(it int64) error {
	l := rc.limits()
	if it >= l.MaxLoopIterations {
		return &LimitError{Limit: "MaxLoopIterations", What: fmt.Sprintf("iteration %d", it+1), Requested: it + 1, Max: l.MaxLoopIterations}
	}
	return nil
}

// begin sets up the frame's share of the run state: a new state for a main
// graph run, the parent's (one level deeper) for a subgraph. The values the
// frame holds on entry (weights, inputs, outer values) are not the run's to
// count.
func (fr *frame) begin(opts *Options) error {
	if fr.parent != nil && fr.parent.state != nil {
		fr.state = fr.parent.state
		if err := fr.state.enter(fr.plan.Graph); err != nil {
			return err
		}
	} else {
		fr.state = newRunState(opts)
	}
	return nil
}

// markExternal records the values the frame holds before its first node
// runs; it is called once they are in place.
func (fr *frame) markExternal() {
	for _, v := range fr.vals {
		if v != nil {
			fr.state.external(v)
		}
	}
	fr.marked = true
}

// end releases what the frame still holds from the run's account.
func (fr *frame) end() {
	if fr.state == nil {
		return
	}
	if fr.marked {
		// Values present from the start were marked external and node
		// outputs retained: each holds one reference.
		for _, v := range fr.vals {
			if v != nil {
				fr.state.release(v)
			}
		}
	}
	if fr.parent != nil && fr.parent.state == fr.state {
		fr.state.leave()
	}
}

// checkDims is CheckAlloc for dims computed in int64 from data, before
// they are known to fit an int; a negative dim counts as 0 (the kernel
// reports it).
func (rc *RunContext) checkDims(dt graph.DType, dims []int64) error {
	n := ElemSize(dt)
	for _, d := range dims {
		if d <= 0 {
			return nil
		}
	}
	for _, d := range dims {
		hi, lo := bits.Mul64(uint64(n), uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			n = math.MaxInt64
			break
		}
		n = int64(lo)
	}
	return rc.checkBytes(n, func() string {
		b := "more than 9.2e18 bytes"
		if n < math.MaxInt64 {
			b = strconv.FormatInt(n, 10) + " bytes"
		}
		return fmt.Sprintf("%s%v (%s)", dt, dims, b)
	})
}

// satMulAdd returns a*b+c saturated to [0, MaxInt64].
func satMulAdd(a, b, c int64) int64 {
	if a < 0 || b < 0 {
		return max(c, 0)
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return max(satAdd(int64(lo), c), 0)
}

// ValueBytes is the bytes of the tensors v holds.
func ValueBytes(v Value) int64 {
	var n int64
	eachTensor(v, func(t *Tensor) {
		if b, ok := ShapeBytes(t.DType, t.Shape); ok {
			n = satAdd(n, b)
		}
	})
	return n
}

// checkTile checks Tile's output, t repeated reps[i] times along axis i.
func (rc *RunContext) checkTile(t *Tensor, reps []int64) error {
	if len(reps) != t.Rank() {
		return nil // the kernel reports it
	}
	dims := make([]int64, len(reps))
	for i, n := range reps {
		dims[i] = satMulAdd(int64(t.Shape[i]), n, 0)
	}
	return rc.checkDims(t.DType, dims)
}

// checkPad checks Pad's output: each dim grows by its begin and end pads.
func (rc *RunContext) checkPad(t *Tensor, pads []int64) error {
	r := t.Rank()
	if len(pads) != 2*r {
		return nil // the kernel reports it
	}
	dims := make([]int64, r)
	for i := range dims {
		dims[i] = satAdd(satMulAdd(int64(t.Shape[i]), 1, max(pads[i], 0)), max(pads[i+r], 0))
	}
	return rc.checkDims(t.DType, dims)
}

// checkConcat checks the output of joining ts: their bytes summed.
func (rc *RunContext) checkConcat(ts []*Tensor) error {
	var n int64
	for _, t := range ts {
		n = satAdd(n, ValueBytes(t))
	}
	if len(ts) == 0 {
		return nil
	}
	return rc.checkBytes(n, func() string { return fmt.Sprintf("%s of %d joined inputs (%d bytes)", ts[0].DType, len(ts), n) })
}

// loopGrowth checks what a Loop holds between iterations: the scan outputs
// accumulated so far (each becomes one tensor, so their sum must fit
// MaxTensorBytes) and the loop-carried values, which may be sequences that
// grow. Carried values are measured at geometrically spaced iterations, so
// the cost stays linear in the number of iterations.
type loopGrowth struct {
	scanned []int64 // bytes accumulated per scan output
	next    int64   // iteration at which to measure the carried values next
}

func (g *loopGrowth) check(rc *RunContext, it int64, carried, scans []Value) error {
	if g.scanned == nil {
		g.scanned = make([]int64, len(scans))
	}
	var total int64
	for j, v := range scans {
		g.scanned[j] = satAdd(g.scanned[j], ValueBytes(v))
		if t, ok := v.(*Tensor); ok && g.scanned[j] > 0 {
			n := g.scanned[j]
			if err := rc.checkBytes(n, func() string { return fmt.Sprintf("scan output %d: %d iterations of %s (%d bytes)", j, it+1, t, n) }); err != nil {
				return err
			}
		}
		total = satAdd(total, g.scanned[j])
	}
	if it >= g.next {
		g.next = it + max(1, it/4)
		for _, v := range carried {
			total = satAdd(total, ValueBytes(v))
		}
		if total > 0 {
			l := rc.limits()
			if total > l.MaxLiveBytes {
				return &LimitError{Limit: "MaxLiveBytes", What: fmt.Sprintf("Loop state after %d iterations", it+1), Requested: total, Max: l.MaxLiveBytes}
			}
		}
	}
	return nil
}

// broadcastOps are the ops whose output takes the broadcast shape of their
// inputs; preCheck sizes it before the kernel allocates it.
var broadcastOps = map[string]bool{
	"Add": true, "Sub": true, "Mul": true, "Div": true, "Pow": true, "Mod": true,
	"Equal": true, "Less": true, "Greater": true, "LessOrEqual": true, "GreaterOrEqual": true,
	"And": true, "Or": true, "Xor": true, "BitShift": true, "BitwiseAnd": true, "BitwiseOr": true,
	"BitwiseXor": true, "Where": true, "Max": true, "Min": true, "Sum": true, "Mean": true, "PRelu": true,
}

// preCheck sizes, before the kernel runs, the output of the ops whose
// output can be far larger than their inputs by broadcasting or a matrix
// product, so that such a node fails with a *LimitError instead of
// exhausting memory.
func preCheck(rc *RunContext, st *step, args []Value) error {
	n := st.node
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return nil
	}
	tensors := func() ([]*Tensor, bool) {
		ts := make([]*Tensor, 0, len(args))
		for _, a := range args {
			t, ok := a.(*Tensor)
			if !ok {
				return nil, false
			}
			ts = append(ts, t)
		}
		return ts, len(ts) > 0
	}
	switch {
	case broadcastOps[n.OpType]:
		ts, ok := tensors()
		if !ok {
			return nil
		}
		shapes := make([][]int, len(ts))
		dt := ts[0].DType
		for i, t := range ts {
			shapes[i] = t.Shape
			if ElemSize(t.DType) > ElemSize(dt) {
				dt = t.DType
			}
		}
		out, err := BroadcastShapes(shapes...)
		if err != nil {
			return nil // the kernel reports it
		}
		return rc.CheckAlloc(dt, out)
	case n.OpType == "MatMul" || n.OpType == "MatMulInteger" || n.OpType == "Gemm":
		ts, ok := tensors()
		if !ok || len(ts) < 2 {
			return nil
		}
		a, b := ts[0].Shape, ts[1].Shape
		if len(a) == 0 || len(b) == 0 {
			return nil
		}
		if n.OpType == "Gemm" {
			if len(a) != 2 || len(b) != 2 {
				return nil
			}
			ta, _ := n.AttrInt("transA", 0)
			tb, _ := n.AttrInt("transB", 0)
			m, k := a[0], b[1]
			if ta != 0 {
				m = a[1]
			}
			if tb != 0 {
				k = b[0]
			}
			return rc.CheckAlloc(ts[0].DType, []int{m, k})
		}
		dt := ts[0].DType
		if n.OpType == "MatMulInteger" {
			dt = graph.Int32
		}
		m, k := 1, 1
		if len(a) >= 2 {
			m = a[len(a)-2]
		}
		if len(b) >= 2 {
			k = b[len(b)-1]
		}
		ba, bb := a[:max(len(a)-2, 0)], b[:max(len(b)-2, 0)]
		batch, err := BroadcastShapes(ba, bb)
		if err != nil {
			return nil
		}
		return rc.CheckAlloc(dt, append(append([]int{}, batch...), m, k))
	}
	return nil
}

// MaxExpandedNodes bounds the nodes a model-local function call expands
// to, counting the nodes of the functions it calls, as often as it calls
// them: functions that each call the next twice would otherwise make a
// small file expand to 2^depth nodes.
const MaxExpandedNodes = 1 << 20

// expandedSize is the number of nodes f expands to when its calls to
// model-local functions are inlined, saturating at MaxInt64.
func expandedSize(m *graph.Model, f *graph.Function) int64 {
	memo := map[*graph.Function]int64{}
	var size func(f *graph.Function) int64
	var nodes func(ns []*graph.Node) int64
	nodes = func(ns []*graph.Node) int64 {
		var n int64
		for _, nd := range ns {
			if c := findFunction(m, nd.Domain, nd.OpType, nd.Overload); c != nil {
				n = satAdd(n, size(c))
			} else {
				n = satAdd(n, 1)
			}
			for _, sg := range nd.Subgraphs() {
				n = satAdd(n, nodes(sg.Nodes))
			}
		}
		return n
	}
	size = func(f *graph.Function) int64 {
		if v, ok := memo[f]; ok {
			return v
		}
		memo[f] = 1 // on the path: a cycle counts once (compile rejects cycles)
		v := nodes(f.Nodes)
		memo[f] = v
		return v
	}
	return size(f)
}

// runNested runs p, a compiled function body that sees nothing of the
// caller's scope, as part of the caller's run: it shares the run's limits,
// live-bytes account and depth.
func (p *Plan) runNested(rc *RunContext, inputs []Value) ([]Value, error) {
	scope := &frame{plan: &Plan{Graph: p.Graph, slots: map[string]int{}}, state: rc.state()}
	return p.run(rc.Ctx, rc.Options, inputs, scope)
}
