package optimize

import (
	"math"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/infer"
	"github.com/onnxrun/onnxrun/ops"
)

// floatsOf returns a constant float32 or float64 tensor's elements widened
// to float64.
func floatsOf(t *graph.Tensor) ([]float64, bool) {
	if t == nil {
		return nil, false
	}
	d, err := t.Data()
	if err != nil {
		return nil, false
	}
	switch v := d.(type) {
	case []float32:
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out, true
	case []float64:
		return slices.Clone(v), true
	}
	return nil, false
}

// tensorAs makes a tensor of element type dt (Float or Double) from v.
func tensorAs(name string, dt graph.DType, dims []int64, v []float64) *graph.Tensor {
	var t *graph.Tensor
	var err error
	if dt == graph.Float {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		t, err = graph.NewTensor(name, dims, f)
	} else {
		t, err = graph.NewTensor(name, dims, v)
	}
	if err != nil {
		return nil
	}
	return t
}

// convWeights returns the constant weights of a Conv node: W's values and
// dims, and B's values (nil when absent), or ok false.
func (w *work) convWeights(n *graph.Node) (wv []float64, wt *graph.Tensor, bv []float64, ok bool) {
	if n.Domain != "" || n.OpType != "Conv" || len(n.Inputs) < 2 || len(n.Outputs) != 1 {
		return nil, nil, nil, false
	}
	wt = w.consts[n.Inputs[1]]
	if wt == nil || (wt.DType != graph.Float && wt.DType != graph.Double) || len(wt.Dims) < 3 {
		return nil, nil, nil, false
	}
	if wv, ok = floatsOf(wt); !ok {
		return nil, nil, nil, false
	}
	if len(n.Inputs) > 2 && n.Inputs[2] != "" {
		bt := w.consts[n.Inputs[2]]
		if bt == nil || bt.DType != wt.DType || len(bt.Dims) != 1 || bt.Dims[0] != wt.Dims[0] {
			return nil, nil, nil, false
		}
		if bv, ok = floatsOf(bt); !ok {
			return nil, nil, nil, false
		}
	}
	return wv, wt, bv, true
}

// foldIntoConv folds a BatchNormalization (inference mode) or a Mul or Add
// by a per-output-channel constant that follows a Conv with constant
// weights into the Conv's weights and bias.
func (w *work) foldIntoConv() {
	for changed := true; changed; {
		changed = false
		readers := w.readers()
		for _, n := range w.g.Nodes {
			if n.Domain != "" || n.OpType != "Conv" || len(n.Outputs) != 1 || !w.private(n.Outputs[0], readers, 1) {
				continue
			}
			next := readers[n.Outputs[0]][0]
			if next.Domain != "" || (next.OpType != "BatchNormalization" && next.OpType != "Mul" && next.OpType != "Add") {
				continue
			}
			if len(n.Inputs) < 2 {
				continue
			}
			wt := w.consts[n.Inputs[1]]
			if wt == nil || len(wt.Dims) < 3 || (wt.DType != graph.Float && wt.DType != graph.Double) {
				continue
			}
			m := int(wt.Dims[0])
			var scale, shift []float64 // y' = y*scale + shift per channel
			var ok bool
			switch next.OpType {
			case "BatchNormalization":
				scale, shift, ok = w.bnAffine(next, n.Outputs[0], m, readers)
			default:
				scale, shift, ok = w.channelAffine(next, n.Outputs[0], m, len(wt.Dims), wt.DType)
			}
			if !ok {
				continue
			}
			// Only now that the fold applies: the weights as float64.
			wv, _, bv, ok := w.convWeights(n)
			if !ok {
				continue
			}
			per := len(wv) / m
			nw := make([]float64, len(wv))
			for c := 0; c < m; c++ {
				for i := c * per; i < (c+1)*per; i++ {
					nw[i] = wv[i] * scale[c]
				}
			}
			nb := make([]float64, m)
			for c := range nb {
				b := 0.0
				if bv != nil {
					b = bv[c]
				}
				nb[c] = b*scale[c] + shift[c]
			}
			wNew := tensorAs(w.fresh(n.Inputs[1]), wt.DType, wt.Dims, nw)
			bNew := tensorAs(w.fresh(n.Inputs[1]+"_bias"), wt.DType, []int64{int64(m)}, nb)
			if wNew == nil || bNew == nil {
				continue
			}
			w.addConst(wNew)
			w.addConst(bNew)
			c := *n
			c.Inputs = []string{n.Inputs[0], wNew.Name, bNew.Name}
			c.Outputs = []string{next.Outputs[0]}
			w.replace(next, &c)
			w.drop(map[*graph.Node]bool{n: true})
			w.st.ConvFolded++
			changed = true
			break
		}
	}
}

