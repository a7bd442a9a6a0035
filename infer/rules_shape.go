package infer

import (
	"math"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register("", "Shape", shapeRule)
	Register("", "Size", sizeRule)
	Register("", "Constant", constantRule)
	Register("", "ConstantOfShape", constantOfShapeRule)
	Register("", "Reshape", reshapeRule)
	Register("", "Flatten", flattenRule)
	Register("", "Squeeze", squeezeRule)
	Register("", "Unsqueeze", unsqueezeRule)
	Register("", "Transpose", transposeRule)
	Register("", "Concat", concatRule)
	Register("", "Split", splitRule)
	Register("", "Slice", sliceRule)
	Register("", "Gather", gatherRule)
	Register("", "GatherElements", gatherElementsRule)
	Register("", "GatherND", gatherNDRule)
	Register("", "Expand", expandRule)
	Register("", "Tile", tileRule)
	Register("", "Range", rangeRule)
	Register("", "DepthToSpace", depthToSpaceRule)
	Register("", "SpaceToDepth", spaceToDepthRule)
}

func shapeRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	if !ok {
		c.SetOutput(0, Tensor(graph.Int64, Shape{Unknown()}))
		return nil
	}
	r := int64(len(x.Shape))
	start, end := int64(0), r
	if c.Opset >= 15 {
		start = c.Int("start", 0)
		end = c.Int("end", r)
	}
	clamp := func(v int64) int64 {
		if v < 0 {
			v += r
		}
		return min(max(v, 0), r)
	}
	start, end = clamp(start), clamp(end)
	if end < start {
		end = start
	}
	v := x.Shape[start:end].Clone()
	f := Tensor(graph.Int64, ConstShape(int64(len(v))))
	if Shape(v).Known() {
		f.Value = v
	}
	c.SetOutput(0, f)
	return nil
}

func sizeRule(c *Context) error {
	f := Tensor(graph.Int64, Shape{})
	if x, ok := tensorIn(c, 0); ok {
		if n := x.Shape.NumElements(); !n.IsUnknown() {
			f.Value = []Dim{n}
		}
	}
	c.SetOutput(0, f)
	return nil
}

func constantRule(c *Context) error {
	n := c.Node
	for _, a := range n.Attrs {
		switch a.Name {
		case "value":
			if a.T == nil {
				return c.Errorf("attribute value holds no tensor")
			}
			c.SetOutput(0, constFact(a.T))
			return nil
		case "sparse_value":
			if a.Sparse == nil || a.Sparse.Values == nil {
				return c.Errorf("attribute sparse_value holds no tensor")
			}
			c.SetOutput(0, Tensor(a.Sparse.Values.DType, ConstShape(a.Sparse.Dims...)))
			return nil
		case "value_int":
			c.SetOutput(0, valueFact(graph.Int64, []Dim{Const(a.I)}, true))
			return nil
		case "value_ints":
			v := make([]Dim, len(a.Ints))
			for i, x := range a.Ints {
				v[i] = Const(x)
			}
			c.SetOutput(0, valueFact(graph.Int64, v, false))
			return nil
		case "value_float":
			t, err := graph.NewTensor("", nil, []float32{a.F})
			if err != nil {
				return c.Errorf("%v", err)
			}
			c.SetOutput(0, constFact(t))
			return nil
		case "value_floats":
			t, err := graph.NewTensor("", []int64{int64(len(a.Floats))}, append([]float32(nil), a.Floats...))
			if err != nil {
				return c.Errorf("%v", err)
			}
			c.SetOutput(0, constFact(t))
			return nil
		case "value_string":
			c.SetOutput(0, Tensor(graph.String, Shape{}))
			return nil
		case "value_strings":
			c.SetOutput(0, Tensor(graph.String, ConstShape(int64(len(a.Strings)))))
			return nil
		}
	}
	return c.Errorf("no value attribute")
}

