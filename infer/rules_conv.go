package infer

import (
	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register("", "Conv", convRule)
	Register("", "ConvInteger", convRule)
	Register("", "QLinearConv", convRule)
	Register("", "ConvTranspose", convTransposeRule)
	Register("", "MaxPool", poolRule("MaxPool"))
	Register("", "AveragePool", poolRule("AveragePool"))
	Register("", "LpPool", poolRule("LpPool"))
	Register("", "GlobalAveragePool", globalPoolRule)
	Register("", "GlobalMaxPool", globalPoolRule)
	Register("", "GlobalLpPool", globalPoolRule)
	Register("", "MaxRoiPool", maxRoiPoolRule)
	Register("", "MaxUnpool", maxUnpoolRule)
}

// geometry is what the conv and pool rules share.
type geometry struct {
	autoPad   string
	kernel    []int64
	strides   []int64
	dilations []int64
	pads      []int64 // explicit, begin then end
}

func readGeometry(c *Context, n int, kernel []int64, dilationsOK bool) (*geometry, error) {
	g := &geometry{autoPad: c.Str("auto_pad", "NOTSET"), kernel: kernel}
	ones := make([]int64, n)
	for i := range ones {
		ones[i] = 1
	}
	g.strides = c.Ints("strides", ones)
	g.dilations = ones
	if dilationsOK {
		g.dilations = c.Ints("dilations", ones)
	}
	g.pads = c.Ints("pads", make([]int64, 2*n))
	switch {
	case len(g.kernel) != n:
		return nil, c.Errorf("kernel_shape %v has %d dims, input has %d spatial dims", g.kernel, len(g.kernel), n)
	case len(g.strides) != n:
		return nil, c.Errorf("strides %v has %d values, want %d", g.strides, len(g.strides), n)
	case len(g.dilations) != n:
		return nil, c.Errorf("dilations %v has %d values, want %d", g.dilations, len(g.dilations), n)
	case len(g.pads) != 2*n:
		return nil, c.Errorf("pads %v has %d values, want %d", g.pads, len(g.pads), 2*n)
	}
	for i := 0; i < n; i++ {
		if g.strides[i] <= 0 || g.dilations[i] <= 0 || g.kernel[i] <= 0 {
			return nil, c.Errorf("strides %v, dilations %v and kernel %v must be positive", g.strides, g.dilations, g.kernel)
		}
		if g.pads[i] < 0 || g.pads[i+n] < 0 {
			return nil, c.Errorf("pads %v must not be negative", g.pads)
		}
	}
	switch g.autoPad {
	case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
	default:
		return nil, c.Errorf("auto_pad %q is not NOTSET, VALID, SAME_UPPER or SAME_LOWER", g.autoPad)
	}
	return g, nil
}