// bnAffine returns BatchNormalization's per-channel scale and shift when it
// runs in inference mode on x with constant parameters of m channels.
func (w *work) bnAffine(n *graph.Node, x string, m int, readers map[string][]*graph.Node) (scale, shift []float64, ok bool) {
	if len(n.Inputs) != 5 || n.Inputs[0] != x {
		return nil, nil, false
	}
	for _, o := range n.Outputs[1:] {
		if o != "" && (len(readers[o]) > 0 || w.outputs[o] || w.pinned[o]) {
			return nil, nil, false
		}
	}
	if n.Outputs[0] == "" {
		return nil, nil, false
	}
	if tm, err := n.AttrInt("training_mode", 0); err != nil || tm != 0 {
		return nil, nil, false
	}
	if sp, err := n.AttrInt("spatial", 1); err != nil || sp != 1 {
		return nil, nil, false
	}
	eps, err := n.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, nil, false
	}
	var p [4][]float64
	for i := range p {
		t := w.consts[n.Inputs[1+i]]
		if p[i], ok = floatsOf(t); !ok || len(p[i]) != m {
			return nil, nil, false
		}
	}
	scale, shift = make([]float64, m), make([]float64, m)
	for c := 0; c < m; c++ {
		s := p[0][c] / math.Sqrt(p[3][c]+float64(eps))
		scale[c] = s
		shift[c] = p[1][c] - p[2][c]*s
	}
	return scale, shift, true
}

// channelAffine returns the per-channel scale and shift of a Mul or Add of
// x by a constant that holds one value per channel (or one in all).
func (w *work) channelAffine(n *graph.Node, x string, m, rank int, dt graph.DType) (scale, shift []float64, ok bool) {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return nil, nil, false
	}
	if b, err := n.AttrInt("broadcast", 0); err != nil || b != 0 || n.HasAttr("axis") {
		return nil, nil, false // legacy broadcasting (before opset 7)
	}
	var other string
	switch x {
	case n.Inputs[0]:
		other = n.Inputs[1]
	case n.Inputs[1]:
		other = n.Inputs[0]
	}
	if other == "" || other == x {
		return nil, nil, false
	}
	t := w.consts[other]
	if t == nil || t.DType != dt || len(t.Dims) > rank {
		return nil, nil, false
	}
	dims := make([]int64, rank)
	for i := range dims {
		dims[i] = 1
	}
	copy(dims[rank-len(t.Dims):], t.Dims)
	for i, d := range dims {
		if d != 1 && !(i == 1 && d == int64(m)) {
			return nil, nil, false
		}
	}
	v, ok := floatsOf(t)
	if !ok {
		return nil, nil, false
	}
	scale, shift = make([]float64, m), make([]float64, m)
	for c := 0; c < m; c++ {
		k := v[0]
		if len(v) == m {
			k = v[c]
		}
		if n.OpType == "Mul" {
			scale[c] = k
		} else {
			scale[c], shift[c] = 1, k
		}
	}
	return scale, shift, true
}

// fusable base ops and their input counts in the fused node.
var fusedOf = map[string]struct {
	op     string
	inputs int
}{
	"Conv":   {"FusedConv", 3},
	"Gemm":   {"FusedGemm", 3},
	"MatMul": {"FusedMatMul", 2},
}

