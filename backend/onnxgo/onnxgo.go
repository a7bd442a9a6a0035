// Package onnxgo makes onnxrun a backend of github.com/owulveryck/onnx-go:
// a Graph implements onnx.Backend and Run() error (onnx-go's
// backend.ComputationBackend), so code written for onnx-go's gorgonnx
// backend keeps working with onnxrun's executor by swapping the
// constructor:
//
//	backend := onnxgo.NewGraph() // instead of gorgonnx.NewGraph()
//	model := onnx.NewModel(backend)
//	err := model.UnmarshalBinary(b)
//	err = model.SetInput(0, input)
//	err = backend.Run()
//	out, err := model.GetOutputTensors()
//
// onnx-go hands a backend the graph's nodes, edges and operations but not the
// model's opset imports. A Graph therefore infers the opset from the forms
// of the operators whose attributes became inputs (Clip's min and max in
// opset 11, Slice's starts in 10, Squeeze's axes in 13, ...; see
// opsetBounds), and runs the graph at the lowest opset, from DefaultOpset
// up to MaxOpset, that fits those forms and at which onnxrun accepts every
// operation. WithOpset fixes the opset instead. The first Run compiles
// the graph; later Runs reuse the compiled plan and read the inputs' current
// tensors. Every value an operation produces is kept and readable through
// its node's GetTensor after Run.
package onnxgo

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/onnxrun/onnxrun"
	onnxgraph "github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/ops"
	onnx "github.com/owulveryck/onnx-go"
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/simple"
	"gorgonia.org/tensor"
)

// DefaultOpset is the opset a Graph runs operators at when NewGraph is not
// given one: the opset of the ONNX releases onnx-go v0.5 was written
// against.
const DefaultOpset = 9

// MaxOpset is the highest opset a Graph tries when looking for one that
// fits its operations.
const MaxOpset = 21

// Graph is an onnx-go backend running on onnxrun. Build it through onnx-go
// (onnx.NewModel(g).UnmarshalBinary), then call Run. A Graph is not safe for
// concurrent use (onnx-go's model API sets inputs on shared nodes); use an
// onnxrun.Session directly for concurrent runs.
type Graph struct {
	g          *simple.WeightedDirectedGraph
	opset      int64
	fixedOpset bool
	threads    int

	nodes []*Node // by ID
	// in[n] lists the input edges of operation output node n, by position.
	in  map[int64][]inputEdge
	ops []*operation

	mu      sync.Mutex
	session *onnxrun.Session
	feeds   []*Node // graph inputs of the compiled model, in order
	omitted []*Node // inputs compiled as omitted (they had no tensor)
}

type inputEdge struct {
	to    *Node
	index int
}

type operation struct {
	op      onnx.Operation
	outputs []*Node
	attrs   []*onnxgraph.Attr
}

// Option configures a Graph.
type Option func(*Graph)

// WithOpset runs the graph's operators at opset version v of the default
// ONNX domain.
func WithOpset(v int64) Option { return func(g *Graph) { g.opset, g.fixedOpset = v, true } }

// WithThreads sets how many goroutines an operator may use (0: all cores).
func WithThreads(n int) Option { return func(g *Graph) { g.threads = n } }

// NewGraph returns an empty backend graph.
func NewGraph(opts ...Option) *Graph {
	g := &Graph{g: simple.NewWeightedDirectedGraph(0, 0), opset: DefaultOpset, in: map[int64][]inputEdge{}}
	for _, o := range opts {
		o(g)
	}
	return g
}

// Node is a value of the graph: an input, an initializer, or the output of
// an operation. It carries a tensor (onnx.DataCarrier) and a name.
type Node struct {
	id          int64
	name        string
	description string
	t           tensor.Tensor
	op          *operation
}

// ID returns the node's ID (graph.Node).
func (n *Node) ID() int64 { return n.id }

// SetTensor sets the node's value (an input before Run).
func (n *Node) SetTensor(t tensor.Tensor) error {
	n.t = t
	return nil
}

// GetTensor returns the node's value (an output after Run).
func (n *Node) GetTensor() tensor.Tensor { return n.t }

// SetName sets the node's name (onnx.Namer).
func (n *Node) SetName(name string) { n.name = name }

// GetName returns the node's name.
func (n *Node) GetName() string { return n.name }

// SetDescription sets the node's doc string (onnx.Documenter).
func (n *Node) SetDescription(s string) { n.description = s }

