package ops

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/infer"
)

// TestMovementInferAgrees runs random data-movement nodes and checks that the
// shapes and types infer.Run gives their outputs (with the data input's shape
// and the other inputs as initializers) match what the kernels produce.
func TestMovementInferAgrees(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	bad := map[string]int{}
	for _, c := range shFuzzCases(rng) {
		for iter := 0; iter < 100; iter++ {
			var attrs []*graph.Attr
			if c.attrs != nil {
				attrs = c.attrs()
			}
			in := c.inputs()
			got, err := runNode(c.opset, c.op, attrs, in, c.nOut)
			if err != nil {
				continue
			}
			if x, ok := in[0].(*Tensor); ok && c.op == "NonZero" && x.Rank() == 0 {
				// Known disagreement: ONNX shape inference gives a scalar's
				// NonZero the shape [0, n]; ONNX Runtime and numpy (the
				// reference) give [1, n], as the kernel does.
				continue
			}
			n := &graph.Node{Name: "n", OpType: c.op, Attrs: attrs}
			g := &graph.Graph{Name: "g", Nodes: []*graph.Node{n}}
			for i, v := range in {
				if v == nil {
					n.Inputs = append(n.Inputs, "")
					continue
				}
				x := v.(*Tensor)
				name := fmt.Sprintf("in%d", i)
				n.Inputs = append(n.Inputs, name)
				if i == 0 {
					dims := make([]graph.Dim, len(x.Shape))
					for j, d := range x.Shape {
						dims[j] = graph.Dim{Value: int64(d), Known: true}
					}
					g.Inputs = append(g.Inputs, &graph.ValueInfo{Name: name, Type: &graph.Type{Kind: graph.TypeTensor, Elem: x.DType, Shape: dims, HasShape: true}})
				} else {
					gt, err := x.ToGraph(name)
					if err != nil {
						t.Fatal(err)
					}
					g.Initializers = append(g.Initializers, gt)
				}
			}
			for i := 0; i < c.nOut; i++ {
				name := fmt.Sprintf("out%d", i)
				n.Outputs = append(n.Outputs, name)
				g.Outputs = append(g.Outputs, &graph.ValueInfo{Name: name})
			}
			m := &graph.Model{Opsets: map[string]int64{"": c.opset}, Graph: g}
			res, err := infer.Run(m, infer.Options{})
			if err != nil {
				t.Errorf("%s-%d: infer: %v", c.op, c.opset, err)
				continue
			}
			for i := 0; i < c.nOut; i++ {
				f := res.Values[fmt.Sprintf("out%d", i)]
				act := got[i].(*Tensor)
				msg := ""
				if f.Kind != infer.KindTensor {
					continue
				}
				if f.DType != graph.Undefined && f.DType != act.DType {
					msg = fmt.Sprintf("dtype %v, actual %v", f.DType, act.DType)
				} else if f.Ranked {
					if len(f.Shape) != len(act.Shape) {
						msg = fmt.Sprintf("shape %v, actual %v", f.Shape, act.Shape)
					} else {
						for j, d := range f.Shape {
							if v, ok := d.Value(); ok && v != int64(act.Shape[j]) {
								msg = fmt.Sprintf("shape %v, actual %v", f.Shape, act.Shape)
							}
						}
					}
				}
				if msg != "" {
					bad[c.op]++
					if bad[c.op] <= 3 {
						var ins []string
						for _, v := range in {
							if v == nil {
								ins = append(ins, "-")
								continue
							}
							x := v.(*Tensor)
							if x.Len() < 8 {
								ins = append(ins, fmt.Sprintf("%s%v", x, x.Data))
							} else {
								ins = append(ins, x.String())
							}
						}
						var as []string
						for _, a := range attrs {
							as = append(as, fmt.Sprintf("%s=%v%v%s", a.Name, a.I, a.Ints, a.S))
						}
						t.Errorf("%s-%d out%d %v %v: infer %s", c.op, c.opset, i, as, ins, msg)
					}
				}
			}
		}
	}
}