func constantOfShapeRule(c *Context) error {
	dt := graph.Float
	var fill Dim
	hasFill := false
	if a := c.Node.Attr("value"); a != nil && a.T != nil {
		dt = a.T.DType
		if v, ok := tensorDims(a.T); ok && len(v) == 1 {
			fill, hasFill = v[0], true
		}
	} else {
		fill, hasFill = Const(0), false
	}
	v, ok := dimsInput(c, 0)
	if !ok {
		if s, ok := tensorIn(c, 0); ok && len(s.Shape) == 1 {
			if n, ok := s.Shape[0].Value(); ok {
				setUnknownDims(c, 0, dt, n)
				return nil
			}
		}
		unknownRank(c, 0, dt)
		return nil
	}
	for i, d := range v {
		if x, ok := d.Value(); ok && x < 0 {
			return c.Errorf("input 0: shape %v has negative dim %d at %d", Shape(v), x, i)
		}
	}
	f := Tensor(dt, Shape(v).Clone())
	if hasFill && valueAllowed(dt) {
		if n, ok := f.Shape.NumElements().Value(); ok && n <= MaxValueElems {
			vals := make([]Dim, n)
			for i := range vals {
				vals[i] = fill
			}
			f.Value = vals
		}
	}
	c.SetOutput(0, f)
	return nil
}

func reshapeRule(c *Context) error {
	x := c.Input(0)
	dt := x.DType
	var spec []Dim
	if c.Opset < 5 {
		s := c.Ints("shape", nil)
		spec = make([]Dim, len(s))
		for i, v := range s {
			spec[i] = Const(v)
		}
	} else {
		v, ok := dimsInput(c, 1)
		if !ok {
			if s, ok := tensorIn(c, 1); ok && len(s.Shape) == 1 {
				if n, ok := s.Shape[0].Value(); ok {
					setUnknownDims(c, 0, dt, n)
					return nil
				}
			}
			unknownRank(c, 0, dt)
			return nil
		}
		spec = v
	}
	allowzero := c.Opset >= 14 && c.Int("allowzero", 0) != 0
	out := make(Shape, len(spec))
	neg := -1
	for i, d := range spec {
		v, ok := d.Value()
		switch {
		case ok && v == 0 && !allowzero:
			if !x.Ranked {
				out[i] = Unknown()
				continue
			}
			if i >= len(x.Shape) {
				return c.Errorf("input 1 (shape): %v copies dim %d but input 0 has shape %v", Shape(spec), i, x.Shape)
			}
			out[i] = x.Shape[i]
		case ok && v == -1:
			if neg >= 0 {
				return c.Errorf("input 1 (shape): %v has more than one -1", Shape(spec))
			}
			neg = i
			out[i] = Unknown()
		case ok && v < -1:
			return c.Errorf("input 1 (shape): %v has invalid dim %d", Shape(spec), v)
		default:
			out[i] = d
		}
	}
	if x.Ranked {
		total := x.Shape.NumElements()
		known := Const(1)
		for i, d := range out {
			if i != neg {
				known = known.Mul(d)
			}
		}
		if neg >= 0 {
			kv, kok := known.Value()
			tv, tok := total.Value()
			switch {
			case kok && tok && kv == 0:
				if tv != 0 {
					return c.Errorf("input 1 (shape): cannot infer -1 in %v from input 0 shape %v", Shape(spec), x.Shape)
				}
				out[neg] = Unknown()
			case kok && tok:
				if tv%kv != 0 {
					return c.Errorf("input 1 (shape): %v does not fit input 0 shape %v (%d elements)", Shape(spec), x.Shape, tv)
				}
				out[neg] = Const(tv / kv)
			case !total.IsUnknown() && !known.IsUnknown():
				q := total.FloorDiv(known)
				if q.Mul(known).Equal(total) {
					out[neg] = q
				}
			}
		} else {
			ov, ook := out.NumElements().Value()
			tv, tok := total.Value()
			if ook && tok && ov != tv {
				return c.Errorf("input 1 (shape): %v (%d elements) does not fit input 0 shape %v (%d elements)", Shape(spec), ov, x.Shape, tv)
			}
		}
	}
	f := Tensor(dt, out)
	if x.Value != nil {
		f = withValue(f, x.Value)
	}
	c.SetOutput(0, f)
	return nil
}

func flattenRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	if !ok {
		c.SetOutput(0, Tensor(c.Input(0).DType, Shape{Unknown(), Unknown()}))
		return nil
	}
	axis := c.Int("axis", 1)
	r := len(x.Shape)
	if axis < -int64(r) || axis > int64(r) {
		return c.Errorf("axis %d out of range for input 0 shape %v", axis, x.Shape)
	}
	if axis < 0 {
		axis += int64(r)
	}
	f := Tensor(x.DType, Shape{x.Shape[:axis].NumElements(), x.Shape[axis:].NumElements()})
	c.SetOutput(0, withValue(f, x.Value))
	return nil
}

func squeezeRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	if !ok {
		unknownRank(c, 0, c.Input(0).DType)
		return nil
	}
	axes, present, known, err := axesArg(c, 13, 1, len(x.Shape))
	if err != nil {
		return err
	}
	if !known {
		unknownRank(c, 0, x.DType)
		return nil
	}
	drop := make([]bool, len(x.Shape))
	if present {
		for _, a := range axes {
			d := x.Shape[a]
			if v, ok := d.Value(); ok && v != 1 {
				return c.Errorf("cannot squeeze axis %d of input 0 shape %v: dim is %d", a, x.Shape, v)
			}
			if _, err := c.Unify(d, Const(1)); err != nil {
				return err
			}
			drop[a] = true
		}
	} else {
		for i, d := range x.Shape {
			v, ok := d.Value()
			if !ok {
				// Whether a symbolic dim is 1 is not known: the rank is not.
				unknownRank(c, 0, x.DType)
				return nil
			}
			drop[i] = v == 1
		}
	}
	var out Shape
	for i, d := range x.Shape {
		if !drop[i] {
			out = append(out, d)
		}
	}
	f := Tensor(x.DType, out)
	c.SetOutput(0, withValue(f, x.Value))
	return nil
}

func unsqueezeRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	var raw []int64
	if c.Opset >= 13 {
		v, known := intsInput(c, 1)
		if !known {
			unknownRank(c, 0, c.Input(0).DType)
			return nil
		}
		raw = v
	} else {
		raw = c.Ints("axes", nil)
	}
	if !ok {
		unknownRank(c, 0, c.Input(0).DType)
		return nil
	}
	r := len(x.Shape) + len(raw)
	ins := make([]bool, r)
	for _, a := range raw {
		ax, err := normAxis(c, a, r, "axis")
		if err != nil {
			return err
		}
		if ins[ax] {
			return c.Errorf("axis %d repeated in %v", a, raw)
		}
		ins[ax] = true
	}
	out := make(Shape, 0, r)
	j := 0
	for i := 0; i < r; i++ {
		if ins[i] {
			out = append(out, Const(1))
		} else {
			out = append(out, x.Shape[j])
			j++
		}
	}
	f := Tensor(x.DType, out)
	c.SetOutput(0, withValue(f, x.Value))
	return nil
}

func transposeRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	if !ok {
		unknownRank(c, 0, c.Input(0).DType)
		return nil
	}
	r := len(x.Shape)
	perm := c.Ints("perm", nil)
	if perm == nil {
		perm = make([]int64, r)
		for i := range perm {
			perm[i] = int64(r - 1 - i)
		}
	}
	if len(perm) != r {
		return c.Errorf("perm %v has %d values, input 0 shape %v has rank %d", perm, len(perm), x.Shape, r)
	}
	seen := make([]bool, r)
	out := make(Shape, r)
	for i, p := range perm {
		a, err := normAxis(c, p, r, "perm axis")
		if err != nil {
			return err
		}
		if seen[a] {
			return c.Errorf("perm %v repeats axis %d", perm, p)
		}
		seen[a] = true
		out[i] = x.Shape[a]
	}
	f := Tensor(x.DType, out)
	if x.Value != nil {
		if is, ok := x.Shape.Consts(); ok {
			os, _ := out.Consts()
			v := make([]Dim, len(x.Value))
			for k := range v {
				oc := unravel(int64(k), os)
				ic := make([]int64, r)
				for i, p := range perm {
					a, _ := normAxis(c, p, r, "")
					ic[a] = oc[i]
				}
				v[k] = x.Value[broadcastIndex(ic, is)]
			}
			f = withValue(f, v)
		}
	}
	c.SetOutput(0, f)
	return nil
}

