package main

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/ops"
)

// Sequence and optional values in files: the SequenceProto and
// OptionalProto of ONNX test data, decoded and encoded by package graph and
// converted here to and from run-time values.

func fromGraphItems(items []*graph.Tensor) ([]*ops.Tensor, error) {
	out := make([]*ops.Tensor, len(items))
	for i, g := range items {
		t, err := ops.FromGraph(g)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out[i] = t
	}
	return out, nil
}

func toGraphItems(items []*ops.Tensor) ([]*graph.Tensor, error) {
	out := make([]*graph.Tensor, len(items))
	for i, t := range items {
		g, err := t.ToGraph("")
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out[i] = g
	}
	return out, nil
}

// decodeSequence decodes a SequenceProto of tensors; elem is the element
// type to give an empty sequence.
func decodeSequence(b []byte, elem graph.DType) (*ops.Sequence, error) {
	_, dt, items, err := graph.DecodeSequence(b)
	if err != nil {
		return nil, err
	}
	q := &ops.Sequence{Elem: dt}
	if q.Elem == graph.Undefined {
		q.Elem = elem
	}
	if q.Items, err = fromGraphItems(items); err != nil {
		return nil, err
	}
	return q, nil
}

// decodeOptional decodes an OptionalProto holding a tensor, a sequence of
// tensors, or nothing; elem is the element type to record for an empty one.
func decodeOptional(b []byte, elem graph.DType) (*ops.Optional, error) {
	g, err := graph.DecodeOptional(b)
	if err != nil {
		return nil, err
	}
	tensorType := &graph.Type{Kind: graph.TypeTensor, Elem: elem}
	o := &ops.Optional{Type: tensorType}
	switch {
	case g.Tensor != nil:
		t, err := ops.FromGraph(g.Tensor)
		if err != nil {
			return nil, err
		}
		o.Value = t
	case g.Sequence != nil:
		items, err := fromGraphItems(g.Sequence)
		if err != nil {
			return nil, err
		}
		q := &ops.Sequence{Elem: g.SeqElem, Items: items}
		if q.Elem == graph.Undefined {
			q.Elem = elem
		}
		o.Value = q
	}
	if g.Kind == graph.TypeSequence {
		o.Type = &graph.Type{Kind: graph.TypeSequence, Inner: tensorType}
	}
	return o, nil
}

// encodeValue encodes a tensor as a TensorProto, a sequence as a
// SequenceProto and an optional as an OptionalProto, each called name.
func encodeValue(name string, v ops.Value) ([]byte, error) {
	switch v := v.(type) {
	case *ops.Tensor:
		g, err := v.ToGraph(name)
		if err != nil {
			return nil, err
		}
		return graph.EncodeTensor(g)
	case *ops.Sequence:
		items, err := toGraphItems(v.Items)
		if err != nil {
			return nil, err
		}
		return graph.EncodeSequence(name, items)
	case *ops.Optional:
		o := &graph.OptionalValue{Name: name, Kind: graph.TypeTensor}
		switch x := v.Value.(type) {
		case *ops.Tensor:
			g, err := x.ToGraph("")
			if err != nil {
				return nil, err
			}
			o.Tensor = g
		case *ops.Sequence:
			items, err := toGraphItems(x.Items)
			if err != nil {
				return nil, err
			}
			o.Kind, o.Sequence, o.SeqElem = graph.TypeSequence, items, x.Elem
		case nil:
			if v.Type != nil && v.Type.Kind == graph.TypeSequence {
				o.Kind = graph.TypeSequence
			}
		default:
			return nil, fmt.Errorf("cannot write an optional holding %T", x)
		}
		return graph.EncodeOptional(o)
	}
	return nil, fmt.Errorf("cannot write a %T", v)
}
