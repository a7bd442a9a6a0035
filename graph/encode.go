package graph

import (
	"fmt"
	"math"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"
)

// Encode serializes m as a ModelProto. Numeric tensor data is written as
// raw_data (whatever field it was read from) and data that was read from
// external files is written inline, so the result is self-contained; it
// must stay under protobuf's 2 GiB message limit. Decode(Encode(m)) gives
// back a model equal to m.
func Encode(m *Model) ([]byte, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("graph: encode: model has no graph")
	}
	return encodeTop(func(e *enc) { e.model(m) })
}

// EncodeTensor serializes t as a TensorProto (the layout of the backend
// tests' input_N.pb files).
func EncodeTensor(t *Tensor) ([]byte, error) {
	if t == nil {
		return nil, fmt.Errorf("graph: encode: nil tensor")
	}
	return encodeTop(func(e *enc) { e.tensor(t) })
}

// encodeTop measures, then writes, the message fn produces.
func encodeTop(fn func(e *enc)) ([]byte, error) {
	m := &enc{measure: true}
	fn(m)
	if m.err != nil {
		return nil, m.err
	}
	if m.n > math.MaxInt32 {
		return nil, fmt.Errorf("graph: encode: message of %d bytes exceeds protobuf's 2 GiB limit", m.n)
	}
	e := &enc{b: make([]byte, 0, m.n)}
	fn(e)
	if e.err != nil {
		return nil, e.err
	}
	if len(e.b) != m.n {
		return nil, fmt.Errorf("graph: encode: internal error: measured %d bytes, wrote %d", m.n, len(e.b))
	}
	return e.b, nil
}

// enc writes protobuf fields, or only counts their size when measure is
// set. A nested message is measured before it is written, so that each byte
// of tensor data is copied once, straight into the output.
type enc struct {
	b       []byte
	n       int
	measure bool
	err     error
}

func (e *enc) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

func (e *enc) tag(num protowire.Number, t protowire.Type) {
	if e.measure {
		e.n += protowire.SizeTag(num)
	} else {
		e.b = protowire.AppendTag(e.b, num, t)
	}
}

func (e *enc) varint(num protowire.Number, v uint64) {
	e.tag(num, protowire.VarintType)
	if e.measure {
		e.n += protowire.SizeVarint(v)
	} else {
		e.b = protowire.AppendVarint(e.b, v)
	}
}

// varintNZ writes v unless it is 0.
func (e *enc) varintNZ(num protowire.Number, v uint64) {
	if v != 0 {
		e.varint(num, v)
	}
}

func (e *enc) fixed32(num protowire.Number, v uint32) {
	e.tag(num, protowire.Fixed32Type)
	if e.measure {
		e.n += 4
	} else {
		e.b = protowire.AppendFixed32(e.b, v)
	}
}

func (e *enc) bytes(num protowire.Number, v []byte) {
	e.tag(num, protowire.BytesType)
	if e.measure {
		e.n += protowire.SizeBytes(len(v))
	} else {
		e.b = protowire.AppendBytes(e.b, v)
	}
}

func (e *enc) string(num protowire.Number, v string) {
	e.tag(num, protowire.BytesType)
	if e.measure {
		e.n += protowire.SizeBytes(len(v))
	} else {
		e.b = protowire.AppendString(e.b, v)
	}
}

// stringNZ writes v unless it is empty.
func (e *enc) stringNZ(num protowire.Number, v string) {
	if v != "" {
		e.string(num, v)
	}
}

// message writes field num holding the message fn writes.
func (e *enc) message(num protowire.Number, fn func(e *enc)) {
	m := &enc{measure: true}
	fn(m)
	if m.err != nil {
		e.fail(m.err)
		return
	}
	e.tag(num, protowire.BytesType)
	if e.measure {
		e.n += protowire.SizeBytes(m.n)
		return
	}
	e.b = protowire.AppendVarint(e.b, uint64(m.n))
	fn(e)
}

func (e *enc) pairs(num protowire.Number, ps []StringPair) {
	for _, p := range ps {
		e.message(num, func(e *enc) {
			e.stringNZ(1, p.Key)
			e.stringNZ(2, p.Value)
		})
	}
}

func (e *enc) opsets(num protowire.Number, opsets map[string]int64) {
	domains := make([]string, 0, len(opsets))
	for k := range opsets {
		domains = append(domains, k)
	}
	sort.Strings(domains)
	for _, k := range domains {
		e.message(num, func(e *enc) {
			e.stringNZ(1, k)
			e.varint(2, uint64(opsets[k]))
		})
	}
}