func concatRule(c *Context) error {
	def := int64(0)
	if c.Opset < 4 {
		def = 1 // Concat-1 defaults to axis 1; axis is required from opset 4
	}
	axis := c.Int("axis", def)
	dt := graph.Undefined
	var shapes []Shape
	rank := -1
	allRanked := true
	for i := 0; i < c.NumInputs(); i++ {
		f := c.Input(i)
		if !c.HasInput(i) {
			continue
		}
		if dt == graph.Undefined {
			dt = f.DType
		} else if f.DType != graph.Undefined && f.DType != dt {
			return c.Errorf("input %d: element type %v differs from %v of the other inputs", i, f.DType, dt)
		}
		if !f.Ranked {
			allRanked = false
			continue
		}
		if rank >= 0 && len(f.Shape) != rank {
			return c.Errorf("input %d: shape %v has rank %d, input 0 has rank %d", i, f.Shape, len(f.Shape), rank)
		}
		rank = len(f.Shape)
		shapes = append(shapes, f.Shape)
	}
	if rank < 0 {
		unknownRank(c, 0, dt)
		return nil
	}
	a, err := normAxis(c, axis, rank, "axis")
	if err != nil {
		return err
	}
	out := make(Shape, rank)
	copy(out, shapes[0])
	out[a] = Const(0)
	for k, s := range shapes {
		for i := range s {
			if i == a {
				out[a] = out[a].Add(s[i])
				continue
			}
			d, err := c.Unify(out[i], s[i])
			if err != nil {
				return c.Errorf("input %d: shape %v does not match %v on axis %d (concat axis %d)", k, s, shapes[0], i, a)
			}
			out[i] = d
		}
	}
	if !allRanked {
		out[a] = Unknown()
	}
	f := Tensor(dt, out)
	// Value: 1-D concatenation (the usual shape-building case).
	if rank == 1 && allRanked {
		var v []Dim
		for i := 0; i < c.NumInputs(); i++ {
			if !c.HasInput(i) {
				continue
			}
			in := c.Input(i)
			if in.Value == nil {
				v = nil
				break
			}
			v = append(v, in.Value...)
		}
		f = withValue(f, v)
	}
	c.SetOutput(0, f)
	return nil
}

func splitRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	nout := c.NumOutputs()
	if !ok {
		for i := 0; i < nout; i++ {
			unknownRank(c, i, c.Input(0).DType)
		}
		return nil
	}
	a, err := normAxis(c, c.Int("axis", 0), len(x.Shape), "axis")
	if err != nil {
		return err
	}
	var sizes []Dim
	switch {
	case c.Opset >= 13 && c.HasInput(1):
		v, ok := dimsInput(c, 1)
		if !ok {
			for i := 0; i < nout; i++ {
				s := x.Shape.Clone()
				s[a] = Unknown()
				c.SetOutput(i, Tensor(x.DType, s))
			}
			return nil
		}
		sizes = v
	case c.Opset < 13 && c.Has("split"):
		for _, v := range c.Ints("split", nil) {
			sizes = append(sizes, Const(v))
		}
	case c.Opset < 13 && c.Opset >= 2 && c.HasInput(1):
		v, ok := dimsInput(c, 1)
		if ok {
			sizes = v
		}
	}
	total := x.Shape[a]
	if sizes == nil {
		n := int64(nout)
		if c.Opset >= 18 && c.Has("num_outputs") {
			n = c.Int("num_outputs", 0)
			if n <= 0 || n != int64(nout) {
				return c.Errorf("num_outputs %d does not match %d outputs", n, nout)
			}
		}
		if n <= 0 {
			return c.Errorf("no outputs")
		}
		if tv, ok := total.Value(); ok {
			if c.Opset >= 18 {
				// Uneven split: ceil-sized chunks, the last one smaller.
				chunk := (tv + n - 1) / n
				for i := int64(0); i < n; i++ {
					sizes = append(sizes, Const(max(0, min(chunk, tv-i*chunk))))
				}
			} else {
				if tv%n != 0 {
					return c.Errorf("input 0: axis %d of shape %v (%d) does not split evenly into %d outputs", a, x.Shape, tv, n)
				}
				for i := int64(0); i < n; i++ {
					sizes = append(sizes, Const(tv/n))
				}
			}
		} else {
			for i := int64(0); i < n; i++ {
				if c.Opset >= 18 {
					sizes = append(sizes, Unknown())
				} else {
					sizes = append(sizes, total.FloorDiv(Const(n)))
				}
			}
		}
	}
	if len(sizes) != nout {
		return c.Errorf("split sizes %v give %d outputs, node has %d", Shape(sizes), len(sizes), nout)
	}
	sum := Const(0)
	for _, s := range sizes {
		sum = sum.Add(s)
	}
	if sv, ok := sum.Value(); ok {
		if tv, ok := total.Value(); ok && sv != tv {
			return c.Errorf("split sizes %v sum to %d, input 0 axis %d of shape %v is %d", Shape(sizes), sv, a, x.Shape, tv)
		}
	}
	off := int64(0)
	offKnown := true
	for i, s := range sizes {
		out := x.Shape.Clone()
		out[a] = s
		f := Tensor(x.DType, out)
		if x.Value != nil && len(x.Shape) == 1 && offKnown {
			if sv, ok := s.Value(); ok && off+sv <= int64(len(x.Value)) {
				f = withValue(f, x.Value[off:off+sv])
			}
		}
		if sv, ok := s.Value(); ok {
			off += sv
		} else {
			offKnown = false
		}
		c.SetOutput(i, f)
	}
	return nil
}

