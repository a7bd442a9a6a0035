package infer

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/onnxrun/onnxrun/graph"
)

// Rule infers the outputs of one node. It reads the node, its opset and its
// input facts from c and calls c.SetOutput for every output it can describe.
// It returns an error made by c.Errorf when the node is inconsistent (a
// contradiction, a bad attribute); outputs it does not set stay unknown (or
// take the model's declared type).
type Rule func(c *Context) error

var (
	rulesMu sync.RWMutex
	rules   = map[string]Rule{}
)

func ruleKey(domain, op string) string {
	if domain == "ai.onnx" {
		domain = ""
	}
	return domain + "\x00" + op
}

// Register installs the shape rule of op in domain ("" or "ai.onnx" for the
// default domain), replacing any earlier one. A rule serves every opset
// version; it branches on Context.Opset where versions differ. Register is
// meant to be called from init functions.
func Register(domain, op string, rule Rule) {
	rulesMu.Lock()
	rules[ruleKey(domain, op)] = rule
	rulesMu.Unlock()
}

// Lookup returns the rule registered for (domain, op).
func Lookup(domain, op string) (Rule, bool) {
	rulesMu.RLock()
	r, ok := rules[ruleKey(domain, op)]
	rulesMu.RUnlock()
	return r, ok
}

// Ops returns the registered (domain, op) pairs as "op" or "domain:op", sorted.
func Ops() []string {
	rulesMu.RLock()
	defer rulesMu.RUnlock()
	out := make([]string, 0, len(rules))
	for k := range rules {
		d, op, _ := strings.Cut(k, "\x00")
		if d != "" {
			op = d + ":" + op
		}
		out = append(out, op)
	}
	sortStrings(out)
	return out
}

// Context is what a Rule sees of one node.
type Context struct {
	// Node is the node being inferred.
	Node *graph.Node
	// Opset is the model's opset version for the node's domain.
	Opset int64
	// Model is the model being inferred.
	Model *graph.Model

	in      []Fact
	has     []bool
	out     []Fact
	outSet  []bool
	st      *state
	sc      *scope
	rec     *NodeRecord
	attrErr error
	warns   []string
}

// NumInputs returns the number of input slots of the node (omitted optional
// inputs included).
func (c *Context) NumInputs() int { return len(c.in) }

// HasInput reports whether input i is present (not omitted, not past the end).
func (c *Context) HasInput(i int) bool { return i >= 0 && i < len(c.has) && c.has[i] }

// Input returns the fact of input i; an absent input gives the zero Fact.
func (c *Context) Input(i int) Fact {
	if !c.HasInput(i) {
		return Fact{}
	}
	return c.in[i]
}

// NumOutputs returns the number of output slots of the node.
func (c *Context) NumOutputs() int { return len(c.out) }

// HasOutput reports whether output i is requested (named, not "").
func (c *Context) HasOutput(i int) bool {
	return i >= 0 && i < len(c.Node.Outputs) && c.Node.Outputs[i] != ""
}

// SetOutput records the fact of output i. Out-of-range indices are ignored.
func (c *Context) SetOutput(i int, f Fact) {
	if i < 0 || i >= len(c.out) {
		return
	}
	if f.Kind == KindUnknown && (f.DType != graph.Undefined || f.Ranked) {
		f.Kind = KindTensor
	}
	if f.Ranked && f.Shape == nil {
		f.Shape = Shape{}
	}
	c.out[i] = f
	c.outSet[i] = true
}

// Output returns what has been set for output i so far.
func (c *Context) Output(i int) (Fact, bool) {
	if i < 0 || i >= len(c.out) {
		return Fact{}, false
	}
	return c.out[i], c.outSet[i]
}

// Errorf returns an error-severity Diagnostic about the node. Rules name the
// input involved and the shapes in the message.
func (c *Context) Errorf(format string, args ...any) error {
	return &Diagnostic{Node: c.Node.Name, Op: c.Node.OpType, Domain: c.Node.Domain, Opset: c.Opset,
		Severity: SeverityError, Message: fmt.Sprintf(format, args...)}
}

// Warnf records a warning about the node; inference goes on.
func (c *Context) Warnf(format string, args ...any) {
	c.warns = append(c.warns, fmt.Sprintf(format, args...))
}

// Fresh returns a new symbol for a data-dependent size. Its name is base
// (or, when base is "", the node's name or op type) followed by "_" and a
// counter, made unique over the run: "NonZero_out_1".
func (c *Context) Fresh(base string) Dim {
	if base == "" {
		base = c.Node.Name
		if base == "" {
			base = c.Node.OpType
		}
	}
	return c.st.fresh(base)
}

// FreshOut returns a fresh symbol named after output i of the node.
func (c *Context) FreshOut(i int) Dim {
	name := ""
	if i >= 0 && i < len(c.Node.Outputs) {
		name = c.Node.Outputs[i]
	}
	if name == "" {
		return c.Fresh("")
	}
	return c.st.fresh(name)
}

// Unify states that a and b must be equal and returns the dim they share.
// Two different constants are a contradiction (an error Diagnostic); a bare
// symbol unified with a constant or another expression is bound to it for the
// rest of the run, so a symbol that must equal two different constants is
// caught too. Expressions that cannot be decided are left alone.
func (c *Context) Unify(a, b Dim) (Dim, error) {
	a, b = c.st.bindDim(a), c.st.bindDim(b)
	if a.Equal(b) {
		return a, nil
	}
	av, aok := a.Value()
	bv, bok := b.Value()
	switch {
	case aok && bok:
		return a, c.Errorf("dims %d and %d must be equal", av, bv)
	case a.IsUnknown():
		return b, nil
	case b.IsUnknown():
		return a, nil
	}
	if s, ok := a.IsSymbol(); ok && !containsSym(b, s) {
		c.st.bindSym(s, b)
		return b, nil
	}
	if s, ok := b.IsSymbol(); ok && !containsSym(a, s) {
		c.st.bindSym(s, a)
		return a, nil
	}
	if aok {
		return a, nil
	}
	return b, nil
}

