package graph

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// readFile reads the regular file at path into memory the model owns.
// Load reads rather than maps model files: a mapped file that is truncated
// or rewritten while the model is in use makes reads of its weights fault
// (SIGBUS), or silently change them, and neither can be turned into an
// error. A file that changes size while it is read is an error.
func readFile(path string) ([]byte, *mapping, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if size > math.MaxInt-1 {
		return nil, nil, fmt.Errorf("%s: file too large", path)
	}
	b := make([]byte, size+1)
	n, err := io.ReadFull(f, b)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		if int64(n) != size {
			return nil, nil, fmt.Errorf("%s: file shrank from %d to %d bytes while being read", path, size, n)
		}
	case err != nil:
		return nil, nil, err
	default:
		return nil, nil, fmt.Errorf("%s: file grew past %d bytes while being read", path, size)
	}
	return b[:size:size], nil, nil
}

// openRegular opens the regular file at path and returns it with its size.
func openRegular(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s: not a regular file", path)
	}
	return f, fi.Size(), nil
}

// LoadMapped is Load, but maps the model file (copy-on-write) instead of
// reading it, so that weights are paged in from the file as they are used
// and a model costs no more memory than the pages it touches. The file must
// not be truncated or modified while the model is open: reading a weight
// would then fault (SIGBUS, which crashes the process) or see the new
// bytes. Use it only for files nothing else writes.
func LoadMapped(path string) (*Model, error) {
	return load(path, mapFile)
}