// sliceRule covers Slice-1 (attributes) and Slice-10+ (inputs).
func sliceRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	if !ok {
		unknownRank(c, 0, c.Input(0).DType)
		return nil
	}
	r := len(x.Shape)
	var starts, ends, axes, steps []Dim
	constArgs := true
	get := func(i int) []Dim {
		if !c.HasInput(i) {
			return nil
		}
		v, ok := dimsInput(c, i)
		if !ok {
			constArgs = false
		}
		return v
	}
	toDims := func(v []int64) []Dim {
		if v == nil {
			return nil
		}
		out := make([]Dim, len(v))
		for i, x := range v {
			out[i] = Const(x)
		}
		return out
	}
	if c.Opset < 10 {
		starts, ends, axes = toDims(c.Ints("starts", nil)), toDims(c.Ints("ends", nil)), toDims(c.Ints("axes", nil))
	} else {
		starts, ends, axes, steps = get(1), get(2), get(3), get(4)
	}
	if !constArgs {
		// The rank is kept; sliced axes are unknown when known.
		out := x.Shape.Clone()
		if c.Opset >= 10 && c.HasInput(3) {
			if av, ok := intsInput(c, 3); ok {
				for _, a := range av {
					if ax, err := normAxis(c, a, r, "axis"); err == nil {
						out[ax] = Unknown()
					}
				}
				c.SetOutput(0, Tensor(x.DType, out))
				return nil
			}
		}
		c.SetOutput(0, Tensor(x.DType, unknowns(r)))
		return nil
	}
	if len(starts) != len(ends) {
		return c.Errorf("starts %v and ends %v differ in length", Shape(starts), Shape(ends))
	}
	if axes == nil {
		for i := range starts {
			axes = append(axes, Const(int64(i)))
		}
	}
	if steps == nil {
		for range starts {
			steps = append(steps, Const(1))
		}
	}
	if len(axes) != len(starts) || len(steps) != len(starts) {
		return c.Errorf("starts %v, ends %v, axes %v and steps %v differ in length", Shape(starts), Shape(ends), Shape(axes), Shape(steps))
	}
	out := x.Shape.Clone()
	type sl struct {
		start, step int64
		ok          bool
	}
	per := make([]sl, r)
	for i := range per {
		per[i] = sl{0, 1, true}
	}
	seen := make([]bool, r)
	for i := range starts {
		av, ok := axes[i].Value()
		if !ok {
			return nil
		}
		a, err := normAxis(c, av, r, "axis")
		if err != nil {
			return err
		}
		if seen[a] {
			return c.Errorf("axis %d repeated in axes %v", av, Shape(axes))
		}
		seen[a] = true
		step, ok := steps[i].Value()
		if !ok {
			out[a] = Unknown()
			per[a].ok = false
			continue
		}
		if step == 0 {
			return c.Errorf("steps %v has a 0", Shape(steps))
		}
		n, s, ok := sliceLen(x.Shape[a], starts[i], ends[i], step)
		out[a] = n
		per[a] = sl{s, step, ok}
	}
	f := Tensor(x.DType, out)
	if x.Value != nil {
		if is, ok := x.Shape.Consts(); ok {
			if os, ok := out.Consts(); ok {
				allOK := true
				for _, p := range per {
					allOK = allOK && p.ok
				}
				if allOK {
					total := int64(1)
					for _, d := range os {
						total *= d
					}
					v := make([]Dim, total)
					for k := range v {
						oc := unravel(int64(k), os)
						for i := range oc {
							oc[i] = per[i].start + oc[i]*per[i].step
						}
						v[k] = x.Value[broadcastIndex(oc, is)]
					}
					f = withValue(f, v)
				}
			}
		}
	}
	c.SetOutput(0, f)
	return nil
}

