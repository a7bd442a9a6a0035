package infer

import (
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/onnxrun/onnxrun/graph"
)

// Options tune a Run.
type Options struct {
	// Bindings gives values to symbolic dims (dim_param names) before
	// inference: {"N": 8}.
	Bindings map[string]int64
}

// Result is what Run found.
type Result struct {
	// Values maps every value of the main graph (inputs, initializers, node
	// outputs, graph outputs) to its fact.
	Values map[string]Fact
	// SubValues holds the values of each subgraph (If/Loop/Scan bodies) as
	// last inferred, keyed by the body.
	SubValues map[*graph.Graph]map[string]Fact
	// Nodes has one record per node, the main graph's in topological order,
	// each subgraph's nodes after the node that holds them.
	Nodes []*NodeRecord
	// Diagnostics lists the findings, in order.
	Diagnostics []Diagnostic
	// Bindings are the symbol values in force at the end: the given ones and
	// those that unification implied.
	Bindings map[string]Dim
}

// HasErrors reports whether any diagnostic has error severity.
func (r *Result) HasErrors() bool {
	for _, d := range r.Diagnostics {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// NodeRecord is what inference recorded for one node.
type NodeRecord struct {
	Node *graph.Node
	// Graph is the path of the subgraph holding the node ("" for the main
	// graph, else "loop_node/body", nested with "/").
	Graph   string
	Opset   int64
	Inputs  []Fact
	Outputs []Fact
	// HasRule is false when no rule exists for the op.
	HasRule bool
	// Conv is set for Conv, ConvTranspose and the pooling ops.
	Conv *ConvInfo
	// Params is the number of weight elements (weights plus bias) the node
	// holds as initializers; MACs the multiply-accumulates of one run
	// (HasMACs says whether they were computed).
	Params  int64
	MACs    Dim
	HasMACs bool
}

// ConvInfo is the resolved geometry of a Conv, ConvTranspose or pooling node.
type ConvInfo struct {
	AutoPad   string
	Kernel    Shape
	Strides   []int64
	Dilations []int64
	// PadsBegin and PadsEnd are the pads per spatial axis as resolved
	// (explicit, or computed from auto_pad).
	PadsBegin, PadsEnd []Dim
	// OddPad says, per axis, which side took the extra pad when the total is
	// odd: "begin", "end", or "" (even, or not known).
	OddPad   []string
	Group    int64
	CeilMode bool
}

// state is shared by one Run.
type state struct {
	m      *graph.Model
	res    *Result
	bind   map[string]Dim
	nfresh map[string]int
	used   map[string]bool // symbol names seen (to keep fresh ones unique)
	depth  int
	calls  int // function bodies inferred, bounded by maxFunctionCalls
}

// scope holds the values of one graph and sees its parent's.
type scope struct {
	parent *scope
	g      *graph.Graph
	path   string
	vals   map[string]Fact
	decl   map[string]*graph.Type
	// opsets overrides the model's opset imports (inside a function body).
	opsets map[string]int64
}

// opset returns the opset version in force in the scope for domain.
func (s *scope) opset(m *graph.Model, domain string) int64 {
	for x := s; x != nil; x = x.parent {
		if x.opsets != nil {
			if domain == "ai.onnx" {
				domain = ""
			}
			if v, ok := x.opsets[domain]; ok {
				return v
			}
			break
		}
	}
	return m.Opset(domain)
}

func (s *scope) lookup(name string) (Fact, bool) {
	for x := s; x != nil; x = x.parent {
		if f, ok := x.vals[name]; ok {
			return f, true
		}
	}
	return Fact{}, false
}

// maxDepth bounds subgraph nesting.
const maxDepth = 64

// maxFunctionCalls bounds the model-local function bodies one Run infers:
// functions that each call the next twice would otherwise take 2^depth.
const maxFunctionCalls = 1 << 14

// Run infers the type and shape of every value of m's main graph and of its
// subgraphs. Inconsistencies are reported in Result.Diagnostics, not as an
// error; the error is for a model Run cannot work on at all (no graph).
// Run does not modify m, and may run concurrently on the same model.
func Run(m *graph.Model, opts Options) (*Result, error) {
	if m == nil || m.Graph == nil {
		return nil, errors.New("infer: model has no graph")
	}
	st := &state{m: m, bind: map[string]Dim{}, nfresh: map[string]int{}, used: map[string]bool{},
		res: &Result{Values: map[string]Fact{}, SubValues: map[*graph.Graph]map[string]Fact{}}}
	for k, v := range opts.Bindings {
		st.bind[k] = Const(v)
	}
	st.collectSymbols(m.Graph)
	sc := st.newScope(nil, m.Graph, "")
	st.inputs(sc, nil)
	st.runGraph(sc)
	st.outputs(sc)
	res := st.res
	for k, f := range sc.vals {
		res.Values[k] = f.bind(st.bind)
	}
	for g, vals := range res.SubValues {
		for k, f := range vals {
			vals[k] = f.bind(st.bind)
		}
		res.SubValues[g] = vals
	}
	for _, r := range res.Nodes {
		for i := range r.Inputs {
			r.Inputs[i] = r.Inputs[i].bind(st.bind)
		}
		for i := range r.Outputs {
			r.Outputs[i] = r.Outputs[i].bind(st.bind)
		}
		if r.HasMACs {
			r.MACs = st.bindDim(r.MACs)
		}
		if r.Conv != nil {
			for i := range r.Conv.PadsBegin {
				r.Conv.PadsBegin[i] = st.bindDim(r.Conv.PadsBegin[i])
				r.Conv.PadsEnd[i] = st.bindDim(r.Conv.PadsEnd[i])
			}
		}
	}
	res.Bindings = st.bind
	return res, nil
}

func (st *state) collectSymbols(g *graph.Graph) {
	add := func(vs []*graph.ValueInfo) {
		for _, v := range vs {
			if v.Type != nil {
				for _, d := range v.Type.Shape {
					if d.Param != "" {
						st.used[d.Param] = true
					}
				}
			}
		}
	}
	add(g.Inputs)
	add(g.Outputs)
	add(g.ValueInfo)
}

func (st *state) fresh(base string) Dim {
	for {
		st.nfresh[base]++
		name := base + "_" + strconv.Itoa(st.nfresh[base])
		if !st.used[name] {
			st.used[name] = true
			return Sym(name)
		}
	}
}

func (st *state) bindDim(d Dim) Dim {
	if !d.IsSymbolic() || len(st.bind) == 0 {
		return d
	}
	return d.Subst(func(name string) (Dim, bool) {
		v, ok := st.bind[name]
		return v, ok
	})
}

// bindSym records s = d and rewrites earlier bindings that mention s.
func (st *state) bindSym(s string, d Dim) {
	st.bind[s] = d
	for k, v := range st.bind {
		if k != s && v.IsSymbolic() {
			st.bind[k] = v.Subst(func(name string) (Dim, bool) {
				if name == s {
					return d, true
				}
				return Dim{}, false
			})
		}
	}
}

func (st *state) newScope(parent *scope, g *graph.Graph, path string) *scope {
	sc := &scope{parent: parent, g: g, path: path, vals: map[string]Fact{}, decl: map[string]*graph.Type{}}
	for _, v := range g.ValueInfo {
		if v.Type != nil {
			sc.decl[v.Name] = v.Type
		}
	}
	for _, v := range g.Outputs {
		if v.Type != nil {
			sc.decl[v.Name] = v.Type
		}
	}
	return sc
}

// inputs sets the facts of g's initializers and inputs; given (for
// subgraphs) overrides declared input types where it is not the zero Fact.
func (st *state) inputs(sc *scope, given []Fact) {
	g := sc.g
	for _, t := range g.Initializers {
		sc.vals[t.Name] = constFact(t)
	}
	for _, s := range g.SparseInitializers {
		if s.Values != nil {
			sc.vals[s.Values.Name] = Tensor(s.Values.DType, ConstShape(s.Dims...))
		}
	}
	for i, in := range g.Inputs {
		if i < len(given) && given[i].Kind != KindUnknown {
			f := given[i]
			if in.Type != nil {
				f = st.mergeDeclared(sc, nil, in.Name, f, FactFromType(in.Type).bind(st.bind))
			}
			sc.vals[in.Name] = f
			continue
		}
		if _, ok := sc.vals[in.Name]; ok {
			continue // initializer: its content is the default
		}
		f := FactFromType(in.Type)
		if sc.parent == nil && f.Ranked {
			// A main-graph input dim with neither a value nor a name is a
			// size fixed per run: it becomes the symbol "<input>_dim<i>",
			// which --dim can bind.
			for i, d := range f.Shape {
				if d.IsUnknown() {
					name := in.Name + "_dim" + strconv.Itoa(i)
					if st.used[name] {
						f.Shape[i] = st.fresh(name)
					} else {
						st.used[name] = true
						f.Shape[i] = Sym(name)
					}
				}
			}
		}
		sc.vals[in.Name] = f.bind(st.bind)
	}
}

// outputs checks the declared types of g's outputs against what was inferred
// (mergeDeclared already did it for values produced by nodes) and fills in
// outputs that no node produced.
func (st *state) outputs(sc *scope) {
	for _, o := range sc.g.Outputs {
		if _, ok := sc.vals[o.Name]; !ok {
			if f, ok := sc.lookup(o.Name); ok {
				sc.vals[o.Name] = f
			} else {
				st.res.Diagnostics = append(st.res.Diagnostics, Diagnostic{Severity: SeverityError, Graph: sc.path,
					Message: fmt.Sprintf("graph output %q is not produced by any node or input", o.Name)})
				sc.vals[o.Name] = FactFromType(o.Type)
			}
		}
	}
}

func (st *state) runGraph(sc *scope) {
	order, bad := topoOrder(sc)
	for _, n := range bad {
		st.res.Diagnostics = append(st.res.Diagnostics, Diagnostic{Node: n.Name, Op: n.OpType, Domain: n.Domain,
			Opset: sc.opset(st.m, n.Domain), Severity: SeverityError, Graph: sc.path,
			Message: "node is part of a cycle or uses a value no node produces"})
	}
	for _, n := range order {
		st.node(sc, n)
	}
}

func (st *state) node(sc *scope, n *graph.Node) {
	opset := sc.opset(st.m, n.Domain)
	c := &Context{Node: n, Opset: opset, Model: st.m, st: st, sc: sc,
		in: make([]Fact, len(n.Inputs)), has: make([]bool, len(n.Inputs)),
		out: make([]Fact, len(n.Outputs)), outSet: make([]bool, len(n.Outputs))}
	rec := &NodeRecord{Node: n, Graph: sc.path, Opset: opset}
	c.rec = rec
	st.res.Nodes = append(st.res.Nodes, rec)
	diag := func(sev Severity, msg string) {
		st.res.Diagnostics = append(st.res.Diagnostics, Diagnostic{Node: n.Name, Op: n.OpType, Domain: n.Domain,
			Opset: opset, Severity: sev, Message: msg, Graph: sc.path})
	}
	for i, name := range n.Inputs {
		if name == "" {
			continue
		}
		f, ok := sc.lookup(name)
		if !ok {
			diag(SeverityError, fmt.Sprintf("input %d (%q) is not produced by any node or graph input", i, name))
			continue
		}
		c.in[i] = f.bind(st.bind)
		c.has[i] = true
	}
	rule, ok := Lookup(n.Domain, n.OpType)
	fn := st.function(n)
	if !ok && fn != nil {
		rule, ok = func(c *Context) error { return st.runFunction(c, fn) }, true
	}
	rec.HasRule = ok
	if !ok {
		dom := n.Domain
		if dom != "" {
			dom += ":"
		}
		diag(SeverityWarning, fmt.Sprintf("no shape rule for %s%s; outputs take their declared types", dom, n.OpType))
	} else {
		err := st.callRule(rule, c)
		if err == nil {
			err = c.attrErr
		}
		if err == nil {
			err = st.safeFold(c)
		}
		for _, w := range c.warns {
			diag(SeverityWarning, w)
		}
		if err != nil {
			var d *Diagnostic
			if errors.As(err, &d) {
				d2 := *d
				d2.Graph = sc.path
				if d2.Node == "" && d2.Op == "" {
					d2.Node, d2.Op, d2.Domain, d2.Opset = n.Name, n.OpType, n.Domain, opset
				}
				st.res.Diagnostics = append(st.res.Diagnostics, d2)
			} else {
				diag(SeverityError, err.Error())
			}
		}
	}
	rec.Inputs = c.in
	rec.Outputs = make([]Fact, len(n.Outputs))
	for i, name := range n.Outputs {
		if name == "" {
			continue
		}
		f := c.out[i]
		if !c.outSet[i] {
			f = Fact{}
		}
		if t, ok := sc.decl[name]; ok {
			f = st.mergeDeclared(sc, n, name, f, FactFromType(t).bind(st.bind))
		}
		rec.Outputs[i] = f
		sc.vals[name] = f
	}
}

// safeFold is fold, with a panic reported as an error diagnostic.
func (st *state) safeFold(c *Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = c.Errorf("internal error in constant folding: %v", r)
		}
	}()
	st.fold(c)
	return nil
}

