package graph

import (
	"errors"
	"strings"
	"testing"
)

func vis(names ...string) []*ValueInfo {
	var out []*ValueInfo
	for _, n := range names {
		out = append(out, &ValueInfo{Name: n})
	}
	return out
}

func nd(op, name string, ins, outs []string, attrs ...*Attr) *Node {
	return &Node{OpType: op, Name: name, Inputs: ins, Outputs: outs, Attrs: attrs}
}

func ss(s ...string) []string { return s }

func TestValidate(t *testing.T) {
	w, _ := NewTensor("w", []int64{1}, []float32{1})
	body := func(nodes ...*Node) *Attr {
		return &Attr{Name: "then_branch", Type: AttrGraph, G: &Graph{Nodes: nodes, Outputs: vis("t")}}
	}
	tests := []struct {
		name string
		g    *Graph
		want string // "" for valid
	}{
		{"chain", &Graph{Inputs: vis("x"), Initializers: []*Tensor{w}, Outputs: vis("z"),
			Nodes: []*Node{nd("Add", "a", ss("x", "w"), ss("y")), nd("Relu", "r", ss("y"), ss("z"))}}, ""},
		{"out of order is fine", &Graph{Inputs: vis("x"), Outputs: vis("z"),
			Nodes: []*Node{nd("Relu", "r", ss("y"), ss("z")), nd("Neg", "n", ss("x"), ss("y"))}}, ""},
		{"omitted optionals", &Graph{Inputs: vis("x"), Outputs: vis("y"),
			Nodes: []*Node{nd("Clip", "c", ss("x", "", ""), ss("y", ""))}}, ""},
		{"initializer also an input", &Graph{Inputs: vis("x", "w"), Initializers: []*Tensor{w}, Outputs: vis("y"),
			Nodes: []*Node{nd("Add", "a", ss("x", "w"), ss("y"))}}, ""},
		{"subgraph uses outer value", &Graph{Inputs: vis("c", "x"), Outputs: vis("y"),
			Nodes: []*Node{nd("If", "if", ss("c"), ss("y"), body(nd("Neg", "n", ss("x"), ss("t"))))}}, ""},
		{"undefined input", &Graph{Inputs: vis("x"), Outputs: vis("y"),
			Nodes: []*Node{nd("Relu", "r", ss("x"), ss("z")), nd("Add", "a", ss("z", "q"), ss("y"))}},
			`node 1 (Add "a"): input 1 "q" is not produced by any node, graph input or initializer`},
		{"undefined in subgraph", &Graph{Inputs: vis("c"), Outputs: vis("y"),
			Nodes: []*Node{nd("If", "if", ss("c"), ss("y"), body(nd("Neg", "n", ss("x"), ss("t"))))}},
			`node 0 (If "if") attribute "then_branch" node 0 (Neg "n"): input 0 "x" is not produced`},
		{"produced twice", &Graph{Inputs: vis("x"), Outputs: vis("y"),
			Nodes: []*Node{nd("Relu", "r", ss("x"), ss("y")), nd("Neg", "n", ss("x"), ss("y"))}},
			`node 1 (Neg "n"): output 0 "y" is already produced`},
		{"output shadows input", &Graph{Inputs: vis("x"), Outputs: vis("x"),
			Nodes: []*Node{nd("Relu", "r", ss("x"), ss("x"))}},
			`node 0 (Relu "r"): output 0 "x" is already produced`},
		{"cycle", &Graph{Inputs: vis("x"), Outputs: vis("z"),
			Nodes: []*Node{nd("Add", "a", ss("x", "z"), ss("y")), nd("Relu", "r", ss("y"), ss("z"))}},
			`node 0 (Add "a"): node is on a cycle`},
		{"cycle through subgraph", &Graph{Inputs: vis("c"), Outputs: vis("y"),
			Nodes: []*Node{nd("If", "if", ss("c"), ss("y"), body(nd("Neg", "n", ss("y2"), ss("t")))), nd("Relu", "r", ss("y"), ss("y2"))}},
			`node 0 (If "if"): node is on a cycle`},
		{"duplicate input", &Graph{Inputs: vis("x", "x"), Outputs: vis("x")}, `input 1: duplicate graph input name "x"`},
		{"empty input name", &Graph{Inputs: vis(""), Outputs: vis("x")}, `input 0: graph input has no name`},
		{"empty output name", &Graph{Inputs: vis("x"), Outputs: vis("")}, `output 0: graph output has no name`},
		{"output not produced", &Graph{Inputs: vis("x"), Outputs: vis("y")}, `output 0: graph output "y" is not produced`},
		{"no op type", &Graph{Inputs: vis("x"), Outputs: vis("y"), Nodes: []*Node{nd("", "n", ss("x"), ss("y"))}}, `node 0 ( "n"): node has no op type`},
		{"duplicate initializer", &Graph{Initializers: []*Tensor{w, w}}, `initializer 1: duplicate initializer "w"`},
	}
	for _, tc := range tests {
		err := tc.g.Validate()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var ve *ValidationError
		if err == nil || !errors.As(err, &ve) || !strings.HasPrefix(err.Error(), "graph: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestValidateSparse(t *testing.T) {
	vals, _ := NewTensor("s", []int64{2}, []float32{1, 2})
	lin, _ := NewTensor("", []int64{2}, []int64{0, 3})
	coo, _ := NewTensor("", []int64{2, 2}, []int64{0, 0, 1, 1})
	out, _ := NewTensor("", []int64{2}, []int64{0, 4})
	i32, _ := NewTensor("", []int64{2}, []int32{0, 3})
	tests := []struct {
		s    *SparseTensor
		want string
	}{
		{&SparseTensor{Values: vals, Indices: lin, Dims: []int64{2, 2}}, ""},
		{&SparseTensor{Values: vals, Indices: coo, Dims: []int64{2, 2}}, ""},
		{&SparseTensor{Values: vals, Indices: out, Dims: []int64{2, 2}}, "index 1 is 4, outside [0, 4)"},
		{&SparseTensor{Values: vals, Indices: i32, Dims: []int64{2, 2}}, "indices are int32"},
		{&SparseTensor{Values: vals, Indices: coo, Dims: []int64{4}}, "want [2] or [2 1]"},
	}
	for i, tc := range tests {
		g := &Graph{SparseInitializers: []*SparseTensor{tc.s}}
		err := g.Validate()
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d: error %v, want %q", i, err, tc.want)
		}
	}
}

func TestTopoOrder(t *testing.T) {
	a := nd("Relu", "a", ss("y"), ss("z"))
	b := nd("If", "b", ss("c"), ss("y"), &Attr{Name: "then_branch", Type: AttrGraph,
		G: &Graph{Nodes: []*Node{nd("Neg", "n", ss("v"), ss("t"))}, Outputs: vis("t")}})
	c := nd("Neg", "c", ss("x"), ss("v")) // used only inside b's subgraph
	d := nd("Abs", "d", ss("x"), ss("u"))
	g := &Graph{Inputs: vis("x", "c"), Outputs: vis("z", "u"), Nodes: []*Node{a, b, c, d}}
	order, err := g.TopoOrder()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range order {
		names = append(names, n.Name)
	}
	if got := strings.Join(names, " "); got != "c b a d" {
		t.Errorf("order %q, want %q", got, "c b a d")
	}
	// A graph already in order keeps its order.
	g2 := &Graph{Nodes: []*Node{d, c, b, a}}
	order, _ = g2.TopoOrder()
	for i, n := range order {
		if n != g2.Nodes[i] {
			t.Errorf("in-order graph reordered at %d", i)
		}
	}
}

func TestModelValidate(t *testing.T) {
	m := &Model{IRVersion: 8, Opsets: map[string]int64{"com.x": 1},
		Graph: &Graph{Inputs: vis("x"), Outputs: vis("y"), Nodes: []*Node{nd("Relu", "r", ss("x"), ss("y"))}}}
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), "does not import") {
		t.Errorf("missing default opset: %v", err)
	}
	m.Opsets[""] = 17
	m.Functions = []*Function{{Name: "F", Domain: "com.x", Inputs: ss("a"), Outputs: ss("b"),
		Nodes: []*Node{nd("Mul", "m", ss("a", "k"), ss("b"))}}}
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), `function 0 "com.x.F" node 0 (Mul "m"): input 1 "k"`) {
		t.Errorf("bad function: %v", err)
	}
	m.Functions[0].Nodes[0].Inputs[1] = "a"
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
}