// outSpatial computes the output size of every spatial axis of a conv or
// pool, and the resolved pads. ceil selects ceil_mode (pools).
func (g *geometry) outSpatial(c *Context, in Shape, ceil bool) (out Shape, info *ConvInfo, err error) {
	n := len(g.kernel)
	info = &ConvInfo{AutoPad: g.autoPad, Kernel: ConstShape(g.kernel...), Strides: g.strides,
		Dilations: g.dilations, PadsBegin: make([]Dim, n), PadsEnd: make([]Dim, n), OddPad: make([]string, n), CeilMode: ceil}
	out = make(Shape, n)
	for i := 0; i < n; i++ {
		x := in[i]
		s := Const(g.strides[i])
		dk := (g.kernel[i]-1)*g.dilations[i] + 1
		switch g.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			o := x.CeilDiv(s)
			total := o.Sub(Const(1)).Mul(s).Add(Const(dk)).Sub(x).Max(Const(0))
			info.splitSamePad(i, total)
			out[i] = o
		case "VALID":
			info.PadsBegin[i], info.PadsEnd[i] = Const(0), Const(0)
			out[i] = x.Sub(Const(dk)).FloorDiv(s).Add(Const(1))
		default:
			pb, pe := Const(g.pads[i]), Const(g.pads[i+n])
			info.PadsBegin[i], info.PadsEnd[i] = pb, pe
			if (g.pads[i]+g.pads[i+n])%2 == 1 {
				if g.pads[i] > g.pads[i+n] {
					info.OddPad[i] = "begin"
				} else {
					info.OddPad[i] = "end"
				}
			}
			span := x.Add(pb).Add(pe).Sub(Const(dk))
			if !ceil {
				out[i] = span.FloorDiv(s).Add(Const(1))
				break
			}
			o := span.CeilDiv(s).Add(Const(1))
			// A last window that would start in the end padding is dropped.
			start := o.Sub(Const(1)).Mul(s)
			limit := x.Add(pb)
			if sv, ok := start.Value(); ok {
				if lv, ok := limit.Value(); ok {
					if sv >= lv {
						o = o.Sub(Const(1))
					}
					out[i] = o
					break
				}
			}
			if g.pads[i+n]+g.strides[i] > dk {
				o = o.Min(limit.CeilDiv(s))
			}
			out[i] = o
		}
		if v, ok := out[i].Value(); ok && v <= 0 {
			return nil, nil, c.Errorf("input 0: spatial dim %d of size %v is too small for kernel %d (dilation %d, pads %v, auto_pad %s): output size %d",
				i, x, g.kernel[i], g.dilations[i], g.pads, g.autoPad, v)
		}
	}
	return out, info, nil
}

func convRule(c *Context) error {
	op := c.Node.OpType
	xi, wi, bi := 0, 1, 2
	dt := c.Input(0).DType
	if op == "QLinearConv" {
		xi, wi, bi = 0, 3, 8
		dt = c.Input(7).DType
	} else if op == "ConvInteger" {
		dt = graph.Int32
		bi = -1
	} else if op == "DeformConv" {
		bi = 3
	}
	x, xok := tensorIn(c, xi)
	w, wok := tensorIn(c, wi)
	if !xok {
		if wok && len(w.Shape) >= 3 {
			s := make(Shape, len(w.Shape))
			for i := range s {
				s[i] = Unknown()
			}
			s[1] = w.Shape[0]
			c.SetOutput(0, Tensor(dt, s))
			return nil
		}
		unknownRank(c, 0, dt)
		return nil
	}
	if len(x.Shape) < 3 {
		return c.Errorf("input %d (X): shape %v has rank %d, want at least 3", xi, x.Shape, len(x.Shape))
	}
	n := len(x.Shape) - 2
	group := c.Int("group", 1)
	if group <= 0 {
		return c.Errorf("group %d must be positive", group)
	}
	var kernel []int64
	if c.Has("kernel_shape") {
		kernel = c.Ints("kernel_shape", nil)
	}
	out := make(Shape, len(x.Shape))
	out[0] = x.Shape[0]
	out[1] = Unknown()
	var chanErr error
	if wok {
		if len(w.Shape) != len(x.Shape) {
			return c.Errorf("input %d (W): shape %v has rank %d, input %d (X) %v has rank %d",
				wi, w.Shape, len(w.Shape), xi, x.Shape, len(x.Shape))
		}
		out[1] = w.Shape[0]
		// The output shape is still inferred after a channel mismatch, so
		// that later nodes are checked too; the error is returned at the end.
		if m, ok := w.Shape[0].Value(); ok && m%group != 0 {
			chanErr = c.Errorf("input %d (W): %d output channels (shape %v) are not a multiple of group %d", wi, m, w.Shape, group)
		}
		// C == W[1] * group
		if _, err := c.Unify(x.Shape[1], w.Shape[1].Mul(Const(group))); err != nil && chanErr == nil {
			chanErr = c.Errorf("input %d (X) has %v channels (shape %v) but W %v with group %d needs W[1]*group = %v",
				xi, x.Shape[1], x.Shape, w.Shape, group, w.Shape[1].Mul(Const(group)))
		}
		if kernel == nil {
			k, ok := w.Shape[2:].Consts()
			if !ok {
				c.SetOutput(0, Tensor(dt, append(Shape{out[0], out[1]}, unknowns(n)...)))
				return chanErr
			}
			kernel = k
		} else if ks, ok := w.Shape[2:].Consts(); ok && !Shape(ConstShape(ks...)).Equal(ConstShape(kernel...)) {
			return c.Errorf("kernel_shape %v does not match input %d (W) shape %v", kernel, wi, w.Shape)
		}
	}
	if kernel == nil {
		c.SetOutput(0, Tensor(dt, append(Shape{out[0], out[1]}, unknowns(n)...)))
		return chanErr
	}
	if bi >= 0 && c.HasInput(bi) {
		if b, ok := tensorIn(c, bi); ok {
			if len(b.Shape) != 1 {
				return c.Errorf("input %d (B): shape %v must be 1-D", bi, b.Shape)
			}
			if _, err := c.Unify(b.Shape[0], out[1]); err != nil {
				return c.Errorf("input %d (B): shape %v does not match %v output channels", bi, b.Shape, out[1])
			}
		}
	}
	g, err := readGeometry(c, n, kernel, true)
	if err != nil {
		return err
	}
	sp, info, err := g.outSpatial(c, x.Shape[2:], false)
	if err != nil {
		return err
	}
	copy(out[2:], sp)
	info.Group = group
	c.SetConv(info)
	c.SetOutput(0, Tensor(dt, out))
	// params and MACs: N*M*prod(out spatial)*(C/group)*prod(kernel)
	params := int64(0)
	if f := c.Input(wi); f.Const != nil {
		params += f.Const.NumElements()
	}
	if bi >= 0 {
		if f := c.Input(bi); f.Const != nil {
			params += f.Const.NumElements()
		}
	}
	macs := out[0].Mul(out[1]).Mul(sp.NumElements()).Mul(x.Shape[1].FloorDiv(Const(group)))
	for _, k := range kernel {
		macs = macs.Mul(Const(k))
	}
	c.SetCost(params, macs)
	return chanErr
}

