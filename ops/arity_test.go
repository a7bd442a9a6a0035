package ops

import (
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// TestArity checks that nodes giving an op more or fewer inputs than it
// takes are refused when the plan is compiled, naming the node, and that
// the legal forms (including trailing omitted inputs) compile.
func TestArity(t *testing.T) {
	cases := []struct {
		op     string
		opset  int64
		inputs []string
		want   string // "" when the node must compile
	}{
		{"Add", 13, []string{"a", "b"}, ""},
		{"Add", 13, []string{"a", "b", "c"}, "takes 2 input(s), the node gives 3"},
		{"Add", 13, []string{"a"}, "takes 2 input(s), the node gives 1"},
		{"Relu", 14, []string{"a", ""}, ""},
		{"Relu", 14, []string{"a", "b"}, "takes 1 input(s), the node gives 2"},
		{"Clip", 6, []string{"a", "b", "c"}, "takes 1 input(s), the node gives 3"},
		{"Clip", 11, []string{"a", "", "c"}, ""},
		{"Where", 16, []string{"c", "a"}, "takes 3 input(s), the node gives 2"},
		{"Gemm", 13, []string{"a", "b", "c", "a"}, "takes 2 to 3 inputs, the node gives 4"},
	}
	for _, c := range cases {
		g := &graph.Graph{Name: "arity"}
		seen := map[string]bool{}
		for _, in := range c.inputs {
			if in != "" && !seen[in] {
				seen[in] = true
				dt := graph.Float
				if in == "c" && c.op == "Where" {
					dt = graph.Bool
				}
				g.Inputs = append(g.Inputs, &graph.ValueInfo{Name: in, Type: &graph.Type{Kind: graph.TypeTensor, Elem: dt}})
			}
		}
		g.Nodes = []*graph.Node{{Name: "n", OpType: c.op, Inputs: c.inputs, Outputs: []string{"y"}}}
		g.Outputs = []*graph.ValueInfo{{Name: "y"}}
		m := &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": c.opset}, Graph: g}
		_, err := Compile(m, nil)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s-%d %v: %v", c.op, c.opset, c.inputs, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `node "n"`)):
			t.Errorf("%s-%d %v: error %v, want one naming node \"n\" and saying %q", c.op, c.opset, c.inputs, err, c.want)
		}
	}
}
