package graph

import (
	"container/heap"
	"fmt"
	"sort"
)

// Validate checks the model's structure: that it has a graph, that the
// graph and every subgraph and function body are consistent (see
// Graph.Validate), and that the default domain is imported when a node
// uses it. Decode and Load do not call it, so that tools can still show
// inconsistent models; an executor should. Errors are *ValidationError.
func (m *Model) Validate() error {
	if m.Graph == nil {
		return &ValidationError{Msg: "model has no graph"}
	}
	if err := m.Graph.validate(nil, 0); err != nil {
		return err
	}
	if _, ok := m.Opsets[""]; !ok && m.IRVersion >= 3 && usesDefaultDomain(m.Graph, 0) {
		return &ValidationError{Msg: "nodes use the default domain, which the model does not import"}
	}
	for i, f := range m.Functions {
		if err := f.validate(); err != nil {
			err.Where = fmt.Sprintf("function %d %q %s", i, f.Domain+"."+f.Name, err.Where)
			return err
		}
	}
	return nil
}

// Validate checks that the graph is consistent on its own (a main graph):
// every value has one producer (a graph input, an initializer or a node
// output), every node input and graph output is produced in the graph or,
// for subgraphs, in an enclosing one, the nodes have no cycle, names that
// ONNX requires are not empty, and no two inputs share a name. An empty
// name is legal for an omitted optional node input or output. Errors name
// the node by index, op type and name.
func (g *Graph) Validate() error {
	if err := g.validate(nil, 0); err != nil {
		return err
	}
	return nil
}

// scope is the set of value names visible from a graph: its own and, via
// outer, those of the graphs that enclose it.
type scope struct {
	names map[string]bool
	outer *scope
}

func (s *scope) has(name string) bool {
	for ; s != nil; s = s.outer {
		if s.names[name] {
			return true
		}
	}
	return false
}

func (g *Graph) validate(outer *scope, depth int) *ValidationError {
	if depth > MaxGraphDepth {
		return &ValidationError{Msg: fmt.Sprintf("subgraphs nested deeper than %d", MaxGraphDepth)}
	}
	sc := &scope{names: map[string]bool{}, outer: outer}
	for i, in := range g.Inputs {
		if in == nil || in.Name == "" {
			return &ValidationError{Where: fmt.Sprintf("input %d", i), Msg: "graph input has no name"}
		}
		if sc.names[in.Name] {
			return &ValidationError{Where: fmt.Sprintf("input %d", i), Msg: fmt.Sprintf("duplicate graph input name %q", in.Name)}
		}
		sc.names[in.Name] = true
	}
	inits := map[string]bool{}
	addInit := func(where, name string) *ValidationError {
		if name == "" {
			return &ValidationError{Where: where, Msg: "initializer has no name"}
		}
		if inits[name] {
			return &ValidationError{Where: where, Msg: fmt.Sprintf("duplicate initializer %q", name)}
		}
		inits[name] = true
		sc.names[name] = true // an initializer may also be declared as an input
		return nil
	}
	for i, t := range g.Initializers {
		if t == nil {
			return &ValidationError{Where: fmt.Sprintf("initializer %d", i), Msg: "missing tensor"}
		}
		if err := addInit(fmt.Sprintf("initializer %d", i), t.Name); err != nil {
			return err
		}
	}
	for i, s := range g.SparseInitializers {
		if s == nil || s.Values == nil {
			return &ValidationError{Where: fmt.Sprintf("sparse_initializer %d", i), Msg: "sparse initializer has no values"}
		}
		if err := addInit(fmt.Sprintf("sparse_initializer %d", i), s.Values.Name); err != nil {
			return err
		}
		if err := s.check(); err != nil {
			return &ValidationError{Where: fmt.Sprintf("sparse_initializer %d %q", i, s.Values.Name), Msg: err.Error()}
		}
	}
	for i, n := range g.Nodes {
		if n == nil {
			return &ValidationError{Where: fmt.Sprintf("node %d", i), Msg: "missing node"}
		}
		if n.OpType == "" {
			return &ValidationError{Where: nodeWhere(i, n), Msg: "node has no op type"}
		}
		for j, out := range n.Outputs {
			if out == "" {
				continue // an omitted optional output
			}
			if sc.names[out] {
				return &ValidationError{Where: nodeWhere(i, n), Msg: fmt.Sprintf("output %d %q is already produced by a graph input, an initializer or another node", j, out)}
			}
			sc.names[out] = true
		}
	}
	for i, n := range g.Nodes {
		for j, in := range n.Inputs {
			if in != "" && !sc.has(in) {
				return &ValidationError{Where: nodeWhere(i, n), Msg: fmt.Sprintf("input %d %q is not produced by any node, graph input or initializer", j, in)}
			}
		}
		for _, a := range n.Attrs {
			if a == nil {
				continue
			}
			sub := a.Graphs
			if a.G != nil {
				sub = append([]*Graph{a.G}, sub...)
			}
			for k, sg := range sub {
				if sg == nil {
					continue
				}
				if err := sg.validate(sc, depth+1); err != nil {
					w := fmt.Sprintf("attribute %q", a.Name)
					if a.Type == AttrGraphs {
						w = fmt.Sprintf("attribute %q graph %d", a.Name, k)
					}
					err.Where = joinWhere(nodeWhere(i, n)+" "+w, err.Where)
					return err
				}
			}
		}
	}
	outs := map[string]bool{}
	for i, out := range g.Outputs {
		if out == nil || out.Name == "" {
			return &ValidationError{Where: fmt.Sprintf("output %d", i), Msg: "graph output has no name"}
		}
		if outs[out.Name] {
			return &ValidationError{Where: fmt.Sprintf("output %d", i), Msg: fmt.Sprintf("duplicate graph output %q", out.Name)}
		}
		outs[out.Name] = true
		if !sc.has(out.Name) {
			return &ValidationError{Where: fmt.Sprintf("output %d", i), Msg: fmt.Sprintf("graph output %q is not produced by any node, graph input or initializer", out.Name)}
		}
	}
	if _, err := g.TopoOrder(); err != nil {
		return err.(*ValidationError)
	}
	return nil
}

