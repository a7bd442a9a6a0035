package graph

import (
	"fmt"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
)

// Limits that keep hostile input from exhausting the stack.
const (
	// MaxGraphDepth bounds the nesting of subgraphs (If/Loop/Scan bodies).
	MaxGraphDepth = 64
	// MaxTypeDepth bounds the nesting of TypeProto (sequence of sequence ...)
	// and of SequenceProto/OptionalProto values.
	MaxTypeDepth = 64
)

// decoder holds the state of one decoding pass over an input buffer.
type decoder struct {
	base []byte // the whole input: offsets are reported relative to it

	graphDepth int
	typeDepth  int

	// aliased lists, in input order, the tensors whose raw data is a
	// sub-slice of base.
	aliased []*Tensor
	// external lists the tensors whose data lives in an external file.
	external []extRef
}

// off is the offset of b (a sub-slice of d.base) in the input.
func (d *decoder) off(b []byte) int64 {
	if cap(d.base) == 0 {
		return -1
	}
	if cap(b) == 0 {
		// Sub-slices end where the input ends; an empty one with no
		// capacity is the input's end.
		return int64(len(d.base))
	}
	o := int64(uintptr(unsafe.Pointer(unsafe.SliceData(b))) - uintptr(unsafe.Pointer(unsafe.SliceData(d.base))))
	if o < 0 || o > int64(len(d.base)) {
		return -1
	}
	return o
}

// errAt makes a *FormatError located at the start of b.
func (d *decoder) errAt(b []byte, format string, args ...any) *FormatError {
	return &FormatError{Offset: d.off(b), Msg: fmt.Sprintf(format, args...)}
}

// fieldNames maps the field numbers of one message type to their names
// in onnx.proto, for messages.
type fieldNames map[protowire.Number]string

// field is one decoded protobuf field.
type field struct {
	num   protowire.Number
	typ   protowire.Type
	names fieldNames
	v     uint64 // varint, fixed32 and fixed64 values
	b     []byte // the value of a bytes field
	at    []byte // the input from the field's tag on, for offsets
}

var wireNames = map[protowire.Type]string{
	protowire.VarintType: "varint", protowire.Fixed32Type: "fixed32", protowire.Fixed64Type: "fixed64",
	protowire.BytesType: "length-delimited", protowire.StartGroupType: "group", protowire.EndGroupType: "end-group",
}

func wireName(t protowire.Type) string {
	if s, ok := wireNames[t]; ok {
		return s
	}
	return fmt.Sprintf("wire type %d", t)
}

// parseErr turns a negative protowire length into a message.
func parseErr(n int, what string) string {
	err := protowire.ParseError(n)
	switch err.Error() {
	case "unexpected EOF":
		return "truncated " + what
	}
	return what + ": " + err.Error()
}

// name names f for messages: "graph (field 7)", or "field 99" when the
// field is not one of onnx.proto.
func (f *field) name() string {
	if s, ok := f.names[f.num]; ok {
		return fmt.Sprintf("%s (field %d)", s, f.num)
	}
	return fmt.Sprintf("field %d", f.num)
}

// eachField calls do for every field of the message b, whose fields names
// lists, and stops at the first error, which it returns unchanged.
func (d *decoder) eachField(b []byte, names fieldNames, do func(f *field) error) error {
	var f field // one per message: do's pointer makes it escape
	for len(b) > 0 {
		var n int
		var err error
		f, n, err = d.next(b, names)
		if err != nil {
			return err
		}
		b = b[n:]
		if err := do(&f); err != nil {
			return err
		}
	}
	return nil
}

// next decodes the field at the start of b, a message whose fields names
// lists, and returns it with the number of bytes it takes.
func (d *decoder) next(b []byte, names fieldNames) (field, int, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return field{}, 0, d.errAt(b, "%s", parseErr(n, "field tag"))
	}
	f := field{num: num, typ: typ, names: names, at: b}
	rest := b[n:]
	var m int
	switch typ {
	case protowire.VarintType:
		f.v, m = protowire.ConsumeVarint(rest)
	case protowire.Fixed32Type:
		var v uint32
		v, m = protowire.ConsumeFixed32(rest)
		f.v = uint64(v)
	case protowire.Fixed64Type:
		f.v, m = protowire.ConsumeFixed64(rest)
	case protowire.BytesType:
		f.b, m = protowire.ConsumeBytes(rest)
		if m < 0 {
			if l, k := protowire.ConsumeVarint(rest); k > 0 {
				return f, 0, d.errAt(rest, "%s: length %d exceeds the %d bytes left", f.name(), l, len(rest)-k)
			}
		}
	default:
		m = protowire.ConsumeFieldValue(num, typ, rest)
	}
	if m < 0 {
		return f, 0, d.errAt(rest, "%s: %s", f.name(), parseErr(m, wireName(typ)))
	}
	return f, n + m, nil
}

// want checks that f has wire type t.
func (d *decoder) want(f *field, t protowire.Type) error {
	if f.typ != t {
		return d.errAt(f.at, "%s has %s wire type, want %s", f.name(), wireName(f.typ), wireName(t))
	}
	return nil
}

func (d *decoder) str(f *field) (string, error) {
	if err := d.want(f, protowire.BytesType); err != nil {
		return "", err
	}
	return string(f.b), nil
}

func (d *decoder) bytesCopy(f *field) ([]byte, error) {
	if err := d.want(f, protowire.BytesType); err != nil {
		return nil, err
	}
	return append([]byte{}, f.b...), nil
}