func (e *enc) model(m *Model) {
	e.varintNZ(1, uint64(m.IRVersion))
	e.stringNZ(2, m.ProducerName)
	e.stringNZ(3, m.ProducerVersion)
	e.stringNZ(4, m.Domain)
	e.varintNZ(5, uint64(m.ModelVersion))
	e.stringNZ(6, m.DocString)
	e.message(7, func(e *enc) { e.graph(m.Graph) })
	e.opsets(8, m.Opsets)
	e.pairs(14, m.Metadata)
	for _, f := range m.Functions {
		e.message(25, func(e *enc) { e.function(f) })
	}
}

func (e *enc) graph(g *Graph) {
	if g == nil {
		e.fail(fmt.Errorf("graph: encode: nil graph"))
		return
	}
	for _, n := range g.Nodes {
		e.message(1, func(e *enc) { e.node(n) })
	}
	e.stringNZ(2, g.Name)
	for _, t := range g.Initializers {
		e.message(5, func(e *enc) { e.tensor(t) })
	}
	e.stringNZ(10, g.DocString)
	for _, v := range g.Inputs {
		e.message(11, func(e *enc) { e.valueInfo(v) })
	}
	for _, v := range g.Outputs {
		e.message(12, func(e *enc) { e.valueInfo(v) })
	}
	for _, v := range g.ValueInfo {
		e.message(13, func(e *enc) { e.valueInfo(v) })
	}
	for _, a := range g.QuantAnnotations {
		e.message(14, func(e *enc) {
			e.stringNZ(1, a.TensorName)
			e.pairs(2, a.Params)
		})
	}
	for _, s := range g.SparseInitializers {
		e.message(15, func(e *enc) { e.sparse(s) })
	}
	e.pairs(16, g.Metadata)
}

func (e *enc) node(n *Node) {
	if n == nil {
		e.fail(fmt.Errorf("graph: encode: nil node"))
		return
	}
	for _, s := range n.Inputs {
		e.string(1, s)
	}
	for _, s := range n.Outputs {
		e.string(2, s)
	}
	e.stringNZ(3, n.Name)
	e.stringNZ(4, n.OpType)
	for _, a := range n.Attrs {
		e.message(5, func(e *enc) { e.attr(a) })
	}
	e.stringNZ(6, n.DocString)
	e.stringNZ(7, n.Domain)
	e.stringNZ(8, n.Overload)
	e.pairs(9, n.Metadata)
}

func (e *enc) attr(a *Attr) {
	if a == nil {
		e.fail(fmt.Errorf("graph: encode: nil attribute"))
		return
	}
	e.stringNZ(1, a.Name)
	{
		switch a.Type {
		case AttrFloat:
			e.fixed32(2, math.Float32bits(a.F))
		case AttrInt:
			e.varint(3, uint64(a.I))
		case AttrString:
			e.bytes(4, a.S)
		case AttrTensor:
			if a.T != nil {
				e.message(5, func(e *enc) { e.tensor(a.T) })
			}
		case AttrGraph:
			if a.G != nil {
				e.message(6, func(e *enc) { e.graph(a.G) })
			}
		case AttrFloats:
			for _, v := range a.Floats {
				e.fixed32(7, math.Float32bits(v))
			}
		case AttrInts:
			for _, v := range a.Ints {
				e.varint(8, uint64(v))
			}
		case AttrStrings:
			for _, v := range a.Strings {
				e.bytes(9, v)
			}
		case AttrTensors:
			for _, t := range a.Tensors {
				e.message(10, func(e *enc) { e.tensor(t) })
			}
		case AttrGraphs:
			for _, g := range a.Graphs {
				e.message(11, func(e *enc) { e.graph(g) })
			}
		case AttrTypeProto:
			if a.TP != nil {
				e.message(14, func(e *enc) { e.typeProto(a.TP) })
			}
		case AttrTypeProtos:
			for _, t := range a.TypeProtos {
				e.message(15, func(e *enc) { e.typeProto(t) })
			}
		case AttrSparseTensor:
			if a.Sparse != nil {
				e.message(22, func(e *enc) { e.sparse(a.Sparse) })
			}
		case AttrSparseTensors:
			for _, s := range a.SparseTensors {
				e.message(23, func(e *enc) { e.sparse(s) })
			}
		}
	}
	e.stringNZ(13, a.DocString)
	e.varint(20, uint64(a.Type))
	e.stringNZ(21, a.RefAttrName)
}