// usesDefaultDomain reports whether a node of g or its subgraphs is in the
// default domain.
func usesDefaultDomain(g *Graph, depth int) bool {
	if depth > MaxGraphDepth {
		return false
	}
	for _, n := range g.Nodes {
		if n == nil {
			continue
		}
		if n.Domain == "" {
			return true
		}
		for _, sg := range n.Subgraphs() {
			if usesDefaultDomain(sg, depth+1) {
				return true
			}
		}
	}
	return false
}

func joinWhere(a, b string) string {
	if b == "" {
		return a
	}
	return a + " " + b
}

// validate checks a function body like a graph: inputs are the function's
// inputs, every node input is produced, every output is produced once.
func (f *Function) validate() *ValidationError {
	g := &Graph{Nodes: f.Nodes}
	for _, in := range f.Inputs {
		g.Inputs = append(g.Inputs, &ValueInfo{Name: in})
	}
	for _, out := range f.Outputs {
		g.Outputs = append(g.Outputs, &ValueInfo{Name: out})
	}
	return g.validate(nil, 0)
}

// TopoOrder returns the graph's nodes in an order where every node comes
// after the producers of its inputs, including values its subgraphs use
// from this graph. Among nodes that are ready together, file order is kept,
// so a graph already in order comes back unchanged. Values that no node of
// the graph produces (inputs, initializers, outer-scope values) impose no
// order. A cycle is an error naming one node on it.
func (g *Graph) TopoOrder() ([]*Node, error) {
	producer := map[string]int{}
	for i, n := range g.Nodes {
		if n == nil {
			continue
		}
		for _, out := range n.Outputs {
			if _, dup := producer[out]; out != "" && !dup {
				producer[out] = i
			}
		}
	}
	users := make([][]int, len(g.Nodes))
	indeg := make([]int, len(g.Nodes))
	for i, n := range g.Nodes {
		if n == nil {
			continue
		}
		seen := map[int]bool{}
		dep := func(name string) {
			if p, ok := producer[name]; ok && !seen[p] {
				seen[p] = true
				users[p] = append(users[p], i)
				indeg[i]++
			}
		}
		for _, in := range n.Inputs {
			if in != "" {
				dep(in)
			}
		}
		for _, sg := range n.Subgraphs() {
			for name := range sg.outerRefs(0) {
				dep(name)
			}
		}
	}
	ready := &intHeap{}
	for i := range g.Nodes {
		if indeg[i] == 0 {
			heap.Push(ready, i)
		}
	}
	order := make([]*Node, 0, len(g.Nodes))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		order = append(order, g.Nodes[i])
		for _, u := range users[i] {
			indeg[u]--
			if indeg[u] == 0 {
				heap.Push(ready, u)
			}
		}
	}
	if len(order) != len(g.Nodes) {
		for i, n := range g.Nodes {
			if indeg[i] > 0 {
				return nil, &ValidationError{Where: nodeWhere(i, n), Msg: "node is on a cycle (or depends on one)"}
			}
		}
	}
	return order, nil
}