func (st *state) callRule(rule Rule, c *Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = c.Errorf("internal error in shape rule: %v", r)
		}
	}()
	return rule(c)
}

// mergeDeclared compares an inferred fact with a declared one. A
// contradiction (different element types, ranks, or constant dims) is an
// error diagnostic and the inferred fact is kept; dims the rule left unknown
// take the declared ones.
func (st *state) mergeDeclared(sc *scope, n *graph.Node, name string, inf, decl Fact) Fact {
	if decl.Kind == KindUnknown {
		return inf
	}
	if inf.Kind == KindUnknown {
		return decl
	}
	report := func(msg string) {
		d := Diagnostic{Severity: SeverityError, Graph: sc.path, Message: msg}
		if n != nil {
			d.Node, d.Op, d.Domain, d.Opset = n.Name, n.OpType, n.Domain, sc.opset(st.m, n.Domain)
		}
		st.res.Diagnostics = append(st.res.Diagnostics, d)
	}
	if inf.Kind != decl.Kind {
		report(fmt.Sprintf("value %q is declared %v but inferred %v", name, decl, inf))
		return inf
	}
	if inf.Kind != KindTensor {
		if inf.Elem == nil && decl.Elem != nil {
			inf.Elem = decl.Elem
		}
		return inf
	}
	if inf.DType == graph.Undefined {
		inf.DType = decl.DType
	} else if decl.DType != graph.Undefined && decl.DType != inf.DType {
		report(fmt.Sprintf("value %q is declared %v but inferred %v (element type)", name, decl, inf))
		return inf
	}
	if !decl.Ranked {
		return inf
	}
	// In a body (If/Loop/Scan) declared shapes were often recorded from one
	// traced iteration: they give the rank but fill in no dims.
	fill := sc.parent == nil
	if !inf.Ranked {
		inf.Shape, inf.Ranked = decl.Shape.Clone(), true
		if !fill {
			inf.Shape = unknowns(len(decl.Shape))
		}
		return inf
	}
	if len(inf.Shape) != len(decl.Shape) {
		report(fmt.Sprintf("value %q is declared %v but inferred %v (rank)", name, decl, inf))
		return inf
	}
	var ns Shape
	for i, d := range inf.Shape {
		dd := decl.Shape[i]
		dv, dok := dd.Value()
		iv, iok := d.Value()
		switch {
		case dok && iok && dv != iv:
			report(fmt.Sprintf("value %q is declared %v but inferred %v (dim %d)", name, decl, inf, i))
			return inf
		case fill && d.IsUnknown() && !dd.IsUnknown():
			if ns == nil {
				ns = inf.Shape.Clone()
			}
			ns[i] = dd
		}
	}
	if ns != nil {
		inf.Shape = ns
	}
	return inf
}

