package main

import (
	"errors"
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/ops"
	"google.golang.org/protobuf/encoding/protowire"
)

// SequenceProto and OptionalProto (onnx.proto, onnx-data.proto): the files
// of ONNX test data for sequence and optional values. Both have name = 1,
// elem_type = 2, and the value fields tensor = 3, sparse tensor = 4,
// sequence = 5, map = 6, optional = 7; elem_type is one of these codes.
const (
	elemUndefined = 0
	elemTensor    = 1
	elemSequence  = 3
	elemOptional  = 5
)

// protoFields walks the top-level fields of a message, calling f with each
// field number, wire type and value (varint value or bytes).
func protoFields(b []byte, f func(num protowire.Number, typ protowire.Type, v uint64, bs []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v uint64
		var bs []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			bs, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := f(num, typ, v, bs); err != nil {
			return err
		}
	}
	return nil
}

func decodeTensorMsg(b []byte) (*ops.Tensor, error) {
	g, err := graph.DecodeTensor(b)
	if err != nil {
		return nil, err
	}
	return ops.FromGraph(g)
}

// decodeSequence decodes a SequenceProto of tensors; elem is the element
// type to give an empty sequence.
func decodeSequence(b []byte, elem graph.DType) (*ops.Sequence, error) {
	q := &ops.Sequence{Elem: elem}
	err := protoFields(b, func(num protowire.Number, typ protowire.Type, v uint64, bs []byte) error {
		switch {
		case num == 2 && typ == protowire.VarintType:
			if v != elemTensor && v != elemUndefined {
				return fmt.Errorf("SequenceProto: elem_type %d: only sequences of tensors are supported", v)
			}
		case num == 3 && typ == protowire.BytesType:
			t, err := decodeTensorMsg(bs)
			if err != nil {
				return err
			}
			q.Items = append(q.Items, t)
		case num >= 4 && num <= 7:
			return errors.New("SequenceProto: only sequences of tensors are supported")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, t := range q.Items {
		if q.Elem == graph.Undefined {
			q.Elem = t.DType
		}
		if t.DType != q.Elem {
			return nil, fmt.Errorf("SequenceProto: items of types %s and %s", q.Elem, t.DType)
		}
	}
	return q, nil
}

// decodeOptional decodes an OptionalProto holding a tensor, a sequence of
// tensors, or nothing; elem is the element type to record for an empty one.
func decodeOptional(b []byte, elem graph.DType) (*ops.Optional, error) {
	o := &ops.Optional{}
	kind := uint64(elemUndefined)
	err := protoFields(b, func(num protowire.Number, typ protowire.Type, v uint64, bs []byte) error {
		switch {
		case num == 2 && typ == protowire.VarintType:
			kind = v
		case num == 3 && typ == protowire.BytesType:
			t, err := decodeTensorMsg(bs)
			if err != nil {
				return err
			}
			o.Value = t
		case num == 5 && typ == protowire.BytesType:
			q, err := decodeSequence(bs, elem)
			if err != nil {
				return err
			}
			o.Value = q
		case num == 4 || num == 6 || num == 7:
			return errors.New("OptionalProto: only optional tensors and sequences are supported")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	tensorType := &graph.Type{Kind: graph.TypeTensor, Elem: elem}
	switch kind {
	case elemSequence:
		o.Type = &graph.Type{Kind: graph.TypeSequence, Inner: tensorType}
	default:
		o.Type = tensorType
	}
	return o, nil
}

func appendTensorField(b []byte, num protowire.Number, t *ops.Tensor, name string) ([]byte, error) {
	g, err := t.ToGraph(name)
	if err != nil {
		return nil, err
	}
	tb, err := graph.EncodeTensor(g)
	if err != nil {
		return nil, err
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, tb), nil
}

func encodeSequence(name string, q *ops.Sequence) ([]byte, error) {
	var b []byte
	if name != "" {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, name)
	}
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, elemTensor)
	for _, t := range q.Items {
		var err error
		if b, err = appendTensorField(b, 3, t, ""); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// encodeValue encodes a sequence as a SequenceProto and an optional as an
// OptionalProto, each called name.
func encodeValue(name string, v ops.Value) ([]byte, error) {
	switch v := v.(type) {
	case *ops.Sequence:
		return encodeSequence(name, v)
	case *ops.Optional:
		var b []byte
		if name != "" {
			b = protowire.AppendTag(b, 1, protowire.BytesType)
			b = protowire.AppendString(b, name)
		}
		kind := uint64(elemTensor)
		if _, ok := v.Value.(*ops.Sequence); ok || (v.Value == nil && v.Type != nil && v.Type.Kind == graph.TypeSequence) {
			kind = elemSequence
		}
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, kind)
		switch x := v.Value.(type) {
		case *ops.Tensor:
			return appendTensorField(b, 3, x, "")
		case *ops.Sequence:
			sb, err := encodeSequence("", x)
			if err != nil {
				return nil, err
			}
			b = protowire.AppendTag(b, 5, protowire.BytesType)
			return protowire.AppendBytes(b, sb), nil
		}
		return b, nil
	case *ops.Tensor:
		g, err := v.ToGraph(name)
		if err != nil {
			return nil, err
		}
		return graph.EncodeTensor(g)
	}
	return nil, fmt.Errorf("cannot write a %T", v)
}