// GetDescription returns the node's doc string.
func (n *Node) GetDescription() string { return n.description }

// NewNode returns a new node. IDs count up from 0 in creation order, as
// onnx-go's Model.SetInput expects.
func (g *Graph) NewNode() graph.Node { return &Node{id: int64(len(g.nodes))} }

// AddNode adds a node made by NewNode.
func (g *Graph) AddNode(n graph.Node) {
	nn, ok := n.(*Node)
	if !ok {
		panic(fmt.Sprintf("onnxgo: AddNode of a %T, want a node from NewNode", n))
	}
	for int64(len(g.nodes)) <= nn.id {
		g.nodes = append(g.nodes, nil)
	}
	g.nodes[nn.id] = nn
	g.g.AddNode(nn)
	g.invalidate()
}

// NewWeightedEdge returns an edge from an operation's output node to one of
// its input nodes; the weight is the input's position.
func (g *Graph) NewWeightedEdge(from, to graph.Node, weight float64) graph.WeightedEdge {
	return simple.WeightedEdge{F: from, T: to, W: weight}
}

// SetWeightedEdge records an input edge. Unlike a simple graph, a Graph
// keeps several edges between the same two nodes (an operation may take
// one value as two inputs, as in Mul(x, x)).
func (g *Graph) SetWeightedEdge(e graph.WeightedEdge) {
	from, ok1 := e.From().(*Node)
	to, ok2 := e.To().(*Node)
	if !ok1 || !ok2 {
		panic("onnxgo: SetWeightedEdge between nodes not made by NewNode")
	}
	if from.id != to.id {
		g.g.SetWeightedEdge(e)
	}
	g.in[from.id] = append(g.in[from.id], inputEdge{to, int(e.Weight())})
	g.invalidate()
}

// Node returns the node with the given ID, or nil.
func (g *Graph) Node(id int64) graph.Node {
	if id < 0 || id >= int64(len(g.nodes)) || g.nodes[id] == nil {
		return nil
	}
	return g.nodes[id]
}

// Nodes returns all the nodes.
func (g *Graph) Nodes() graph.Nodes { return g.g.Nodes() }

// From returns the nodes an operation output node reads.
func (g *Graph) From(id int64) graph.Nodes { return g.g.From(id) }

// To returns the nodes that read the node.
func (g *Graph) To(id int64) graph.Nodes { return g.g.To(id) }

// HasEdgeBetween reports whether an edge joins x and y.
func (g *Graph) HasEdgeBetween(x, y int64) bool { return g.g.HasEdgeBetween(x, y) }

// HasEdgeFromTo reports whether an edge goes from u to v.
func (g *Graph) HasEdgeFromTo(u, v int64) bool { return g.g.HasEdgeFromTo(u, v) }

// Edge returns the edge from u to v, or nil.
func (g *Graph) Edge(u, v int64) graph.Edge { return g.g.Edge(u, v) }

// ApplyOperation makes nodes the outputs of operation o, whose inputs are
// the edges already set from the first of them. Operators onnxrun does not
// implement at the Graph's opset give an *onnx.ErrNotImplemented.
func (g *Graph) ApplyOperation(o onnx.Operation, nodes ...graph.Node) error {
	if len(nodes) == 0 {
		return fmt.Errorf("onnxgo: operation %s has no output node", o.Name)
	}
	if !g.known(o.Name) {
		return &onnx.ErrNotImplemented{Operator: o.Name, Message: fmt.Sprintf("onnxrun has no kernel for %s at opsets %d to %d", o.Name, g.opset, g.maxOpset())}
	}
	attrs, err := convertAttrs(o)
	if err != nil {
		return err
	}
	op := &operation{op: o, attrs: attrs}
	for _, n := range nodes {
		nn, ok := n.(*Node)
		if !ok {
			return fmt.Errorf("onnxgo: operation %s: output node is a %T", o.Name, n)
		}
		if nn.op != nil {
			return fmt.Errorf("onnxgo: node %q is the output of both %s and %s", nn.name, nn.op.op.Name, o.Name)
		}
		nn.op = op
		op.outputs = append(op.outputs, nn)
	}
	g.ops = append(g.ops, op)
	g.invalidate()
	return nil
}

func (g *Graph) maxOpset() int64 {
	if g.fixedOpset {
		return g.opset
	}
	return max(g.opset, MaxOpset)
}

