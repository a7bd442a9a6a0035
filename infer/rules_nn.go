package infer

import (
	"math"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register("", "Gemm", gemmRule)
	Register("", "MatMul", matMulRule)
	Register("", "MatMulInteger", matMulRule)
	Register("", "QLinearMatMul", matMulRule)
	for _, op := range []string{"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
		"ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"} {
		Register("", op, reduceRule(op))
	}
	Register("", "ArgMax", argRule)
	Register("", "ArgMin", argRule)
	Register("", "Pad", padRule)
	Register("", "Resize", resizeRule)
	Register("", "Upsample", resizeRule)
	Register("", "NonZero", nonZeroRule)
	Register("", "TopK", topKRule)
	Register("", "NonMaxSuppression", nmsRule)
	Register("", "RoiAlign", roiAlignRule)
	Register("", "BatchNormalization", batchNormRule)
	Register("", "Dropout", dropoutRule)
	Register("", "LayerNormalization", layerNormRule)
	Register("", "GroupNormalization", unaryRule("GroupNormalization"))
	Register("", "OneHot", oneHotRule)
	Register("", "EyeLike", eyeLikeRule)
	Register("", "Compress", compressRule)
	Register("", "Unique", uniqueRule)
	Register("", "QuantizeLinear", quantizeRule)
	Register("", "DequantizeLinear", dequantizeRule)
	Register("", "DynamicQuantizeLinear", dynQuantRule)
	Register("", "RandomNormal", randomRule)
	Register("", "RandomUniform", randomRule)
	Register("", "Multinomial", multinomialRule)
	Register("", "GridSample", gridSampleRule)
	Register("", "NegativeLogLikelihoodLoss", nllRule)
	Register("", "SoftmaxCrossEntropyLoss", sceRule)
}

func gemmRule(c *Context) error {
	a, aok := tensorIn(c, 0)
	b, bok := tensorIn(c, 1)
	dt := c.Input(0).DType
	if !aok || !bok {
		c.SetOutput(0, Tensor(dt, Shape{Unknown(), Unknown()}))
		return nil
	}
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		if c.Opset >= 7 || len(a.Shape) != 2 {
			return c.Errorf("input 0 (A) %v and input 1 (B) %v must be 2-D", a.Shape, b.Shape)
		}
	}
	m, k1 := a.Shape[0], a.Shape[1]
	if c.Int("transA", 0) != 0 {
		m, k1 = k1, m
	}
	k2, n := b.Shape[0], b.Shape[1]
	if c.Int("transB", 0) != 0 {
		k2, n = n, k2
	}
	k, err := c.Unify(k1, k2)
	if err != nil {
		return c.Errorf("input 0 (A) %v and input 1 (B) %v: inner dims %v and %v differ (transA %d, transB %d)",
			a.Shape, b.Shape, k1, k2, c.Int("transA", 0), c.Int("transB", 0))
	}
	out := Shape{m, n}
	if cf, ok := tensorIn(c, 2); ok && c.HasInput(2) {
		if _, err := c.Broadcast(out, cf.Shape); err != nil {
			return c.Errorf("input 2 (C): shape %v does not broadcast to %v", cf.Shape, out)
		}
		if len(cf.Shape) <= 2 {
			// C broadcasts to the output; its dims pin those of the output.
			off := 2 - len(cf.Shape)
			for i, d := range cf.Shape {
				if v, ok := d.Value(); ok && v != 1 {
					if _, err := c.Unify(out[off+i], d); err != nil {
						return c.Errorf("input 2 (C): shape %v does not broadcast to %v", cf.Shape, out)
					}
				}
			}
		}
	}
	c.SetOutput(0, Tensor(dt, out))
	params := int64(0)
	if f := c.Input(1); f.Const != nil {
		params += f.Const.NumElements()
	}
	if f := c.Input(2); c.HasInput(2) && f.Const != nil {
		params += f.Const.NumElements()
	}
	c.SetCost(params, m.Mul(n).Mul(k))
	return nil
}