func containsSym(d Dim, s string) bool {
	for _, x := range d.Symbols() {
		if x == s {
			return true
		}
	}
	return false
}

// Broadcast returns the multidirectional (numpy) broadcast of shapes, or an
// error naming the input indices when two dims differ and neither is 1.
// Shapes are given with their input indices for the message.
func (c *Context) Broadcast(shapes ...Shape) (Shape, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make(Shape, rank)
	for i := range out {
		out[i] = Const(1)
	}
	for k, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			cur := out[off+i]
			nd, ok := broadcastDim(cur, d)
			if !ok {
				return nil, c.Errorf("input %d: shape %v does not broadcast with %v (dim %d: %v vs %v)",
					k, s, shapesText(shapes[:k]), i, d, cur)
			}
			out[off+i] = nd
		}
	}
	return out, nil
}

func shapesText(ss []Shape) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	return strings.Join(parts, ", ")
}

// broadcastDim combines two dims under numpy broadcasting.
func broadcastDim(a, b Dim) (Dim, bool) {
	if a.Equal(b) {
		return a, true
	}
	av, aok := a.Value()
	bv, bok := b.Value()
	switch {
	case aok && av == 1:
		return b, true
	case bok && bv == 1:
		return a, true
	case aok && bok:
		return Dim{}, false
	case aok:
		return a, true // b is 1 or equal to a
	case bok:
		return b, true
	case a.IsUnknown() || b.IsUnknown():
		return Unknown(), true
	}
	return a.Max(b), true
}

// InferSubgraph infers the body g (of If, Loop or Scan) with the given facts
// for its inputs (a zero Fact takes the body's declared input type) and
// returns the facts of its outputs. Values of the enclosing graphs are visible
// inside the body.
func (c *Context) InferSubgraph(g *graph.Graph, inputs []Fact) ([]Fact, error) {
	if g == nil {
		return nil, c.Errorf("missing subgraph")
	}
	return c.st.runSubgraph(c, g, inputs)
}

// SetConv records the convolution/pooling geometry of the node for the model
// record (see NodeRecord).
func (c *Context) SetConv(ci *ConvInfo) { c.rec.Conv = ci }

// SetCost records the parameter count and the multiply-accumulate count of
// the node.
func (c *Context) SetCost(params int64, macs Dim) {
	c.rec.Params = params
	c.rec.MACs = macs
	c.rec.HasMACs = true
}

// IsInitializer reports whether input i is a constant weight of the model
// (an initializer or a Constant node's output).
func (c *Context) IsInitializer(i int) bool { return c.Input(i).Const != nil }

// ---- attribute helpers: the first error sticks and is reported after the rule ----

func (c *Context) noteAttr(err error) {
	if err != nil && c.attrErr == nil {
		c.attrErr = err
	}
}

// Int returns integer attribute name, or def when absent.
func (c *Context) Int(name string, def int64) int64 {
	v, err := c.Node.AttrInt(name, def)
	c.noteAttr(err)
	return v
}

// Float returns float attribute name, or def when absent.
func (c *Context) Float(name string, def float32) float32 {
	v, err := c.Node.AttrFloat(name, def)
	c.noteAttr(err)
	return v
}

// Str returns string attribute name, or def when absent.
func (c *Context) Str(name string, def string) string {
	v, err := c.Node.AttrString(name, def)
	c.noteAttr(err)
	return v
}

// Ints returns ints attribute name, or def when absent.
func (c *Context) Ints(name string, def []int64) []int64 {
	v, err := c.Node.AttrInts(name, def)
	c.noteAttr(err)
	return v
}

// Floats returns floats attribute name, or def when absent.
func (c *Context) Floats(name string, def []float32) []float32 {
	v, err := c.Node.AttrFloats(name, def)
	c.noteAttr(err)
	return v
}

// Has reports whether the node has attribute name.
func (c *Context) Has(name string) bool { return c.Node.HasAttr(name) }

// ---- diagnostics ----

// Severity grades a Diagnostic.
type Severity int

// Severities.
const (
	SeverityInfo Severity = iota
	SeverityWarning
	SeverityError
)

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	switch s {
	case SeverityWarning:
		return "warning"
	case SeverityError:
		return "error"
	}
	return "info"
}

// MarshalText encodes s as its String.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Diagnostic is one finding about a node (or, with Node and Op empty, about
// the graph): an inconsistency (SeverityError), a value that could not be
// inferred or a declared type that disagrees in a harmless way (warning), or a
// note (info). It is also the error type rules return.
type Diagnostic struct {
	Node     string
	Op       string
	Domain   string
	Opset    int64
	Severity Severity
	Message  string
	// Graph is the path of the subgraph holding the node ("" for the main graph).
	Graph string
}

// Error returns `infer: node "conv1" (Conv, opset 13): message`.
func (d *Diagnostic) Error() string {
	var sb strings.Builder
	sb.WriteString("infer: ")
	if d.Op != "" || d.Node != "" {
		sb.WriteString("node " + strconv.Quote(d.Node) + " (")
		if d.Domain != "" {
			sb.WriteString(d.Domain + ":")
		}
		sb.WriteString(d.Op + ", opset " + strconv.FormatInt(d.Opset, 10) + ")")
		if d.Graph != "" {
			sb.WriteString(" in " + d.Graph)
		}
		sb.WriteString(": ")
	}
	sb.WriteString(d.Message)
	return sb.String()
}