// known reports whether onnxrun implements op at an opset the graph may use.
func (g *Graph) known(op string) bool {
	for v := g.opset; v <= g.maxOpset(); v++ {
		if _, _, ok := ops.Lookup("", op, v); ok {
			return true
		}
	}
	return false
}

func (g *Graph) invalidate() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.session != nil {
		g.session.Close()
		g.session = nil
	}
}

// valueName is the name of a node's value in the compiled model.
func (n *Node) valueName() string {
	if n.name != "" {
		return n.name
	}
	return "onnxgo_value_" + strconv.FormatInt(n.id, 10)
}

// Run computes every operation's outputs from the current tensors of the
// input and initializer nodes, and sets them on the output nodes.
func (g *Graph) Run() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range g.omitted {
		if n.t != nil && g.session != nil { // an omitted input was set since
			g.session.Close()
			g.session = nil
		}
	}
	if g.session == nil {
		if err := g.compile(); err != nil {
			return err
		}
	}
	in := make(map[string]ops.Value, len(g.feeds))
	for _, n := range g.feeds {
		d, ok := n.t.(*tensor.Dense)
		if !ok {
			return fmt.Errorf("onnxgo: input %q holds a %T, want a *tensor.Dense", n.name, n.t)
		}
		t, err := onnxrun.FromDense(d)
		if err != nil {
			return fmt.Errorf("onnxgo: input %q: %w", n.name, err)
		}
		in[n.valueName()] = t
	}
	out, err := g.session.RunValues(context.Background(), in)
	if err != nil {
		return err
	}
	for _, op := range g.ops {
		for _, n := range op.outputs {
			v, ok := out[n.valueName()]
			if !ok {
				continue
			}
			t, ok := v.(*ops.Tensor)
			if !ok {
				return fmt.Errorf("onnxgo: output %q is a %T; onnx-go carries only tensors", n.name, v)
			}
			d, err := onnxrun.ToDense(t)
			if err != nil {
				return fmt.Errorf("onnxgo: output %q: %w", n.name, err)
			}
			n.t = d
		}
	}
	return nil
}

