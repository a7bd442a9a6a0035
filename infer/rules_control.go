package infer

import (
	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register("", "If", ifRule)
	Register("", "Loop", loopRule)
	Register("", "Scan", scanRule)
	Register("", "SequenceEmpty", func(c *Context) error {
		dt := graph.DType(c.Int("dtype", int64(graph.Float)))
		e := UnrankedTensor(dt)
		c.SetOutput(0, Fact{Kind: KindSequence, Elem: &e, SeqLen: Const(0), HasLen: true})
		return nil
	})
	Register("", "SequenceConstruct", func(c *Context) error {
		var e *Fact
		for i := 0; i < c.NumInputs(); i++ {
			f := c.Input(i)
			if e == nil {
				g := stripContent(f)
				e = &g
			} else {
				g := joinFacts(*e, f)
				e = &g
			}
		}
		c.SetOutput(0, Fact{Kind: KindSequence, Elem: e, SeqLen: Const(int64(c.NumInputs())), HasLen: true})
		return nil
	})
	Register("", "SequenceInsert", func(c *Context) error {
		s := c.Input(0)
		t := stripContent(c.Input(1))
		var e *Fact
		switch {
		case s.HasLen && s.SeqLen.Equal(Const(0)):
			e = &t
		case s.Elem != nil:
			g := joinFacts(*s.Elem, t)
			e = &g
		}
		out := Fact{Kind: KindSequence, Elem: e}
		if s.HasLen {
			out.SeqLen, out.HasLen = s.SeqLen.Add(Const(1)), true
		}
		c.SetOutput(0, out)
		return nil
	})
	Register("", "SequenceErase", func(c *Context) error {
		s := c.Input(0)
		if s.HasLen {
			s.SeqLen = s.SeqLen.Sub(Const(1))
		}
		c.SetOutput(0, s)
		return nil
	})
	Register("", "SequenceAt", func(c *Context) error {
		if e := c.Input(0).Elem; e != nil {
			c.SetOutput(0, *e)
		}
		return nil
	})
	Register("", "SequenceLength", func(c *Context) error {
		f := Tensor(graph.Int64, Shape{})
		if s := c.Input(0); s.HasLen && !s.SeqLen.IsUnknown() {
			f.Value = []Dim{s.SeqLen}
		}
		c.SetOutput(0, f)
		return nil
	})
	Register("", "SplitToSequence", splitToSequenceRule)
	Register("", "ConcatFromSequence", concatFromSequenceRule)
	Register("", "SequenceMap", sequenceMapRule)
	Register("", "Optional", func(c *Context) error {
		var e Fact
		if c.HasInput(0) {
			e = stripContent(c.Input(0))
		} else if a := c.Node.Attr("type"); a != nil && a.TP != nil {
			e = FactFromType(a.TP)
		}
		c.SetOutput(0, Fact{Kind: KindOptional, Elem: &e})
		return nil
	})
	Register("", "OptionalHasElement", func(c *Context) error {
		c.SetOutput(0, Tensor(graph.Bool, Shape{}))
		return nil
	})
	Register("", "OptionalGetElement", func(c *Context) error {
		f := c.Input(0)
		if f.Kind == KindOptional {
			if f.Elem != nil {
				c.SetOutput(0, *f.Elem)
			}
			return nil
		}
		c.SetOutput(0, f)
		return nil
	})
}

// stripContent drops the Value and Const of f (a sequence element's content
// is not tracked).
func stripContent(f Fact) Fact {
	f.Value, f.Const = nil, nil
	return f
}

