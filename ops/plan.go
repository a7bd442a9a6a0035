package ops

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/onnxrun/onnxrun/graph"
)

// Plan is a graph compiled into prepared kernels in execution order.
type Plan struct {
	Graph  *graph.Graph
	model  *graph.Model
	opts   *Options
	parent *Plan

	slots   map[string]int // value name → slot
	names   []string       // slot → value name
	consts  map[int]*Tensor
	inputs  []int // slots of the graph inputs, in order
	outputs []int
	steps   []step
	// release[i] lists the slots whose last reader is step i.
	release [][]int
	// outer lists slots filled from enclosing graphs at the start of a run.
	outer []int
	// children are the subgraph plans compiled for this plan's nodes.
	children []*Plan

	// pools keeps the free buffer lists of finished runs (see bufpool.go).
	pools                sync.Pool
	poolMu               sync.Mutex
	lastGets, lastReuses int
	lastInPlace          int // Concat steps made in place by the last finished run
	concatMemo           map[int]*concatMemo
}

type step struct {
	node   *graph.Node
	opset  int64
	kernel Kernel
	in     []int // -1 for an omitted input
	out    []int // -1 for an omitted output
	// place is set when the step's output is an input of a Concat that
	// may be made in place, concatAxis on that Concat (see planconcat.go).
	place      *concatPlace
	concatAxis *int
	concatRoot int // the step of the Concat whose buffer this one shares
}

type frame struct {
	plan   *Plan
	vals   []Value
	parent *frame
	state  *runState   // shared by the frames of one run: limits, live bytes, depth
	marked bool        // the values present at the start are marked external
	pool   *bufferPool // the run's buffers (main graph only; nil: none)
}

func (f *frame) lookup(name string) (Value, bool) {
	for ; f != nil; f = f.parent {
		if s, ok := f.plan.slots[name]; ok && f.vals[s] != nil {
			return f.vals[s], true
		}
	}
	return nil, false
}

// Compile prepares the model's main graph for execution. Every node must
// have a registered kernel for the model's opset; the first that has none
// gives an *UnsupportedError.
func Compile(m *graph.Model, opts *Options) (*Plan, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("ops: model has no graph")
	}
	if opts == nil {
		opts = &Options{}
	}
	return compile(m, m.Graph, opts, nil)
}

func compile(m *graph.Model, g *graph.Graph, opts *Options, parent *Plan) (*Plan, error) {
	p := &Plan{Graph: g, model: m, opts: opts, parent: parent, slots: map[string]int{}, consts: map[int]*Tensor{}}
	slot := func(name string) int {
		if s, ok := p.slots[name]; ok {
			return s
		}
		s := len(p.names)
		p.slots[name] = s
		p.names = append(p.names, name)
		return s
	}
	for _, in := range g.Inputs {
		p.inputs = append(p.inputs, slot(in.Name))
	}
	inputSet := map[string]bool{}
	for _, in := range g.Inputs {
		inputSet[in.Name] = true
	}
	for _, t := range g.Initializers {
		v, err := FromGraph(t)
		if err != nil {
			return nil, fmt.Errorf("ops: initializer %q: %w", t.Name, err)
		}
		s := slot(t.Name)
		p.consts[s] = v
	}
	order, err := topoOrder(g)
	if err != nil {
		return nil, err
	}
	produced := map[string]bool{}
	for name := range p.slots {
		produced[name] = true
	}
	for _, n := range order {
		st := step{node: n}
		for _, name := range n.Inputs {
			if name == "" {
				st.in = append(st.in, -1)
				continue
			}
			if !produced[name] {
				if parent == nil || !parent.defines(name) {
					return nil, fmt.Errorf("ops: node %q (%s): input %q is not produced by any node, input or initializer", n.Name, n.OpType, name)
				}
				s := slot(name)
				p.outer = append(p.outer, s)
				produced[name] = true
			}
			st.in = append(st.in, p.slots[name])
		}
		// Values a subgraph takes from this scope must stay alive: mark them read by this node.
		for _, sg := range n.Subgraphs() {
			for _, name := range sg.OuterRefs() {
				if produced[name] {
					st.in = append(st.in, -2-p.slots[name]) // read-only marker for liveness
				} else if parent != nil && parent.defines(name) {
					s := slot(name)
					p.outer = append(p.outer, s)
					produced[name] = true
					st.in = append(st.in, -2-s)
				}
			}
		}
		opset := m.Opset(n.Domain)
		st.opset = opset
		f, spec, ok := Lookup(n.Domain, n.OpType, opset)
		if !ok {
			f, spec, ok = lookupFunction(m, n) // a model-local function
		}
		if !ok {
			return nil, &UnsupportedError{Node: n.Name, Domain: n.Domain, Op: n.OpType, Opset: opset}
		}
		b := &Build{Node: n, Model: m, Opset: opset, Spec: spec, plan: p}
		if err := checkArity(b); err != nil {
			return nil, err
		}
		k, err := safeFactory(f, b)
		if err != nil {
			return nil, err
		}
		st.kernel = k
		for _, name := range n.Outputs {
			if name == "" {
				st.out = append(st.out, -1)
				continue
			}
			st.out = append(st.out, slot(name))
			produced[name] = true
		}
		p.steps = append(p.steps, st)
		if n.OpType == "Constant" && n.Domain == "" && len(st.out) == 1 && st.out[0] >= 0 {
			if v, err := k.Run(&RunContext{Ctx: context.Background(), Options: opts}, nil); err == nil && len(v) == 1 {
				if t, ok := v[0].(*Tensor); ok {
					p.consts[st.out[0]] = t
				}
			}
		}
	}
	for _, out := range g.Outputs {
		if !produced[out.Name] {
			if parent != nil && parent.defines(out.Name) {
				s := slot(out.Name)
				p.outer = append(p.outer, s)
				produced[out.Name] = true
			} else {
				return nil, fmt.Errorf("ops: graph output %q is not produced by any node, input or initializer", out.Name)
			}
		}
		p.outputs = append(p.outputs, p.slots[out.Name])
	}
	p.planRelease()
	p.placeConcats()
	return p, nil
}