// compile builds an onnxrun model from the nodes and operations: values no
// operation produces and that carry a tensor are graph inputs (fed at each
// Run with their current tensor); those without a tensor are omitted
// optional inputs (onnx-go also makes one up for operators without inputs);
// every operation output is a graph output.
func (g *Graph) compile() error {
	m := &onnxgraph.Model{IRVersion: 4, Opsets: map[string]int64{"": g.opset}, Graph: &onnxgraph.Graph{Name: "onnxgo"}}
	gr := m.Graph
	g.feeds, g.omitted = nil, nil
	isFeed := map[int64]bool{}
	for _, op := range g.ops {
		node := &onnxgraph.Node{Name: op.outputs[0].valueName(), OpType: op.op.Name, Attrs: op.attrs}
		edges := append([]inputEdge(nil), g.in[op.outputs[0].id]...)
		sort.SliceStable(edges, func(i, j int) bool { return edges[i].index < edges[j].index })
		for _, e := range edges {
			if e.index < 0 || e.index > len(edges) {
				return fmt.Errorf("onnxgo: operation %s: input position %d", op.op.Name, e.index)
			}
			for len(node.Inputs) < e.index {
				node.Inputs = append(node.Inputs, "")
			}
			name := ""
			if e.to.op != nil || e.to.t != nil {
				name = e.to.valueName()
			}
			if e.to.op == nil && !isFeed[e.to.id] {
				isFeed[e.to.id] = true
				if e.to.t != nil {
					g.feeds = append(g.feeds, e.to)
				} else {
					g.omitted = append(g.omitted, e.to)
				}
			}
			if len(node.Inputs) == e.index {
				node.Inputs = append(node.Inputs, name)
			} else {
				node.Inputs[e.index] = name
			}
		}
		for len(node.Inputs) > 0 && node.Inputs[len(node.Inputs)-1] == "" {
			node.Inputs = node.Inputs[:len(node.Inputs)-1]
		}
		for _, o := range op.outputs {
			node.Outputs = append(node.Outputs, o.valueName())
			gr.Outputs = append(gr.Outputs, &onnxgraph.ValueInfo{Name: o.valueName()})
		}
		gr.Nodes = append(gr.Nodes, node)
	}
	for _, n := range g.feeds {
		d, ok := n.t.(*tensor.Dense)
		if !ok {
			return fmt.Errorf("onnxgo: input %q holds a %T, want a *tensor.Dense", n.name, n.t)
		}
		dt, err := onnxrun.DTypeOf(d.Dtype())
		if err != nil {
			return fmt.Errorf("onnxgo: input %q: %w", n.name, err)
		}
		// Declared without a shape: onnx-go's placeholders do not keep
		// symbolic dims, so shapes are checked by the operators.
		gr.Inputs = append(gr.Inputs, &onnxgraph.ValueInfo{Name: n.valueName(), Type: &onnxgraph.Type{Kind: onnxgraph.TypeTensor, Elem: dt}})
	}
	lo, hi := g.opset, g.maxOpset()
	if !g.fixedOpset {
		for _, node := range gr.Nodes {
			l, h := opsetBounds(node)
			lo, hi = max(lo, l), min(hi, h)
		}
		if lo > hi {
			return fmt.Errorf("onnxgo: the operators' forms fit no single opset (attribute forms end before %d, input forms start at %d)", hi+1, lo)
		}
	}
	var first error
	for v := lo; v <= hi; v++ {
		m.Opsets[""] = v
		s, err := onnxrun.FromModel(m, onnxrun.WithThreads(g.threads))
		if err == nil {
			g.session = s
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// convertAttrs turns onnx-go's attribute values into attributes.
func convertAttrs(o onnx.Operation) ([]*onnxgraph.Attr, error) {
	names := make([]string, 0, len(o.Attributes))
	for k := range o.Attributes {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []*onnxgraph.Attr
	for _, name := range names {
		a := &onnxgraph.Attr{Name: name}
		switch v := o.Attributes[name].(type) {
		case struct{}:
			continue
		case float32:
			a.Type, a.F = onnxgraph.AttrFloat, v
		case int64:
			a.Type, a.I = onnxgraph.AttrInt, v
		case string:
			a.Type, a.S = onnxgraph.AttrString, []byte(v)
		case []float32:
			a.Type, a.Floats = onnxgraph.AttrFloats, v
		case []int64:
			a.Type, a.Ints = onnxgraph.AttrInts, v
		case []string:
			a.Type = onnxgraph.AttrStrings
			for _, s := range v {
				a.Strings = append(a.Strings, []byte(s))
			}
		case *tensor.Dense:
			t, err := onnxrun.FromDense(v)
			if err != nil {
				return nil, fmt.Errorf("onnxgo: operation %s attribute %s: %w", o.Name, name, err)
			}
			gt, err := t.ToGraph(name)
			if err != nil {
				return nil, fmt.Errorf("onnxgo: operation %s attribute %s: %w", o.Name, name, err)
			}
			a.Type, a.T = onnxgraph.AttrTensor, gt
		default:
			return nil, &onnx.ErrNotImplemented{Operator: o.Name, AttributeName: name, AttributeValue: v, Message: fmt.Sprintf("attribute of Go type %T", v)}
		}
		out = append(out, a)
	}
	return out, nil
}

// opsetBounds returns the range of opsets whose schema of node's operator
// has the form the node uses, for operators that moved attributes to inputs
// (or gained inputs); other operators fit any opset.
func opsetBounds(n *onnxgraph.Node) (lo, hi int64) {
	lo, hi = 1, 1<<30
	has := func(attr string) bool {
		for _, a := range n.Attrs {
			if a.Name == attr {
				return true
			}
		}
		return false
	}
	inputs := len(n.Inputs)
	// form picks the range of the input form (from opset v) or of the
	// attribute form (before v).
	form := func(v int64, inputForm bool) {
		if inputForm {
			lo = v
		} else {
			hi = v - 1
		}
	}
	switch n.OpType {
	case "Clip":
		if has("min") || has("max") {
			form(11, false)
		} else if inputs > 1 {
			form(11, true)
		}
	case "Slice":
		form(10, !has("starts"))
	case "TopK":
		form(10, !has("k"))
	case "Pad":
		form(11, !has("pads"))
	case "Upsample":
		form(9, !has("scales"))
	case "Resize":
		if inputs > 2 {
			form(11, true)
		}
	case "Dropout":
		if inputs > 1 {
			form(12, true)
		}
	case "Squeeze", "Unsqueeze", "ReduceSum":
		if has("axes") {
			form(13, false)
		} else if inputs > 1 {
			form(13, true)
		}
	case "Split":
		if has("split") {
			form(13, false)
		} else if inputs > 1 {
			form(13, true)
		}
	case "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
		"ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare":
		if has("axes") {
			form(18, false)
		} else if inputs > 1 {
			form(18, true)
		}
	}
	return lo, hi
}
