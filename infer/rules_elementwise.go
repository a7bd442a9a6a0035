package infer

import (
	"math"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	// Unary ops whose output has the input's type and shape.
	for _, op := range []string{"Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Cos", "Cosh", "Elu",
		"Erf", "Exp", "HardSigmoid", "HardSwish", "LeakyRelu", "Log", "Mish", "Reciprocal", "Round", "Selu",
		"Shrink", "Sigmoid", "Sin", "Sinh", "Softplus", "Softsign", "Sqrt", "Tan", "Tanh", "ThresholdedRelu",
		"Celu", "Gelu", "Softmax", "LogSoftmax", "Hardmax", "LpNormalization", "MeanVarianceNormalization",
		"LRN", "InstanceNormalization", "CumSum", "Trilu", "ReverseSequence", "BitwiseNot", "Clip",
		"ImageScaler", "Scatter", "ScatterElements", "ScatterND", "Binarizer"} {
		Register("", op, unaryRule(op))
	}
	for _, op := range []string{"Identity", "Neg", "Abs", "Floor", "Ceil", "Relu", "Sign"} {
		Register("", op, unaryValueRule(op))
	}
	Register("", "Not", func(c *Context) error {
		sameShape(c, 0, 0)
		if v, ok := dimsInput(c, 0); ok {
			out := make([]Dim, len(v))
			for i, d := range v {
				x, ok := d.Value()
				if !ok {
					return nil
				}
				out[i] = boolDim(x == 0)
			}
			f, _ := c.Output(0)
			c.SetOutput(0, withValue(f, out))
		}
		return nil
	})
	Register("", "IsNaN", boolUnary)
	Register("", "IsInf", boolUnary)
	Register("", "Cast", castRule)
	Register("", "CastLike", func(c *Context) error {
		return castTo(c, c.Input(1).DType)
	})

	for _, op := range []string{"Add", "Sub", "Mul", "Div", "Pow", "Mod", "BitShift", "PRelu", "BitwiseAnd",
		"BitwiseOr", "BitwiseXor", "Max", "Min", "Sum", "Mean"} {
		Register("", op, broadcastRule(op, false))
	}
	for _, op := range []string{"And", "Or", "Xor", "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual"} {
		Register("", op, broadcastRule(op, true))
	}
	Register("", "Where", whereRule)
}

func unaryRule(op string) Rule {
	return func(c *Context) error {
		sameShape(c, 0, 0)
		return nil
	}
}

func boolUnary(c *Context) error {
	f := c.Input(0)
	if f.Kind == KindUnknown {
		return nil
	}
	c.SetOutput(0, retype(f, graph.Bool))
	return nil
}

// unaryValueRule is a same-shape rule that also maps integer content.
func unaryValueRule(op string) Rule {
	return func(c *Context) error {
		f := c.Input(0)
		if f.Kind == KindUnknown {
			return nil
		}
		if op == "Identity" {
			c.SetOutput(0, f)
			return nil
		}
		sameShape(c, 0, 0)
		if f.Value == nil {
			return nil
		}
		out := make([]Dim, len(f.Value))
		for i, d := range f.Value {
			switch op {
			case "Neg":
				out[i] = d.Neg()
			case "Floor", "Ceil":
				out[i] = d
			case "Abs", "Relu", "Sign":
				v, ok := d.Value()
				if !ok {
					// An expression provably >= 0 (N, 2*H+1) is its own Abs and Relu.
					if cmp, known := d.Compare(Const(-1)); known && cmp > 0 && (op == "Abs" || op == "Relu") {
						out[i] = d
						continue
					}
					return nil
				}
				switch op {
				case "Abs":
					out[i] = Const(max(v, -v))
				case "Relu":
					out[i] = Const(max(v, 0))
				default:
					out[i] = Const(int64(sign(v)))
				}
			}
		}
		g, _ := c.Output(0)
		c.SetOutput(0, withValue(g, out))
		return nil
	}
}