// sliceLen returns the length of dim[start:end:step] (numpy clamping) and,
// when the dim is constant, the resolved start.
func sliceLen(dim, start, end Dim, step int64) (Dim, int64, bool) {
	sv, sok := start.Value()
	ev, eok := end.Value()
	dv, dok := dim.Value()
	if dok && sok && eok {
		s, e := clampSlice(sv, ev, dv, step)
		var n int64
		if step > 0 {
			if e > s {
				n = (e - s + step - 1) / step
			}
		} else if s > e {
			n = (s - e + (-step) - 1) / (-step)
		}
		return Const(n), s, true
	}
	// Symbolic dim: common cases with constant starts/ends.
	if sok && eok && step > 0 {
		// start resolved against a dim that is at least as large as any
		// non-negative bound we cannot compare is unsafe; handle the
		// patterns that do not need the comparison.
		var s, e Dim
		switch {
		case sv >= 0:
			// Clamping sv to dim is not needed: e <= dim, so a start past
			// the end already gives a non-positive extent, and 0 below.
			s = Const(sv)
		default:
			s = dim.Add(Const(sv)).Max(Const(0))
		}
		switch {
		case ev >= math.MaxInt32:
			e = dim
		case ev >= 0:
			e = Const(ev).Min(dim)
		default:
			e = dim.Add(Const(ev)).Max(Const(0))
		}
		n := e.Sub(s).Add(Const(step - 1)).FloorDiv(Const(step)).Max(Const(0))
		return n, 0, false
	}
	if eok && !sok && step > 0 && ev >= math.MaxInt32 {
		// x[start:] with a symbolic start (a non-negative size) inside dim.
		if start.IsSymbolic() {
			return dim.Sub(start).Max(Const(0)), 0, false
		}
	}
	if sok && sv == 0 && step == 1 && !eok && end.IsSymbolic() {
		return end.Min(dim), 0, false
	}
	return Unknown(), 0, false
}

// clampSlice resolves start and end against dim the way numpy and ONNX do.
func clampSlice(s, e, dim, step int64) (int64, int64) {
	if s < 0 {
		s += dim
	}
	if e < 0 {
		e += dim
	}
	if step > 0 {
		s = min(max(s, 0), dim)
		e = min(max(e, 0), dim)
	} else {
		s = min(max(s, -1), dim-1)
		e = min(max(e, -1), dim-1)
	}
	return s, e
}