func (d *decoder) varint(f *field) (uint64, error) {
	if err := d.want(f, protowire.VarintType); err != nil {
		return 0, err
	}
	return f.v, nil
}

func (d *decoder) msg(f *field) ([]byte, error) {
	if err := d.want(f, protowire.BytesType); err != nil {
		return nil, err
	}
	return f.b, nil
}

// int64s appends the values of a repeated int64 field, packed or not.
func (d *decoder) int64s(f *field, dst []int64) ([]int64, error) {
	switch f.typ {
	case protowire.VarintType:
		return append(dst, int64(f.v)), nil
	case protowire.BytesType:
		b := f.b
		for len(b) > 0 {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return dst, d.errAt(b, "%s: %s", f.name(), parseErr(n, "varint"))
			}
			dst = append(dst, int64(v))
			b = b[n:]
		}
		return dst, nil
	}
	return dst, d.errAt(f.at, "%s has %s wire type, want varint or packed", f.name(), wireName(f.typ))
}

// float32s appends the values of a repeated float field, packed or not.
func (d *decoder) float32s(f *field, dst []float32) ([]float32, error) {
	switch f.typ {
	case protowire.Fixed32Type:
		return append(dst, f32frombits(uint32(f.v))), nil
	case protowire.BytesType:
		if len(f.b)%4 != 0 {
			return dst, d.errAt(f.at, "%s: packed floats take %d bytes, not a multiple of 4", f.name(), len(f.b))
		}
		for b := f.b; len(b) > 0; b = b[4:] {
			dst = append(dst, f32frombits(uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24))
		}
		return dst, nil
	}
	return dst, d.errAt(f.at, "%s has %s wire type, want fixed32 or packed", f.name(), wireName(f.typ))
}

// pair decodes a StringStringEntryProto.
func (d *decoder) pair(b []byte) (StringPair, error) {
	var p StringPair
	if err := d.eachField(b, pairFields, func(f *field) (err error) {
		switch f.num {
		case 1:
			p.Key, err = d.str(f)
		case 2:
			p.Value, err = d.str(f)
		}
		return err
	}); err != nil {
		return p, err
	}
	return p, nil
}

// Field names of the messages of onnx.proto and onnx-data.proto.
var (
	modelFields = fieldNames{1: "ir_version", 2: "producer_name", 3: "producer_version", 4: "domain",
		5: "model_version", 6: "doc_string", 7: "graph", 8: "opset_import", 14: "metadata_props",
		20: "training_info", 25: "functions", 26: "configuration"}
	opsetFields = fieldNames{1: "domain", 2: "version"}
	graphFields = fieldNames{1: "node", 2: "name", 5: "initializer", 10: "doc_string", 11: "input",
		12: "output", 13: "value_info", 14: "quantization_annotation", 15: "sparse_initializer", 16: "metadata_props"}
	annotationFields = fieldNames{1: "tensor_name", 2: "quant_parameter_tensor_names"}
	nodeFields       = fieldNames{1: "input", 2: "output", 3: "name", 4: "op_type", 5: "attribute", 6: "doc_string",
		7: "domain", 8: "overload", 9: "metadata_props", 10: "device_configurations"}
	attrFields = fieldNames{1: "name", 2: "f", 3: "i", 4: "s", 5: "t", 6: "g", 7: "floats", 8: "ints", 9: "strings",
		10: "tensors", 11: "graphs", 13: "doc_string", 14: "tp", 15: "type_protos", 20: "type", 21: "ref_attr_name",
		22: "sparse_tensor", 23: "sparse_tensors"}
	valueInfoFields = fieldNames{1: "name", 2: "type", 3: "doc_string", 4: "metadata_props"}
	typeFields      = fieldNames{1: "tensor_type", 4: "sequence_type", 5: "map_type", 6: "denotation", 7: "opaque_type",
		8: "sparse_tensor_type", 9: "optional_type"}
	elemTypeFields   = fieldNames{1: "elem_type"}
	mapTypeFields    = fieldNames{1: "key_type", 2: "value_type"}
	tensorTypeFields = fieldNames{1: "elem_type", 2: "shape"}
	shapeFields      = fieldNames{1: "dim"}
	dimFields        = fieldNames{1: "dim_value", 2: "dim_param", 3: "denotation"}
	functionFields   = fieldNames{1: "name", 4: "input", 5: "output", 6: "attribute", 7: "node", 8: "doc_string",
		9: "opset_import", 10: "domain", 11: "attribute_proto", 12: "value_info", 13: "overload", 14: "metadata_props"}
	tensorFields = fieldNames{1: "dims", 2: "data_type", 3: "segment", 4: "float_data", 5: "int32_data",
		6: "string_data", 7: "int64_data", 8: "name", 9: "raw_data", 10: "double_data", 11: "uint64_data",
		12: "doc_string", 13: "external_data", 14: "data_location", 16: "metadata_props"}
	sparseFields   = fieldNames{1: "values", 2: "indices", 3: "dims"}
	sequenceFields = fieldNames{1: "name", 2: "elem_type", 3: "tensor_values", 4: "sparse_tensor_values",
		5: "sequence_values", 6: "map_values", 7: "optional_values"}
	optionalFields = fieldNames{1: "name", 2: "elem_type", 3: "tensor_value", 4: "sparse_tensor_value",
		5: "sequence_value", 6: "map_value", 7: "optional_value"}
	pairFields = fieldNames{1: "key", 2: "value"}
)
