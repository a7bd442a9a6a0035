package onnxrun

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/ops"
	"github.com/onnxrun/onnxrun/optimize"
	"gorgonia.org/tensor"
)

// Kind says what sort of value a model input or output is.
type Kind int

// Value kinds.
const (
	KindUnknown  Kind = iota // no type declared
	KindTensor               // a dense tensor
	KindSequence             // a sequence of tensors
	KindOptional             // an optional tensor or sequence
	KindMap                  // a map (not supported at run time)
	KindSparse               // a sparse tensor (not supported at run time)
)

var kindNames = [...]string{"unknown", "tensor", "sequence", "optional", "map", "sparse tensor"}

// String names the kind ("tensor", "sequence", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Dim is one declared dimension: a fixed Size, or a symbolic Name (such as
// "N" or "batch") that each run binds to one value, or neither (Size -1 and
// no Name: any size).
type Dim struct {
	Size int64
	Name string
}

// String returns the size, the symbolic name, or "?".
func (d Dim) String() string {
	switch {
	case d.Size >= 0:
		return strconv.FormatInt(d.Size, 10)
	case d.Name != "":
		return d.Name
	}
	return "?"
}

// Info describes a model input or output as the model declares it. For a
// sequence or an optional, DType and Shape describe the tensors it holds.
type Info struct {
	Name  string
	Kind  Kind
	DType graph.DType // Undefined when not declared
	// Shape is the declared shape; it is meaningful only when RankKnown.
	Shape     []Dim
	RankKnown bool
	// HasDefault is set for an input that has an initializer: feeding it is
	// optional and overrides the default.
	HasDefault bool
	// Type is the declared type as decoded (nil when the model gives none).
	Type *graph.Type
}

// String writes the type as in error messages: "float32[N,3,224,224]",
// "float32[...]" (rank unknown), "seq(int64[?])", "optional(float32[2])".
func (i Info) String() string { return typeString(i.Type) }

func infoOf(v *graph.ValueInfo) Info {
	in := Info{Name: v.Name, Type: v.Type}
	t := v.Type
	switch {
	case t == nil:
		return in
	case t.Kind == graph.TypeTensor:
		in.Kind = KindTensor
	case t.Kind == graph.TypeSequence:
		in.Kind = KindSequence
		t = t.Inner
	case t.Kind == graph.TypeOptional:
		in.Kind = KindOptional
		t = t.Inner
		if t != nil && t.Kind == graph.TypeSequence {
			t = t.Inner
		}
	case t.Kind == graph.TypeMap:
		in.Kind = KindMap
		return in
	case t.Kind == graph.TypeSparseTensor:
		in.Kind = KindSparse
		t = nil
	}
	if t != nil && (t.Kind == graph.TypeTensor || t.Kind == graph.TypeSparseTensor) {
		in.DType = t.Elem
		if t.HasShape {
			in.RankKnown = true
			in.Shape = make([]Dim, len(t.Shape))
			for j, d := range t.Shape {
				in.Shape[j] = Dim{Size: -1, Name: d.Param}
				if d.Known {
					in.Shape[j] = Dim{Size: d.Value}
				}
			}
		}
	}
	return in
}

func typeString(t *graph.Type) string {
	if t == nil {
		return "?"
	}
	switch t.Kind {
	case graph.TypeTensor, graph.TypeSparseTensor:
		s := t.Elem.String()
		if t.Elem == graph.Undefined {
			s = "?"
		}
		if t.Kind == graph.TypeSparseTensor {
			s = "sparse " + s
		}
		if !t.HasShape {
			return s + "[...]"
		}
		dims := make([]string, len(t.Shape))
		for i, d := range t.Shape {
			switch {
			case d.Known:
				dims[i] = strconv.FormatInt(d.Value, 10)
			case d.Param != "":
				dims[i] = d.Param
			default:
				dims[i] = "?"
			}
		}
		return s + "[" + strings.Join(dims, ",") + "]"
	case graph.TypeSequence:
		return "seq(" + typeString(t.Inner) + ")"
	case graph.TypeOptional:
		return "optional(" + typeString(t.Inner) + ")"
	case graph.TypeMap:
		return "map(" + t.Key.String() + "," + typeString(t.Inner) + ")"
	}
	return "?"
}

