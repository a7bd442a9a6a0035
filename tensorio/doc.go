// Package tensorio reads and writes tensor files as *graph.Tensor:
//
//   - .npy: one numpy array (format versions 1.0, 2.0 and 3.0; every numeric
//     and bool dtype; big-endian data is converted to little-endian and
//     Fortran-order data to C order),
//   - .npz: a zip archive (stored or deflated) of named .npy arrays, as
//     written by numpy.savez and numpy.savez_compressed,
//   - .pb: one serialized ONNX TensorProto, the form of the ONNX test data.
//
// Every size a file declares is checked against the bytes actually present
// before anything is allocated for it, so a hostile or truncated file fails
// with an error rather than exhausting memory. Writers go through a
// temporary file in the destination folder that is renamed into place, so
// a failed write leaves no half-written file.
package tensorio

import "errors"

// Errors a reader wraps, so callers can tell a damaged file from one this
// package does not handle: test with errors.Is.
var (
	// ErrFormat marks a file that is not well-formed.
	ErrFormat = errors.New("malformed file")
	// ErrTruncated marks a file that ends before the data it declares.
	ErrTruncated = errors.New("truncated file")
	// ErrUnsupported marks a well-formed file holding something this
	// package does not read or write (strings, records, extended floats).
	ErrUnsupported = errors.New("unsupported")
)