// runSubgraph infers body g for the node of c.
func (st *state) runSubgraph(c *Context, g *graph.Graph, inputs []Fact) ([]Fact, error) {
	if st.depth >= maxDepth {
		return nil, c.Errorf("subgraphs nested deeper than %d", maxDepth)
	}
	st.depth++
	defer func() { st.depth-- }()
	// A body runs only under a condition (a branch taken, a loop that
	// iterates): what its unifications imply holds inside it, not outside.
	saved := make(map[string]Dim, len(st.bind))
	for k, v := range st.bind {
		saved[k] = v
	}
	defer func() { st.bind = saved }()
	name := c.Node.Name
	if name == "" {
		name = c.Node.OpType
	}
	path := name + "/" + g.Name
	if c.sc.path != "" {
		path = c.sc.path + "/" + path
	}
	st.collectSymbols(g)
	sc := st.newScope(c.sc, g, path)
	st.inputs(sc, inputs)
	// Drop the records of an earlier inference of the same body (Loop
	// runs its body again when loop-carried shapes change).
	st.dropRecords(path)
	st.runGraph(sc)
	st.outputs(sc)
	st.res.SubValues[g] = sc.vals
	out := make([]Fact, len(g.Outputs))
	for i, o := range g.Outputs {
		out[i] = sc.vals[o.Name]
	}
	return out, nil
}