func matMulRule(c *Context) error {
	ai, bi := 0, 1
	dt := c.Input(0).DType
	switch c.Node.OpType {
	case "MatMulInteger":
		dt = graph.Int32
	case "QLinearMatMul":
		ai, bi = 0, 3
		dt = c.Input(7).DType
	}
	a, aok := tensorIn(c, ai)
	b, bok := tensorIn(c, bi)
	if c.Node.OpType == "MatMul" && a.DType != graph.Undefined && b.DType != graph.Undefined && a.DType != b.DType {
		return c.Errorf("input 1 (B): element type %v differs from %v of input 0 (A)", b.DType, a.DType)
	}
	if !aok || !bok {
		unknownRank(c, 0, dt)
		return nil
	}
	if len(a.Shape) == 0 || len(b.Shape) == 0 {
		return c.Errorf("input %d (A) %v and input %d (B) %v must not be scalars", ai, a.Shape, bi, b.Shape)
	}
	as, bs := a.Shape, b.Shape
	if len(as) == 1 {
		as = Shape{Const(1), as[0]}
	}
	if len(bs) == 1 {
		bs = Shape{bs[0], Const(1)}
	}
	k, err := c.Unify(as[len(as)-1], bs[len(bs)-2])
	if err != nil {
		return c.Errorf("input %d (A) %v and input %d (B) %v: inner dims %v and %v differ", ai, a.Shape, bi, b.Shape, as[len(as)-1], bs[len(bs)-2])
	}
	batch, err := c.Broadcast(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return c.Errorf("input %d (A) %v and input %d (B) %v: batch dims do not broadcast", ai, a.Shape, bi, b.Shape)
	}
	out := batch.Clone()
	if len(a.Shape) > 1 {
		out = append(out, as[len(as)-2])
	}
	if len(b.Shape) > 1 {
		out = append(out, bs[len(bs)-1])
	}
	c.SetOutput(0, Tensor(dt, out))
	params := int64(0)
	if f := c.Input(bi); f.Const != nil {
		params = f.Const.NumElements()
	}
	c.SetCost(params, batch.NumElements().Mul(as[len(as)-2]).Mul(bs[len(bs)-1]).Mul(k))
	return nil
}

func reduceRule(op string) Rule {
	return func(c *Context) error {
		x, ok := tensorIn(c, 0)
		dt := c.Input(0).DType
		keep := c.Int("keepdims", 1) != 0
		if !ok {
			unknownRank(c, 0, dt)
			return nil
		}
		since := int64(18)
		if op == "ReduceSum" {
			since = 13
		}
		axes, present, known, err := axesArg(c, since, 1, len(x.Shape))
		if err != nil {
			return err
		}
		if !known {
			if keep {
				c.SetOutput(0, Tensor(dt, unknowns(len(x.Shape))))
			} else {
				unknownRank(c, 0, dt)
			}
			return nil
		}
		red := make([]bool, len(x.Shape))
		if !present || len(axes) == 0 {
			if c.Opset >= since && c.Int("noop_with_empty_axes", 0) != 0 {
				c.SetOutput(0, Tensor(dt, x.Shape.Clone()))
				return nil
			}
			for i := range red {
				red[i] = true
			}
		}
		for _, a := range axes {
			red[a] = true
		}
		out := Shape{}
		for i, d := range x.Shape {
			switch {
			case !red[i]:
				out = append(out, d)
			case keep:
				out = append(out, Const(1))
			}
		}
		f := Tensor(dt, out)
		if x.Value != nil && len(x.Shape) == 1 && red[0] {
			var r Dim
			switch op {
			case "ReduceProd":
				r = Const(1)
				for _, d := range x.Value {
					r = r.Mul(d)
				}
			case "ReduceSum":
				r = Const(0)
				for _, d := range x.Value {
					r = r.Add(d)
				}
			case "ReduceMax", "ReduceMin":
				if len(x.Value) > 0 {
					r = x.Value[0]
					for _, d := range x.Value[1:] {
						if op == "ReduceMax" {
							r = r.Max(d)
						} else {
							r = r.Min(d)
						}
					}
				} else {
					r = Unknown()
				}
			default:
				r = Unknown()
			}
			if !r.IsUnknown() {
				f = withValue(f, []Dim{r})
			}
		}
		c.SetOutput(0, f)
		return nil
	}
}

func argRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	if !ok {
		unknownRank(c, 0, graph.Int64)
		return nil
	}
	a, err := normAxis(c, c.Int("axis", 0), len(x.Shape), "axis")
	if err != nil {
		return err
	}
	out := x.Shape.Clone()
	if c.Int("keepdims", 1) != 0 {
		out[a] = Const(1)
	} else {
		out = append(out[:a], out[a+1:]...)
	}
	c.SetOutput(0, Tensor(graph.Int64, out))
	return nil
}

func padRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	dt := c.Input(0).DType
	if !ok {
		unknownRank(c, 0, dt)
		return nil
	}
	r := len(x.Shape)
	var pads []Dim
	var axes []int
	if c.Opset < 11 {
		name := "pads"
		if c.Opset < 2 {
			name = "paddings"
		}
		for _, p := range c.Ints(name, nil) {
			pads = append(pads, Const(p))
		}
	} else {
		v, ok := dimsInput(c, 1)
		if !ok {
			c.SetOutput(0, Tensor(dt, unknowns(r)))
			return nil
		}
		pads = v
		if c.Opset >= 18 && c.HasInput(3) {
			av, ok := intsInput(c, 3)
			if !ok {
				c.SetOutput(0, Tensor(dt, unknowns(r)))
				return nil
			}
			var err error
			if axes, err = normAxes(c, av, r); err != nil {
				return err
			}
		}
	}
	if axes == nil {
		axes = allAxes(r)
	}
	if len(pads) != 2*len(axes) {
		return c.Errorf("input 1 (pads): %d values for %d axes of input 0 shape %v", len(pads), len(axes), x.Shape)
	}
	out := x.Shape.Clone()
	n := len(axes)
	for i, a := range axes {
		out[a] = out[a].Add(pads[i]).Add(pads[i+n])
		if v, ok := out[a].Value(); ok && v < 0 {
			return c.Errorf("pads %v make axis %d of input 0 shape %v negative", Shape(pads), a, x.Shape)
		}
	}
	c.SetOutput(0, Tensor(dt, out))
	return nil
}

