package optimize

import (
	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/infer"
	"github.com/onnxrun/onnxrun/ops"
)

// fuseNormAct replaces each BatchNormalization in inference mode with
// constant per-channel parameters that is left after foldIntoConv (one
// that follows a Concat or a graph input, as in DenseNet's pre-activation
// layers), together with the activation that follows it when nothing else
// reads the normalized value, by one ChannelAffine node: one pass over
// memory instead of two, and no per-run recomputation of the affine
// parameters.
func (w *work) fuseNormAct(facts map[string]infer.Fact) {
	for changed := true; changed; {
		changed = false
		readers := w.readers()
		for _, n := range w.g.Nodes {
			if n.Domain != "" || n.OpType != "BatchNormalization" || len(n.Inputs) != 5 || len(n.Outputs) == 0 {
				continue
			}
			extra := false
			for _, o := range n.Outputs[1:] {
				extra = extra || o != ""
			}
			if extra {
				continue
			}
			fx := facts[n.Inputs[0]]
			if fx.Kind != infer.KindTensor || (fx.DType != graph.Float && fx.DType != graph.Double) || !fx.Ranked || len(fx.Shape) < 2 {
				continue
			}
			scaleT := w.consts[n.Inputs[1]]
			if scaleT == nil || len(scaleT.Dims) != 1 {
				continue
			}
			m := int(scaleT.Dims[0])
			if c, ok := fx.Shape[1].Value(); !ok || c != int64(m) {
				continue
			}
			scale, shift, ok := w.bnAffine(n, n.Inputs[0], m, readers)
			if !ok {
				continue
			}
			cur, last := n.Outputs[0], n
			absorbed := []*graph.Node{n}
			act, params, nodes := w.activation(cur, readers)
			if act != "" {
				absorbed = append(absorbed, nodes...)
				last = nodes[len(nodes)-1]
				cur = last.Outputs[0]
			}
			at := tensorAs(w.fresh(n.Name+"_scale"), graph.Double, []int64{int64(m)}, scale)
			bt := tensorAs(w.fresh(n.Name+"_shift"), graph.Double, []int64{int64(m)}, shift)
			if at == nil || bt == nil {
				continue
			}
			w.addConst(at)
			w.addConst(bt)
			fn := &graph.Node{Name: n.Name, OpType: "ChannelAffine", Domain: ops.FusedDomain,
				Inputs: []string{n.Inputs[0], at.Name, bt.Name}, Outputs: []string{cur}}
			if act != "" {
				fn.Attrs = append(fn.Attrs, &graph.Attr{Name: "activation", Type: graph.AttrString, S: []byte(act)})
				if len(params) > 0 {
					fn.Attrs = append(fn.Attrs, &graph.Attr{Name: "activation_params", Type: graph.AttrFloats, Floats: params})
				}
			}
			w.replace(last, fn)
			dead := map[*graph.Node]bool{}
			for _, a := range absorbed {
				if a != last {
					dead[a] = true
				}
			}
			w.drop(dead)
			w.m.Opsets[ops.FusedDomain] = 1
			w.st.Fused += len(absorbed) - 1
			w.st.NormFused++
			changed = true
			break
		}
	}
}