func safeFactory(f Factory, b *Build) (k Kernel, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = b.Errorf("panic while preparing: %v", r)
		}
	}()
	k, err = f(b)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, b.Errorf("no kernel prepared")
	}
	return k, nil
}

// defines reports whether name is a value of p or of a graph around it.
func (p *Plan) defines(name string) bool {
	for ; p != nil; p = p.parent {
		if _, ok := p.slots[name]; ok {
			return true
		}
		for _, n := range p.Graph.Nodes {
			for _, o := range n.Outputs {
				if o == name {
					return true
				}
			}
		}
	}
	return false
}

func (p *Plan) constant(name string) *Tensor {
	if s, ok := p.slots[name]; ok {
		if t, ok := p.consts[s]; ok {
			for _, in := range p.inputs {
				if in == s {
					return nil // an input with a default can be overridden
				}
			}
			return t
		}
	}
	return nil
}

// planRelease computes, for each step, which slots are read for the last time.
func (p *Plan) planRelease() {
	last := map[int]int{}
	for i, st := range p.steps {
		for _, s := range st.in {
			if s <= -2 {
				s = -2 - s
			}
			if s >= 0 {
				last[s] = i
			}
		}
	}
	keep := map[int]bool{}
	for _, s := range p.outputs {
		keep[s] = true
	}
	p.release = make([][]int, len(p.steps))
	for s, i := range last {
		if keep[s] {
			continue
		}
		if _, isConst := p.consts[s]; isConst {
			continue
		}
		p.release[i] = append(p.release[i], s)
	}
}

// topoOrder orders the graph's nodes so that each runs after the producers
// of its inputs and of the outer values its subgraphs read (see
// graph.Graph.TopoOrder). A value produced by two nodes is an error.
func topoOrder(g *graph.Graph) ([]*graph.Node, error) {
	producer := map[string]*graph.Node{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if m, dup := producer[o]; dup {
				return nil, fmt.Errorf("ops: value %q is produced by both node %q and node %q", o, m.Name, n.Name)
			}
			producer[o] = n
		}
	}
	order, err := g.TopoOrder()
	if err != nil {
		return nil, fmt.Errorf("ops: graph %q: %w", g.Name, err)
	}
	return order, nil
}

// Constants returns the tensors the plan holds for its whole life
// (initializers and Constant outputs), including those of the subgraphs
// compiled for its nodes. Callers must not modify them.
func (p *Plan) Constants() []*Tensor {
	var out []*Tensor
	for _, t := range p.consts {
		out = append(out, t)
	}
	for _, c := range p.children {
		out = append(out, c.Constants()...)
	}
	return out
}

// InputNames returns the names of the plan's graph inputs, in order.
func (p *Plan) InputNames() []string {
	out := make([]string, len(p.inputs))
	for i, s := range p.inputs {
		out[i] = p.names[s]
	}
	return out
}

// OutputNames returns the names of the plan's graph outputs, in order.
func (p *Plan) OutputNames() []string {
	out := make([]string, len(p.outputs))
	for i, s := range p.outputs {
		out[i] = p.names[s]
	}
	return out
}