// resizeRule covers Upsample (scales attribute before 9, input from 9) and
// Resize (scales input 1 in 10, roi/scales/sizes inputs 1..3 from 11).
func resizeRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	dt := c.Input(0).DType
	if !ok {
		unknownRank(c, 0, dt)
		return nil
	}
	r := len(x.Shape)
	var scales []float64
	var sizes []Dim
	haveScales := false
	switch {
	case c.Node.OpType == "Upsample" && c.Opset < 7:
		if r != 4 {
			return c.Errorf("input 0: shape %v must be 4-D", x.Shape)
		}
		scales = []float64{1, 1, float64(c.Float("height_scale", 0)), float64(c.Float("width_scale", 0))}
		haveScales = true
	case c.Node.OpType == "Upsample" && c.Opset < 9:
		for _, s := range c.Floats("scales", nil) {
			scales = append(scales, float64(s))
		}
		haveScales = true
	case c.Node.OpType == "Upsample" || c.Opset < 11:
		s, ok := floatsInput(c, 1)
		if !ok {
			c.SetOutput(0, Tensor(dt, unknowns(r)))
			return nil
		}
		scales, haveScales = s, true
	default:
		if c.HasInput(3) {
			v, ok := dimsInput(c, 3)
			if !ok {
				if f, ok := tensorIn(c, 3); ok && len(f.Shape) == 1 {
					if n, ok := f.Shape[0].Value(); ok && n > 0 {
						sizes = nil
						c.SetOutput(0, Tensor(dt, unknowns(r)))
						return nil
					}
				}
			} else if len(v) > 0 {
				sizes = v
			}
		}
		if sizes == nil && c.HasInput(2) {
			s, ok := floatsInput(c, 2)
			if !ok {
				if f, ok := tensorIn(c, 2); !ok || len(f.Shape) != 1 || !f.Shape[0].Equal(Const(0)) {
					c.SetOutput(0, Tensor(dt, unknowns(r)))
					return nil
				}
			} else if len(s) > 0 {
				scales, haveScales = s, true
			}
		}
		if sizes == nil && !haveScales {
			if c.HasInput(2) || c.HasInput(3) {
				c.SetOutput(0, Tensor(dt, unknowns(r)))
				return nil
			}
			return c.Errorf("neither scales nor sizes given")
		}
	}
	axes := allAxes(r)
	if c.Opset >= 18 && c.Has("axes") {
		var err error
		if axes, err = normAxes(c, c.Ints("axes", nil), r); err != nil {
			return err
		}
	}
	out := x.Shape.Clone()
	if sizes != nil {
		if len(sizes) != len(axes) {
			return c.Errorf("input 3 (sizes): %d values for %d axes of input 0 shape %v", len(sizes), len(axes), x.Shape)
		}
		policy := c.Str("keep_aspect_ratio_policy", "stretch")
		if policy != "stretch" && c.Opset >= 18 {
			// The kept aspect ratio makes the sizes depend on a float scale.
			sc := math.Inf(1)
			if policy == "not_smaller" {
				sc = math.Inf(-1)
			}
			for i, a := range axes {
				sv, ok1 := sizes[i].Value()
				xv, ok2 := x.Shape[a].Value()
				if !ok1 || !ok2 || xv == 0 {
					c.SetOutput(0, Tensor(dt, unknowns(r)))
					return nil
				}
				s := float64(sv) / float64(xv)
				if policy == "not_larger" {
					sc = math.Min(sc, s)
				} else {
					sc = math.Max(sc, s)
				}
			}
			for _, a := range axes {
				xv, _ := x.Shape[a].Value()
				out[a] = Const(int64(math.Round(float64(xv) * sc)))
			}
			c.SetOutput(0, Tensor(dt, out))
			return nil
		}
		for i, a := range axes {
			out[a] = sizes[i]
		}
		c.SetOutput(0, Tensor(dt, out))
		return nil
	}
	if len(scales) != len(axes) {
		return c.Errorf("scales %v: %d values for %d axes of input 0 shape %v", scales, len(scales), len(axes), x.Shape)
	}
	// tf_crop_and_resize scales the cropped extent.
	var roi []float64
	if c.Node.OpType == "Resize" && c.Opset >= 11 && c.Str("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize" {
		v, ok := floatsInput(c, 1)
		if !ok || len(v) != 2*len(axes) {
			c.SetOutput(0, Tensor(dt, unknowns(r)))
			return nil
		}
		roi = v
	}
	for i, a := range axes {
		s := scales[i]
		if s <= 0 || math.IsNaN(s) || math.IsInf(s, 0) {
			return c.Errorf("scale %v for axis %d must be positive", s, a)
		}
		d := x.Shape[a]
		if v, ok := d.Value(); ok {
			// Computed in float32, as runtimes do with float scales.
			ext := float32(v)
			if roi != nil {
				ext *= float32(roi[i+len(axes)] - roi[i])
			}
			out[a] = Const(int64(math.Floor(float64(ext * float32(s)))))
			continue
		}
		if roi != nil {
			out[a] = Unknown()
			continue
		}
		if s == math.Trunc(s) {
			out[a] = d.Mul(Const(int64(s)))
		} else if inv := 1 / s; inv == math.Trunc(inv) {
			out[a] = d.FloorDiv(Const(int64(inv)))
		} else {
			out[a] = Unknown()
		}
	}
	c.SetOutput(0, Tensor(dt, out))
	return nil
}

func nonZeroRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	r := Unknown()
	if ok {
		// A scalar counts as a one-element 1-D tensor, as numpy's nonzero
		// (the reference) and the kernel take it.
		r = Const(int64(max(len(x.Shape), 1)))
	}
	n := c.FreshOut(0)
	if x.Value != nil {
		if v, ok := Shape(x.Value).Consts(); ok {
			cnt := int64(0)
			for _, e := range v {
				if e != 0 {
					cnt++
				}
			}
			n = Const(cnt)
		}
	} else if ok {
		if tot, ok := x.Shape.NumElements().Value(); ok && tot == 0 {
			n = Const(0)
		}
	}
	c.SetOutput(0, Tensor(graph.Int64, Shape{r, n}))
	return nil
}

func topKRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	dt := c.Input(0).DType
	if !ok {
		unknownRank(c, 0, dt)
		unknownRank(c, 1, graph.Int64)
		return nil
	}
	a, err := normAxis(c, c.Int("axis", -1), len(x.Shape), "axis")
	if err != nil {
		return err
	}
	var k Dim
	if c.Opset < 10 {
		k = Const(c.Int("k", 0))
	} else if v, ok := dimsInput(c, 1); ok && len(v) == 1 {
		k = v[0]
	} else {
		k = c.FreshOut(0)
	}
	if kv, ok := k.Value(); ok {
		if kv < 0 {
			return c.Errorf("k %d must not be negative", kv)
		}
		if dv, ok := x.Shape[a].Value(); ok && kv > dv {
			return c.Errorf("k %d exceeds axis %d of input 0 shape %v", kv, a, x.Shape)
		}
	}
	out := x.Shape.Clone()
	out[a] = k
	c.SetOutput(0, Tensor(dt, out))
	c.SetOutput(1, Tensor(graph.Int64, out.Clone()))
	return nil
}

func nmsRule(c *Context) error {
	c.SetOutput(0, Tensor(graph.Int64, Shape{c.FreshOut(0), Const(3)}))
	return nil
}

func roiAlignRule(c *Context) error {
	x, xok := tensorIn(c, 0)
	r, rok := tensorIn(c, 1)
	num, ch := Unknown(), Unknown()
	if rok {
		if len(r.Shape) != 2 {
			return c.Errorf("input 1 (rois): shape %v must be 2-D", r.Shape)
		}
		num = r.Shape[0]
	}
	if b, ok := tensorIn(c, 2); ok && len(b.Shape) == 1 && rok {
		d, err := c.Unify(num, b.Shape[0])
		if err != nil {
			return c.Errorf("input 2 (batch_indices) %v and input 1 (rois) %v differ in length", b.Shape, r.Shape)
		}
		num = d
	}
	if xok {
		if len(x.Shape) != 4 {
			return c.Errorf("input 0 (X): shape %v must be 4-D", x.Shape)
		}
		ch = x.Shape[1]
	}
	oh, ow := c.Int("output_height", 1), c.Int("output_width", 1)
	c.SetOutput(0, Tensor(c.Input(0).DType, Shape{num, ch, Const(oh), Const(ow)}))
	return nil
}

func batchNormRule(c *Context) error {
	x := c.Input(0)
	sameShape(c, 0, 0)
	if x.Ranked && len(x.Shape) >= 2 {
		ch := x.Shape[1]
		for i := 1; i <= 4; i++ {
			if f, ok := tensorIn(c, i); ok && len(f.Shape) == 1 {
				d, err := c.Unify(ch, f.Shape[0])
				if err != nil {
					return c.Errorf("input %d: shape %v does not match %v channels of input 0 shape %v", i, f.Shape, ch, x.Shape)
				}
				ch = d
			}
		}
		for i := 1; i < c.NumOutputs(); i++ {
			if c.HasOutput(i) {
				dt := c.Input(3).DType
				if dt == graph.Undefined {
					dt = x.DType
				}
				c.SetOutput(i, Tensor(dt, Shape{ch}))
			}
		}
	}
	if f := c.Input(1); f.Const != nil {
		n := int64(0)
		for i := 1; i <= 4; i++ {
			if g := c.Input(i); g.Const != nil {
				n += g.Const.NumElements()
			}
		}
		c.SetCost(n, x.Shape.NumElements())
	}
	return nil
}