func gatherRule(c *Context) error {
	x, xok := tensorIn(c, 0)
	idx, iok := tensorIn(c, 1)
	if !xok || !iok {
		unknownRank(c, 0, c.Input(0).DType)
		return nil
	}
	a, err := normAxis(c, c.Int("axis", 0), len(x.Shape), "axis")
	if err != nil {
		return err
	}
	out := make(Shape, 0, len(x.Shape)-1+len(idx.Shape))
	out = append(out, x.Shape[:a]...)
	out = append(out, idx.Shape...)
	out = append(out, x.Shape[a+1:]...)
	f := Tensor(x.DType, out)
	if x.Value != nil && idx.Value != nil {
		is, ok1 := x.Shape.Consts()
		ix, ok2 := idx.ConstInts()
		if ok1 && ok2 {
			os, ok := out.Consts()
			if total := graph.NumElements(os); ok && total >= 0 && total <= MaxValueElems {
				v := make([]Dim, total)
				ishape, _ := idx.Shape.Consts()
				good := true
				for k := range v {
					oc := unravel(int64(k), os)
					ic := make([]int64, 0, len(is))
					ic = append(ic, oc[:a]...)
					ii := broadcastIndex(oc[a:a+len(ishape)], ishape)
					j := ix[ii]
					if j < 0 {
						j += is[a]
					}
					if j < 0 || j >= is[a] {
						return c.Errorf("input 1 (indices): index %d out of range for axis %d of input 0 shape %v", ix[ii], a, x.Shape)
					}
					ic = append(ic, j)
					ic = append(ic, oc[a+len(ishape):]...)
					v[k] = x.Value[broadcastIndex(ic, is)]
				}
				if good {
					f = withValue(f, v)
				}
			}
		}
	} else if ix, ok := idx.ConstInts(); ok {
		if dv, ok := x.Shape[a].Value(); ok {
			for _, j := range ix {
				if j < -dv || j >= dv {
					return c.Errorf("input 1 (indices): index %d out of range for axis %d of input 0 shape %v", j, a, x.Shape)
				}
			}
		}
	}
	c.SetOutput(0, f)
	return nil
}

func gatherElementsRule(c *Context) error {
	x, xok := tensorIn(c, 0)
	idx, iok := tensorIn(c, 1)
	dt := c.Input(0).DType
	if !iok {
		unknownRank(c, 0, dt)
		return nil
	}
	if xok && len(x.Shape) != len(idx.Shape) {
		return c.Errorf("input 1 (indices): shape %v has rank %d, input 0 shape %v has rank %d", idx.Shape, len(idx.Shape), x.Shape, len(x.Shape))
	}
	c.SetOutput(0, Tensor(dt, idx.Shape.Clone()))
	return nil
}

func gatherNDRule(c *Context) error {
	x, xok := tensorIn(c, 0)
	idx, iok := tensorIn(c, 1)
	dt := c.Input(0).DType
	if !xok || !iok || len(idx.Shape) == 0 {
		unknownRank(c, 0, dt)
		return nil
	}
	b := int(c.Int("batch_dims", 0))
	k, ok := idx.Shape[len(idx.Shape)-1].Value()
	if !ok {
		unknownRank(c, 0, dt)
		return nil
	}
	if b < 0 || b+int(k) > len(x.Shape) || b >= len(idx.Shape) {
		return c.Errorf("input 1 (indices): shape %v with batch_dims %d does not index input 0 shape %v", idx.Shape, b, x.Shape)
	}
	out := append(Shape{}, idx.Shape[:len(idx.Shape)-1]...)
	out = append(out, x.Shape[b+int(k):]...)
	c.SetOutput(0, Tensor(dt, out))
	return nil
}

func expandRule(c *Context) error {
	x := c.Input(0)
	v, ok := dimsInput(c, 1)
	if !ok {
		if s, ok := tensorIn(c, 1); ok && len(s.Shape) == 1 && x.Ranked {
			if n, ok := s.Shape[0].Value(); ok {
				setUnknownDims(c, 0, x.DType, max(n, int64(len(x.Shape))))
				return nil
			}
		}
		unknownRank(c, 0, x.DType)
		return nil
	}
	if !x.Ranked {
		unknownRank(c, 0, x.DType)
		return nil
	}
	out, err := c.Broadcast(x.Shape, Shape(v))
	if err != nil {
		return err
	}
	f := Tensor(x.DType, out)
	if x.Value != nil {
		if os, ok := out.Consts(); ok {
			if is, ok := x.Shape.Consts(); ok {
				total := int64(1)
				for _, d := range os {
					total *= d
				}
				if total <= MaxValueElems {
					vals := make([]Dim, total)
					for k := range vals {
						vals[k] = x.Value[broadcastIndex(unravel(int64(k), os), is)]
					}
					f = withValue(f, vals)
				}
			}
		}
	}
	c.SetOutput(0, f)
	return nil
}

func tileRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	if !ok {
		unknownRank(c, 0, c.Input(0).DType)
		return nil
	}
	rep, rok := dimsInput(c, 1)
	if !rok {
		c.SetOutput(0, Tensor(x.DType, unknowns(len(x.Shape))))
		return nil
	}
	if len(rep) != len(x.Shape) {
		return c.Errorf("input 1 (repeats): %d values for input 0 shape %v", len(rep), x.Shape)
	}
	out := make(Shape, len(rep))
	for i := range rep {
		out[i] = x.Shape[i].Mul(rep[i])
	}
	c.SetOutput(0, Tensor(x.DType, out))
	return nil
}

func rangeRule(c *Context) error {
	dt := c.Input(0).DType
	if s, ok := tensorIn(c, 0); ok && len(s.Shape) != 0 {
		return c.Errorf("input 0 (start): shape %v is not a scalar", s.Shape)
	}
	st, ok1 := dimsInput(c, 0)
	lim, ok2 := dimsInput(c, 1)
	dl, ok3 := dimsInput(c, 2)
	if ok1 && ok2 && ok3 && len(st) == 1 && len(lim) == 1 && len(dl) == 1 {
		d, dok := dl[0].Value()
		if dok && d != 0 {
			// n = max(ceil((limit-start)/delta), 0)
			n := lim[0].Sub(st[0]).CeilDiv(Const(d)).Max(Const(0))
			f := Tensor(dt, Shape{n})
			if nv, ok := n.Value(); ok && nv <= MaxValueElems {
				v := make([]Dim, nv)
				for i := range v {
					v[i] = st[0].Add(Const(int64(i) * d))
				}
				f.Value = v
			}
			c.SetOutput(0, f)
			return nil
		}
	}
	if fs, ok := floatsInput(c, 0); ok && len(fs) == 1 {
		if fl, ok := floatsInput(c, 1); ok && len(fl) == 1 {
			if fd, ok := floatsInput(c, 2); ok && len(fd) == 1 && fd[0] != 0 {
				n := math.Ceil((fl[0] - fs[0]) / fd[0])
				if n < 0 {
					n = 0
				}
				if n < math.MaxInt32 {
					c.SetOutput(0, Tensor(dt, Shape{Const(int64(n))}))
					return nil
				}
			}
		}
	}
	c.SetOutput(0, Tensor(dt, Shape{c.FreshOut(0)}))
	return nil
}

// blockInput returns the 4-D input and the blocksize of DepthToSpace and
// SpaceToDepth; ok is false when the rule is done (input of unknown rank,
// output set) or failed (err).
func blockInput(c *Context) (x Fact, b int64, ok bool, err error) {
	x, ok = tensorIn(c, 0)
	if !ok {
		unknownRank(c, 0, c.Input(0).DType)
		return x, 0, false, nil
	}
	if len(x.Shape) != 4 {
		return x, 0, false, c.Errorf("input 0: shape %v is not 4-D", x.Shape)
	}
	b = c.Int("blocksize", 0)
	if b <= 0 {
		return x, 0, false, c.Errorf("blocksize %d must be positive", b)
	}
	return x, b, true, nil
}

func depthToSpaceRule(c *Context) error {
	x, b, ok, err := blockInput(c)
	if !ok {
		return err
	}
	if v, ok := x.Shape[1].Value(); ok && v%(b*b) != 0 {
		return c.Errorf("input 0: channels %d of shape %v not divisible by blocksize^2 = %d", v, x.Shape, b*b)
	}
	B := Const(b)
	c.SetOutput(0, Tensor(x.DType, Shape{x.Shape[0], x.Shape[1].FloorDiv(Const(b * b)), x.Shape[2].Mul(B), x.Shape[3].Mul(B)}))
	return nil
}

func spaceToDepthRule(c *Context) error {
	x, b, ok, err := blockInput(c)
	if !ok {
		return err
	}
	for i := 2; i < 4; i++ {
		if v, ok := x.Shape[i].Value(); ok && v%b != 0 {
			return c.Errorf("input 0: dim %d (%d) of shape %v not divisible by blocksize %d", i, v, x.Shape, b)
		}
	}
	B := Const(b)
	c.SetOutput(0, Tensor(x.DType, Shape{x.Shape[0], x.Shape[1].Mul(Const(b * b)), x.Shape[2].FloorDiv(B), x.Shape[3].FloorDiv(B)}))
	return nil
}