func (e *enc) valueInfo(v *ValueInfo) {
	if v == nil {
		e.fail(fmt.Errorf("graph: encode: nil value info"))
		return
	}
	e.stringNZ(1, v.Name)
	if v.Type != nil {
		e.message(2, func(e *enc) { e.typeProto(v.Type) })
	}
	e.stringNZ(3, v.DocString)
	e.pairs(4, v.Metadata)
}

func (e *enc) typeProto(t *Type) {
	inner := func(e *enc, num protowire.Number) {
		if t.Inner != nil {
			e.message(num, func(e *enc) { e.typeProto(t.Inner) })
		}
	}
	tensor := func(e *enc) {
		e.varintNZ(1, uint64(t.Elem))
		if t.HasShape {
			e.message(2, func(e *enc) {
				for _, d := range t.Shape {
					e.message(1, func(e *enc) {
						if d.Known {
							e.varint(1, uint64(d.Value))
						} else if d.Param != "" {
							e.string(2, d.Param)
						}
						e.stringNZ(3, d.Denotation)
					})
				}
			})
		}
	}
	switch t.Kind {
	case TypeTensor:
		e.message(1, tensor)
	case TypeSparseTensor:
		e.message(8, tensor)
	case TypeSequence:
		e.message(4, func(e *enc) { inner(e, 1) })
	case TypeOptional:
		e.message(9, func(e *enc) { inner(e, 1) })
	case TypeMap:
		e.message(5, func(e *enc) {
			e.varintNZ(1, uint64(t.Key))
			inner(e, 2)
		})
	}
	e.stringNZ(6, t.Denotation)
}

func (e *enc) tensor(t *Tensor) {
	if t == nil {
		e.fail(fmt.Errorf("graph: encode: nil tensor"))
		return
	}
	n := t.NumElements()
	if n < 0 {
		e.fail(fmt.Errorf("graph: encode: tensor %q: dims %v overflow or are negative", t.Name, t.Dims))
		return
	}
	for _, d := range t.Dims {
		e.varint(tfDims, uint64(d))
	}
	e.varintNZ(tfDataType, uint64(t.DType))
	if t.DType == String {
		if int64(len(t.Strings)) != n {
			e.fail(fmt.Errorf("graph: encode: tensor %q: %d strings for dims %v", t.Name, len(t.Strings), t.Dims))
			return
		}
		for _, s := range t.Strings {
			e.bytes(tfStringData, s)
		}
	}
	e.stringNZ(tfName, t.Name)
	if t.DType != String {
		if want := t.DType.RawLen(n); int64(len(t.raw)) != want {
			e.fail(fmt.Errorf("graph: encode: tensor %q: %s%v needs %d bytes, have %d", t.Name, t.DType, t.Dims, want, len(t.raw)))
			return
		}
		if len(t.raw) > 0 {
			e.bytes(tfRawData, t.raw)
		}
	}
	e.stringNZ(tfDocString, t.DocString)
	e.pairs(tfMetadata, t.Metadata)
}

func (e *enc) sparse(s *SparseTensor) {
	if s.Values != nil {
		e.message(1, func(e *enc) { e.tensor(s.Values) })
	}
	if s.Indices != nil {
		e.message(2, func(e *enc) { e.tensor(s.Indices) })
	}
	for _, d := range s.Dims {
		e.varint(3, uint64(d))
	}
}

func (e *enc) function(f *Function) {
	e.stringNZ(1, f.Name)
	for _, s := range f.Inputs {
		e.string(4, s)
	}
	for _, s := range f.Outputs {
		e.string(5, s)
	}
	for _, s := range f.Attribute {
		e.string(6, s)
	}
	for _, n := range f.Nodes {
		e.message(7, func(e *enc) { e.node(n) })
	}
	e.stringNZ(8, f.DocString)
	e.opsets(9, f.Opsets)
	e.stringNZ(10, f.Domain)
	for _, a := range f.AttributeProto {
		e.message(11, func(e *enc) { e.attr(a) })
	}
	for _, v := range f.ValueInfo {
		e.message(12, func(e *enc) { e.valueInfo(v) })
	}
	e.stringNZ(13, f.Overload)
	e.pairs(14, f.Metadata)
}