// joinFacts returns what two facts have in common: same rank keeps the
// equal dims, different ranks give an unknown rank.
func joinFacts(a, b Fact) Fact {
	a, b = stripContent(a), stripContent(b)
	if a.Kind != b.Kind {
		return Fact{}
	}
	if a.Kind != KindTensor {
		if a.Elem != nil && b.Elem != nil {
			e := joinFacts(*a.Elem, *b.Elem)
			a.Elem = &e
		} else {
			a.Elem = nil
		}
		return a
	}
	if a.DType != b.DType {
		a.DType = graph.Undefined
	}
	if !a.Ranked || !b.Ranked || len(a.Shape) != len(b.Shape) {
		return UnrankedTensor(a.DType)
	}
	s := make(Shape, len(a.Shape))
	for i := range s {
		if a.Shape[i].Equal(b.Shape[i]) {
			s[i] = a.Shape[i]
		} else {
			s[i] = Unknown()
		}
	}
	return Tensor(a.DType, s)
}

func ifRule(c *Context) error {
	thenG, err1 := c.Node.AttrGraph("then_branch")
	elseG, err2 := c.Node.AttrGraph("else_branch")
	if err1 != nil || err2 != nil || thenG == nil || elseG == nil {
		return c.Errorf("then_branch and else_branch are required graphs")
	}
	cond := c.Input(0)
	if v, ok := cond.ConstInts(); ok && len(v) == 1 {
		// A constant condition: only the branch taken matters, but both
		// are inferred so every value has a fact.
		taken, other := thenG, elseG
		if v[0] == 0 {
			taken, other = elseG, thenG
		}
		// The branch never taken may not fit these shapes (exporters
		// specialize branches): its findings are only warnings.
		before := len(c.st.res.Diagnostics)
		if _, err := c.InferSubgraph(other, nil); err != nil {
			return err
		}
		for i := before; i < len(c.st.res.Diagnostics); i++ {
			if d := &c.st.res.Diagnostics[i]; d.Severity == SeverityError {
				d.Severity = SeverityWarning
				d.Message = "in the branch not taken: " + d.Message
			}
		}
		outs, err := c.InferSubgraph(taken, nil)
		if err != nil {
			return err
		}
		for i, f := range outs {
			c.SetOutput(i, f)
		}
		return nil
	}
	to, err := c.InferSubgraph(thenG, nil)
	if err != nil {
		return err
	}
	eo, err := c.InferSubgraph(elseG, nil)
	if err != nil {
		return err
	}
	if len(to) != len(eo) {
		return c.Errorf("then_branch has %d outputs, else_branch %d", len(to), len(eo))
	}
	for i := range to {
		if to[i].Kind == KindTensor && eo[i].Kind == KindTensor && to[i].DType != eo[i].DType &&
			to[i].DType != graph.Undefined && eo[i].DType != graph.Undefined {
			return c.Errorf("output %d: then_branch gives %v, else_branch %v", i, to[i], eo[i])
		}
		j := joinFacts(to[i], eo[i])
		if to[i].Kind == KindTensor && eo[i].Kind == KindTensor && to[i].Ranked && eo[i].Ranked &&
			len(to[i].Shape) == len(eo[i].Shape) {
			for k := range j.Shape {
				if j.Shape[k].IsUnknown() {
					j.Shape[k] = c.Fresh(outName(c, i))
				}
			}
		}
		c.SetOutput(i, j)
	}
	return nil
}

func outName(c *Context, i int) string {
	if i < len(c.Node.Outputs) && c.Node.Outputs[i] != "" {
		return c.Node.Outputs[i]
	}
	return ""
}

