package graph

import "fmt"

// DecodeTensor decodes a serialized TensorProto, such as a backend test's
// input_N.pb. Raw data aliases b. External data is refused (an error
// wrapping ErrExternalData). Errors are *FormatError.
func DecodeTensor(b []byte) (*Tensor, error) {
	d := &decoder{base: b}
	t, err := d.tensor(b)
	if err != nil {
		return nil, err
	}
	if len(d.external) > 0 {
		return nil, &FormatError{Offset: -1, Msg: fmt.Sprintf("tensor %q", t.Name), Err: ErrExternalData}
	}
	return t, nil
}

// Value kinds of SequenceProto.elem_type and OptionalProto.elem_type
// (onnx-data.proto).
const (
	valueTensor       = 1
	valueSparseTensor = 2
	valueSequence     = 3
	valueMap          = 4
	valueOptional     = 5
)

var valueKindNames = map[uint64]string{valueTensor: "tensor", valueSparseTensor: "sparse tensor",
	valueSequence: "sequence", valueMap: "map", valueOptional: "optional"}

// DecodeSequence decodes a serialized SequenceProto holding tensors, such as
// a backend test's input_N.pb for a sequence input. elemType is the element
// type of the tensors (Undefined for an empty sequence); they must all
// have the same one. Sequences of other values (maps, sequences, sparse
// tensors) are reported as unsupported. Raw data aliases b.
func DecodeSequence(b []byte) (name string, elemType DType, items []*Tensor, err error) {
	d := &decoder{base: b}
	name, elemType, items, err = d.sequence(b)
	if err == nil && len(d.external) > 0 {
		err = &FormatError{Where: "sequence", Offset: -1, Msg: "tensor", Err: ErrExternalData}
	}
	if err != nil {
		return "", Undefined, nil, err
	}
	return name, elemType, items, nil
}

func (d *decoder) sequence(b []byte) (name string, elemType DType, items []*Tensor, err error) {
	if d.typeDepth >= MaxTypeDepth {
		return "", 0, nil, d.errAt(b, "values nested deeper than %d", MaxTypeDepth)
	}
	d.typeDepth++
	defer func() { d.typeDepth-- }()
	items = []*Tensor{}
	for len(b) > 0 {
		f, n, err := d.next(b, sequenceFields)
		if err != nil {
			return "", 0, nil, within(err, "sequence")
		}
		b = b[n:]
		switch f.num {
		case 1:
			name, err = d.str(&f)
		case 2:
			var k uint64
			if k, err = d.varint(&f); err == nil && k != valueTensor && k != 0 {
				err = d.errAt(f.at, "sequences of %s values are not supported", kindName(k))
			}
		case 3:
			var mb []byte
			if mb, err = d.msg(&f); err == nil {
				var t *Tensor
				if t, err = d.tensor(mb); err == nil {
					if len(items) > 0 && t.DType != elemType {
						err = d.errAt(f.at, "%s tensor in a sequence of %s", t.DType, elemType)
					}
					elemType = t.DType
					items = append(items, t)
				}
				err = withinf(err, "item %d", len(items))
			}
		case 4, 5, 6, 7:
			err = d.errAt(f.at, "sequences of %s values are not supported", kindName(uint64(f.num-2)))
		}
		if err != nil {
			return "", 0, nil, within(err, fmt.Sprintf("sequence %q", name))
		}
	}
	return name, elemType, items, nil
}

func kindName(k uint64) string {
	if s, ok := valueKindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind %d", k)
}

// OptionalValue is a decoded OptionalProto: nothing (IsNone), a tensor, or
// a sequence of tensors.
type OptionalValue struct {
	Name string
	// Kind is TypeTensor or TypeSequence: the kind of value the optional
	// holds, or is declared to hold when it is empty (TypeUnknown when the
	// file does not say).
	Kind TypeKind
	// Tensor is the value of a tensor optional, nil when empty.
	Tensor *Tensor
	// Sequence is the value of a sequence optional (nil when empty; an
	// empty sequence is a non-nil empty slice), SeqElem its element type.
	Sequence []*Tensor
	SeqElem  DType
}

// IsNone reports whether the optional holds no value.
func (o *OptionalValue) IsNone() bool { return o.Tensor == nil && o.Sequence == nil }

// DecodeOptional decodes a serialized OptionalProto holding a tensor, a
// sequence of tensors, or nothing. Raw data aliases b.
func DecodeOptional(b []byte) (*OptionalValue, error) {
	d := &decoder{base: b}
	o := &OptionalValue{}
	for len(b) > 0 {
		f, n, err := d.next(b, optionalFields)
		if err != nil {
			return nil, within(err, "optional")
		}
		b = b[n:]
		var mb []byte
		switch f.num {
		case 3, 5:
			if mb, err = d.msg(&f); err != nil {
				return nil, within(err, "optional")
			}
		}
		switch f.num {
		case 1:
			o.Name, err = d.str(&f)
		case 2:
			var k uint64
			if k, err = d.varint(&f); err == nil {
				switch k {
				case 0:
				case valueTensor:
					o.Kind = TypeTensor
				case valueSequence:
					o.Kind = TypeSequence
				default:
					err = d.errAt(f.at, "optionals of %s values are not supported", kindName(k))
				}
			}
		case 3:
			o.Kind, o.Sequence, o.SeqElem = TypeTensor, nil, Undefined
			o.Tensor, err = d.tensor(mb)
		case 5:
			o.Kind, o.Tensor = TypeSequence, nil
			_, o.SeqElem, o.Sequence, err = d.sequence(mb)
		case 4, 6, 7:
			err = d.errAt(f.at, "optionals of %s values are not supported", kindName(uint64(f.num-2)))
		}
		if err != nil {
			return nil, within(err, fmt.Sprintf("optional %q", o.Name))
		}
	}
	if len(d.external) > 0 {
		return nil, &FormatError{Where: fmt.Sprintf("optional %q", o.Name), Offset: -1, Msg: "tensor", Err: ErrExternalData}
	}
	return o, nil
}

// EncodeSequence serializes a sequence of tensors as a SequenceProto.
func EncodeSequence(name string, items []*Tensor) ([]byte, error) {
	return encodeTop(func(e *enc) { e.sequence(name, items) })
}

func (e *enc) sequence(name string, items []*Tensor) {
	e.stringNZ(1, name)
	e.varint(2, valueTensor)
	for _, t := range items {
		e.message(3, func(e *enc) { e.tensor(t) })
	}
}

// EncodeOptional serializes o as an OptionalProto.
func EncodeOptional(o *OptionalValue) ([]byte, error) {
	return encodeTop(func(e *enc) {
		e.stringNZ(1, o.Name)
		switch {
		case o.Tensor != nil:
			e.varint(2, valueTensor)
			e.message(3, func(e *enc) { e.tensor(o.Tensor) })
		case o.Sequence != nil:
			e.varint(2, valueSequence)
			e.message(5, func(e *enc) { e.sequence("", o.Sequence) })
		case o.Kind == TypeTensor:
			e.varint(2, valueTensor)
		case o.Kind == TypeSequence:
			e.varint(2, valueSequence)
		}
	})
}
