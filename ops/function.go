package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
)

// Model-local functions (ModelProto.functions). A node whose (domain, op
// type, overload) names one and that no registered kernel implements is
// compiled by expanding the function's body: attribute references
// (ref_attr_name) take the calling node's attributes or the function's
// defaults, omitted inputs stay omitted, and the body runs in its own scope
// with the caller's inputs bound to the function's inputs in order.

// findFunction returns the model-local function a node calls, or nil.
func findFunction(m *graph.Model, domain, op, overload string) *graph.Function {
	if m == nil {
		return nil
	}
	for _, f := range m.Functions {
		fd := f.Domain
		if fd == "ai.onnx" {
			fd = ""
		}
		if fd == domain && f.Name == op && f.Overload == overload {
			return f
		}
	}
	return nil
}

// lookupFunction is the registry fallback of compile for model-local functions.
func lookupFunction(m *graph.Model, n *graph.Node) (Factory, Spec, bool) {
	f := findFunction(m, n.Domain, n.OpType, n.Overload)
	if f == nil {
		return nil, Spec{}, false
	}
	return func(b *Build) (Kernel, error) { return newFunctionCall(b, f) }, Spec{Domain: n.Domain, Op: n.OpType}, true
}

// functionCycle reports whether f calls itself, directly or through other
// model-local functions.
func functionCycle(m *graph.Model, f *graph.Function) bool {
	state := map[*graph.Function]int{} // 1: on the path, 2: done
	var visit func(g *graph.Function) bool
	var nodes func(ns []*graph.Node) bool
	nodes = func(ns []*graph.Node) bool {
		for _, n := range ns {
			if c := findFunction(m, n.Domain, n.OpType, n.Overload); c != nil && visit(c) {
				return true
			}
			for _, sg := range n.Subgraphs() {
				if nodes(sg.Nodes) {
					return true
				}
			}
		}
		return false
	}
	visit = func(g *graph.Function) bool {
		switch state[g] {
		case 1:
			return true
		case 2:
			return false
		}
		state[g] = 1
		if nodes(g.Nodes) {
			return true
		}
		state[g] = 2
		return false
	}
	return visit(f)
}

type functionKernel struct {
	body *Plan
	// feed[i] is the caller input bound to body input i, or -1 when omitted.
	feed []int
	nOut int
}

func newFunctionCall(b *Build, f *graph.Function) (Kernel, error) {
	if functionCycle(b.Model, f) {
		return nil, b.Errorf("model-local function %s is recursive", f.Name)
	}
	if n := expandedSize(b.Model, f); n > MaxExpandedNodes {
		return nil, b.Errorf("model-local function %s expands to %d nodes, more than %d", f.Name, n, MaxExpandedNodes)
	}
	n := b.Node
	if len(n.Inputs) > len(f.Inputs) {
		return nil, b.Errorf("function %s takes %d inputs, node gives %d", f.Name, len(f.Inputs), len(n.Inputs))
	}
	if len(n.Outputs) > len(f.Outputs) {
		return nil, b.Errorf("function %s has %d outputs, node wants %d", f.Name, len(f.Outputs), len(n.Outputs))
	}
	// Omitted inputs become omitted inputs of the body's nodes.
	omitted := map[string]bool{}
	g := &graph.Graph{Name: f.Name}
	k := &functionKernel{nOut: len(n.Outputs)}
	for i, name := range f.Inputs {
		if i >= len(n.Inputs) || n.Inputs[i] == "" {
			omitted[name] = true
			continue
		}
		g.Inputs = append(g.Inputs, &graph.ValueInfo{Name: name})
		k.feed = append(k.feed, i)
	}
	for _, name := range f.Outputs {
		g.Outputs = append(g.Outputs, &graph.ValueInfo{Name: name})
	}
	defaults := map[string]*graph.Attr{}
	for _, a := range f.AttributeProto {
		defaults[a.Name] = a
	}
	var err error
	if g.Nodes, err = expandNodes(f.Nodes, n, defaults, omitted); err != nil {
		return nil, b.Errorf("function %s: %v", f.Name, err)
	}
	g.ValueInfo = f.ValueInfo
	fm := *b.Model
	fm.Opsets = map[string]int64{}
	for d, v := range b.Model.Opsets {
		fm.Opsets[d] = v
	}
	for d, v := range f.Opsets {
		if d == "ai.onnx" {
			d = ""
		}
		fm.Opsets[d] = v
	}
	p, err := compile(&fm, g, b.plan.opts, nil)
	if err != nil {
		return nil, fmt.Errorf("ops: node %q calls function %s: %w", n.Name, f.Name, err)
	}
	k.body = p
	return k, nil
}

// expandNodes copies body nodes with attribute references resolved against
// the caller's attributes (then the function's defaults) and omitted inputs
// blanked, recursing into subgraphs.
func expandNodes(ns []*graph.Node, caller *graph.Node, defaults map[string]*graph.Attr, omitted map[string]bool) ([]*graph.Node, error) {
	out := make([]*graph.Node, 0, len(ns))
	for _, n := range ns {
		c := *n
		c.Inputs = append([]string{}, n.Inputs...)
		for i, in := range c.Inputs {
			if omitted[in] {
				c.Inputs[i] = ""
			}
		}
		c.Attrs = nil
		for _, a := range n.Attrs {
			if a.RefAttrName != "" {
				src := caller.Attr(a.RefAttrName)
				if src == nil {
					src = defaults[a.RefAttrName]
				}
				if src == nil {
					continue // unset: the op's own default applies
				}
				if src.Type != a.Type && a.Type != graph.AttrUndefined {
					return nil, fmt.Errorf("node %q: attribute %q refers to %q of type %s, want %s", n.Name, a.Name, a.RefAttrName, src.Type, a.Type)
				}
				r := *src
				r.Name = a.Name
				r.RefAttrName = ""
				c.Attrs = append(c.Attrs, &r)
				continue
			}
			if a.G == nil && len(a.Graphs) == 0 {
				c.Attrs = append(c.Attrs, a)
				continue
			}
			r := *a
			if a.G != nil {
				g, err := expandGraph(a.G, caller, defaults, omitted)
				if err != nil {
					return nil, err
				}
				r.G = g
			}
			r.Graphs = nil
			for _, sg := range a.Graphs {
				g, err := expandGraph(sg, caller, defaults, omitted)
				if err != nil {
					return nil, err
				}
				r.Graphs = append(r.Graphs, g)
			}
			c.Attrs = append(c.Attrs, &r)
		}
		out = append(out, &c)
	}
	return out, nil
}

func expandGraph(g *graph.Graph, caller *graph.Node, defaults map[string]*graph.Attr, omitted map[string]bool) (*graph.Graph, error) {
	c := *g
	var err error
	c.Nodes, err = expandNodes(g.Nodes, caller, defaults, omitted)
	return &c, err
}

func (k *functionKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	args := make([]Value, len(k.feed))
	for i, j := range k.feed {
		if j < len(in) {
			args[i] = in[j]
		}
	}
	outs, err := k.body.runNested(rc, args)
	if err != nil {
		return nil, err
	}
	return outs[:min(k.nOut, len(outs))], nil
}