// Run executes the plan. inputs follow the graph's inputs in order; a nil
// entry for an input that has an initializer takes the initializer's value.
// It returns the graph outputs in order. Run is safe for concurrent use.
func (p *Plan) Run(ctx context.Context, inputs []Value) ([]Value, error) {
	return p.run(ctx, p.opts, inputs, nil)
}

func (p *Plan) run(ctx context.Context, opts *Options, inputs []Value, parent *frame) ([]Value, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if len(inputs) > len(p.inputs) {
		return nil, fmt.Errorf("ops: graph %q takes %d inputs, got %d", p.Graph.Name, len(p.inputs), len(inputs))
	}
	fr := &frame{plan: p, vals: make([]Value, len(p.names)), parent: parent}
	if err := fr.begin(opts); err != nil {
		return nil, err
	}
	defer fr.end()
	if parent == nil && !opts.NoBufferReuse {
		fr.pool = p.takePool()
		defer p.givePool(fr.pool)
	}
	for s, t := range p.consts {
		fr.vals[s] = t
	}
	for i, s := range p.inputs {
		if i < len(inputs) && inputs[i] != nil {
			fr.vals[s] = inputs[i]
		} else if fr.vals[s] == nil {
			return nil, fmt.Errorf("ops: graph %q: input %q is missing", p.Graph.Name, p.names[s])
		}
	}
	for _, s := range p.outer {
		v, ok := parent.lookup(p.names[s])
		if !ok {
			return nil, fmt.Errorf("ops: graph %q: outer value %q is not available", p.Graph.Name, p.names[s])
		}
		fr.vals[s] = v
	}
	fr.markExternal()
	rc := &RunContext{Ctx: ctx, Options: opts, frame: fr}
	args := make([]Value, 0, 8)
	for i := range p.steps {
		st := &p.steps[i]
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("ops: stopped before node %q (%s): %w", st.node.Name, st.node.OpType, err)
		}
		args = args[:0]
		for _, s := range st.in {
			switch {
			case s == -1:
				args = append(args, nil)
			case s >= 0:
				args = append(args, fr.vals[s])
			}
		}
		rc.step = i
		var start time.Time
		if opts.Profile != nil {
			start = time.Now()
		}
		var outs []Value
		var err error
		var inPlace *Tensor
		if st.concatAxis != nil && fr.pool != nil {
			y, ok := fr.concatInPlace(i, st, args)
			if ok {
				outs, inPlace = []Value{y}, y
			} else if outs, err = runStep(rc, st, args); err != nil {
				return nil, err
			}
			if st.concatRoot == i {
				p.recordConcat(i, args, ok)
			}
		} else if outs, err = runStep(rc, st, args); err != nil {
			return nil, err
		}
		if opts.Profile != nil {
			opts.Profile(NodeEvent{Node: st.node, Opset: st.opset, Kernel: st.kernel, Start: start, Duration: time.Since(start), Inputs: args, Outputs: outs, Nested: parent != nil})
		}
		for j, s := range st.out {
			if s >= 0 && j < len(outs) {
				fr.vals[s] = outs[j]
				if fr.pool != nil {
					fr.pool.retain(outs[j])
				}
				if err := fr.state.retain(outs[j]); err != nil {
					return nil, fmt.Errorf("ops: node %q (%s, opset %d): %w", st.node.Name, st.node.OpType, st.opset, err)
				}
			}
		}
		if inPlace != nil {
			if err := fr.state.resize(inPlace); err != nil {
				return nil, fmt.Errorf("ops: node %q (%s, opset %d): %w", st.node.Name, st.node.OpType, st.opset, err)
			}
		}
		for _, s := range p.release[i] {
			fr.state.release(fr.vals[s])
			if fr.pool != nil {
				fr.pool.release(fr.vals[s])
			}
			fr.vals[s] = nil
		}
	}
	res := make([]Value, len(p.outputs))
	for i, s := range p.outputs {
		if fr.vals[s] == nil {
			return nil, fmt.Errorf("ops: graph %q: output %q was not computed", p.Graph.Name, p.names[s])
		}
		res[i] = fr.vals[s]
	}
	return res, nil
}

func runStep(rc *RunContext, st *step, args []Value) (outs []Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ops: node %q (%s, opset %d): internal error: %v", st.node.Name, st.node.OpType, st.opset, r)
		}
	}()
	if err := preCheck(rc, st, args); err != nil {
		return nil, fmt.Errorf("ops: node %q (%s, opset %d): %w", st.node.Name, st.node.OpType, st.opset, err)
	}
	outs, err = st.kernel.Run(rc, args)
	if err != nil {
		return nil, fmt.Errorf("ops: node %q (%s, opset %d): %w", st.node.Name, st.node.OpType, st.opset, err)
	}
	return outs, nil
}
