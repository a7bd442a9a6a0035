// Package optimize rewrites an ONNX model's main graph before it is
// compiled for execution: it removes no-op nodes, folds constants and
// shape computations, folds BatchNormalization and per-channel Mul/Add into
// the preceding Conv's weights, and fuses Conv/Gemm/MatMul with a following
// residual Add and activation into one node of the ops.FusedDomain domain,
// and a BatchNormalization left standing (with the activation after it)
// into one ChannelAffine node of that domain, and ShuffleNet's channel
// shuffle after a Concat into one ConcatShuffle node.
//
// The passes never modify the model they are given: Model returns a new
// model that shares the unchanged nodes and initializers with it. The
// graph's inputs and outputs (names, order, types) are kept.
package optimize

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/infer"
	"github.com/onnxrun/onnxrun/ops"
)

// Level selects which passes run.
type Level int

// Optimization levels; each includes the passes of the levels before it.
const (
	// LevelNone leaves the model as it is.
	LevelNone Level = iota
	// LevelBasic removes Identity and inference-mode Dropout nodes and folds
	// constant and shape-only computations.
	LevelBasic
	// LevelExtended adds Conv+BatchNormalization and Conv+Mul/Add folding
	// and the fusion of activations and residual Adds into Conv, Gemm and
	// MatMul.
	LevelExtended
	// LevelAll is every pass.
	LevelAll = LevelExtended
)

// DefaultMaxFoldElements bounds the element count of a value constant
// folding may create.
const DefaultMaxFoldElements = 1 << 20

// Options tune Model.
type Options struct {
	Level Level
	// MaxFoldElements bounds the size of each folded value (0:
	// DefaultMaxFoldElements); larger values stay computed at run time.
	MaxFoldElements int64
	// Bindings give values to symbolic dims for shape inference.
	Bindings map[string]int64
}

// Stats counts what the passes did.
type Stats struct {
	Eliminated  int // Identity and Dropout nodes removed
	Folded      int // nodes replaced by constants
	ShapeFolded int // shape computations replaced by constants
	ConvFolded  int // BatchNormalization, Mul and Add nodes folded into a Conv
	Fused       int // nodes merged into a fused node (the base node not counted)
	NormFused   int // BatchNormalization nodes made ChannelAffine (see fuseNormAct)
	Removed     int // initializers no node reads any more
}

// String summarizes the counts.
func (s Stats) String() string {
	return fmt.Sprintf("%d eliminated, %d folded, %d shape-folded, %d folded into Conv, %d fused, %d normalizations made affine, %d initializers removed",
		s.Eliminated, s.Folded, s.ShapeFolded, s.ConvFolded, s.Fused, s.NormFused, s.Removed)
}

// Model returns an optimized copy of m (m itself when the level is
// LevelNone) and what was done.
func Model(m *graph.Model, o Options) (out *graph.Model, st Stats, err error) {
	defer func() {
		// A pass that trips over a malformed model must not take the
		// caller down: report it, and the caller runs the model as given.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("optimize: internal error: %v", r)
		}
	}()
	if m == nil || m.Graph == nil {
		return nil, st, fmt.Errorf("optimize: model has no graph")
	}
	if o.Level <= LevelNone {
		return m, st, nil
	}
	if o.MaxFoldElements <= 0 {
		o.MaxFoldElements = DefaultMaxFoldElements
	}
	g := *m.Graph
	g.Nodes = slices.Clone(m.Graph.Nodes)
	g.Initializers = slices.Clone(m.Graph.Initializers)
	nm := *m
	nm.Graph = &g
	nm.Opsets = map[string]int64{}
	for k, v := range m.Opsets {
		nm.Opsets[k] = v
	}
	w := &work{m: &nm, g: &g, o: o, st: &st}
	w.index()
	w.eliminate()
	if err := w.fold(); err != nil {
		return nil, st, err
	}
	if o.Level >= LevelExtended {
		w.foldIntoConv()
		// Shape inference knows the standard ops only: the facts for
		// fuseNormAct are taken before fuse makes fused nodes (fusions
		// keep the names and types of the values they leave).
		facts := w.facts()
		if err := w.fuse(); err != nil {
			return nil, st, err
		}
		w.fuseNormAct(facts)
		w.fuseShuffle(facts)
	}
	w.removeDead()
	return &nm, st, nil
}

