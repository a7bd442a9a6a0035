package infer

import (
	"math"

	"github.com/onnxrun/onnxrun/graph"
)

// Constant folding of small tensors of any numeric type, so that sizes
// computed in floating point (a resize factor from an image's size, as
// detection models do) still resolve. It runs after an op's rule, for an
// output the rule gave a constant shape but no content, when the inputs the
// op reads data from all have constant content. Data-movement ops reuse
// their rule: it is run again on inputs whose Values are element indices,
// and the output's Value says where each element comes from.

// moveOps lists the data-movement ops and the inputs they move data from
// (nil: all inputs).
var moveOps = map[string][]int{
	"Identity": {0}, "Unsqueeze": {0}, "Squeeze": {0}, "Reshape": {0}, "Flatten": {0}, "Concat": nil,
	"Gather": {0}, "Slice": {0}, "Transpose": {0}, "Expand": {0}, "Split": {0}, "Dropout": {0},
}

var unaryFold = map[string]func(float64) float64{
	"Reciprocal": func(x float64) float64 { return 1 / x },
	"Floor":      math.Floor,
	"Ceil":       math.Ceil,
	"Round":      math.RoundToEven,
	"Sqrt":       math.Sqrt,
	"Neg":        func(x float64) float64 { return -x },
	"Abs":        math.Abs,
	"Exp":        math.Exp,
	"Log":        math.Log,
	"Relu":       func(x float64) float64 { return math.Max(x, 0) },
	"Sigmoid":    func(x float64) float64 { return 1 / (1 + math.Exp(-x)) },
	"Tanh":       math.Tanh,
}

var binaryFold = map[string]func(a, b float64) float64{
	"Add": func(a, b float64) float64 { return a + b },
	"Sum": func(a, b float64) float64 { return a + b },
	"Sub": func(a, b float64) float64 { return a - b },
	"Mul": func(a, b float64) float64 { return a * b },
	"Div": func(a, b float64) float64 { return a / b },
	"Min": math.Min,
	"Max": math.Max,
	"Pow": math.Pow,
}

