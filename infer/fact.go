package infer

import (
	"strings"

	"github.com/onnxrun/onnxrun/graph"
)

// Shape is a tensor shape. Whether the rank is known is recorded by the Fact
// holding it (Fact.Ranked), so a nil Shape of a ranked fact is a scalar.
type Shape []Dim

// Consts returns the shape's dims as int64s and true when all are constants.
func (s Shape) Consts() ([]int64, bool) {
	out := make([]int64, len(s))
	for i, d := range s {
		v, ok := d.Value()
		if !ok {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// Known reports whether every dim is a constant or a symbolic expression
// (none unknown).
func (s Shape) Known() bool {
	for _, d := range s {
		if d.IsUnknown() {
			return false
		}
	}
	return true
}

// Equal reports whether s and o have the same rank and Equal dims.
func (s Shape) Equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if !s[i].Equal(o[i]) {
			return false
		}
	}
	return true
}

// NumElements is the product of the dims (1 for a scalar).
func (s Shape) NumElements() Dim {
	n := Const(1)
	for _, d := range s {
		n = n.Mul(d)
	}
	return n
}

// Clone returns a copy of s that shares no storage with it.
func (s Shape) Clone() Shape {
	if s == nil {
		return nil
	}
	return append(Shape{}, s...)
}

// String returns "[N,3,224,224]".
func (s Shape) String() string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(d.String())
	}
	sb.WriteByte(']')
	return sb.String()
}

// ConstShape makes a shape of constant dims.
func ConstShape(dims ...int64) Shape {
	s := make(Shape, len(dims))
	for i, v := range dims {
		s[i] = Const(v)
	}
	return s
}

// Kind says what sort of value a Fact describes.
type Kind uint8

// Value kinds.
const (
	KindUnknown  Kind = iota // nothing known, not even the kind
	KindTensor               // a tensor (also the kind of a sparse tensor)
	KindSequence             // a sequence of Elem
	KindOptional             // an optional Elem
	KindMap                  // a map (Elem describes the values)
)

// MaxValueElems bounds the number of elements a propagated Value may hold.
const MaxValueElems = 4096

// Fact is what inference knows about one value.
type Fact struct {
	Kind  Kind
	DType graph.DType // element type of a tensor; Undefined when unknown
	// Shape is meaningful only when Ranked.
	Shape  Shape
	Ranked bool
	// Value, when non-nil, is the content of a small integer (or bool) tensor,
	// row-major, possibly symbolic: what Shape returns, a Constant's int64s,
	// and what propagates through Gather, Concat, arithmetic and so on.
	// Its length equals the shape's element count and the shape is constant.
	Value []Dim
	// Const, when non-nil, is the tensor's constant content (initializers,
	// Constant nodes, and what passes through Identity-like ops), of any type.
	// It may alias the model's memory: valid until the model is closed.
	Const *graph.Tensor
	// Elem describes the elements of a sequence or optional, or a map's values.
	Elem *Fact
	// SeqLen is the number of elements of a sequence, when HasLen.
	SeqLen Dim
	HasLen bool
}

// Tensor returns the fact of a tensor of type dt and shape s (ranked).
func Tensor(dt graph.DType, s Shape) Fact {
	if s == nil {
		s = Shape{}
	}
	return Fact{Kind: KindTensor, DType: dt, Shape: s, Ranked: true}
}

// UnrankedTensor returns the fact of a tensor of type dt and unknown rank.
func UnrankedTensor(dt graph.DType) Fact { return Fact{Kind: KindTensor, DType: dt} }

// Rank returns the rank and whether it is known.
func (f Fact) Rank() (int, bool) { return len(f.Shape), f.Ranked }

// IsScalar reports whether f is a tensor of rank 0.
func (f Fact) IsScalar() bool { return f.Ranked && len(f.Shape) == 0 }

// Known reports whether f is a tensor with a known rank and no unknown dim.
func (f Fact) Known() bool { return f.Kind == KindTensor && f.Ranked && f.Shape.Known() }

// WithValue returns f with Value set to v (nil clears it).
func (f Fact) WithValue(v []Dim) Fact {
	f.Value = v
	return f
}

// ConstInts returns the Value as int64s when every element is constant.
func (f Fact) ConstInts() ([]int64, bool) {
	if f.Value == nil {
		return nil, false
	}
	return Shape(f.Value).Consts()
}

// String returns a short text: "float32[N,3,224,224]", "int64[?]",
// "seq(float32[2,3])".
func (f Fact) String() string {
	switch f.Kind {
	case KindSequence:
		if f.Elem != nil {
			return "seq(" + f.Elem.String() + ")"
		}
		return "seq(?)"
	case KindOptional:
		if f.Elem != nil {
			return "optional(" + f.Elem.String() + ")"
		}
		return "optional(?)"
	case KindMap:
		return "map"
	case KindUnknown:
		return "?"
	}
	s := f.DType.String()
	if f.DType == graph.Undefined {
		s = "?"
	}
	if !f.Ranked {
		return s + "[...]"
	}
	return s + f.Shape.String()
}

