package graph

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Decode decodes a serialized ModelProto. The raw data of initializers and
// tensor attributes aliases b (nothing is copied), so b must not be modified
// while the model is in use; Tensor.Data copies what is not aligned for its
// element type (Load, which owns its buffer, aligns the data instead). A tensor whose data lives in an external file
// is an error wrapping ErrExternalData: use Load, which knows the folder.
//
// Decode checks the wire format and each tensor's data against its dims,
// but not the graph's consistency: call Model.Validate for that. Errors
// are *FormatError.
func Decode(b []byte) (*Model, error) {
	d := &decoder{base: b}
	m, err := d.model(b)
	if err != nil {
		return nil, err
	}
	if len(d.external) > 0 {
		e := d.external[0]
		return nil, &FormatError{Offset: -1, Msg: fmt.Sprintf("tensor %q", e.t.Name), Err: ErrExternalData}
	}
	return m, nil
}

// model decodes a ModelProto.
func (d *decoder) model(b []byte) (*Model, error) {
	m := &Model{Opsets: map[string]int64{}}
	nFunc, nOpset := 0, 0
	for len(b) > 0 {
		f, n, err := d.next(b, modelFields)
		if err != nil {
			return nil, within(err, "model")
		}
		b = b[n:]
		var v uint64
		var mb []byte
		switch f.num {
		case 1:
			v, err = d.varint(&f)
			m.IRVersion = int64(v)
		case 2:
			m.ProducerName, err = d.str(&f)
		case 3:
			m.ProducerVersion, err = d.str(&f)
		case 4:
			m.Domain, err = d.str(&f)
		case 5:
			v, err = d.varint(&f)
			m.ModelVersion = int64(v)
		case 6:
			m.DocString, err = d.str(&f)
		case 7:
			if mb, err = d.msg(&f); err == nil {
				m.Graph, err = d.graph(mb)
			}
		case 8:
			if mb, err = d.msg(&f); err == nil {
				err = within(d.opset(mb, m.Opsets), fmt.Sprintf("model opset_import %d", nOpset))
				nOpset++
			}
		case 14:
			m.Metadata, err = d.pairs(&f, m.Metadata, "model metadata_props")
		case 25:
			if mb, err = d.msg(&f); err == nil {
				var fn *Function
				fn, err = d.function(mb)
				if err == nil {
					m.Functions = append(m.Functions, fn)
				} else {
					err = within(err, fmt.Sprintf("function %d", nFunc))
				}
				nFunc++
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if m.Graph == nil {
		return nil, &FormatError{Where: "model", Offset: -1, Msg: "no graph"}
	}
	return m, nil
}

// pairs appends one StringStringEntryProto field to dst.
func (d *decoder) pairs(f *field, dst []StringPair, where string) ([]StringPair, error) {
	mb, err := d.msg(f)
	if err != nil {
		return dst, within(err, where)
	}
	p, err := d.pair(mb)
	if err != nil {
		return dst, within(err, fmt.Sprintf("%s %d", where, len(dst)))
	}
	return append(dst, p), nil
}

// opset decodes an OperatorSetIdProto into opsets.
func (d *decoder) opset(b []byte, opsets map[string]int64) error {
	var domain string
	var version int64
	if err := d.eachField(b, opsetFields, func(f *field) (err error) {
		var v uint64
		switch f.num {
		case 1:
			domain, err = d.str(f)
		case 2:
			v, err = d.varint(f)
			version = int64(v)
		}
		return err
	}); err != nil {
		return err
	}
	if domain == "ai.onnx" {
		domain = ""
	}
	opsets[domain] = version
	return nil
}

// graph decodes a GraphProto.
func (d *decoder) graph(b []byte) (*Graph, error) {
	if d.graphDepth >= MaxGraphDepth {
		return nil, d.errAt(b, "subgraphs nested deeper than %d", MaxGraphDepth)
	}
	d.graphDepth++
	defer func() { d.graphDepth-- }()
	g := &Graph{}
	if err := d.eachField(b, graphFields, func(f *field) (err error) {
		var mb []byte
		switch f.num {
		case 1, 5, 11, 12, 13, 14, 15:
			mb, err = d.msg(f)
		}
		if err != nil {
			return err
		}
		switch f.num {
		case 1:
			var nd *Node
			nd, err = d.node(mb)
			if err != nil {
				err = within(err, nodeWhere(len(g.Nodes), nd))
			}
			g.Nodes = append(g.Nodes, nd)
		case 2:
			g.Name, err = d.str(f)
		case 5:
			var t *Tensor
			t, err = d.tensor(mb)
			if err != nil {
				err = within(err, fmt.Sprintf("initializer %d", len(g.Initializers)))
			}
			g.Initializers = append(g.Initializers, t)
		case 15:
			var s *SparseTensor
			s, err = d.sparse(mb)
			if err != nil {
				err = within(err, fmt.Sprintf("sparse_initializer %d", len(g.SparseInitializers)))
			}
			g.SparseInitializers = append(g.SparseInitializers, s)
		case 10:
			g.DocString, err = d.str(f)
		case 11, 12, 13:
			var vi *ValueInfo
			vi, err = d.valueInfo(mb)
			switch f.num {
			case 11:
				err = withinf(err, "input %d", len(g.Inputs))
				g.Inputs = append(g.Inputs, vi)
			case 12:
				err = withinf(err, "output %d", len(g.Outputs))
				g.Outputs = append(g.Outputs, vi)
			default:
				err = withinf(err, "value_info %d", len(g.ValueInfo))
				g.ValueInfo = append(g.ValueInfo, vi)
			}
		case 14:
			var a *TensorAnnotation
			a, err = d.annotation(mb)
			err = withinf(err, "quantization_annotation %d", len(g.QuantAnnotations))
			g.QuantAnnotations = append(g.QuantAnnotations, a)
		case 16:
			g.Metadata, err = d.pairs(f, g.Metadata, "metadata_props")
		}
		return err
	}); err != nil {
		return nil, err
	}
	return g, nil
}

// attrWhere names attribute i for messages: by name when it is known.
func attrWhere(i int, a *Attr) string {
	if a != nil && a.Name != "" {
		return fmt.Sprintf("attribute %q", a.Name)
	}
	return fmt.Sprintf("attribute %d", i)
}

// withinf is within with a formatted location, formatted only on error.
func withinf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return within(err, fmt.Sprintf(format, args...))
}

// annotation decodes a TensorAnnotation.
func (d *decoder) annotation(b []byte) (*TensorAnnotation, error) {
	a := &TensorAnnotation{}
	if err := d.eachField(b, annotationFields, func(f *field) (err error) {
		switch f.num {
		case 1:
			a.TensorName, err = d.str(f)
		case 2:
			a.Params, err = d.pairs(f, a.Params, "quant_parameter_tensor_names")
		}
		return err
	}); err != nil {
		return nil, err
	}
	return a, nil
}

// node decodes a NodeProto. On error it still returns the node as far as
// it was decoded, so that the caller can name it.
func (d *decoder) node(b []byte) (*Node, error) {
	nd := &Node{}
	if err := d.eachField(b, nodeFields, func(f *field) (err error) {
		var s string
		switch f.num {
		case 1:
			s, err = d.str(f)
			nd.Inputs = append(nd.Inputs, s)
		case 2:
			s, err = d.str(f)
			nd.Outputs = append(nd.Outputs, s)
		case 3:
			nd.Name, err = d.str(f)
		case 4:
			nd.OpType, err = d.str(f)
		case 5:
			var mb []byte
			if mb, err = d.msg(f); err == nil {
				var a *Attr
				a, err = d.attr(mb)
				if err != nil {
					err = within(err, attrWhere(len(nd.Attrs), a))
				}
				nd.Attrs = append(nd.Attrs, a)
			}
		case 6:
			nd.DocString, err = d.str(f)
		case 7:
			nd.Domain, err = d.str(f)
			if nd.Domain == "ai.onnx" {
				nd.Domain = ""
			}
		case 8:
			nd.Overload, err = d.str(f)
		case 9:
			nd.Metadata, err = d.pairs(f, nd.Metadata, "metadata_props")
		}
		return err
	}); err != nil {
		return nd, err
	}
	return nd, nil
}

// attr decodes an AttributeProto. On error it still returns the attribute
// as far as it was decoded.
func (d *decoder) attr(b []byte) (*Attr, error) {
	a := &Attr{}
	// Values of every kind are collected, then those of a.Type kept.
	var (
		hasF, hasI, hasS, hasT, hasG, hasSp, hasTP bool
		f32                                        float32
		i64                                        int64
		s                                          []byte
		t                                          *Tensor
		g                                          *Graph
		sp                                         *SparseTensor
		tp                                         *Type
		floats                                     []float32
		ints                                       []int64
		strs                                       [][]byte
		tensors                                    []*Tensor
		graphs                                     []*Graph
		sparses                                    []*SparseTensor
		tps                                        []*Type
		typ                                        uint64
		hasType                                    bool
	)
	if err := d.eachField(b, attrFields, func(f *field) (err error) {
		var mb []byte
		switch f.num {
		case 5, 6, 10, 11, 14, 15, 22, 23:
			if mb, err = d.msg(f); err != nil {
				return err
			}
		}
		switch f.num {
		case 1:
			a.Name, err = d.str(f)
		case 21:
			a.RefAttrName, err = d.str(f)
		case 13:
			a.DocString, err = d.str(f)
		case 20:
			typ, err = d.varint(f)
			hasType = true
		case 2:
			if err = d.want(f, protowire.Fixed32Type); err == nil {
				f32, hasF = f32frombits(uint32(f.v)), true
			}
		case 3:
			var v uint64
			v, err = d.varint(f)
			i64, hasI = int64(v), true
		case 4:
			s, err = d.bytesCopy(f)
			hasS = true
		case 5:
			t, err = d.tensor(mb)
			hasT = true
		case 6:
			g, err = d.graph(mb)
			hasG = true
		case 22:
			sp, err = d.sparse(mb)
			hasSp = true
		case 14:
			tp, err = d.typeProto(mb)
			hasTP = true
		case 7:
			floats, err = d.float32s(f, floats)
		case 8:
			ints, err = d.int64s(f, ints)
		case 9:
			var v []byte
			v, err = d.bytesCopy(f)
			strs = append(strs, v)
		case 10:
			var v *Tensor
			v, err = d.tensor(mb)
			err = withinf(err, "tensor %d", len(tensors))
			tensors = append(tensors, v)
		case 11:
			var v *Graph
			v, err = d.graph(mb)
			err = withinf(err, "graph %d", len(graphs))
			graphs = append(graphs, v)
		case 23:
			var v *SparseTensor
			v, err = d.sparse(mb)
			err = withinf(err, "sparse_tensor %d", len(sparses))
			sparses = append(sparses, v)
		case 15:
			var v *Type
			v, err = d.typeProto(mb)
			err = withinf(err, "type_proto %d", len(tps))
			tps = append(tps, v)
		}
		return err
	}); err != nil {
		return a, err
	}
	if !hasType {
		// Files before IR 2 left the type out: take it from the value.
		switch {
		case hasF:
			typ = uint64(AttrFloat)
		case hasI:
			typ = uint64(AttrInt)
		case hasS:
			typ = uint64(AttrString)
		case hasT:
			typ = uint64(AttrTensor)
		case hasG:
			typ = uint64(AttrGraph)
		case hasSp:
			typ = uint64(AttrSparseTensor)
		case hasTP:
			typ = uint64(AttrTypeProto)
		case floats != nil:
			typ = uint64(AttrFloats)
		case ints != nil:
			typ = uint64(AttrInts)
		case strs != nil:
			typ = uint64(AttrStrings)
		case tensors != nil:
			typ = uint64(AttrTensors)
		case graphs != nil:
			typ = uint64(AttrGraphs)
		case sparses != nil:
			typ = uint64(AttrSparseTensors)
		case tps != nil:
			typ = uint64(AttrTypeProtos)
		}
	}
	if typ > uint64(AttrTypeProtos) {
		return a, &FormatError{Offset: -1, Msg: fmt.Sprintf("unknown attribute type %d", typ)}
	}
	a.Type = AttrType(typ)
	switch a.Type {
	case AttrFloat:
		a.F = f32
	case AttrInt:
		a.I = i64
	case AttrString:
		if s == nil {
			s = []byte{}
		}
		a.S = s
	case AttrTensor:
		a.T = t
	case AttrGraph:
		a.G = g
	case AttrSparseTensor:
		a.Sparse = sp
	case AttrTypeProto:
		a.TP = tp
	case AttrFloats:
		a.Floats = floats
	case AttrInts:
		a.Ints = ints
	case AttrStrings:
		a.Strings = strs
	case AttrTensors:
		a.Tensors = tensors
	case AttrGraphs:
		a.Graphs = graphs
	case AttrSparseTensors:
		a.SparseTensors = sparses
	case AttrTypeProtos:
		a.TypeProtos = tps
	case AttrUndefined:
		if a.RefAttrName == "" {
			return a, &FormatError{Offset: -1, Msg: "attribute has no type and no value"}
		}
	}
	return a, nil
}

// valueInfo decodes a ValueInfoProto.
func (d *decoder) valueInfo(b []byte) (*ValueInfo, error) {
	vi := &ValueInfo{}
	if err := d.eachField(b, valueInfoFields, func(f *field) (err error) {
		switch f.num {
		case 1:
			vi.Name, err = d.str(f)
		case 2:
			var mb []byte
			if mb, err = d.msg(f); err == nil {
				vi.Type, err = d.typeProto(mb)
				err = withinf(err, "%q type", vi.Name)
			}
		case 3:
			vi.DocString, err = d.str(f)
		case 4:
			vi.Metadata, err = d.pairs(f, vi.Metadata, "metadata_props")
		}
		return err
	}); err != nil {
		return vi, err
	}
	return vi, nil
}

// typeProto decodes a TypeProto.
func (d *decoder) typeProto(b []byte) (*Type, error) {
	if d.typeDepth >= MaxTypeDepth {
		return nil, d.errAt(b, "types nested deeper than %d", MaxTypeDepth)
	}
	d.typeDepth++
	defer func() { d.typeDepth-- }()
	t := &Type{}
	if err := d.eachField(b, typeFields, func(f *field) (err error) {
		var mb []byte
		switch f.num {
		case 1, 4, 5, 7, 8, 9:
			if mb, err = d.msg(f); err != nil {
				return err
			}
		}
		switch f.num {
		case 1, 8: // tensor_type, sparse_tensor_type
			*t = Type{Kind: TypeTensor, Denotation: t.Denotation}
			if f.num == 8 {
				t.Kind = TypeSparseTensor
			}
			err = d.tensorType(mb, t)
		case 4, 9: // sequence_type, optional_type: elem_type = 1
			*t = Type{Kind: TypeSequence, Denotation: t.Denotation}
			if f.num == 9 {
				t.Kind = TypeOptional
			}
			t.Inner, err = d.innerType(mb, 1)
		case 5: // map_type
			*t = Type{Kind: TypeMap, Denotation: t.Denotation}
			err = d.mapType(mb, t)
		case 7: // opaque_type: kept as an unknown type
			*t = Type{Denotation: t.Denotation}
		case 6:
			t.Denotation, err = d.str(f)
		}
		return err
	}); err != nil {
		return nil, err
	}
	return t, nil
}

// innerType decodes the TypeProto held in field num of message b.
func (d *decoder) innerType(b []byte, num protowire.Number) (*Type, error) {
	var inner *Type
	for len(b) > 0 {
		f, n, err := d.next(b, elemTypeFields)
		if err != nil {
			return nil, err
		}
		b = b[n:]
		if f.num == num {
			var mb []byte
			if mb, err = d.msg(&f); err != nil {
				return nil, err
			}
			if inner, err = d.typeProto(mb); err != nil {
				return nil, err
			}
		}
	}
	return inner, nil
}

// mapType decodes TypeProto.Map into t.
func (d *decoder) mapType(b []byte, t *Type) error {
	if err := d.eachField(b, mapTypeFields, func(f *field) (err error) {
		switch f.num {
		case 1:
			var v uint64
			v, err = d.varint(f)
			t.Key = DType(int32(v))
		case 2:
			var mb []byte
			if mb, err = d.msg(f); err == nil {
				t.Inner, err = d.typeProto(mb)
			}
		}
		return err
	}); err != nil {
		return err
	}
	return nil
}

// tensorType decodes TypeProto.Tensor or TypeProto.SparseTensor into t.
func (d *decoder) tensorType(b []byte, t *Type) error {
	if err := d.eachField(b, tensorTypeFields, func(f *field) (err error) {
		switch f.num {
		case 1:
			var v uint64
			v, err = d.varint(f)
			t.Elem = DType(int32(v))
		case 2:
			var mb []byte
			if mb, err = d.msg(f); err == nil {
				t.HasShape = true
				t.Shape, err = d.shape(mb)
			}
		}
		return err
	}); err != nil {
		return err
	}
	return nil
}

// shape decodes a TensorShapeProto.
func (d *decoder) shape(b []byte) ([]Dim, error) {
	dims := []Dim{}
	for len(b) > 0 {
		f, n, err := d.next(b, shapeFields)
		if err != nil {
			return nil, err
		}
		b = b[n:]
		if f.num != 1 {
			continue
		}
		mb, err := d.msg(&f)
		if err != nil {
			return nil, err
		}
		var dim Dim
		if err := d.eachField(mb, dimFields, func(g *field) (err error) {
			switch g.num {
			case 1:
				var v uint64
				v, err = d.varint(g)
				dim.Value, dim.Known, dim.Param = int64(v), true, ""
			case 2:
				dim.Param, err = d.str(g)
				dim.Value, dim.Known = 0, false
			case 3:
				dim.Denotation, err = d.str(g)
			}
			return err
		}); err != nil {
			return nil, within(err, fmt.Sprintf("dim %d", len(dims)))
		}
		dims = append(dims, dim)
	}
	return dims, nil
}

// function decodes a FunctionProto.
func (d *decoder) function(b []byte) (*Function, error) {
	fn := &Function{Opsets: map[string]int64{}}
	for len(b) > 0 {
		f, n, err := d.next(b, functionFields)
		if err != nil {
			return nil, withinFunc(err, fn)
		}
		b = b[n:]
		var s string
		var mb []byte
		switch f.num {
		case 7, 9, 11, 12:
			if mb, err = d.msg(&f); err != nil {
				return nil, withinFunc(err, fn)
			}
		}
		switch f.num {
		case 1:
			fn.Name, err = d.str(&f)
		case 4:
			s, err = d.str(&f)
			fn.Inputs = append(fn.Inputs, s)
		case 5:
			s, err = d.str(&f)
			fn.Outputs = append(fn.Outputs, s)
		case 6:
			s, err = d.str(&f)
			fn.Attribute = append(fn.Attribute, s)
		case 11:
			var a *Attr
			a, err = d.attr(mb)
			if err != nil {
				err = within(err, "attribute_proto "+attrWhere(len(fn.AttributeProto), a))
			}
			fn.AttributeProto = append(fn.AttributeProto, a)
		case 7:
			var nd *Node
			nd, err = d.node(mb)
			if err != nil {
				err = within(err, nodeWhere(len(fn.Nodes), nd))
			}
			fn.Nodes = append(fn.Nodes, nd)
		case 8:
			fn.DocString, err = d.str(&f)
		case 9:
			err = withinf(d.opset(mb, fn.Opsets), "opset_import")
		case 10:
			fn.Domain, err = d.str(&f)
		case 13:
			fn.Overload, err = d.str(&f)
		case 12:
			var vi *ValueInfo
			vi, err = d.valueInfo(mb)
			err = withinf(err, "value_info %d", len(fn.ValueInfo))
			fn.ValueInfo = append(fn.ValueInfo, vi)
		case 14:
			fn.Metadata, err = d.pairs(&f, fn.Metadata, "metadata_props")
		}
		if err != nil {
			return nil, withinFunc(err, fn)
		}
	}
	return fn, nil
}

func withinFunc(err error, fn *Function) error {
	if fn.Name == "" {
		return err
	}
	return within(err, fmt.Sprintf("%q", fn.Domain+"."+fn.Name))
}