// content returns the elements of a fact with constant content as float64s.
func content(f Fact) ([]float64, bool) {
	if f.Const != nil {
		if n := f.Const.NumElements(); n < 0 || n > MaxValueElems {
			return nil, false
		}
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

// fold fills in the content of the node's outputs where it can.
func (st *state) fold(c *Context) {
	n := c.Node
	if n.Domain != "" {
		return
	}
	for i := range c.out {
		if !c.outSet[i] {
			continue
		}
		o := c.out[i]
		if o.Kind != KindTensor || !o.Ranked || o.Const != nil || o.Value != nil {
			continue
		}
		dims, ok := o.Shape.Consts()
		if !ok {
			continue
		}
		total := graph.NumElements(dims)
		if total < 0 || total > MaxValueElems {
			continue
		}
		var vals []float64
		switch {
		case moveOps[n.OpType] != nil || n.OpType == "Concat":
			vals = st.foldMove(c, i)
		case unaryFold[n.OpType] != nil:
			x, ok := content(c.Input(0))
			if !ok || int64(len(x)) != total {
				continue
			}
			f := unaryFold[n.OpType]
			vals = make([]float64, total)
			for k := range vals {
				vals[k] = f(x[k])
			}
		case binaryFold[n.OpType] != nil:
			vals = foldBroadcast(c, dims, binaryFold[n.OpType])
		case n.OpType == "Cast" || n.OpType == "CastLike":
			x, ok := content(c.Input(0))
			if ok && int64(len(x)) == total {
				vals = x
			}
		case n.OpType == "ReduceMin" || n.OpType == "ReduceMax" || n.OpType == "ReduceSum" || n.OpType == "ReduceProd":
			if total != 1 {
				continue
			}
			x, ok := content(c.Input(0))
			if !ok || len(x) == 0 {
				continue
			}
			if ax, present, known, _ := axesArg(c, map[bool]int64{true: 13, false: 18}[n.OpType == "ReduceSum"], 1, len(c.Input(0).Shape)); !known || present && len(ax) != len(c.Input(0).Shape) {
				continue
			}
			r := x[0]
			for _, v := range x[1:] {
				switch n.OpType {
				case "ReduceMin":
					r = math.Min(r, v)
				case "ReduceMax":
					r = math.Max(r, v)
				case "ReduceSum":
					r += v
				case "ReduceProd":
					r *= v
				}
			}
			vals = []float64{r}
		}
		if vals == nil || int64(len(vals)) != total {
			continue
		}
		t := makeTensor(o.DType, dims, vals)
		if t == nil {
			continue
		}
		o.Const = t
		if valueAllowed(o.DType) {
			if v, ok := tensorDims(t); ok {
				o.Value = v
			}
		}
		c.out[i] = o
	}
}

// foldBroadcast applies f element-wise over the broadcast inputs.
func foldBroadcast(c *Context, out []int64, f func(a, b float64) float64) []float64 {
	var args [][]float64
	var shapes [][]int64
	for i := 0; i < c.NumInputs(); i++ {
		in := c.Input(i)
		x, ok := content(in)
		if !ok {
			return nil
		}
		s, ok := in.Shape.Consts()
		if !ok || graph.NumElements(s) != int64(len(x)) || len(s) > len(out) {
			return nil
		}
		args, shapes = append(args, x), append(shapes, s)
	}
	if len(args) == 0 {
		return nil
	}
	total := graph.NumElements(out)
	res := make([]float64, total)
	for k := range res {
		coord := unravel(int64(k), out)
		acc := args[0][broadcastIndex(coord, shapes[0])]
		for j := 1; j < len(args); j++ {
			acc = f(acc, args[j][broadcastIndex(coord, shapes[j])])
		}
		res[k] = acc
	}
	return res
}

// foldMove runs the node's rule again on inputs whose Values are element
// indices (input k's element e as k<<32 | e) and maps output i's elements
// back to input content.
func (st *state) foldMove(c *Context, i int) []float64 {
	srcs := moveOps[c.Node.OpType]
	if srcs == nil {
		for k := 0; k < c.NumInputs(); k++ {
			srcs = append(srcs, k)
		}
	}
	data := map[int][]float64{}
	tc := *c
	tc.in = append([]Fact(nil), c.in...)
	tc.out = make([]Fact, len(c.out))
	tc.outSet = make([]bool, len(c.out))
	tc.rec = &NodeRecord{}
	tc.warns = nil
	for _, k := range srcs {
		if !c.HasInput(k) {
			continue
		}
		x, ok := content(c.in[k])
		if !ok {
			return nil
		}
		data[k] = x
		idx := make([]Dim, len(x))
		for e := range idx {
			idx[e] = Const(int64(k)<<32 | int64(e))
		}
		f := c.in[k]
		f.Value, f.Const = idx, nil
		f.DType = graph.Int64
		tc.in[k] = f
	}
	rule, ok := Lookup(c.Node.Domain, c.Node.OpType)
	if !ok {
		return nil
	}
	// Bindings made by the rule's unifications are the same as in the real
	// run (same shapes), so the shared state is left as is.
	if err := st.callRule(rule, &tc); err != nil || !tc.outSet[i] || tc.out[i].Value == nil {
		return nil
	}
	res := make([]float64, len(tc.out[i].Value))
	for e, d := range tc.out[i].Value {
		v, ok := d.Value()
		if !ok {
			return nil
		}
		k, j := int(v>>32), v&(1<<32-1)
		src, ok := data[k]
		if !ok || j >= int64(len(src)) {
			return nil
		}
		res[e] = src[j]
	}
	return res
}

// makeTensor builds a tensor of type dt from float64 values, converting the
// way Cast does (truncation toward zero for integers). It returns nil for
// types it does not build.
func makeTensor(dt graph.DType, dims []int64, v []float64) *graph.Tensor {
	var data any
	switch dt {
	case graph.Float:
		x := make([]float32, len(v))
		for i, f := range v {
			x[i] = float32(f)
		}
		data = x
	case graph.Double:
		data = append([]float64(nil), v...)
	case graph.Int64:
		x := make([]int64, len(v))
		for i, f := range v {
			if math.IsNaN(f) || math.Abs(f) >= 1<<63 {
				return nil
			}
			x[i] = int64(f)
		}
		data = x
	case graph.Int32:
		x := make([]int32, len(v))
		for i, f := range v {
			if math.IsNaN(f) || math.Abs(f) >= 1<<31 {
				return nil
			}
			x[i] = int32(f)
		}
		data = x
	case graph.Bool:
		x := make([]bool, len(v))
		for i, f := range v {
			x[i] = f != 0
		}
		data = x
	default:
		return nil
	}
	t, err := graph.NewTensor("", dims, data)
	if err != nil {
		return nil
	}
	return t
}