// loopRule infers the body with the loop-carried values; where a carried
// value's shape changes from one iteration to the next, its differing dims
// are generalized and the body is inferred again. Scan outputs get a leading
// dim: the trip count when it is constant (and there is no condition), a
// fresh symbol otherwise.
func loopRule(c *Context) error {
	body, err := c.Node.AttrGraph("body")
	if err != nil || body == nil {
		return c.Errorf("attribute body is required")
	}
	nCarried := c.NumInputs() - 2
	if nCarried < 0 {
		return c.Errorf("Loop needs at least 2 inputs (M, cond)")
	}
	if len(body.Inputs) != nCarried+2 {
		return c.Errorf("body has %d inputs, want %d (iteration, condition, %d carried)", len(body.Inputs), nCarried+2, nCarried)
	}
	carried := make([]Fact, nCarried)
	initial := make([]Fact, nCarried)
	for i := range carried {
		carried[i] = stripContent(c.Input(2 + i))
		initial[i] = carried[i]
	}
	in := func() []Fact {
		ins := []Fact{Tensor(graph.Int64, Shape{}), Tensor(graph.Bool, Shape{})}
		return append(ins, carried...)
	}
	// growth[i][k] is the constant a carried dim grows by per iteration.
	growth := make([]map[int]Dim, nCarried)
	var outs []Fact
	for pass := 0; pass < 3; pass++ {
		outs, err = c.InferSubgraph(body, in())
		if err != nil {
			return err
		}
		if len(outs) < nCarried+1 {
			return c.Errorf("body has %d outputs, want at least %d", len(outs), nCarried+1)
		}
		changed := false
		for i := range carried {
			if pass == 0 {
				a, b := carried[i], outs[1+i]
				if a.Kind == KindTensor && b.Kind == KindTensor && a.Ranked && b.Ranked && len(a.Shape) == len(b.Shape) {
					for k := range a.Shape {
						if d := b.Shape[k].Sub(a.Shape[k]); d.IsConst() && !d.Equal(Const(0)) {
							if growth[i] == nil {
								growth[i] = map[int]Dim{}
							}
							growth[i][k] = d
						}
					}
				}
			}
			j := joinFacts(carried[i], outs[1+i])
			if !sameFact(j, carried[i]) {
				changed = true
				carried[i] = j
			}
		}
		if !changed {
			break
		}
	}
	// The trip count is known when M is and the loop cannot stop early.
	trip := Unknown()
	if v, ok := dimsInput(c, 0); ok && len(v) == 1 && c.HasInput(0) {
		condIn := !c.HasInput(1)
		if cv, ok := c.Input(1).ConstInts(); ok && len(cv) == 1 && cv[0] != 0 {
			condIn = true
		}
		condOut := condPassThrough(body)
		if cv, ok := outs[0].ConstInts(); ok && len(cv) == 1 && cv[0] != 0 {
			condOut = true
		}
		if !c.HasInput(1) || condIn && condOut {
			trip = v[0]
		}
	}
	for i := range carried {
		f := carried[i]
		for k, d := range growth[i] {
			if f.Ranked && k < len(f.Shape) && f.Shape[k].IsUnknown() {
				s := f.Shape.Clone()
				if trip.IsUnknown() {
					s[k] = c.Fresh(outName(c, i))
				} else {
					s[k] = initial[i].Shape[k].Add(d.Mul(trip))
				}
				f.Shape = s
			}
		}
		c.SetOutput(i, f)
	}
	for k := nCarried + 1; k < len(outs); k++ {
		o := stripContent(outs[k])
		idx := nCarried + (k - nCarried - 1)
		if o.Kind != KindTensor || !o.Ranked {
			c.SetOutput(idx, UnrankedTensor(o.DType))
			continue
		}
		d := trip
		if d.IsUnknown() {
			d = c.Fresh(outName(c, idx))
		}
		c.SetOutput(idx, Tensor(o.DType, append(Shape{d}, o.Shape...)))
	}
	return nil
}

// condPassThrough reports whether a loop body passes its condition input
// straight to its condition output (so the loop runs its full trip count).
func condPassThrough(body *graph.Graph) bool {
	if len(body.Inputs) < 2 || len(body.Outputs) < 1 {
		return false
	}
	in, out := body.Inputs[1].Name, body.Outputs[0].Name
	if in == out {
		return true
	}
	for _, n := range body.Nodes {
		if n.OpType == "Identity" && len(n.Inputs) == 1 && n.Inputs[0] == in && len(n.Outputs) == 1 && n.Outputs[0] == out {
			return true
		}
	}
	return false
}