func dropoutRule(c *Context) error {
	sameShape(c, 0, 0)
	x := c.Input(0)
	if x.Value != nil {
		f, _ := c.Output(0)
		c.SetOutput(0, withValue(f, x.Value))
	}
	if c.HasOutput(1) && x.Kind == KindTensor {
		dt := graph.Bool
		if c.Opset < 10 {
			dt = x.DType
		}
		c.SetOutput(1, retype(x, dt))
	}
	return nil
}

func layerNormRule(c *Context) error {
	sameShape(c, 0, 0)
	x, ok := tensorIn(c, 0)
	if !ok {
		return nil
	}
	a, err := normAxis(c, c.Int("axis", -1), len(x.Shape), "axis")
	if err != nil {
		return err
	}
	st := graph.DType(c.Int("stash_type", 1))
	if st == graph.Undefined {
		st = graph.Float
	}
	red := x.Shape.Clone()
	for i := a; i < len(red); i++ {
		red[i] = Const(1)
	}
	for i := 1; i <= 2; i++ {
		if c.HasOutput(i) {
			c.SetOutput(i, Tensor(st, red.Clone()))
		}
	}
	return nil
}

func oneHotRule(c *Context) error {
	idx, ok := tensorIn(c, 0)
	dt := c.Input(2).DType
	if !ok {
		unknownRank(c, 0, dt)
		return nil
	}
	depth := Unknown()
	if v, ok := floatsInput(c, 1); ok && len(v) == 1 {
		depth = Const(int64(v[0]))
	} else if v, ok := dimsInput(c, 1); ok && len(v) == 1 {
		depth = v[0]
	}
	r := len(idx.Shape) + 1
	a, err := normAxis(c, c.Int("axis", -1), r, "axis")
	if err != nil {
		return err
	}
	out := make(Shape, 0, r)
	out = append(out, idx.Shape[:a]...)
	out = append(out, depth)
	out = append(out, idx.Shape[a:]...)
	c.SetOutput(0, Tensor(dt, out))
	return nil
}

func eyeLikeRule(c *Context) error {
	x := c.Input(0)
	dt := x.DType
	if c.Has("dtype") {
		dt = graph.DType(c.Int("dtype", 0))
	}
	if x.Ranked && len(x.Shape) != 2 {
		return c.Errorf("input 0: shape %v must be 2-D", x.Shape)
	}
	c.SetOutput(0, retype(x, dt))
	return nil
}

func compressRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	dt := c.Input(0).DType
	n := c.FreshOut(0)
	if v, ok := c.Input(1).ConstInts(); ok {
		cnt := int64(0)
		for _, b := range v {
			if b != 0 {
				cnt++
			}
		}
		n = Const(cnt)
	}
	if !c.Has("axis") {
		c.SetOutput(0, Tensor(dt, Shape{n}))
		return nil
	}
	if !ok {
		unknownRank(c, 0, dt)
		return nil
	}
	a, err := normAxis(c, c.Int("axis", 0), len(x.Shape), "axis")
	if err != nil {
		return err
	}
	out := x.Shape.Clone()
	out[a] = n
	c.SetOutput(0, Tensor(dt, out))
	return nil
}

func uniqueRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	dt := c.Input(0).DType
	n := c.FreshOut(0)
	if c.Has("axis") && ok {
		a, err := normAxis(c, c.Int("axis", 0), len(x.Shape), "axis")
		if err != nil {
			return err
		}
		out := x.Shape.Clone()
		out[a] = n
		c.SetOutput(0, Tensor(dt, out))
		c.SetOutput(2, Tensor(graph.Int64, Shape{x.Shape[a]}))
	} else {
		c.SetOutput(0, Tensor(dt, Shape{n}))
		if ok {
			c.SetOutput(2, Tensor(graph.Int64, Shape{x.Shape.NumElements()}))
		} else {
			c.SetOutput(2, Tensor(graph.Int64, Shape{Unknown()}))
		}
	}
	c.SetOutput(1, Tensor(graph.Int64, Shape{n}))
	c.SetOutput(3, Tensor(graph.Int64, Shape{n}))
	return nil
}

func quantizeRule(c *Context) error {
	dt := graph.Uint8
	if c.HasInput(2) {
		dt = c.Input(2).DType
	}
	if c.Has("output_dtype") {
		if v := c.Int("output_dtype", 0); v != 0 {
			dt = graph.DType(v)
		}
	}
	x := c.Input(0)
	if x.Kind == KindUnknown {
		return nil
	}
	c.SetOutput(0, retype(x, dt))
	return nil
}

func dequantizeRule(c *Context) error {
	x := c.Input(0)
	dt := c.Input(1).DType
	if dt == graph.Undefined {
		dt = graph.Float
	}
	if x.Kind == KindUnknown {
		return nil
	}
	c.SetOutput(0, retype(x, dt))
	return nil
}

func dynQuantRule(c *Context) error {
	x := c.Input(0)
	if x.Kind != KindUnknown {
		c.SetOutput(0, retype(x, graph.Uint8))
	}
	c.SetOutput(1, Tensor(graph.Float, Shape{}))
	c.SetOutput(2, Tensor(graph.Uint8, Shape{}))
	return nil
}

func randomRule(c *Context) error {
	dt := graph.DType(c.Int("dtype", int64(graph.Float)))
	s := c.Ints("shape", nil)
	c.SetOutput(0, Tensor(dt, ConstShape(s...)))
	return nil
}

func multinomialRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	dt := graph.DType(c.Int("dtype", int64(graph.Int32)))
	n := c.Int("sample_size", 1)
	b := Unknown()
	if ok && len(x.Shape) == 2 {
		b = x.Shape[0]
	}
	c.SetOutput(0, Tensor(dt, Shape{b, Const(n)}))
	return nil
}

func gridSampleRule(c *Context) error {
	x, xok := tensorIn(c, 0)
	g, gok := tensorIn(c, 1)
	dt := c.Input(0).DType
	if !xok || !gok {
		unknownRank(c, 0, dt)
		return nil
	}
	if len(g.Shape) != len(x.Shape) || len(x.Shape) < 3 {
		return c.Errorf("input 1 (grid) %v does not fit input 0 (X) %v", g.Shape, x.Shape)
	}
	out := Shape{x.Shape[0], x.Shape[1]}
	out = append(out, g.Shape[1:len(g.Shape)-1]...)
	c.SetOutput(0, Tensor(dt, out))
	return nil
}

func nllRule(c *Context) error {
	x := c.Input(0)
	t, ok := tensorIn(c, 1)
	if c.Str("reduction", "mean") != "none" {
		c.SetOutput(0, Tensor(x.DType, Shape{}))
		return nil
	}
	if !ok {
		unknownRank(c, 0, x.DType)
		return nil
	}
	c.SetOutput(0, Tensor(x.DType, t.Shape.Clone()))
	return nil
}

func sceRule(c *Context) error {
	x, xok := tensorIn(c, 0)
	t, ok := tensorIn(c, 1)
	dt := c.Input(0).DType
	if c.Str("reduction", "mean") != "none" {
		c.SetOutput(0, Tensor(dt, Shape{}))
	} else if ok {
		c.SetOutput(0, Tensor(dt, t.Shape.Clone()))
	} else {
		unknownRank(c, 0, dt)
	}
	if c.HasOutput(1) {
		if xok {
			c.SetOutput(1, Tensor(dt, x.Shape.Clone()))
		} else {
			unknownRank(c, 1, dt)
		}
	}
	return nil
}