func unknowns(n int) Shape {
	s := make(Shape, n)
	for i := range s {
		s[i] = Unknown()
	}
	return s
}

func convTransposeRule(c *Context) error {
	x, xok := tensorIn(c, 0)
	w, wok := tensorIn(c, 1)
	dt := c.Input(0).DType
	if !xok {
		unknownRank(c, 0, dt)
		return nil
	}
	if len(x.Shape) < 3 {
		return c.Errorf("input 0 (X): shape %v has rank %d, want at least 3", x.Shape, len(x.Shape))
	}
	n := len(x.Shape) - 2
	group := c.Int("group", 1)
	if group <= 0 {
		return c.Errorf("group %d must be positive", group)
	}
	out := make(Shape, len(x.Shape))
	out[0] = x.Shape[0]
	out[1] = Unknown()
	var kernel []int64
	if c.Has("kernel_shape") {
		kernel = c.Ints("kernel_shape", nil)
	}
	if wok {
		if len(w.Shape) != len(x.Shape) {
			return c.Errorf("input 1 (W): shape %v has rank %d, input 0 (X) %v has rank %d", w.Shape, len(w.Shape), x.Shape, len(x.Shape))
		}
		if _, err := c.Unify(x.Shape[1], w.Shape[0]); err != nil {
			return c.Errorf("input 0 (X) has %v channels (shape %v) but W %v has %v input channels", x.Shape[1], x.Shape, w.Shape, w.Shape[0])
		}
		if cv, ok := w.Shape[0].Value(); ok && cv%group != 0 {
			return c.Errorf("input 1 (W): %d input channels (shape %v) are not a multiple of group %d", cv, w.Shape, group)
		}
		out[1] = w.Shape[1].Mul(Const(group))
		if kernel == nil {
			if k, ok := w.Shape[2:].Consts(); ok {
				kernel = k
			}
		}
	}
	if c.HasInput(2) {
		if b, ok := tensorIn(c, 2); ok && len(b.Shape) == 1 {
			if _, err := c.Unify(b.Shape[0], out[1]); err != nil {
				return c.Errorf("input 2 (B): shape %v does not match %v output channels", b.Shape, out[1])
			}
		}
	}
	if kernel == nil {
		c.SetOutput(0, Tensor(dt, append(Shape{out[0], out[1]}, unknowns(n)...)))
		return nil
	}
	g, err := readGeometry(c, n, kernel, true)
	if err != nil {
		return err
	}
	outPad := c.Ints("output_padding", make([]int64, n))
	if len(outPad) != n {
		return c.Errorf("output_padding %v has %d values, want %d", outPad, len(outPad), n)
	}
	info := &ConvInfo{AutoPad: g.autoPad, Kernel: ConstShape(kernel...), Strides: g.strides, Dilations: g.dilations,
		PadsBegin: make([]Dim, n), PadsEnd: make([]Dim, n), OddPad: make([]string, n), Group: group}
	outShape := c.Ints("output_shape", nil)
	if outShape != nil && len(outShape) != n {
		if len(outShape) == n+2 {
			outShape = outShape[2:]
		} else {
			return c.Errorf("output_shape %v has %d values, want %d", outShape, len(outShape), n)
		}
	}
	for i := 0; i < n; i++ {
		in := x.Shape[2+i]
		s := Const(g.strides[i])
		dk := Const((kernel[i]-1)*g.dilations[i] + 1)
		full := in.Sub(Const(1)).Mul(s).Add(Const(outPad[i])).Add(dk) // before padding is removed
		switch {
		case outShape != nil:
			o := Const(outShape[i])
			total := full.Sub(o)
			half := total.FloorDiv(Const(2))
			if g.autoPad == "SAME_UPPER" {
				info.PadsBegin[i], info.PadsEnd[i] = half, total.Sub(half)
			} else {
				info.PadsBegin[i], info.PadsEnd[i] = total.Sub(half), half
			}
			out[2+i] = o
		case g.autoPad == "SAME_UPPER" || g.autoPad == "SAME_LOWER":
			o := in.Mul(s)
			total := full.Sub(o).Max(Const(0))
			info.splitSamePad(i, total)
			out[2+i] = o
		case g.autoPad == "VALID":
			info.PadsBegin[i], info.PadsEnd[i] = Const(0), Const(0)
			out[2+i] = full
		default:
			pb, pe := Const(g.pads[i]), Const(g.pads[i+n])
			info.PadsBegin[i], info.PadsEnd[i] = pb, pe
			out[2+i] = full.Sub(pb).Sub(pe)
		}
		if v, ok := out[2+i].Value(); ok && v <= 0 {
			return c.Errorf("output spatial dim %d would be %d (input %v, kernel %v, strides %v, pads %v)", i, v, x.Shape, kernel, g.strides, g.pads)
		}
	}
	c.SetConv(info)
	c.SetOutput(0, Tensor(dt, out))
	params := int64(0)
	if f := c.Input(1); f.Const != nil {
		params += f.Const.NumElements()
	}
	if f := c.Input(2); f.Const != nil {
		params += f.Const.NumElements()
	}
	// N * C * prod(input spatial) * (M/group) * prod(kernel)
	macs := x.Shape[0].Mul(x.Shape[1]).Mul(x.Shape[2:].NumElements()).Mul(out[1].FloorDiv(Const(group)))
	for _, k := range kernel {
		macs = macs.Mul(Const(k))
	}
	c.SetCost(params, macs)
	return nil
}