// valueString describes a run-time value as in error messages.
func valueString(v ops.Value) string {
	switch v := v.(type) {
	case *ops.Tensor:
		dims := make([]string, len(v.Shape))
		for i, d := range v.Shape {
			dims[i] = strconv.Itoa(d)
		}
		return v.DType.String() + "[" + strings.Join(dims, ",") + "]"
	case *ops.Sequence:
		return fmt.Sprintf("seq(%s) of %d", v.Elem, len(v.Items))
	case *ops.Optional:
		if v.Value == nil {
			return "empty optional"
		}
		return "optional(" + valueString(v.Value) + ")"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("%T", v)
}

// InputError reports an input that is missing, unknown to the model, or
// does not match the model's declared type.
type InputError struct {
	Name string
	// Want is the declared type ("float32[N,3,224,224]"), Got what was
	// given ("int64[2,3]"); Got is empty for a missing input and Want for an
	// unknown one.
	Want, Got string
	// Detail says more: which dim differs, where a symbolic dim was bound,
	// or which inputs the model has.
	Detail string
}

// Error describes the input and what the model expects of it.
func (e *InputError) Error() string {
	var s string
	switch {
	case e.Want == "":
		s = fmt.Sprintf("onnxrun: unknown input %q", e.Name)
	case e.Got == "":
		s = fmt.Sprintf("onnxrun: input %q is missing: want %s", e.Name, e.Want)
	default:
		s = fmt.Sprintf("onnxrun: input %q: want %s, got %s", e.Name, e.Want, e.Got)
	}
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Session is a model prepared to run. Its methods are safe for concurrent
// use: many goroutines may call Run at once.
type Session struct {
	model    *graph.Model
	ownModel bool
	plan     *ops.Plan
	cfg      config

	all     []Info // every graph input, in order
	index   map[string]int
	feeds   []Info
	outputs []Info
	consts  []memRange

	bound   boundChecks // size checks per binding of the symbolic input dims
	mu      sync.Mutex
	closed  bool
	runs    sync.WaitGroup
	closing context.Context
	cancel  context.CancelFunc
}

func newSession(m *graph.Model, own bool, opts []Option) (_ *Session, err error) {
	defer recoverError(&err, "preparing the model")
	if m == nil || m.Graph == nil {
		return nil, errors.New("onnxrun: model has no graph")
	}
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if err := checkStaticLimits(m, cfg.ops.Limits); err != nil {
		return nil, err
	}
	run := m
	if level := cfg.optimization(); level > optimize.LevelNone {
		// Optimization is best effort: a model it cannot handle runs as given.
		if om, _, err := optimize.Model(m, optimize.Options{Level: level}); err == nil {
			run = om
		}
	}
	p, err := ops.Compile(run, &cfg.ops)
	if err != nil {
		return nil, err
	}
	s := &Session{model: m, ownModel: own, plan: p, cfg: cfg, index: map[string]int{}}
	hasInit := map[string]bool{}
	for _, t := range m.Graph.Initializers {
		hasInit[t.Name] = true
	}
	for i, v := range m.Graph.Inputs {
		in := infoOf(v)
		in.HasDefault = hasInit[v.Name]
		s.all = append(s.all, in)
		s.index[v.Name] = i
		if !in.HasDefault {
			s.feeds = append(s.feeds, in)
		}
	}
	for _, v := range m.Graph.Outputs {
		s.outputs = append(s.outputs, infoOf(v))
	}
	for _, t := range p.Constants() {
		if r := rangeOf(t); r.lo < r.hi {
			s.consts = append(s.consts, r)
		}
	}
	s.closing, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Inputs describes the inputs a caller must feed, in the model's order
// (inputs with a default value, see Info.HasDefault, are left out; they
// can still be fed by name).
func (s *Session) Inputs() []Info { return append([]Info(nil), s.feeds...) }

// AllInputs describes every graph input, including those with defaults.
func (s *Session) AllInputs() []Info { return append([]Info(nil), s.all...) }

// Outputs describes the model's outputs, in order.
func (s *Session) Outputs() []Info { return append([]Info(nil), s.outputs...) }

// Model returns the model the session runs. It must not be modified.
func (s *Session) Model() *graph.Model { return s.model }

// Run runs the model on inputs keyed by input name and returns its outputs
// keyed by output name. Each input must match its declared element type and
// rank; fixed dims must match, and a symbolic dim must take the same value
// in all inputs that name it. Inputs are read, never modified, and their
// data is not copied. Outputs are the caller's to keep and modify. Run
// returns ctx's error if ctx ends before the run does (it is checked
// between nodes), and ErrClosed if the session is closed meanwhile.
// Models with sequence or optional inputs or outputs need RunValues.
// Scalars come back as Dense scalars (shape ()), and half-precision
// tensors with the Float16 and BFloat16 Dtypes; an output with a zero-sized
// dim is a Dense over an empty slice (see ToDense for what gorgonia
// allows on it).
func (s *Session) Run(ctx context.Context, inputs map[string]*tensor.Dense) (map[string]*tensor.Dense, error) {
	vals := make(map[string]ops.Value, len(inputs))
	for name, d := range inputs {
		i, ok := s.index[name]
		if !ok {
			return nil, s.unknownInput(name)
		}
		if d == nil {
			continue
		}
		if k := s.all[i].Kind; k != KindTensor && k != KindUnknown {
			return nil, &InputError{Name: name, Want: s.all[i].String(), Got: "a tensor", Detail: "use RunValues for sequences and optionals"}
		}
		t, err := FromDense(d)
		if err != nil {
			return nil, &InputError{Name: name, Want: s.all[i].String(), Got: fmt.Sprintf("%v%v", d.Dtype(), []int(d.Shape())), Detail: strings.TrimPrefix(err.Error(), "onnxrun: ")}
		}
		vals[name] = t
	}
	for _, o := range s.outputs {
		if o.Kind != KindTensor && o.Kind != KindUnknown {
			return nil, fmt.Errorf("onnxrun: output %q is a %s (%s): use RunValues", o.Name, o.Kind, o)
		}
	}
	outs, err := s.RunValues(ctx, vals)
	if err != nil {
		return nil, err
	}
	res := make(map[string]*tensor.Dense, len(outs))
	for name, v := range outs {
		t, ok := v.(*ops.Tensor)
		if !ok {
			return nil, fmt.Errorf("onnxrun: output %q is a %s, not a tensor: use RunValues", name, valueString(v))
		}
		d, err := ToDense(t)
		if err != nil {
			return nil, fmt.Errorf("onnxrun: output %q: %w", name, err)
		}
		res[name] = d
	}
	return res, nil
}

// RunValues is Run over the executor's own values: *ops.Tensor,
// *ops.Sequence and *ops.Optional (a bare tensor or sequence given for an
// optional input is taken as a present optional). It checks inputs as Run
// does and returns outputs that the caller may keep and modify.
func (s *Session) RunValues(ctx context.Context, inputs map[string]ops.Value) (_ map[string]ops.Value, err error) {
	defer recoverError(&err, "running the model")
	if ctx == nil {
		ctx = context.Background()
	}
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.runs.Done()
	args, err := s.prepare(inputs)
	if err != nil {
		return nil, err
	}
	if err := s.bound.check(s, args); err != nil {
		return nil, err
	}
	rctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	unhook := context.AfterFunc(s.closing, func() { stop(ErrClosed) })
	defer unhook()
	outs, err := s.plan.Run(rctx, args)
	if err != nil {
		if s.closing.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("%w: %v", ErrClosed, err)
		}
		return nil, err
	}
	var avoid []memRange
	for _, a := range args {
		avoid = appendRanges(avoid, a)
	}
	avoid = append(avoid, s.consts...)
	res := make(map[string]ops.Value, len(outs))
	for i, v := range outs {
		v = s.own(v, &avoid)
		res[s.outputs[i].Name] = v
	}
	return res, nil
}

// own returns v, or a copy of the tensors in it that share memory with
// anything in avoid (inputs, weights, earlier outputs), and adds v's memory
// to avoid.
func (s *Session) own(v ops.Value, avoid *[]memRange) ops.Value {
	switch v := v.(type) {
	case *ops.Tensor:
		r := rangeOf(v)
		if s.cfg.copyOutputs || overlapsAny(r, *avoid) {
			v = cloneTensor(v)
			r = rangeOf(v)
		}
		*avoid = append(*avoid, r)
		return v
	case *ops.Sequence:
		c := &ops.Sequence{Elem: v.Elem, Items: make([]*ops.Tensor, len(v.Items))}
		for i, t := range v.Items {
			c.Items[i] = s.own(t, avoid).(*ops.Tensor)
		}
		return c
	case *ops.Optional:
		c := &ops.Optional{Type: v.Type}
		if v.Value != nil {
			c.Value = s.own(v.Value, avoid)
		}
		return c
	}
	return v
}

func overlapsAny(r memRange, rs []memRange) bool {
	for _, o := range rs {
		if r.overlaps(o) {
			return true
		}
	}
	return false
}

func appendRanges(rs []memRange, v ops.Value) []memRange {
	switch v := v.(type) {
	case *ops.Tensor:
		if r := rangeOf(v); r.lo < r.hi {
			rs = append(rs, r)
		}
	case *ops.Sequence:
		for _, t := range v.Items {
			rs = appendRanges(rs, t)
		}
	case *ops.Optional:
		rs = appendRanges(rs, v.Value)
	}
	return rs
}

func (s *Session) begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.runs.Add(1)
	return nil
}

// Close stops runs in progress (they return ErrClosed at their next node),
// waits for them to return, and releases the model's memory. Outputs
// already returned stay valid. Close is idempotent.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.runs.Wait()
	if s.ownModel {
		return s.model.Close()
	}
	return nil
}

