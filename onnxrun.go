// Package onnxrun runs ONNX models in pure Go.
//
// Open a model once, then call Run as often as needed, from as many
// goroutines as needed:
//
//	s, err := onnxrun.Open("model.onnx", onnxrun.WithThreads(4))
//	if err != nil { ... }
//	defer s.Close()
//	x := tensor.New(tensor.WithShape(1, 3, 224, 224), tensor.WithBacking(pixels))
//	out, err := s.Run(ctx, map[string]*tensor.Dense{"input": x})
//
// Inputs and outputs are gorgonia.org/tensor Dense tensors, shared with the
// executor without copying where their element types allow. Each input is
// checked against the model's declared element type and shape before
// anything runs; symbolic dims (such as a batch size N) must take the same
// value in every input that names them. RunValues is the lower-level call
// for models with sequence or optional inputs and outputs.
package onnxrun

import (
	"errors"
	"fmt"
	"os"

	"github.com/onnxrun/onnxrun/graph"
)

// ErrClosed is returned by Run on a closed Session, and by a Run that was
// interrupted because its Session was closed.
var ErrClosed = errors.New("onnxrun: session is closed")

// Open loads the model file at path (with any external data files, which
// must sit in its folder) and prepares it to run.
func Open(path string, opts ...Option) (_ *Session, err error) {
	defer recoverError(&err, "loading "+path)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("onnxrun: %w", err)
	}
	m, err := graph.Load(path)
	if err != nil {
		return nil, err
	}
	s, err := newSession(m, true, opts)
	if err != nil {
		m.Close()
		return nil, err
	}
	return s, nil
}

// OpenBytes prepares the model encoded in b (a ModelProto without external
// data). The session may keep references into b: do not modify it while
// the session is open.
func OpenBytes(b []byte, opts ...Option) (_ *Session, err error) {
	defer recoverError(&err, "decoding the model")
	m, err := graph.Decode(b)
	if err != nil {
		return nil, err
	}
	return newSession(m, true, opts)
}

// FromModel prepares an already decoded or programmatically built model.
// The model must not be modified while the session is open; Close does not
// close it.
func FromModel(m *graph.Model, opts ...Option) (*Session, error) {
	return newSession(m, false, opts)
}