func poolRule(op string) Rule {
	return func(c *Context) error {
		x, ok := tensorIn(c, 0)
		dt := c.Input(0).DType
		if !ok {
			unknownRank(c, 0, dt)
			if op == "MaxPool" && c.HasOutput(1) {
				unknownRank(c, 1, graph.Int64)
			}
			return nil
		}
		if len(x.Shape) < 3 {
			return c.Errorf("input 0 (X): shape %v has rank %d, want at least 3", x.Shape, len(x.Shape))
		}
		n := len(x.Shape) - 2
		kernel := c.Ints("kernel_shape", nil)
		if kernel == nil {
			return c.Errorf("attribute kernel_shape is required")
		}
		dil := op == "MaxPool" && c.Opset >= 10 || op == "AveragePool" && c.Opset >= 19 || op == "LpPool" && c.Opset >= 18
		g, err := readGeometry(c, n, kernel, dil)
		if err != nil {
			return err
		}
		ceil := c.Int("ceil_mode", 0) != 0
		sp, info, err := g.outSpatial(c, x.Shape[2:], ceil)
		if err != nil {
			return err
		}
		info.Group = 1
		c.SetConv(info)
		out := append(Shape{x.Shape[0], x.Shape[1]}, sp...)
		c.SetOutput(0, Tensor(dt, out))
		if op == "MaxPool" && c.HasOutput(1) {
			c.SetOutput(1, Tensor(graph.Int64, out))
		}
		// MACs: one accumulate per window element per output.
		macs := out.NumElements()
		for _, k := range kernel {
			macs = macs.Mul(Const(k))
		}
		c.SetCost(0, macs)
		return nil
	}
}

func globalPoolRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	if !ok {
		unknownRank(c, 0, c.Input(0).DType)
		return nil
	}
	if len(x.Shape) < 2 {
		return c.Errorf("input 0 (X): shape %v has rank %d, want at least 2", x.Shape, len(x.Shape))
	}
	out := x.Shape.Clone()
	for i := 2; i < len(out); i++ {
		out[i] = Const(1)
	}
	c.SetOutput(0, Tensor(x.DType, out))
	c.SetCost(0, x.Shape.NumElements())
	return nil
}

func maxRoiPoolRule(c *Context) error {
	x, xok := tensorIn(c, 0)
	r, rok := tensorIn(c, 1)
	ps := c.Ints("pooled_shape", nil)
	if len(ps) != 2 {
		return c.Errorf("pooled_shape %v must have 2 values", ps)
	}
	num, ch := Unknown(), Unknown()
	if rok && len(r.Shape) == 2 {
		num = r.Shape[0]
	}
	if xok && len(x.Shape) == 4 {
		ch = x.Shape[1]
	}
	c.SetOutput(0, Tensor(c.Input(0).DType, Shape{num, ch, Const(ps[0]), Const(ps[1])}))
	return nil
}

func maxUnpoolRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	dt := c.Input(0).DType
	if c.HasInput(2) {
		if v, ok := dimsInput(c, 2); ok {
			c.SetOutput(0, Tensor(dt, Shape(v).Clone()))
			return nil
		}
		if f, ok := tensorIn(c, 2); ok && len(f.Shape) == 1 {
			if n, ok := f.Shape[0].Value(); ok {
				setUnknownDims(c, 0, dt, n)
				return nil
			}
		}
		unknownRank(c, 0, dt)
		return nil
	}
	if !ok || len(x.Shape) < 3 {
		unknownRank(c, 0, dt)
		return nil
	}
	n := len(x.Shape) - 2
	kernel := c.Ints("kernel_shape", nil)
	g, err := readGeometry(c, n, kernel, false)
	if err != nil {
		return err
	}
	out := x.Shape.Clone()
	for i := 0; i < n; i++ {
		out[2+i] = x.Shape[2+i].Sub(Const(1)).Mul(Const(g.strides[i])).Add(Const(kernel[i])).Sub(Const(g.pads[i] + g.pads[i+n]))
	}
	c.SetOutput(0, Tensor(dt, out))
	return nil
}

// splitSamePad sets the pads of spatial axis i from their total for
// AutoPad SAME_UPPER (the odd unit at the end) or SAME_LOWER (at the
// beginning), and records the side of an odd unit in OddPad.
func (info *ConvInfo) splitSamePad(i int, total Dim) {
	half := total.FloorDiv(Const(2))
	begin, end, odd := half, total.Sub(half), "end"
	if info.AutoPad == "SAME_LOWER" {
		begin, end, odd = total.Sub(half), half, "begin"
	}
	info.PadsBegin[i], info.PadsEnd[i] = begin, end
	if t, ok := total.Value(); ok && t%2 == 1 {
		info.OddPad[i] = odd
	}
}
