package ops

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/onnxrun/onnxrun/graph"
)

// Kernel is a node prepared for execution. Run must not keep or modify its
// inputs, may be called from several goroutines at once, and returns one
// Value per node output (nil for an omitted optional output). Its errors
// need not name the node: the plan wraps them with the node's name, op and
// opset.
type Kernel interface {
	Run(rc *RunContext, inputs []Value) ([]Value, error)
}

// KernelFunc adapts a function to Kernel.
type KernelFunc func(rc *RunContext, inputs []Value) ([]Value, error)

// Run calls f.
func (f KernelFunc) Run(rc *RunContext, inputs []Value) ([]Value, error) { return f(rc, inputs) }

// Factory prepares a kernel for one node: it parses attributes (once), checks
// what can be checked before running, and chooses the algorithm.
type Factory func(b *Build) (Kernel, error)

// Spec names the operator versions a Factory implements: op type Op in
// Domain ("" for the default ONNX domain), for model opset versions Since to
// Until inclusive (Until 0: no upper bound). Since is the since_version of the
// operator's schema in onnx/docs/Changelog.md.
type Spec struct {
	Domain string
	Op     string
	Since  int64
	Until  int64
}

type entry struct {
	spec    Spec
	factory Factory
}

var (
	regMu    sync.RWMutex
	registry = map[string][]entry{} // domain + "\x00" + op → entries by Since
)

// Register adds a factory for the versions s covers. It panics on a
// registration that overlaps an existing one (a programming error).
func Register(s Spec, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	key := s.Domain + "\x00" + s.Op
	for _, e := range registry[key] {
		if overlaps(e.spec, s) {
			panic(fmt.Sprintf("ops: %s %s versions %d-%d registered twice", s.Domain, s.Op, s.Since, s.Until))
		}
	}
	registry[key] = append(registry[key], entry{s, f})
	sort.Slice(registry[key], func(i, j int) bool { return registry[key][i].spec.Since < registry[key][j].spec.Since })
}

func overlaps(a, b Spec) bool {
	hiA, hiB := a.Until, b.Until
	if hiA == 0 {
		hiA = 1 << 62
	}
	if hiB == 0 {
		hiB = 1 << 62
	}
	return a.Since <= hiB && b.Since <= hiA
}

// Lookup finds the factory for op in domain at the model's opset version.
func Lookup(domain, op string, opset int64) (Factory, Spec, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	for _, e := range registry[domain+"\x00"+op] {
		if e.spec.Since <= opset && (e.spec.Until == 0 || opset <= e.spec.Until) {
			return e.factory, e.spec, true
		}
	}
	return nil, Spec{}, false
}

// Registered lists every registered spec, sorted by domain, op and version.
func Registered() []Spec {
	regMu.RLock()
	defer regMu.RUnlock()
	var out []Spec
	for _, es := range registry {
		for _, e := range es {
			out = append(out, e.spec)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Domain != b.Domain {
			return a.Domain < b.Domain
		}
		if a.Op != b.Op {
			return a.Op < b.Op
		}
		return a.Since < b.Since
	})
	return out
}

// UnsupportedError says that no kernel implements a node's op at the
// model's opset version.
type UnsupportedError struct {
	Node   string
	Domain string
	Op     string
	Opset  int64
}

// Error names the node, the op, its domain and the opset.
func (e *UnsupportedError) Error() string {
	d := e.Domain
	if d == "" {
		d = "ai.onnx"
	}
	return fmt.Sprintf("ops: node %q: op %s (domain %s, opset %d) is not supported", e.Node, e.Op, d, e.Opset)
}

// Build is what a Factory sees of its node.
type Build struct {
	Node  *graph.Node
	Model *graph.Model
	// Opset is the model's imported version of the node's domain; Spec is the
	// registration that matched it.
	Opset int64
	Spec  Spec

	plan *Plan
}

// Errorf returns an error that names the node, its op and opset.
func (b *Build) Errorf(format string, args ...any) error {
	return fmt.Errorf("ops: node %q (%s, opset %d): %s", b.Node.Name, b.Node.OpType, b.Opset, fmt.Sprintf(format, args...))
}

// Constant returns the value of the node's input i when it is known before
// running (an initializer that is not also a graph input, or the output of a
// Constant node), or nil.
func (b *Build) Constant(i int) *Tensor {
	if i >= len(b.Node.Inputs) || b.Node.Inputs[i] == "" {
		return nil
	}
	return b.plan.constant(b.Node.Inputs[i])
}

// Subgraph compiles a graph attribute of the node (an If branch, a Loop or
// Scan body). Names the body uses but does not define resolve at run time
// to the enclosing graphs' values.
func (b *Build) Subgraph(g *graph.Graph) (*Plan, error) {
	if g == nil {
		return nil, b.Errorf("missing subgraph")
	}
	p, err := compile(b.Model, g, b.plan.opts, b.plan)
	if err != nil {
		return nil, fmt.Errorf("ops: node %q (%s) subgraph %q: %w", b.Node.Name, b.Node.OpType, g.Name, err)
	}
	b.plan.children = append(b.plan.children, p)
	return p, nil
}

// RunContext is what a Kernel sees while running.
type RunContext struct {
	Ctx     context.Context
	Options *Options
	frame   *frame
	step    int // index of the running step in frame.plan.steps
}

// RunSubgraph runs a compiled subgraph with the given inputs (in the order of
// its graph inputs); names it does not define resolve to the values of the
// running graph and those around it.
func (rc *RunContext) RunSubgraph(p *Plan, inputs []Value) ([]Value, error) {
	return p.run(rc.Ctx, rc.Options, inputs, rc.frame)
}

// Options tune execution. The zero value is usable.
type Options struct {
	// Threads is the number of goroutines an op may use (0: GOMAXPROCS).
	Threads int
	// Limits bound what a run may allocate, how deep it may nest and how
	// long a Loop may run (the zero value: DefaultLimits).
	Limits Limits
	// Profile, when set, is called after each node runs (in the main graph
	// and in subgraphs), from the goroutine that ran it. Unset, it costs
	// nothing.
	Profile func(NodeEvent)
	// NoBufferReuse makes every kernel output newly allocated memory
	// instead of memory the run (or an earlier run) no longer needs.
	NoBufferReuse bool
	// NoTune keeps each Conv's default algorithm for its shape instead of
	// measuring the candidates on its first run (see conv.Tune).
	NoTune bool
}

// NodeEvent is what Options.Profile learns of one node's run. Inputs and
// Outputs are only valid during the call.
type NodeEvent struct {
	Node   *graph.Node
	Opset  int64
	Kernel Kernel
	Start  time.Time
	// Duration is the kernel's wall time.
	Duration        time.Duration
	Inputs, Outputs []Value
	// Nested is set for a node of a subgraph (an If branch, a Loop body).
	Nested bool
}
