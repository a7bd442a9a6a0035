package ops

import (
	"context"
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
)

// Attribute builders for hand-made nodes.

func attrInt(name string, v int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInt, I: v}
}

func attrFloat(name string, v float32) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrFloat, F: v}
}

func attrInts(name string, v ...int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInts, Ints: v}
}

func attrStr(name, v string) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrString, S: []byte(v)}
}

// runNode compiles a one-node model of op at opset and runs it on inputs (a
// nil input is an omitted optional input), returning nOut outputs.
func runNode(opset int64, op string, attrs []*graph.Attr, inputs []Value, nOut int) ([]Value, error) {
	n := &graph.Node{Name: "n", OpType: op, Attrs: attrs}
	g := &graph.Graph{Name: "g", Nodes: []*graph.Node{n}}
	var feeds []Value
	for i, v := range inputs {
		if v == nil {
			n.Inputs = append(n.Inputs, "")
			continue
		}
		name := fmt.Sprintf("in%d", i)
		n.Inputs = append(n.Inputs, name)
		g.Inputs = append(g.Inputs, &graph.ValueInfo{Name: name})
		feeds = append(feeds, v)
	}
	for i := range nOut {
		name := fmt.Sprintf("out%d", i)
		n.Outputs = append(n.Outputs, name)
		g.Outputs = append(g.Outputs, &graph.ValueInfo{Name: name})
	}
	m := &graph.Model{Opsets: map[string]int64{"": opset}, Graph: g}
	p, err := Compile(m, nil)
	if err != nil {
		return nil, err
	}
	return p.Run(context.Background(), feeds)
}

// values turns tensors into values, keeping nil (an omitted input) nil.
func values(ts []*Tensor) []Value {
	vs := make([]Value, len(ts))
	for i, t := range ts {
		if t != nil {
			vs[i] = t
		}
	}
	return vs
}