// work is the state of one optimization.
type work struct {
	m  *graph.Model
	g  *graph.Graph
	o  Options
	st *Stats

	inputs  map[string]bool // graph inputs
	outputs map[string]bool // graph outputs
	pinned  map[string]bool // read by a subgraph
	consts  map[string]*graph.Tensor
	used    map[string]bool // names taken (for fresh names)
	seq     int
}

func (w *work) index() {
	w.inputs, w.outputs, w.pinned, w.consts, w.used = map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]*graph.Tensor{}, map[string]bool{}
	for _, v := range w.g.Inputs {
		w.inputs[v.Name] = true
		w.used[v.Name] = true
	}
	for _, v := range w.g.Outputs {
		w.outputs[v.Name] = true
	}
	for _, t := range w.g.Initializers {
		w.used[t.Name] = true
		if !w.inputs[t.Name] {
			w.consts[t.Name] = t
		}
	}
	for _, n := range w.g.Nodes {
		for _, o := range n.Outputs {
			w.used[o] = true
		}
		for _, sg := range n.Subgraphs() {
			for _, name := range outerNames(sg) {
				w.pinned[name] = true
			}
		}
	}
}

// fresh returns an unused value name based on base.
func (w *work) fresh(base string) string {
	for {
		w.seq++
		name := base + "_opt" + strconv.Itoa(w.seq)
		if !w.used[name] {
			w.used[name] = true
			return name
		}
	}
}

// addConst adds an initializer and returns its name.
func (w *work) addConst(t *graph.Tensor) {
	w.g.Initializers = append(w.g.Initializers, t)
	w.consts[t.Name] = t
	w.used[t.Name] = true
}

// readers maps each value name to the nodes that read it.
func (w *work) readers() map[string][]*graph.Node {
	r := map[string][]*graph.Node{}
	for _, n := range w.g.Nodes {
		for _, in := range n.Inputs {
			if in != "" && !slices.Contains(r[in], n) {
				r[in] = append(r[in], n)
			}
		}
	}
	return r
}

// private reports whether value name is read only by the given readers
// count (and not by a subgraph), and is not a graph output.
func (w *work) private(name string, readers map[string][]*graph.Node, want int) bool {
	return !w.outputs[name] && !w.pinned[name] && !w.inputs[name] && len(readers[name]) == want
}

// drop removes the nodes in dead from the graph.
func (w *work) drop(dead map[*graph.Node]bool) {
	if len(dead) == 0 {
		return
	}
	out := w.g.Nodes[:0:0]
	for _, n := range w.g.Nodes {
		if !dead[n] {
			out = append(out, n)
		}
	}
	w.g.Nodes = out
}

// replace puts n2 in n's place.
func (w *work) replace(n, n2 *graph.Node) {
	for i, x := range w.g.Nodes {
		if x == n {
			w.g.Nodes[i] = n2
			return
		}
	}
}

// rename makes every node read to instead of from (a copy of each node
// changed, so the original model is untouched).
func (w *work) rename(from, to string) {
	for i, n := range w.g.Nodes {
		if !slices.Contains(n.Inputs, from) {
			continue
		}
		c := *n
		c.Inputs = slices.Clone(n.Inputs)
		for j, in := range c.Inputs {
			if in == from {
				c.Inputs[j] = to
			}
		}
		w.g.Nodes[i] = &c
	}
}

// eliminate removes Identity nodes and Dropout nodes in inference mode.
func (w *work) eliminate() {
	for changed := true; changed; {
		changed = false
		readers := w.readers()
		for _, n := range w.g.Nodes {
			if !w.isNoop(n, readers) {
				continue
			}
			x, y := n.Inputs[0], n.Outputs[0]
			switch {
			case !w.outputs[y] && !w.pinned[y]:
				w.drop(map[*graph.Node]bool{n: true})
				w.rename(y, x)
			case w.outputs[y] && !w.outputs[x] && !w.inputs[x] && !w.pinned[x] && w.consts[x] == nil && w.producer(x) != nil:
				// y is a graph output: the producer of x writes y instead.
				p := w.producer(x)
				c := *p
				c.Outputs = slices.Clone(p.Outputs)
				for j, o := range c.Outputs {
					if o == x {
						c.Outputs[j] = y
					}
				}
				w.replace(p, &c)
				w.drop(map[*graph.Node]bool{n: true})
				w.rename(x, y)
			default:
				continue
			}
			w.st.Eliminated++
			changed = true
			break
		}
	}
}