// OuterRefs returns, sorted, the names g and its nested subgraphs read
// (node inputs and graph outputs) but do not define as an input,
// initializer or node output: the values a subgraph takes from the
// enclosing scopes.
func (g *Graph) OuterRefs() []string {
	refs := g.outerRefs(0)
	out := make([]string, 0, len(refs))
	for name := range refs {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// outerRefs returns the names g (and its subgraphs) use but does not
// define: the values it takes from enclosing scopes.
func (g *Graph) outerRefs(depth int) map[string]bool {
	refs := map[string]bool{}
	if depth > MaxGraphDepth {
		return refs
	}
	defined := map[string]bool{}
	for _, in := range g.Inputs {
		if in != nil {
			defined[in.Name] = true
		}
	}
	for _, t := range g.Initializers {
		if t != nil {
			defined[t.Name] = true
		}
	}
	for _, s := range g.SparseInitializers {
		if s != nil && s.Values != nil {
			defined[s.Values.Name] = true
		}
	}
	for _, n := range g.Nodes {
		if n == nil {
			continue
		}
		for _, out := range n.Outputs {
			defined[out] = true
		}
	}
	use := func(name string) {
		if name != "" && !defined[name] {
			refs[name] = true
		}
	}
	for _, n := range g.Nodes {
		if n == nil {
			continue
		}
		for _, in := range n.Inputs {
			use(in)
		}
		for _, sg := range n.Subgraphs() {
			for name := range sg.outerRefs(depth + 1) {
				use(name)
			}
		}
	}
	for _, out := range g.Outputs {
		if out != nil {
			use(out.Name)
		}
	}
	return refs
}

// intHeap is a min-heap of node indices.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// check checks a sparse tensor's layout: 1-D values, int64 indices of shape
// [NNZ] (linear) or [NNZ, rank] (coordinates), each within the dense shape.
func (s *SparseTensor) check() error {
	if len(s.Values.Dims) != 1 {
		return fmt.Errorf("values have shape %v, want 1-D", s.Values.Dims)
	}
	nnz := s.Values.Dims[0]
	dense := NumElements(s.Dims)
	if dense < 0 {
		return fmt.Errorf("dims %v overflow or are negative", s.Dims)
	}
	if s.Indices == nil {
		if nnz != 0 {
			return fmt.Errorf("%d values but no indices", nnz)
		}
		return nil
	}
	if s.Indices.DType != Int64 {
		return fmt.Errorf("indices are %s, want int64", s.Indices.DType)
	}
	d := s.Indices.Dims
	linear := len(d) == 1 && d[0] == nnz
	coords := len(d) == 2 && d[0] == nnz && d[1] == int64(len(s.Dims))
	if !linear && !coords {
		return fmt.Errorf("indices have shape %v, want [%d] or [%d %d]", d, nnz, nnz, len(s.Dims))
	}
	data, err := s.Indices.Data()
	if err != nil {
		return err
	}
	for k, v := range data.([]int64) {
		bound := dense
		if coords {
			bound = s.Dims[k%len(s.Dims)]
		}
		if v < 0 || v >= bound {
			return fmt.Errorf("index %d is %d, outside [0, %d)", k, v, bound)
		}
	}
	return nil
}