func sameFact(a, b Fact) bool {
	if a.Kind != b.Kind || a.DType != b.DType || a.Ranked != b.Ranked {
		return false
	}
	if a.Kind == KindTensor {
		if len(a.Shape) != len(b.Shape) {
			return false
		}
		for i := range a.Shape {
			if a.Shape[i].IsUnknown() != b.Shape[i].IsUnknown() {
				return false
			}
			if !a.Shape[i].IsUnknown() && !a.Shape[i].Equal(b.Shape[i]) {
				return false
			}
		}
		return true
	}
	if (a.Elem == nil) != (b.Elem == nil) {
		return false
	}
	return a.Elem == nil || sameFact(*a.Elem, *b.Elem)
}

// scanRule covers Scan-8 (with a batch axis and sequence_lens) and
// Scan-9+ (scan axes attributes).
func scanRule(c *Context) error {
	body, err := c.Node.AttrGraph("body")
	if err != nil || body == nil {
		return c.Errorf("attribute body is required")
	}
	nScanIn := int(c.Int("num_scan_inputs", 0))
	first := 0
	if c.Opset < 9 {
		first = 1 // sequence_lens
	}
	nIn := c.NumInputs() - first
	nState := nIn - nScanIn
	if nState < 0 || nScanIn <= 0 {
		return c.Errorf("num_scan_inputs %d does not fit %d inputs", nScanIn, c.NumInputs())
	}
	inAxes := c.Ints("scan_input_axes", make([]int64, nScanIn))
	var seqLen Dim = Unknown()
	batch := c.Opset < 9
	ins := make([]Fact, 0, nIn)
	for i := 0; i < nState; i++ {
		f := stripContent(c.Input(first + i))
		if batch && f.Ranked && len(f.Shape) > 0 {
			f = Tensor(f.DType, f.Shape[1:].Clone())
		}
		ins = append(ins, f)
	}
	for j := 0; j < nScanIn; j++ {
		f := stripContent(c.Input(first + nState + j))
		if !f.Ranked {
			ins = append(ins, UnrankedTensor(f.DType))
			continue
		}
		ax := 0
		if batch {
			ax = 1
		} else if j < len(inAxes) {
			a, err := normAxis(c, inAxes[j], len(f.Shape), "scan_input_axes")
			if err != nil {
				return err
			}
			ax = a
		}
		if ax >= len(f.Shape) {
			return c.Errorf("scan input %d: shape %v has no axis %d", j, f.Shape, ax)
		}
		if seqLen.IsUnknown() {
			seqLen = f.Shape[ax]
		}
		s := append(f.Shape[:ax:ax].Clone(), f.Shape[ax+1:]...)
		if batch {
			s = s[1:]
		}
		ins = append(ins, Tensor(f.DType, s))
	}
	outs, err := c.InferSubgraph(body, ins)
	if err != nil {
		return err
	}
	if len(outs) < nState {
		return c.Errorf("body has %d outputs, want at least %d", len(outs), nState)
	}
	var batchDim Dim = Unknown()
	if batch {
		if f, ok := tensorIn(c, first); ok && len(f.Shape) > 0 {
			batchDim = f.Shape[0]
		}
	}
	for i := 0; i < nState; i++ {
		o := stripContent(outs[i])
		if batch && o.Ranked {
			o = Tensor(o.DType, append(Shape{batchDim}, o.Shape...))
		}
		c.SetOutput(i, o)
	}
	outAxes := c.Ints("scan_output_axes", make([]int64, len(outs)-nState))
	for k := nState; k < len(outs); k++ {
		o := stripContent(outs[k])
		if !o.Ranked {
			c.SetOutput(k, UnrankedTensor(o.DType))
			continue
		}
		r := len(o.Shape) + 1
		ax := 0
		if !batch && k-nState < len(outAxes) {
			a, err := normAxis(c, outAxes[k-nState], r, "scan_output_axes")
			if err != nil {
				return err
			}
			ax = a
		}
		s := make(Shape, 0, r+1)
		if batch {
			s = append(s, batchDim, seqLen)
			s = append(s, o.Shape...)
		} else {
			s = append(s, o.Shape[:ax]...)
			s = append(s, seqLen)
			s = append(s, o.Shape[ax:]...)
		}
		c.SetOutput(k, Tensor(o.DType, s))
	}
	return nil
}

