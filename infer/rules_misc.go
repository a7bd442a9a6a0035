package infer

import (
	"strings"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register("", "RNN", rnnRule(1))
	Register("", "GRU", rnnRule(3))
	Register("", "LSTM", rnnRule(4))
	Register("", "Einsum", einsumRule)
	Register("", "DFT", dftRule)
	Register("", "STFT", stftRule)
	Register("", "HannWindow", windowRule)
	Register("", "HammingWindow", windowRule)
	Register("", "BlackmanWindow", windowRule)
	Register("", "MelWeightMatrix", melRule)
	Register("", "StringNormalizer", stringNormRule)
	Register("", "TfIdfVectorizer", tfidfRule)
	Register("", "CenterCropPad", centerCropPadRule)
	Register("", "Col2Im", col2ImRule)
	for _, op := range []string{"Adagrad", "Adam", "Momentum"} {
		Register("ai.onnx.preview.training", op, optimizerRule(op))
	}
}

// rnnRule covers RNN, GRU and LSTM (gates is 1, 3 or 4).
func rnnRule(gates int64) Rule {
	return func(c *Context) error {
		x, ok := tensorIn(c, 0)
		dt := c.Input(0).DType
		hidden := c.Int("hidden_size", 0)
		dir := c.Str("direction", "forward")
		nd := int64(1)
		if dir == "bidirectional" {
			nd = 2
		}
		layout := c.Int("layout", 0)
		seq, batch := Unknown(), Unknown()
		if ok {
			if len(x.Shape) != 3 {
				return c.Errorf("input 0 (X): shape %v must be 3-D", x.Shape)
			}
			seq, batch = x.Shape[0], x.Shape[1]
			if layout != 0 {
				seq, batch = batch, seq
			}
		}
		H := Const(hidden)
		if hidden == 0 {
			H = Unknown()
			if w, ok := tensorIn(c, 2); ok && len(w.Shape) == 3 {
				H = w.Shape[2]
			}
		}
		if w, ok := tensorIn(c, 1); ok && len(w.Shape) == 3 && hidden != 0 {
			if _, err := c.Unify(w.Shape[1], Const(gates*hidden)); err != nil {
				return c.Errorf("input 1 (W): shape %v does not match %d gates of hidden_size %d", w.Shape, gates, hidden)
			}
		}
		D := Const(nd)
		if layout == 0 {
			c.SetOutput(0, Tensor(dt, Shape{seq, D, batch, H}))
			c.SetOutput(1, Tensor(dt, Shape{D, batch, H}))
			c.SetOutput(2, Tensor(dt, Shape{D, batch, H}))
		} else {
			c.SetOutput(0, Tensor(dt, Shape{batch, seq, D, H}))
			c.SetOutput(1, Tensor(dt, Shape{batch, D, H}))
			c.SetOutput(2, Tensor(dt, Shape{batch, D, H}))
		}
		return nil
	}
}

func einsumRule(c *Context) error {
	eq := strings.ReplaceAll(c.Str("equation", ""), " ", "")
	lhs, rhs, hasArrow := strings.Cut(eq, "->")
	terms := strings.Split(lhs, ",")
	dt := c.Input(0).DType
	if len(terms) != c.NumInputs() {
		return c.Errorf("equation %q has %d operands, node has %d inputs", eq, len(terms), c.NumInputs())
	}
	letters := map[byte]Dim{}
	counts := map[byte]int{}
	var ell Shape
	ellSet := false
	for i, t := range terms {
		f, ok := tensorIn(c, i)
		if !ok {
			unknownRank(c, 0, dt)
			return nil
		}
		nl := len(strings.ReplaceAll(t, "...", ""))
		ne := len(f.Shape) - nl
		if ne < 0 || (!strings.Contains(t, "...") && ne != 0) {
			return c.Errorf("input %d: shape %v does not fit term %q", i, f.Shape, t)
		}
		k := 0
		for j := 0; j < len(t); j++ {
			if strings.HasPrefix(t[j:], "...") {
				e := f.Shape[k : k+ne]
				if !ellSet {
					ell, ellSet = e.Clone(), true
				} else {
					b, err := c.Broadcast(ell, e)
					if err != nil {
						return err
					}
					ell = b
				}
				k += ne
				j += 2
				continue
			}
			l := t[j]
			d := f.Shape[k]
			k++
			counts[l]++
			if prev, ok := letters[l]; ok {
				nd, ok := broadcastDim(prev, d)
				if !ok {
					return c.Errorf("input %d: label %c is %v here and %v elsewhere", i, l, d, prev)
				}
				letters[l] = nd
			} else {
				letters[l] = d
			}
		}
	}
	var out Shape
	if !hasArrow {
		out = append(out, ell...)
		var ls []byte
		for l, n := range counts {
			if n == 1 {
				ls = append(ls, l)
			}
		}
		sortBytes(ls)
		for _, l := range ls {
			out = append(out, letters[l])
		}
	} else {
		for j := 0; j < len(rhs); j++ {
			if strings.HasPrefix(rhs[j:], "...") {
				out = append(out, ell...)
				j += 2
				continue
			}
			d, ok := letters[rhs[j]]
			if !ok {
				return c.Errorf("output label %c of %q appears in no input", rhs[j], eq)
			}
			out = append(out, d)
		}
	}
	c.SetOutput(0, Tensor(dt, out))
	return nil
}