func sign(v int64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func castRule(c *Context) error {
	to := c.Int("to", 0)
	return castTo(c, graph.DType(to))
}

func castTo(c *Context, dt graph.DType) error {
	f := c.Input(0)
	if f.Kind == KindUnknown {
		return nil
	}
	out := retype(f, dt)
	if valueAllowed(dt) && f.Value != nil {
		if dt == graph.Bool {
			v := make([]Dim, len(f.Value))
			for i, d := range f.Value {
				x, ok := d.Value()
				if !ok {
					c.SetOutput(0, out)
					return nil
				}
				v[i] = boolDim(x != 0)
			}
			out.Value = v
		} else if fitsAll(f.Value, dt) {
			out.Value = f.Value
		}
	} else if valueAllowed(dt) && f.Const != nil && f.DType.IsFloat() {
		if fl, ok := floats(f.Const); ok && len(fl) <= MaxValueElems {
			v := make([]Dim, len(fl))
			ok := true
			for i, x := range fl {
				if math.IsNaN(x) || math.Abs(x) >= 1<<62 {
					ok = false
					break
				}
				v[i] = Const(int64(x)) // truncation toward zero, as Cast does
			}
			if ok && dt != graph.Bool && fitsAll(v, dt) {
				out.Value = v
			}
		}
	}
	if dt.IsFloat() && f.Const != nil && f.DType == dt {
		out.Const = f.Const
	}
	c.SetOutput(0, out)
	return nil
}

// broadcastRule handles the multidirectional broadcasting ops; cmp says the
// output is bool.
func broadcastRule(op string, cmp bool) Rule {
	return func(c *Context) error {
		n := c.NumInputs()
		if n == 0 {
			return c.Errorf("no inputs")
		}
		dt := graph.Undefined
		var shapes []Shape
		ranked := true
		for i := 0; i < n; i++ {
			f := c.Input(i)
			if !c.HasInput(i) {
				continue
			}
			if dt == graph.Undefined {
				dt = f.DType
			} else if f.DType != graph.Undefined && f.DType != dt && op != "Pow" && op != "BitShift" {
				return c.Errorf("input %d: element type %v differs from %v of the other inputs", i, f.DType, dt)
			}
			if f.Kind != KindTensor || !f.Ranked {
				ranked = false
				continue
			}
			shapes = append(shapes, f.Shape)
		}
		if op == "PRelu" || op == "BitShift" || op == "Pow" {
			dt = c.Input(0).DType
		}
		if cmp {
			dt = graph.Bool
		}
		if !ranked {
			unknownRank(c, 0, dt)
			return nil
		}
		// Before opset 7 the second operand broadcast to the first (when the
		// broadcast attribute was set) and the output had the first's shape.
		var out Shape
		if c.Opset < 7 && (c.Int("broadcast", 0) != 0 || n == 2) && op != "Sum" && op != "Mean" && op != "Max" && op != "Min" {
			out = c.Input(0).Shape
			if c.Int("broadcast", 0) == 0 && n == 2 && !c.Input(0).Shape.Equal(c.Input(1).Shape) {
				if _, err := c.Broadcast(shapes...); err != nil {
					return err
				}
			}
		} else {
			var err error
			out, err = c.Broadcast(shapes...)
			if err != nil {
				return err
			}
		}
		f := Tensor(dt, out)
		if valueAllowed(dt) || cmp {
			f = withValue(f, broadcastValues(c, op, out))
		}
		c.SetOutput(0, f)
		return nil
	}
}

// broadcastValues computes the integer content of an element-wise op when
// every input carries a Value.
func broadcastValues(c *Context, op string, out Shape) []Dim {
	oshape, ok := out.Consts()
	if !ok {
		return nil
	}
	total := int64(1)
	for _, d := range oshape {
		total *= d
	}
	if total > MaxValueElems {
		return nil
	}
	type arg struct {
		v     []Dim
		shape []int64
	}
	var args []arg
	for i := 0; i < c.NumInputs(); i++ {
		f := c.Input(i)
		if f.Value == nil {
			return nil
		}
		s, ok := f.Shape.Consts()
		if !ok {
			return nil
		}
		args = append(args, arg{f.Value, s})
	}
	res := make([]Dim, total)
	for k := int64(0); k < total; k++ {
		coord := unravel(k, oshape)
		acc := args[0].v[broadcastIndex(coord, args[0].shape)]
		for _, a := range args[1:] {
			x := a.v[broadcastIndex(coord, a.shape)]
			r, ok := binaryDim(op, acc, x)
			if !ok {
				return nil
			}
			acc = r
		}
		if op == "Mean" {
			r, ok := binaryDim("Div", acc, Const(int64(len(args))))
			if !ok {
				return nil
			}
			acc = r
		}
		res[k] = acc
	}
	return res
}

// binaryDim applies an element-wise integer op to two dims.
func binaryDim(op string, a, b Dim) (Dim, bool) {
	av, aok := a.Value()
	bv, bok := b.Value()
	both := aok && bok
	switch op {
	case "Add", "Sum", "Mean":
		return a.Add(b), !a.Add(b).IsUnknown()
	case "Sub":
		return a.Sub(b), !a.Sub(b).IsUnknown()
	case "Mul":
		return a.Mul(b), !a.Mul(b).IsUnknown()
	case "Div":
		if both {
			if bv == 0 {
				return Dim{}, false
			}
			return Const(av / bv), true // integer division truncates
		}
		// Truncation and floor agree for a provably non-negative
		// dividend and a positive divisor.
		if cmp, known := a.Compare(Const(-1)); bok && bv > 0 && known && cmp > 0 {
			return a.FloorDiv(b), true
		}
		if r := a.FloorDiv(b); r.IsConst() { // an exact multiple: 6*N / N
			return r, true
		}
		return Dim{}, false
	case "Mod":
		if both && bv != 0 {
			m := av % bv
			if m != 0 && (m < 0) != (bv < 0) {
				m += bv
			}
			return Const(m), true
		}
		return Dim{}, false
	case "Max":
		r := a.Max(b)
		return r, !r.IsUnknown()
	case "Min":
		r := a.Min(b)
		return r, !r.IsUnknown()
	case "Pow":
		if both && bv >= 0 && bv < 63 {
			r := Const(1)
			for i := int64(0); i < bv; i++ {
				r = r.Mul(a)
			}
			return r, !r.IsUnknown()
		}
		return Dim{}, false
	}
	if a.Equal(b) {
		switch op {
		case "Equal", "GreaterOrEqual", "LessOrEqual":
			return Const(1), true
		case "Greater", "Less":
			return Const(0), true
		}
	}
	if !both {
		cmp, ok := a.Compare(b)
		if !ok {
			return Dim{}, false
		}
		switch op {
		case "Equal":
			return boolDim(cmp == 0), true
		case "Greater":
			return boolDim(cmp > 0), true
		case "Less":
			return boolDim(cmp < 0), true
		case "GreaterOrEqual":
			return boolDim(cmp >= 0), true
		case "LessOrEqual":
			return boolDim(cmp <= 0), true
		}
		return Dim{}, false
	}
	switch op {
	case "Equal":
		return boolDim(av == bv), true
	case "Greater":
		return boolDim(av > bv), true
	case "Less":
		return boolDim(av < bv), true
	case "GreaterOrEqual":
		return boolDim(av >= bv), true
	case "LessOrEqual":
		return boolDim(av <= bv), true
	case "And":
		return boolDim(av != 0 && bv != 0), true
	case "Or":
		return boolDim(av != 0 || bv != 0), true
	case "Xor":
		return boolDim((av != 0) != (bv != 0)), true
	case "BitwiseAnd":
		return Const(av & bv), true
	case "BitwiseOr":
		return Const(av | bv), true
	case "BitwiseXor":
		return Const(av ^ bv), true
	}
	return Dim{}, false
}

func whereRule(c *Context) error {
	cond, x, y := c.Input(0), c.Input(1), c.Input(2)
	dt := x.DType
	if dt == graph.Undefined {
		dt = y.DType
	} else if y.DType != graph.Undefined && y.DType != dt {
		return c.Errorf("input 2 (Y): element type %v differs from %v of input 1 (X)", y.DType, dt)
	}
	if !cond.Ranked || !x.Ranked || !y.Ranked {
		unknownRank(c, 0, dt)
		return nil
	}
	out, err := c.Broadcast(cond.Shape, x.Shape, y.Shape)
	if err != nil {
		return err
	}
	f := Tensor(dt, out)
	if cond.Value != nil && x.Value != nil && y.Value != nil {
		if oshape, ok := out.Consts(); ok {
			cs, _ := cond.Shape.Consts()
			xs, _ := x.Shape.Consts()
			ys, _ := y.Shape.Consts()
			total := int64(1)
			for _, d := range oshape {
				total *= d
			}
			if total <= MaxValueElems {
				v := make([]Dim, total)
				okAll := true
				for k := range v {
					coord := unravel(int64(k), oshape)
					cv, ok := cond.Value[broadcastIndex(coord, cs)].Value()
					if !ok {
						okAll = false
						break
					}
					if cv != 0 {
						v[k] = x.Value[broadcastIndex(coord, xs)]
					} else {
						v[k] = y.Value[broadcastIndex(coord, ys)]
					}
				}
				if okAll {
					f = withValue(f, v)
				}
			}
		}
	}
	c.SetOutput(0, f)
	return nil
}

func init() {
	for _, op := range []string{"RandomNormalLike", "RandomUniformLike", "Bernoulli"} {
		Register("", op, func(c *Context) error {
			x := c.Input(0)
			dt := x.DType
			if c.Has("dtype") {
				dt = graph.DType(c.Int("dtype", 0))
			}
			if x.Kind != KindUnknown {
				c.SetOutput(0, retype(x, dt))
			}
			return nil
		})
	}
	Register("", "Det", func(c *Context) error {
		x, ok := tensorIn(c, 0)
		if !ok {
			unknownRank(c, 0, c.Input(0).DType)
			return nil
		}
		if len(x.Shape) < 2 {
			return c.Errorf("input 0: shape %v has rank < 2", x.Shape)
		}
		c.SetOutput(0, Tensor(x.DType, x.Shape[:len(x.Shape)-2].Clone()))
		return nil
	})
}

// fitsAll reports whether every constant in v is representable in the
// integer type dt (symbolic sizes are taken to fit).
func fitsAll(v []Dim, dt graph.DType) bool {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	switch dt {
	case graph.Int8:
		lo, hi = math.MinInt8, math.MaxInt8
	case graph.Uint8:
		lo, hi = 0, math.MaxUint8
	case graph.Int16:
		lo, hi = math.MinInt16, math.MaxInt16
	case graph.Uint16:
		lo, hi = 0, math.MaxUint16
	case graph.Int32:
		lo, hi = math.MinInt32, math.MaxInt32
	case graph.Uint32:
		lo, hi = 0, math.MaxUint32
	case graph.Uint64:
		lo = 0
	case graph.Int4:
		lo, hi = -8, 7
	case graph.Uint4:
		lo, hi = 0, 15
	}
	for _, d := range v {
		if x, ok := d.Value(); ok && (x < lo || x > hi) {
			return false
		}
	}
	return true
}