// function returns the model-local function a node calls, if any.
func (st *state) function(n *graph.Node) *graph.Function {
	for _, f := range st.m.Functions {
		if f.Name == n.OpType && f.Domain == n.Domain && f.Overload == n.Overload {
			return f
		}
	}
	return nil
}

// runFunction infers a call of a model-local function by inferring its body
// with the caller's input facts and attributes (references to the caller's
// attributes resolved, defaults applied). The body sees no outer values and
// uses the function's own opset imports.
func (st *state) runFunction(c *Context, f *graph.Function) error {
	if st.depth >= maxDepth {
		return c.Errorf("functions nested deeper than %d", maxDepth)
	}
	if st.calls >= maxFunctionCalls {
		return c.Errorf("more than %d function calls to infer", maxFunctionCalls)
	}
	st.calls++
	st.depth++
	defer func() { st.depth-- }()
	g := &graph.Graph{Name: f.Name, ValueInfo: f.ValueInfo}
	for _, name := range f.Inputs {
		g.Inputs = append(g.Inputs, &graph.ValueInfo{Name: name})
	}
	for _, name := range f.Outputs {
		g.Outputs = append(g.Outputs, &graph.ValueInfo{Name: name})
	}
	for _, fn := range f.Nodes {
		cp := *fn
		cp.Attrs = nil
		for _, a := range fn.Attrs {
			if a.RefAttrName == "" {
				cp.Attrs = append(cp.Attrs, a)
				continue
			}
			var src *graph.Attr
			if src = c.Node.Attr(a.RefAttrName); src == nil {
				for _, d := range f.AttributeProto {
					if d.Name == a.RefAttrName {
						src = d
					}
				}
			}
			if src != nil {
				r := *src
				r.Name = a.Name
				cp.Attrs = append(cp.Attrs, &r)
			}
		}
		g.Nodes = append(g.Nodes, &cp)
	}
	name := c.Node.Name
	if name == "" {
		name = c.Node.OpType
	}
	path := name + "/" + f.Name
	if c.sc.path != "" {
		path = c.sc.path + "/" + path
	}
	sc := st.newScope(nil, g, path)
	sc.opsets = f.Opsets
	if sc.opsets == nil {
		sc.opsets = st.m.Opsets
	}
	given := make([]Fact, len(f.Inputs))
	for i := range given {
		given[i] = c.Input(i)
	}
	st.inputs(sc, given)
	st.dropRecords(path)
	st.runGraph(sc)
	st.outputs(sc)
	for i, o := range g.Outputs {
		if f, ok := sc.vals[o.Name]; ok {
			c.SetOutput(i, f)
		}
	}
	return nil
}