func sortBytes(b []byte) {
	for i := 1; i < len(b); i++ {
		for j := i; j > 0 && b[j] < b[j-1]; j-- {
			b[j], b[j-1] = b[j-1], b[j]
		}
	}
}

func dftRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	dt := c.Input(0).DType
	if !ok {
		unknownRank(c, 0, dt)
		return nil
	}
	axis := c.Int("axis", 1)
	if c.Opset >= 20 && c.HasInput(2) {
		v, ok := intsInput(c, 2)
		if !ok || len(v) != 1 {
			c.SetOutput(0, Tensor(dt, unknowns(len(x.Shape))))
			return nil
		}
		axis = v[0]
	}
	a, err := normAxis(c, axis, len(x.Shape)-1, "axis")
	if err != nil {
		return err
	}
	out := x.Shape.Clone()
	out[len(out)-1] = Const(2)
	if c.HasInput(1) {
		if v, ok := dimsInput(c, 1); ok && len(v) == 1 {
			out[a] = v[0]
		} else {
			out[a] = Unknown()
		}
	}
	if c.Int("onesided", 0) != 0 {
		if c.Int("inverse", 0) != 0 {
			out[a] = Unknown()
		} else {
			out[a] = out[a].FloorDiv(Const(2)).Add(Const(1))
		}
	}
	c.SetOutput(0, Tensor(dt, out))
	return nil
}

func stftRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	dt := c.Input(0).DType
	if !ok || len(x.Shape) != 3 {
		unknownRank(c, 0, dt)
		return nil
	}
	step, sok := dimsInput(c, 1)
	length := Unknown()
	if w, ok := tensorIn(c, 2); ok && c.HasInput(2) && len(w.Shape) == 1 {
		length = w.Shape[0]
	}
	if v, ok := dimsInput(c, 3); ok && c.HasInput(3) && len(v) == 1 {
		length = v[0]
	}
	frames := Unknown()
	if sok && len(step) == 1 && !length.IsUnknown() {
		frames = x.Shape[1].Sub(length).FloorDiv(step[0]).Add(Const(1))
	}
	bins := length
	if c.Int("onesided", 1) != 0 {
		bins = length.FloorDiv(Const(2)).Add(Const(1))
	}
	c.SetOutput(0, Tensor(dt, Shape{x.Shape[0], frames, bins, Const(2)}))
	return nil
}

func windowRule(c *Context) error {
	dt := graph.DType(c.Int("output_datatype", int64(graph.Float)))
	n := Unknown()
	if v, ok := dimsInput(c, 0); ok && len(v) == 1 {
		n = v[0]
	}
	c.SetOutput(0, Tensor(dt, Shape{n}))
	return nil
}

func melRule(c *Context) error {
	dt := graph.DType(c.Int("output_datatype", int64(graph.Float)))
	bins, dft := Unknown(), Unknown()
	if v, ok := dimsInput(c, 0); ok && len(v) == 1 {
		bins = v[0]
	}
	if v, ok := dimsInput(c, 1); ok && len(v) == 1 {
		dft = v[0].FloorDiv(Const(2)).Add(Const(1))
	}
	c.SetOutput(0, Tensor(dt, Shape{dft, bins}))
	return nil
}

func stringNormRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	if !ok {
		unknownRank(c, 0, graph.String)
		return nil
	}
	out := x.Shape.Clone()
	if len(out) > 0 {
		// Stop words may remove elements (all of them leaves one empty string).
		if len(c.Strings("stopwords")) > 0 {
			out[len(out)-1] = c.FreshOut(0)
		}
	}
	c.SetOutput(0, Tensor(graph.String, out))
	return nil
}

// Strings returns strings attribute name as Go strings.
func (c *Context) Strings(name string) []string {
	v, err := c.Node.AttrStrings(name, nil)
	c.noteAttr(err)
	return v
}

func tfidfRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	idx := c.Ints("ngram_indexes", nil)
	size := int64(0)
	for _, i := range idx {
		size = max(size, i+1)
	}
	if !ok {
		unknownRank(c, 0, graph.Float)
		return nil
	}
	switch len(x.Shape) {
	case 1:
		c.SetOutput(0, Tensor(graph.Float, Shape{Const(size)}))
	case 2:
		c.SetOutput(0, Tensor(graph.Float, Shape{x.Shape[0], Const(size)}))
	default:
		return c.Errorf("input 0: shape %v must be 1-D or 2-D", x.Shape)
	}
	return nil
}

func centerCropPadRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	dt := c.Input(0).DType
	if !ok {
		unknownRank(c, 0, dt)
		return nil
	}
	v, vok := dimsInput(c, 1)
	if !vok {
		c.SetOutput(0, Tensor(dt, unknowns(len(x.Shape))))
		return nil
	}
	axes := allAxes(len(x.Shape))
	if c.Has("axes") {
		var err error
		if axes, err = normAxes(c, c.Ints("axes", nil), len(x.Shape)); err != nil {
			return err
		}
	}
	if len(axes) != len(v) {
		return c.Errorf("input 1 (shape): %d values for %d axes", len(v), len(axes))
	}
	out := x.Shape.Clone()
	for i, a := range axes {
		out[a] = v[i]
	}
	c.SetOutput(0, Tensor(dt, out))
	return nil
}

func col2ImRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	dt := c.Input(0).DType
	img, iok := dimsInput(c, 1)
	blk, bok := dimsInput(c, 2)
	if !ok || !iok || len(x.Shape) != 3 {
		unknownRank(c, 0, dt)
		return nil
	}
	ch := Unknown()
	if bok {
		ch = x.Shape[1].FloorDiv(Shape(blk).NumElements())
	}
	c.SetOutput(0, Tensor(dt, append(Shape{x.Shape[0], ch}, img...)))
	return nil
}

// optimizerRule covers the training optimizers: inputs R, T, then groups of
// tensors; outputs are the updated tensors, each shaped like its input.
func optimizerRule(op string) Rule {
	return func(c *Context) error {
		n := c.NumInputs() - 2
		per := map[string]int{"Adagrad": 3, "Momentum": 3, "Adam": 4}[op]
		if n <= 0 || n%per != 0 {
			return c.Errorf("%d inputs do not form groups of %d", c.NumInputs(), per)
		}
		k := n / per
		// Inputs: X[k], G[k], state...; outputs: X_new[k], state_new...
		outs := c.NumOutputs()
		for i := 0; i < outs; i++ {
			src := i
			if i >= k {
				src = i + k // skip the gradients
			}
			if 2+src < c.NumInputs() {
				sameShape(c, 2+src, i)
			}
		}
		return nil
	}
}

func init() {
	for _, op := range []string{"CumProd", "Swish", "RMSNormalization", "RotaryEmbedding", "TensorScatter"} {
		Register("", op, unaryRule(op))
	}
	Register("", "RegexFullMatch", boolUnary)
	Register("", "StringConcat", broadcastRule("StringConcat", false))
	Register("", "DeformConv", convRule)
	Register("", "AffineGrid", affineGridRule)
	Register("", "StringSplit", stringSplitRule)
	Register("", "ImageDecoder", imageDecoderRule)
}

func affineGridRule(c *Context) error {
	dt := c.Input(0).DType
	size, ok := dimsInput(c, 1)
	if !ok || (len(size) != 4 && len(size) != 5) {
		unknownRank(c, 0, dt)
		return nil
	}
	out := Shape{size[0]}
	out = append(out, size[2:]...)
	out = append(out, Const(int64(len(size)-2)))
	c.SetOutput(0, Tensor(dt, out))
	return nil
}

func stringSplitRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	if !ok {
		unknownRank(c, 0, graph.String)
		unknownRank(c, 1, graph.Int64)
		return nil
	}
	c.SetOutput(0, Tensor(graph.String, append(x.Shape.Clone(), c.FreshOut(0))))
	c.SetOutput(1, Tensor(graph.Int64, x.Shape.Clone()))
	return nil
}

func imageDecoderRule(c *Context) error {
	ch := Const(3)
	if c.Str("pixel_format", "RGB") == "Grayscale" {
		ch = Const(1)
	}
	c.SetOutput(0, Tensor(graph.Uint8, Shape{c.Fresh(outName(c, 0) + "_height"), c.Fresh(outName(c, 0) + "_width"), ch}))
	return nil
}

// A few ONNX Runtime contrib ops (domain com.microsoft) that optimized
// models contain.
func init() {
	const ms = "com.microsoft"
	for _, op := range []string{"Gelu", "FastGelu", "BiasGelu", "QuickGelu"} {
		Register(ms, op, unaryRule(op))
	}
	Register(ms, "FusedConv", convRule)
	Register(ms, "SkipLayerNormalization", func(c *Context) error {
		sameShape(c, 0, 0)
		if c.NumOutputs() > 3 && c.HasOutput(3) {
			sameShape(c, 0, 3)
		}
		return nil
	})
}

func init() {
	// BitCast (opset 26): same shape, the bits read as type "to".
	Register("", "BitCast", func(c *Context) error {
		x := c.Input(0)
		to := graph.DType(c.Int("to", 0))
		if x.Kind == KindUnknown {
			return nil
		}
		if x.DType.Valid() && to.Valid() && x.DType.Size() != to.Size() {
			return c.Errorf("input 0: %v and %v differ in bit width", x.DType, to)
		}
		c.SetOutput(0, retype(x, to))
		return nil
	})
}

// attentionRule covers Attention (opset 23+): Q, K, V as 4-D [batch, heads,
// seq, head_size] or 3-D [batch, seq, heads*head_size] with q_num_heads and
// kv_num_heads; past_key/past_value (inputs 4, 5) are concatenated on the
// sequence axis into present_key/present_value (outputs 1, 2).
func attentionRule(c *Context) error {
	q, qok := tensorIn(c, 0)
	k, kok := tensorIn(c, 1)
	v, vok := tensorIn(c, 2)
	dt := c.Input(0).DType
	if !qok || !kok || !vok || len(q.Shape) != len(k.Shape) || len(q.Shape) != len(v.Shape) || (len(q.Shape) != 3 && len(q.Shape) != 4) {
		unknownRank(c, 0, dt)
		return nil
	}
	var qHeads, kvHeads, qSeq, kvSeq, headK, headV Dim
	if len(q.Shape) == 4 {
		qHeads, kvHeads = q.Shape[1], k.Shape[1]
		qSeq, kvSeq = q.Shape[2], k.Shape[2]
		headK, headV = k.Shape[3], v.Shape[3]
	} else {
		qh, kh := c.Int("q_num_heads", 0), c.Int("kv_num_heads", 0)
		if qh <= 0 || kh <= 0 {
			return c.Errorf("3-D inputs need positive q_num_heads and kv_num_heads, have %d and %d", qh, kh)
		}
		qHeads, kvHeads = Const(qh), Const(kh)
		qSeq, kvSeq = q.Shape[1], k.Shape[1]
		headK, headV = k.Shape[2].FloorDiv(kvHeads), v.Shape[2].FloorDiv(kvHeads)
	}
	batch := q.Shape[0]
	if len(q.Shape) == 4 {
		c.SetOutput(0, Tensor(dt, Shape{batch, qHeads, qSeq, headV}))
	} else {
		c.SetOutput(0, Tensor(dt, Shape{batch, qSeq, qHeads.Mul(headV)}))
	}
	total := kvSeq
	if pk, ok := tensorIn(c, 4); ok && c.HasInput(4) && len(pk.Shape) == 4 {
		total = pk.Shape[2].Add(kvSeq)
	}
	c.SetOutput(1, Tensor(dt, Shape{batch, kvHeads, total, headK}))
	c.SetOutput(2, Tensor(dt, Shape{batch, kvHeads, total, headV}))
	c.SetOutput(3, Tensor(dt, Shape{batch, qHeads, qSeq, total}))
	return nil
}

func init() { Register("", "Attention", attentionRule) }
