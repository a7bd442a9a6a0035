package ops

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// Helpers that run one node without a model file.

func shAInt(name string, v int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInt, I: v}
}
func shAInts(name string, v ...int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInts, Ints: v}
}
func shAFloat(name string, v float32) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrFloat, F: v}
}
func shAStr(name, v string) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrString, S: []byte(v)}
}

// shRunNode compiles a one-node model of op at opset and runs it on inputs (a
// nil input is omitted), returning nOut outputs.
func shRunNode(opset int64, op string, attrs []*graph.Attr, inputs []Value, nOut int) ([]Value, error) {
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
	for i := 0; i < nOut; i++ {
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

// shCheck runs a node and compares its outputs with want (nil: not compared).
func shCheck(t *testing.T, opset int64, op string, attrs []*graph.Attr, inputs []Value, want ...*Tensor) []Value {
	t.Helper()
	got, err := shRunNode(opset, op, attrs, inputs, len(want))
	if err != nil {
		t.Fatalf("%s-%d: %v", op, opset, err)
	}
	for i, w := range want {
		if w == nil {
			continue // checked by the caller
		}
		g, ok := got[i].(*Tensor)
		if !ok {
			t.Fatalf("%s-%d output %d: got a %T", op, opset, i, got[i])
		}
		if g.DType != w.DType || !mvSameShape(g.Shape, w.Shape) || !reflect.DeepEqual(g.Data, w.Data) {
			t.Errorf("%s-%d output %d: got %s %v, want %s %v", op, opset, i, g, g.Data, w, w.Data)
		}
	}
	return got
}

// shErr runs a node and wants an error containing every fragment.
func shErr(t *testing.T, opset int64, op string, attrs []*graph.Attr, inputs []Value, nOut int, frags ...string) {
	t.Helper()
	_, err := shRunNode(opset, op, attrs, inputs, nOut)
	if err == nil {
		t.Fatalf("%s-%d: no error, want one containing %q", op, opset, frags)
	}
	for _, f := range frags {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("%s-%d: error %q does not contain %q", op, opset, err, f)
		}
	}
}

func shI64s(v ...int64) *Tensor   { return New([]int{len(v)}, v) }
func shF32s(v ...float32) *Tensor { return New([]int{len(v)}, v) }

// shSeqF32 returns a float32 tensor of shape holding 0, 1, 2, ...
func shSeqF32(shape ...int) *Tensor {
	d := make([]float32, Size(shape))
	for i := range d {
		d[i] = float32(i)
	}
	return New(shape, d)
}

// shSeqI64 returns an int64 tensor of shape holding 0, 1, 2, ...
func shSeqI64(shape ...int) *Tensor {
	d := make([]int64, Size(shape))
	for i := range d {
		d[i] = int64(i)
	}
	return New(shape, d)
}

func shSameData(a, b *Tensor) bool {
	return reflect.ValueOf(a.Data).Pointer() == reflect.ValueOf(b.Data).Pointer()
}