func splitToSequenceRule(c *Context) error {
	x, ok := tensorIn(c, 0)
	if !ok {
		e := UnrankedTensor(c.Input(0).DType)
		c.SetOutput(0, Fact{Kind: KindSequence, Elem: &e})
		return nil
	}
	a, err := normAxis(c, c.Int("axis", 0), len(x.Shape), "axis")
	if err != nil {
		return err
	}
	s := x.Shape.Clone()
	switch {
	case !c.HasInput(1):
		if c.Int("keepdims", 1) != 0 {
			s[a] = Const(1)
		} else {
			s = append(s[:a], s[a+1:]...)
		}
	default:
		v, ok := intsInput(c, 1)
		sp, _ := tensorIn(c, 1)
		switch {
		case ok && len(sp.Shape) == 0 && len(v) == 1:
			if dv, ok := x.Shape[a].Value(); ok && v[0] > 0 && dv%v[0] == 0 {
				s[a] = Const(v[0])
			} else {
				s[a] = Unknown()
			}
		case ok:
			same := len(v) > 0
			for _, e := range v {
				same = same && e == v[0]
			}
			if same {
				s[a] = Const(v[0])
			} else {
				s[a] = Unknown()
			}
		default:
			s[a] = Unknown()
		}
	}
	e := Tensor(x.DType, s)
	c.SetOutput(0, Fact{Kind: KindSequence, Elem: &e})
	return nil
}

func concatFromSequenceRule(c *Context) error {
	s := c.Input(0)
	if s.Elem == nil || !s.Elem.Ranked {
		dt := graph.Undefined
		if s.Elem != nil {
			dt = s.Elem.DType
		}
		unknownRank(c, 0, dt)
		return nil
	}
	e := *s.Elem
	newAxis := c.Int("new_axis", 0) != 0
	r := len(e.Shape)
	if newAxis {
		r++
	}
	a, err := normAxis(c, c.Int("axis", 0), r, "axis")
	if err != nil {
		return err
	}
	out := e.Shape.Clone()
	if newAxis {
		out = append(out[:a:a].Clone(), append(Shape{Unknown()}, e.Shape[a:]...)...)
	} else {
		out[a] = Unknown()
	}
	c.SetOutput(0, Tensor(e.DType, out))
	return nil
}

func sequenceMapRule(c *Context) error {
	body, err := c.Node.AttrGraph("body")
	if err != nil || body == nil {
		return c.Errorf("attribute body is required")
	}
	ins := make([]Fact, c.NumInputs())
	for i := range ins {
		f := c.Input(i)
		if f.Kind == KindSequence && f.Elem != nil {
			ins[i] = *f.Elem
		} else {
			ins[i] = stripContent(f)
		}
	}
	outs, err := c.InferSubgraph(body, ins)
	if err != nil {
		return err
	}
	for i, o := range outs {
		o = stripContent(o)
		if o.Kind == KindTensor && o.Ranked {
			// Elements may differ from one another: keep rank and type.
			o = Tensor(o.DType, unknowns(len(o.Shape)))
			for k, d := range outs[i].Shape {
				if d.IsConst() {
					o.Shape[k] = d
				}
			}
		}
		c.SetOutput(i, Fact{Kind: KindSequence, Elem: &o})
	}
	return nil
}