func (s *Session) unknownInput(name string) error {
	names := make([]string, len(s.all))
	for i, in := range s.all {
		names[i] = strconv.Quote(in.Name)
	}
	d := "the model has no inputs"
	if len(names) > 0 {
		d = "the model's inputs are " + strings.Join(names, ", ")
	}
	return &InputError{Name: name, Detail: d}
}

type binding struct {
	size  int
	input string
}

// prepare checks inputs against the declared inputs and orders them.
func (s *Session) prepare(inputs map[string]ops.Value) ([]ops.Value, error) {
	for name := range inputs {
		if _, ok := s.index[name]; !ok {
			return nil, s.unknownInput(name)
		}
	}
	args := make([]ops.Value, len(s.all))
	bound := map[string]binding{}
	for i, in := range s.all {
		v := inputs[in.Name]
		if v == nil || isNilValue(v) {
			if in.HasDefault {
				continue
			}
			if in.Kind == KindOptional {
				args[i] = &ops.Optional{Type: innerType(in.Type)}
				continue
			}
			return nil, &InputError{Name: in.Name, Want: in.String()}
		}
		v, err := checkValue(in, v, bound)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return args, nil
}

func isNilValue(v ops.Value) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

func checkValue(in Info, v ops.Value, bound map[string]binding) (ops.Value, error) {
	mismatch := func(detail string) error {
		return &InputError{Name: in.Name, Want: in.String(), Got: valueString(v), Detail: detail}
	}
	switch in.Kind {
	case KindUnknown:
		if t, ok := v.(*ops.Tensor); ok {
			return v, checkData(in, t)
		}
		return v, nil
	case KindTensor:
		t, ok := v.(*ops.Tensor)
		if !ok {
			return nil, mismatch("want a tensor")
		}
		if err := checkTensor(in, t, bound, true); err != nil {
			return nil, err
		}
		return t, nil
	case KindSequence:
		q, ok := v.(*ops.Sequence)
		if !ok {
			return nil, mismatch("want a sequence")
		}
		if err := checkSequence(in, q); err != nil {
			return nil, err
		}
		return q, nil
	case KindOptional:
		o, ok := v.(*ops.Optional)
		if !ok {
			o = &ops.Optional{Value: v, Type: innerType(in.Type)}
		}
		switch x := o.Value.(type) {
		case nil:
		case *ops.Tensor:
			if inner := innerType(in.Type); inner != nil && inner.Kind != graph.TypeTensor {
				return nil, mismatch("want an optional " + typeString(inner))
			}
			if err := checkTensor(in, x, bound, false); err != nil {
				return nil, err
			}
		case *ops.Sequence:
			if inner := innerType(in.Type); inner != nil && inner.Kind != graph.TypeSequence {
				return nil, mismatch("want an optional " + typeString(inner))
			}
			if err := checkSequence(in, x); err != nil {
				return nil, err
			}
		default:
			return nil, mismatch("want an optional tensor or sequence")
		}
		return o, nil
	}
	return nil, mismatch(in.Kind.String() + " inputs are not supported")
}

func innerType(t *graph.Type) *graph.Type {
	if t == nil {
		return nil
	}
	return t.Inner
}

func checkSequence(in Info, q *ops.Sequence) error {
	for j, t := range q.Items {
		if t == nil {
			return &InputError{Name: in.Name, Want: in.String(), Got: valueString(q), Detail: fmt.Sprintf("item %d is nil", j)}
		}
		if err := checkTensor(in, t, nil, false); err != nil {
			e := err.(*InputError)
			e.Got = valueString(q)
			e.Detail = strings.TrimSpace(fmt.Sprintf("item %d is %s %s", j, valueString(t), e.Detail))
			return e
		}
	}
	if in.DType != graph.Undefined && q.Elem != graph.Undefined && q.Elem != in.DType {
		return &InputError{Name: in.Name, Want: in.String(), Got: valueString(q)}
	}
	return nil
}

// checkTensor checks t against in's element type and shape; bound (if not
// nil) collects symbolic dims; dims checks fixed and symbolic dims (the
// items of a sequence may differ in shape, so for them only rank counts).
func checkTensor(in Info, t *ops.Tensor, bound map[string]binding, dims bool) error {
	mismatch := func(detail string) error {
		return &InputError{Name: in.Name, Want: in.String(), Got: valueString(t), Detail: detail}
	}
	if in.DType != graph.Undefined && t.DType != in.DType {
		return mismatch("")
	}
	if err := checkData(in, t); err != nil {
		return err
	}
	if !in.RankKnown {
		return nil
	}
	if len(t.Shape) != len(in.Shape) {
		return mismatch(fmt.Sprintf("rank %d, want rank %d", len(t.Shape), len(in.Shape)))
	}
	if !dims {
		return nil
	}
	for j, d := range in.Shape {
		got := t.Shape[j]
		switch {
		case d.Size >= 0:
			if int64(got) != d.Size {
				return mismatch(fmt.Sprintf("dim %d is %d, want %d", j, got, d.Size))
			}
		case d.Name != "" && bound != nil:
			if b, ok := bound[d.Name]; ok {
				if b.size != got {
					where := fmt.Sprintf("input %q", b.input)
					if b.input == in.Name {
						where = "an earlier dim"
					}
					return mismatch(fmt.Sprintf("dim %d is %d, but %s is %d in %s", j, got, d.Name, b.size, where))
				}
			} else {
				bound[d.Name] = binding{got, in.Name}
			}
		}
	}
	return nil
}

// checkData checks that t's data is a slice of the right Go type and length.
func checkData(in Info, t *ops.Tensor) error {
	bad := func(detail string) error {
		return &InputError{Name: in.Name, Want: in.String(), Got: valueString(t), Detail: detail}
	}
	for _, d := range t.Shape {
		if d < 0 {
			return bad("negative dim")
		}
	}
	z, err := ops.Zeros(t.DType, nil)
	if err != nil {
		return bad(strings.TrimPrefix(err.Error(), "ops: "))
	}
	if reflect.TypeOf(t.Data) != reflect.TypeOf(z.Data) {
		return bad(fmt.Sprintf("data is %T, want %T", t.Data, z.Data))
	}
	if n := reflect.ValueOf(t.Data).Len(); n != ops.Size(t.Shape) {
		return bad(fmt.Sprintf("%d values for %d elements", n, ops.Size(t.Shape)))
	}
	return nil
}
