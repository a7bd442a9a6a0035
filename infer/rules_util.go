package infer

import (
	"github.com/onnxrun/onnxrun/graph"
)

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(c *Context, axis int64, rank int, what string) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, c.Errorf("%s %d out of range for rank %d", what, axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}

// normAxes normalizes each of raw for rank (see normAxis); it returns nil
// for no axes.
func normAxes(c *Context, raw []int64, rank int) ([]int, error) {
	var axes []int
	for _, a := range raw {
		ax, err := normAxis(c, a, rank, "axis")
		if err != nil {
			return nil, err
		}
		axes = append(axes, ax)
	}
	return axes, nil
}

// allAxes returns the axes 0 to rank-1.
func allAxes(rank int) []int {
	axes := make([]int, rank)
	for i := range axes {
		axes[i] = i
	}
	return axes
}

// tensorIn returns input i when it is a tensor of known rank.
func tensorIn(c *Context, i int) (Fact, bool) {
	f := c.Input(i)
	return f, f.Kind == KindTensor && f.Ranked
}

// sameShape sets output out to input in's type and shape, dropping content.
func sameShape(c *Context, in, out int) {
	f := c.Input(in)
	if f.Kind == KindUnknown {
		return
	}
	c.SetOutput(out, Fact{Kind: f.Kind, DType: f.DType, Shape: f.Shape, Ranked: f.Ranked, Elem: f.Elem})
}

// shapeOf returns f's fact with a new dtype and no content.
func retype(f Fact, dt graph.DType) Fact {
	return Fact{Kind: KindTensor, DType: dt, Shape: f.Shape, Ranked: f.Ranked}
}

// intsInput returns the constant integer content of input i.
func intsInput(c *Context, i int) ([]int64, bool) {
	return c.Input(i).ConstInts()
}

// dimsInput returns the (possibly symbolic) integer content of input i.
func dimsInput(c *Context, i int) ([]Dim, bool) {
	f := c.Input(i)
	if f.Value == nil {
		return nil, false
	}
	return f.Value, true
}

// floatsInput returns the content of a constant numeric input as float64s.
func floatsInput(c *Context, i int) ([]float64, bool) {
	f := c.Input(i)
	if f.Const != nil {
		return floats(f.Const)
	}
	if v, ok := f.ConstInts(); ok {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out, true
	}
	return nil, false
}

// valueFact makes a 1-D (or, with scalar, 0-D) int64 tensor fact holding v.
func valueFact(dt graph.DType, v []Dim, scalar bool) Fact {
	var f Fact
	if scalar {
		f = Tensor(dt, Shape{})
	} else {
		f = Tensor(dt, ConstShape(int64(len(v))))
	}
	f.Value = v
	return f
}

// withValue attaches v to f when f's shape is constant and matches len(v).
func withValue(f Fact, v []Dim) Fact {
	if v == nil || len(v) > MaxValueElems {
		return f
	}
	n, ok := f.Shape.NumElements().Value()
	if !ok || n != int64(len(v)) {
		return f
	}
	f.Value = v
	return f
}

// valueAllowed reports whether dt can carry a Value (integers and bool).
func valueAllowed(dt graph.DType) bool {
	return dt.IsInt() || dt == graph.Bool
}

// axesArg returns the axes of a node that takes them as an attribute (before
// opset since) or as input idx (from since), normalized against rank. ok is
// false when the axes are an input whose content is unknown. present reports
// whether axes were given at all.
func axesArg(c *Context, since int64, idx int, rank int) (axes []int, present, ok bool, err error) {
	var raw []int64
	if c.Opset >= since {
		if !c.HasInput(idx) {
			return nil, false, true, nil
		}
		v, known := intsInput(c, idx)
		if !known {
			return nil, true, false, nil
		}
		raw = v
	} else {
		if !c.Has("axes") {
			return nil, false, true, nil
		}
		raw = c.Ints("axes", nil)
	}
	seen := map[int]bool{}
	for _, a := range raw {
		ax, err := normAxis(c, a, rank, "axis")
		if err != nil {
			return nil, true, false, err
		}
		if seen[ax] {
			return nil, true, false, c.Errorf("axis %d repeated in %v", a, raw)
		}
		seen[ax] = true
		axes = append(axes, ax)
	}
	return axes, true, true, nil
}

// unknownRank sets output i to an unranked tensor of type dt.
func unknownRank(c *Context, i int, dt graph.DType) {
	c.SetOutput(i, UnrankedTensor(dt))
}

// boolDim returns 1 or 0.
func boolDim(b bool) Dim {
	if b {
		return Const(1)
	}
	return Const(0)
}

// unravel converts a flat index to coordinates for a constant shape.
func unravel(idx int64, shape []int64) []int64 {
	out := make([]int64, len(shape))
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] > 0 {
			out[i] = idx % shape[i]
			idx /= shape[i]
		}
	}
	return out
}

// broadcastIndex maps coordinates of the output to a flat index of an input
// of shape in (right-aligned, dims of 1 broadcast).
func broadcastIndex(coord []int64, in []int64) int64 {
	off := len(coord) - len(in)
	var idx int64
	for i, d := range in {
		x := coord[off+i]
		if d == 1 {
			x = 0
		}
		idx = idx*d + x
	}
	return idx
}

// maxRank bounds the rank taken from the length of a shape tensor.
const maxRank = 1024

// setUnknownDims sets output i to a tensor of n unknown dims, or of unknown
// rank when n is out of bounds.
func setUnknownDims(c *Context, i int, dt graph.DType, n int64) {
	if n < 0 || n > maxRank {
		unknownRank(c, i, dt)
		return
	}
	c.SetOutput(i, Tensor(dt, unknowns(int(n))))
}