// bind applies symbol values to every dim of f.
func (f Fact) bind(b map[string]Dim) Fact {
	if len(b) == 0 {
		return f
	}
	sub := func(name string) (Dim, bool) {
		d, ok := b[name]
		return d, ok
	}
	if f.Shape != nil {
		var ns Shape
		for i, d := range f.Shape {
			if d.IsSymbolic() {
				if ns == nil {
					ns = f.Shape.Clone()
				}
				ns[i] = d.Subst(sub)
			}
		}
		if ns != nil {
			f.Shape = ns
		}
	}
	if f.Value != nil {
		var nv []Dim
		for i, d := range f.Value {
			if d.IsSymbolic() {
				if nv == nil {
					nv = append([]Dim(nil), f.Value...)
				}
				nv[i] = d.Subst(sub)
			}
		}
		if nv != nil {
			f.Value = nv
		}
	}
	if f.Elem != nil {
		e := f.Elem.bind(b)
		f.Elem = &e
	}
	if f.HasLen && f.SeqLen.IsSymbolic() {
		f.SeqLen = f.SeqLen.Subst(sub)
	}
	return f
}

// FactFromType converts a declared type to a Fact: dim_param names become
// symbols, dims with neither value nor name become unknown.
func FactFromType(t *graph.Type) Fact {
	if t == nil {
		return Fact{}
	}
	switch t.Kind {
	case graph.TypeTensor, graph.TypeSparseTensor:
		f := Fact{Kind: KindTensor, DType: t.Elem}
		if t.HasShape {
			f.Ranked = true
			f.Shape = make(Shape, len(t.Shape))
			for i, d := range t.Shape {
				switch {
				case d.Known:
					f.Shape[i] = Const(d.Value)
				case d.Param != "":
					f.Shape[i] = Sym(d.Param)
				default:
					f.Shape[i] = Unknown()
				}
			}
		}
		return f
	case graph.TypeSequence, graph.TypeOptional, graph.TypeMap:
		k := map[graph.TypeKind]Kind{graph.TypeSequence: KindSequence, graph.TypeOptional: KindOptional, graph.TypeMap: KindMap}[t.Kind]
		f := Fact{Kind: k}
		if t.Inner != nil {
			e := FactFromType(t.Inner)
			f.Elem = &e
		}
		return f
	}
	return Fact{}
}

// TypeOf converts a Fact back to a declared type: symbolic dims become
// dim_param (their canonical text), unknown dims are left empty. It returns
// nil for a fact of unknown kind.
func TypeOf(f Fact) *graph.Type {
	switch f.Kind {
	case KindTensor:
		t := &graph.Type{Kind: graph.TypeTensor, Elem: f.DType}
		if f.Ranked {
			t.HasShape = true
			t.Shape = make([]graph.Dim, len(f.Shape))
			for i, d := range f.Shape {
				if v, ok := d.Value(); ok {
					t.Shape[i] = graph.Dim{Value: v, Known: true}
				} else if d.IsSymbolic() {
					t.Shape[i] = graph.Dim{Param: d.String()}
				}
			}
		}
		return t
	case KindSequence, KindOptional, KindMap:
		k := map[Kind]graph.TypeKind{KindSequence: graph.TypeSequence, KindOptional: graph.TypeOptional, KindMap: graph.TypeMap}[f.Kind]
		t := &graph.Type{Kind: k}
		if f.Elem != nil {
			t.Inner = TypeOf(*f.Elem)
		}
		if t.Inner == nil && k != graph.TypeMap {
			return nil
		}
		return t
	}
	return nil
}

// constFact builds the fact of a constant tensor, with its Value when it is
// a small integer or bool tensor.
func constFact(t *graph.Tensor) Fact {
	f := Tensor(t.DType, ConstShape(t.Dims...))
	f.Const = t
	if v, ok := tensorDims(t); ok {
		f.Value = v
	}
	return f
}

// tensorDims converts a small integer or bool tensor to dims.
func tensorDims(t *graph.Tensor) ([]Dim, bool) {
	n := t.NumElements()
	if n < 0 || n > MaxValueElems {
		return nil, false
	}
	data, err := t.Data()
	if err != nil {
		return nil, false
	}
	out := make([]Dim, 0, n)
	switch v := data.(type) {
	case []int64:
		for _, x := range v {
			out = append(out, Const(x))
		}
	case []int32:
		for _, x := range v {
			out = append(out, Const(int64(x)))
		}
	case []int16:
		for _, x := range v {
			out = append(out, Const(int64(x)))
		}
	case []int8:
		for _, x := range v {
			out = append(out, Const(int64(x)))
		}
	case []uint8:
		if t.DType != graph.Uint8 {
			return nil, false
		}
		for _, x := range v {
			out = append(out, Const(int64(x)))
		}
	case []uint16:
		for _, x := range v {
			out = append(out, Const(int64(x)))
		}
	case []uint32:
		for _, x := range v {
			out = append(out, Const(int64(x)))
		}
	case []bool:
		for _, x := range v {
			if x {
				out = append(out, Const(1))
			} else {
				out = append(out, Const(0))
			}
		}
	default:
		return nil, false
	}
	return out, true
}

// floats returns the elements of a constant numeric tensor as float64s.
func floats(t *graph.Tensor) ([]float64, bool) {
	if t == nil {
		return nil, false
	}
	data, err := t.Data()
	if err != nil {
		return nil, false
	}
	switch v := data.(type) {
	case []float32:
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out, true
	case []float64:
		return append([]float64(nil), v...), true
	}
	if d, ok := tensorDims(t); ok {
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x.v)
		}
		return out, true
	}
	return nil, false
}