func (w *work) producer(name string) *graph.Node {
	for _, n := range w.g.Nodes {
		if slices.Contains(n.Outputs, name) {
			return n
		}
	}
	return nil
}

// isNoop reports whether n copies its first input to its only used output.
func (w *work) isNoop(n *graph.Node, readers map[string][]*graph.Node) bool {
	if n.Domain != "" || len(n.Inputs) == 0 || n.Inputs[0] == "" || len(n.Outputs) == 0 || n.Outputs[0] == "" {
		return false
	}
	switch n.OpType {
	case "Identity":
		return len(n.Outputs) == 1 && w.m.Opset("") >= 1
	case "Dropout":
		// The mask output must be unused.
		if len(n.Outputs) > 1 && n.Outputs[1] != "" && (len(readers[n.Outputs[1]]) > 0 || w.outputs[n.Outputs[1]] || w.pinned[n.Outputs[1]]) {
			return false
		}
		if w.m.Opset("") >= 12 {
			// training_mode (input 2) must be absent or a constant false.
			if len(n.Inputs) > 2 && n.Inputs[2] != "" {
				t := w.consts[n.Inputs[2]]
				if t == nil {
					return false
				}
				v, err := t.Data()
				b, ok := v.([]bool)
				if err != nil || !ok || len(b) != 1 || b[0] {
					return false
				}
			}
			return true
		}
		// Before opset 7, is_test chooses; the kernels run every Dropout in
		// inference mode, as other runtimes do.
		return true
	}
	return false
}

// removeDead drops initializers (that are not graph inputs) no node or
// output reads, and nodes whose outputs nobody reads (when they have no
// side effects: every op here is pure).
func (w *work) removeDead() {
	for changed := true; changed; {
		changed = false
		readers := w.readers()
		dead := map[*graph.Node]bool{}
		for _, n := range w.g.Nodes {
			live := false
			for _, o := range n.Outputs {
				if o != "" && (len(readers[o]) > 0 || w.outputs[o] || w.pinned[o]) {
					live = true
				}
			}
			if !live {
				dead[n] = true
			}
		}
		if len(dead) > 0 {
			w.drop(dead)
			changed = true
		}
	}
	readers := w.readers()
	out := w.g.Initializers[:0:0]
	for _, t := range w.g.Initializers {
		if w.inputs[t.Name] || w.outputs[t.Name] || w.pinned[t.Name] || len(readers[t.Name]) > 0 {
			out = append(out, t)
		} else {
			w.st.Removed++
			delete(w.consts, t.Name)
		}
	}
	w.g.Initializers = out
}

// outerNames lists the names a subgraph reads from the graphs around it.
func outerNames(g *graph.Graph) []string {
	defined := map[string]bool{}
	for _, in := range g.Inputs {
		defined[in.Name] = true
	}
	for _, t := range g.Initializers {
		defined[t.Name] = true
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			defined[o] = true
		}
	}
	var out []string
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" && !defined[in] {
				out = append(out, in)
			}
		}
		for _, sg := range n.Subgraphs() {
			for _, name := range outerNames(sg) {
				if !defined[name] {
					out = append(out, name)
				}
			}
		}
	}
	for _, o := range g.Outputs {
		if !defined[o.Name] {
			out = append(out, o.Name)
		}
	}
	return out
}

// facts runs shape inference over the current graph.
func (w *work) facts() map[string]infer.Fact {
	res, err := infer.Run(w.m, infer.Options{Bindings: w.o.Bindings})
	if err != nil || res == nil {
		return map[string]infer.Fact{}
	}
	return res.Values
}

// nondeterministic ops are never folded.
var nondeterministic = map[string]bool{
	"RandomNormal": true, "RandomUniform": true, "RandomNormalLike": true, "RandomUniformLike": true,
	"Multinomial": true, "Bernoulli": true, "Dropout": true,
}

// shapeOps are the ops whose integer results shape inference computes
// exactly; an output of one that inference knows is replaced by a constant.
var shapeOps = map[string]bool{
	"Shape": true, "Size": true, "Gather": true, "Slice": true, "Concat": true, "Unsqueeze": true,
	"Squeeze": true, "Reshape": true, "Cast": true,
}

