package optimize

import (
	"slices"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/infer"
	"github.com/onnxrun/onnxrun/ops"
)

// fuseShuffle replaces a channel shuffle after a Concat (ShuffleNet v2:
// Concat of g tensors of C channels each, Reshape to (…, g, C, …),
// Transpose swapping those two axes, Reshape back to the Concat's shape)
// by one ConcatShuffle node that interleaves the inputs' channels while
// copying them once. Every shape must be known, and the values in between
// read by nothing else.
func (w *work) fuseShuffle(facts map[string]infer.Fact) {
	for changed := true; changed; {
		changed = false
		readers := w.readers()
		for _, n := range w.g.Nodes {
			if n.Domain != "" || n.OpType != "Concat" || len(n.Inputs) < 2 || len(n.Outputs) != 1 || slices.Contains(n.Inputs, "") {
				continue
			}
			nodes, axis, ok := w.shufflePattern(n, facts, readers)
			if !ok {
				continue
			}
			last := nodes[len(nodes)-1]
			fn := &graph.Node{Name: n.Name, OpType: "ConcatShuffle", Domain: ops.FusedDomain,
				Inputs: slices.Clone(n.Inputs), Outputs: []string{last.Outputs[0]},
				Attrs: []*graph.Attr{{Name: "axis", Type: graph.AttrInt, I: int64(axis)}}}
			w.replace(last, fn)
			dead := map[*graph.Node]bool{n: true}
			for _, d := range nodes[:len(nodes)-1] {
				dead[d] = true
			}
			w.drop(dead)
			w.m.Opsets[ops.FusedDomain] = 1
			w.st.Fused += len(nodes)
			changed = true
			break
		}
	}
}

// shufflePattern matches Reshape, Transpose and Reshape after Concat n and
// returns them and the Concat's axis.
func (w *work) shufflePattern(n *graph.Node, facts map[string]infer.Fact, readers map[string][]*graph.Node) ([]*graph.Node, int, bool) {
	fy := facts[n.Outputs[0]]
	ys, ok := fy.Shape.Consts()
	if fy.Kind != infer.KindTensor || !fy.Ranked || !ok || len(ys) == 0 {
		return nil, 0, false
	}
	switch fy.DType {
	case graph.Float, graph.Double, graph.Int32, graph.Int64:
	default:
		return nil, 0, false
	}
	a, err := n.AttrInt("axis", 0)
	if err != nil || a < -int64(len(ys)) || a >= int64(len(ys)) {
		return nil, 0, false
	}
	if a < 0 {
		a += int64(len(ys))
	}
	axis := int(a)
	g := int64(len(n.Inputs))
	if ys[axis]%g != 0 {
		return nil, 0, false
	}
	c := ys[axis] / g
	for _, in := range n.Inputs {
		fx := facts[in]
		xs, ok := fx.Shape.Consts()
		if fx.Kind != infer.KindTensor || !fx.Ranked || !ok || fx.DType != fy.DType || len(xs) != len(ys) || xs[axis] != c {
			return nil, 0, false
		}
	}
	// The three nodes, each the only reader of the value before it.
	var nodes []*graph.Node
	cur := n.Outputs[0]
	for _, op := range []string{"Reshape", "Transpose", "Reshape"} {
		if !w.private(cur, readers, 1) {
			return nil, 0, false
		}
		r := readers[cur][0]
		if r.Domain != "" || r.OpType != op || len(r.Outputs) != 1 || len(r.Inputs) == 0 || r.Inputs[0] != cur {
			return nil, 0, false
		}
		nodes = append(nodes, r)
		cur = r.Outputs[0]
	}
	split := slices.Concat(ys[:axis], []int64{g, c}, ys[axis+1:])
	if s, ok := facts[nodes[0].Outputs[0]].Shape.Consts(); !ok || !slices.Equal(s, split) {
		return nil, 0, false
	}
	perm, err := nodes[1].AttrInts("perm", nil)
	if err != nil || len(perm) != len(split) {
		return nil, 0, false
	}
	for i, p := range perm {
		want := int64(i)
		switch i {
		case axis:
			want = int64(axis + 1)
		case axis + 1:
			want = int64(axis)
		}
		if p != want {
			return nil, 0, false
		}
	}
	if s, ok := facts[nodes[2].Outputs[0]].Shape.Consts(); !ok || !slices.Equal(s, ys) || facts[nodes[2].Outputs[0]].DType != fy.DType {
		return nil, 0, false
	}
	return nodes, axis, true
}