func (st *state) dropRecords(path string) {
	keep := st.res.Nodes[:0]
	for _, r := range st.res.Nodes {
		if r.Graph != path && !hasPrefix(r.Graph, path+"/") {
			keep = append(keep, r)
		}
	}
	st.res.Nodes = keep
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// topoOrder returns g's nodes in an order where every node comes after the
// producers of its inputs (including values its subgraphs use from g),
// keeping the file's order where it allows. Nodes that cannot be ordered
// (cycles, inputs no node produces) come back in bad.
func topoOrder(sc *scope) (order, bad []*graph.Node) {
	g := sc.g
	producer := make(map[string]int, len(g.Nodes))
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != "" {
				producer[o] = i
			}
		}
	}
	available := func(name string) bool {
		if _, ok := sc.vals[name]; ok {
			return true
		}
		if sc.parent != nil {
			_, ok := sc.parent.lookup(name)
			return ok
		}
		return false
	}
	indeg := make([]int, len(g.Nodes))
	users := make([][]int, len(g.Nodes))
	sorted := true
	missing := make([]bool, len(g.Nodes))
	for i, n := range g.Nodes {
		deps := map[int]bool{}
		need := func(name string) {
			if name == "" {
				return
			}
			if p, ok := producer[name]; ok && !available(name) {
				if p != i && !deps[p] {
					deps[p] = true
					indeg[i]++
					users[p] = append(users[p], i)
					if p > i {
						sorted = false
					}
				} else if p == i {
					missing[i] = true
				}
				return
			}
		}
		for _, in := range n.Inputs {
			need(in)
		}
		for _, sg := range n.Subgraphs() {
			for _, name := range sg.OuterRefs() {
				need(name)
			}
		}
	}
	if sorted {
		for i, n := range g.Nodes {
			if missing[i] {
				bad = append(bad, n)
			}
		}
		return g.Nodes, bad
	}
	queue := make([]int, 0, len(g.Nodes))
	for i := range g.Nodes {
		if indeg[i] == 0 {
			queue = append(queue, i)
		}
	}
	done := make([]bool, len(g.Nodes))
	for len(queue) > 0 {
		// Keep the file's order among ready nodes.
		sort.Ints(queue)
		i := queue[0]
		queue = queue[1:]
		done[i] = true
		order = append(order, g.Nodes[i])
		for _, u := range users[i] {
			indeg[u]--
			if indeg[u] == 0 {
				queue = append(queue, u)
			}
		}
	}
	for i, n := range g.Nodes {
		if !done[i] {
			bad = append(bad, n)
			order = append(order, n)
		}
	}
	return order, bad
}

func sortStrings(s []string) { sort.Strings(s) }