// fold replaces shape computations that inference knows and nodes whose
// inputs are all constant by initializers.
func (w *work) fold() error {
	facts := w.facts()
	dead := map[*graph.Node]bool{}
	for _, n := range w.g.Nodes {
		if n.Domain != "" || len(n.Subgraphs()) > 0 || nondeterministic[n.OpType] {
			continue
		}
		if shapeOps[n.OpType] && len(n.Outputs) == 1 && !w.allConst(n) {
			if t := shapeConst(facts[n.Outputs[0]], n.Outputs[0]); t != nil {
				w.addConst(t)
				dead[n] = true
				w.st.ShapeFolded++
				continue
			}
		}
		if !w.allConst(n) {
			continue
		}
		if !w.foldable(n, facts) {
			continue
		}
		outs, err := w.evaluate(n)
		if err != nil {
			continue // left to run time, which reports the error
		}
		for _, t := range outs {
			w.addConst(t)
		}
		dead[n] = true
		w.st.Folded++
	}
	w.drop(dead)
	return nil
}

// allConst reports whether every input of n is a constant.
func (w *work) allConst(n *graph.Node) bool {
	for _, in := range n.Inputs {
		if in != "" && w.consts[in] == nil {
			return false
		}
	}
	return true
}

// foldable reports whether every output of n has a known shape within the
// size bound.
func (w *work) foldable(n *graph.Node, facts map[string]infer.Fact) bool {
	for _, o := range n.Outputs {
		if o == "" {
			continue
		}
		f, ok := facts[o]
		if !ok || f.Kind != infer.KindTensor || !f.Known() {
			return false
		}
		dims, _ := f.Shape.Consts()
		if e := graph.NumElements(dims); e < 0 || e > w.o.MaxFoldElements {
			return false
		}
		if w.pinned[o] {
			return false
		}
	}
	return true
}

// evaluate runs n once on its constant inputs with the ops kernels.
func (w *work) evaluate(n *graph.Node) ([]*graph.Tensor, error) {
	sub := &graph.Graph{Name: "fold", Nodes: []*graph.Node{n}}
	for _, in := range n.Inputs {
		if in != "" && !slices.ContainsFunc(sub.Initializers, func(t *graph.Tensor) bool { return t.Name == in }) {
			sub.Initializers = append(sub.Initializers, w.consts[in])
		}
	}
	for _, o := range n.Outputs {
		if o != "" {
			sub.Outputs = append(sub.Outputs, &graph.ValueInfo{Name: o})
		}
	}
	m := *w.m
	m.Graph = sub
	p, err := ops.Compile(&m, &ops.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	vals, err := p.Run(nil, nil)
	if err != nil {
		return nil, err
	}
	var out []*graph.Tensor
	for i, v := range vals {
		t, ok := v.(*ops.Tensor)
		if !ok {
			return nil, fmt.Errorf("optimize: %s gave a %T", n.OpType, v)
		}
		if int64(t.Len()) > w.o.MaxFoldElements {
			return nil, fmt.Errorf("optimize: %s gave %d elements", n.OpType, t.Len())
		}
		gt, err := t.ToGraph(sub.Outputs[i].Name)
		if err != nil {
			return nil, err
		}
		out = append(out, gt)
	}
	return out, nil
}

// shapeConst returns the tensor a fact's known integer value describes, or
// nil.
func shapeConst(f infer.Fact, name string) *graph.Tensor {
	if f.Kind != infer.KindTensor || !f.Known() || f.Value == nil || len(f.Shape) > 1 {
		return nil
	}
	dims, _ := f.Shape.Consts()
	if graph.NumElements(dims) != int64(len(f.Value)) || len(f.Value) > 64 {
		return nil
	}
	vals := make([]int64, len(f.Value))
	for i, d := range f.Value {
		v, ok := d.Value()
		if !ok {
			return nil
		}
		vals[i] = v
	}
	var data any
	switch f.DType {
	case graph.Int64:
		data = vals
	case graph.Int32:
		v32 := make([]int32, len(vals))
		for i, v := range vals {
			if int64(int32(v)) != v {
				return nil
			}
			v32[i] = int32(v)
		}
		data = v32
	default:
		return nil
	}
	t, err := graph.NewTensor(name, dims, data)
	if err != nil {
		return nil
	}
	return t
}
