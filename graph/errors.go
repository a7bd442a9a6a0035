package graph

import (
	"errors"
	"fmt"
)

// FormatError reports bytes that are not a well-formed ONNX protobuf
// message, or a message whose contents break the format's rules (a tensor
// whose data does not fit its dims, an unsafe external data reference, ...).
// Decode, Load and the tensor file decoders return it, possibly wrapped.
type FormatError struct {
	// File is the model file's path (set by Load), or "".
	File string
	// Where locates the problem in the message tree, e.g.
	// `graph node 12 (Conv "conv1") attribute "kernel_shape"`.
	Where string
	// Offset is the byte offset in the input at which the problem was
	// found, or -1 when it does not apply.
	Offset int64
	// Msg says what is wrong.
	Msg string
	// Err is an underlying cause (an I/O error, ErrExternalData,
	// ErrUnsafePath, ...), or nil.
	Err error
}

// Error returns "graph: <file>: <where>: <msg> at byte <offset>: <cause>".
func (e *FormatError) Error() string {
	s := "graph: "
	if e.File != "" {
		s += e.File + ": "
	}
	if e.Where != "" {
		s += e.Where + ": "
	}
	s += e.Msg
	if e.Offset >= 0 {
		s += fmt.Sprintf(" at byte %d", e.Offset)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *FormatError) Unwrap() error { return e.Err }

var (
	// ErrExternalData is the cause of the error Decode and DecodeTensor return
	// for a tensor whose data lives in an external file: bytes alone have no
	// folder to resolve it against (use Load).
	ErrExternalData = errors.New("external data needs the model's folder (use Load)")
	// ErrUnsafePath is the cause of the error Load returns for an external
	// data reference that could reach outside the model's folder: an
	// absolute path, "..", a symbolic link, a hard link or a non-regular file.
	ErrUnsafePath = errors.New("unsafe external data path")
)

// within prefixes the location of a *FormatError with where; other errors
// pass through unchanged.
func within(err error, where string) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		if fe.Where == "" {
			fe.Where = where
		} else {
			fe.Where = where + " " + fe.Where
		}
	}
	return err
}

// ValidationError reports a structurally inconsistent graph: a cycle, a
// value nothing produces, a value produced twice, a missing name.
type ValidationError struct {
	// Where locates the problem, e.g. `node 4 (Add "add1")`.
	Where string
	// Msg says what is wrong.
	Msg string
}

// Error returns "graph: <where>: <msg>".
func (e *ValidationError) Error() string {
	if e.Where == "" {
		return "graph: " + e.Msg
	}
	return "graph: " + e.Where + ": " + e.Msg
}

// nodeWhere names node i of a graph or function for messages.
func nodeWhere(i int, n *Node) string {
	op := n.OpType
	if n.Domain != "" {
		op = n.Domain + "." + op
	}
	return fmt.Sprintf("node %d (%s %q)", i, op, n.Name)
}