// fuse merges Conv, Gemm and MatMul nodes with a following residual Add
// (an input of the same shape added) and activation.
func (w *work) fuse() error {
	facts := w.facts()
	for changed := true; changed; {
		changed = false
		readers := w.readers()
		for _, n := range w.g.Nodes {
			f, ok := fusedOf[n.OpType]
			if n.Domain != "" || !ok || len(n.Outputs) != 1 || len(n.Inputs) > f.inputs {
				continue
			}
			y := n.Outputs[0]
			fy := facts[y]
			if fy.Kind != infer.KindTensor || (fy.DType != graph.Float && fy.DType != graph.Double) || !fy.Ranked {
				continue
			}
			cur, last := y, n
			var absorbed []*graph.Node
			residual := ""
			// A residual Add of a value with the output's shape.
			if w.private(cur, readers, 1) {
				a := readers[cur][0]
				if a.Domain == "" && a.OpType == "Add" && len(a.Inputs) == 2 && len(a.Outputs) == 1 && !a.HasAttr("broadcast") {
					z := a.Inputs[1]
					if z == cur {
						z = a.Inputs[0]
					}
					fz := facts[z]
					if z != cur && fz.Kind == infer.KindTensor && fz.DType == fy.DType && fz.Ranked && fz.Shape.Equal(fy.Shape) && noUnknown(fy.Shape) {
						residual = z
						absorbed = append(absorbed, a)
						cur, last = a.Outputs[0], a
					}
				}
			}
			act, params, nodes := w.activation(cur, readers)
			if act != "" {
				absorbed = append(absorbed, nodes...)
				last = nodes[len(nodes)-1]
				cur = last.Outputs[0]
			}
			if len(absorbed) == 0 {
				continue
			}
			fn := &graph.Node{Name: n.Name, OpType: f.op, Domain: ops.FusedDomain, Outputs: []string{cur},
				Inputs: slices.Clone(n.Inputs), Attrs: slices.Clone(n.Attrs)}
			for len(fn.Inputs) < f.inputs {
				fn.Inputs = append(fn.Inputs, "")
			}
			if residual != "" {
				fn.Inputs = append(fn.Inputs, residual)
				fn.Attrs = append(fn.Attrs, &graph.Attr{Name: "residual", Type: graph.AttrInt, I: 1})
			}
			if act != "" {
				fn.Attrs = append(fn.Attrs, &graph.Attr{Name: "activation", Type: graph.AttrString, S: []byte(act)})
				if len(params) > 0 {
					fn.Attrs = append(fn.Attrs, &graph.Attr{Name: "activation_params", Type: graph.AttrFloats, Floats: params})
				}
			}
			// The fused node goes where the last absorbed node was: every
			// input it reads is computed by then.
			w.replace(last, fn)
			dead := map[*graph.Node]bool{n: true}
			for _, a := range absorbed {
				if a != last {
					dead[a] = true
				}
			}
			w.drop(dead)
			w.m.Opsets[ops.FusedDomain] = 1
			w.st.Fused += len(absorbed)
			changed = true
			break
		}
	}
	return nil
}

// activation matches an activation applied to x (read by nothing else)
// and returns its name, parameters and the nodes it spans.
func (w *work) activation(x string, readers map[string][]*graph.Node) (string, []float32, []*graph.Node) {
	if w.outputs[x] || w.pinned[x] {
		return "", nil, nil
	}
	rs := readers[x]
	if len(rs) == 2 {
		// SiLU: Mul(x, Sigmoid(x)).
		sig, mul := rs[0], rs[1]
		if sig.OpType != "Sigmoid" {
			sig, mul = mul, sig
		}
		if sig.Domain == "" && sig.OpType == "Sigmoid" && mul.Domain == "" && mul.OpType == "Mul" &&
			len(sig.Outputs) == 1 && len(mul.Inputs) == 2 && len(mul.Outputs) == 1 &&
			w.private(sig.Outputs[0], readers, 1) && readers[sig.Outputs[0]][0] == mul &&
			(mul.Inputs[0] == x && mul.Inputs[1] == sig.Outputs[0] || mul.Inputs[1] == x && mul.Inputs[0] == sig.Outputs[0]) {
			return "SiLU", nil, []*graph.Node{sig, mul}
		}
		return "", nil, nil
	}
	if len(rs) != 1 {
		return "", nil, nil
	}
	a := rs[0]
	if a.Domain != "" || len(a.Outputs) != 1 || len(a.Inputs) == 0 || a.Inputs[0] != x {
		return "", nil, nil
	}
	one := []*graph.Node{a}
	switch a.OpType {
	case "Relu", "Sigmoid", "Tanh", "HardSwish":
		if len(a.Inputs) == 1 {
			return a.OpType, nil, one
		}
	case "LeakyRelu":
		alpha, err := a.AttrFloat("alpha", 0.01)
		if err == nil {
			return "LeakyRelu", []float32{alpha}, one
		}
	case "HardSigmoid":
		alpha, err1 := a.AttrFloat("alpha", 0.2)
		beta, err2 := a.AttrFloat("beta", 0.5)
		if err1 == nil && err2 == nil {
			return "HardSigmoid", []float32{alpha, beta}, one
		}
	case "Clip":
		lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
		if w.m.Opset("") < 11 {
			var err1, err2 error
			lo, err1 = a.AttrFloat("min", lo)
			hi, err2 = a.AttrFloat("max", hi)
			if err1 != nil || err2 != nil {
				return "", nil, nil
			}
		} else {
			for i, p := range []*float32{&lo, &hi} {
				if len(a.Inputs) > i+1 && a.Inputs[i+1] != "" {
					v, ok := floatsOf(w.consts[a.Inputs[i+1]])
					if !ok || len(v) != 1 {
						return "", nil, nil
					}
					*p = float32(v[0])
				}
			}
		}
		return "Clip", []float32{lo, hi}, one
	}
	return "", nil, nil
}

// noUnknown reports whether every dim of s is a constant or a symbol
// expression (so that equal shapes are equal at run time).
func noUnknown(s infer.Shape) bool {
	for _, d := range s {
		if d.IsUnknown() {
			return false
		}
	}
	return true
}
