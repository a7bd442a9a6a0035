package tensorio

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/onnxrun/onnxrun/graph"
)

// ReadNPZ reads every array of the .npz archive at path, in archive order.
// Each tensor's Name is its member name without the ".npy" suffix (numpy's
// key: "arr_0" for unnamed arrays of numpy.savez).
func ReadNPZ(path string) ([]*graph.Tensor, error) {
	ts, err := readNPZ(path, "")
	if err != nil {
		return nil, fmt.Errorf("tensorio: %s: %w", path, err)
	}
	return ts, nil
}

// DecodeNPZ reads every array of a .npz archive held in b, as ReadNPZ.
func DecodeNPZ(b []byte) ([]*graph.Tensor, error) {
	zr, err := newZipReader(bytes.NewReader(b), int64(len(b)))
	if err == nil {
		var ts []*graph.Tensor
		if ts, err = readMembers(zr, ""); err == nil {
			return ts, nil
		}
	}
	return nil, fmt.Errorf("tensorio: npz: %w", err)
}

// ReadNPZArray reads the array called name (numpy's key, without ".npy")
// from the .npz archive at path.
func ReadNPZArray(path, name string) (*graph.Tensor, error) {
	if name == "" {
		return nil, fmt.Errorf("tensorio: %s: empty array name", path)
	}
	ts, err := readNPZ(path, name)
	if err != nil {
		return nil, fmt.Errorf("tensorio: %s: %w", path, err)
	}
	return ts[0], nil
}

// NPZNames lists the array names of the .npz archive at path, in archive
// order, without reading the arrays.
func NPZNames(path string) ([]string, error) {
	f, zr, err := openZip(path)
	if err != nil {
		return nil, fmt.Errorf("tensorio: %s: %w", path, err)
	}
	defer f.Close()
	var names []string
	for _, m := range zr.File {
		name, err := memberName(m)
		if err != nil {
			return nil, fmt.Errorf("tensorio: %s: %w", path, err)
		}
		names = append(names, name)
	}
	return names, nil
}

func openZip(path string) (*os.File, *zip.Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	zr, err := newZipReader(f, st.Size())
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, zr, nil
}

func newZipReader(r io.ReaderAt, size int64) (*zip.Reader, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// Member names are only used as array names, never as paths.
		return nil, fmt.Errorf("%w: not a zip archive: %v", ErrFormat, err)
	}
	return zr, nil
}

func memberName(m *zip.File) (string, error) {
	name, ok := strings.CutSuffix(m.Name, ".npy")
	if !ok || name == "" {
		return "", fmt.Errorf("%w: member %q is not a .npy array", ErrUnsupported, m.Name)
	}
	return name, nil
}

// readNPZ reads all arrays, or only the one called only when it is not "".
func readNPZ(path, only string) ([]*graph.Tensor, error) {
	f, zr, err := openZip(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readMembers(zr, only)
}

// readMembers reads all arrays, or only the one called only.
func readMembers(zr *zip.Reader, only string) ([]*graph.Tensor, error) {
	var out []*graph.Tensor
	seen := map[string]bool{}
	for _, m := range zr.File {
		name, err := memberName(m)
		if err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: array %q appears twice", ErrFormat, name)
		}
		seen[name] = true
		if only != "" && name != only {
			continue
		}
		t, err := readMember(m)
		if err != nil {
			return nil, fmt.Errorf("array %q: %w", name, err)
		}
		t.Name = name
		out = append(out, t)
		if only != "" {
			return out, nil
		}
	}
	if only != "" {
		return nil, fmt.Errorf("no array %q", only)
	}
	return out, nil
}

// readMember reads one .npy member. Its declared uncompressed size bounds
// every allocation: archive/zip fails a member whose data runs past it.
func readMember(m *zip.File) (*graph.Tensor, error) {
	rc, err := m.Open()
	if err != nil {
		if errors.Is(err, zip.ErrAlgorithm) {
			return nil, fmt.Errorf("%w: compression method %d (only stored and deflated are read)", ErrUnsupported, m.Method)
		}
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	defer rc.Close()
	limit := int64(m.UncompressedSize64)
	if m.UncompressedSize64 > 1<<62 {
		limit = 1 << 62
	}
	t, err := readNPY(rc, limit)
	if err != nil {
		if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		return nil, err
	}
	// The member must end with the array, and reading to its end checks
	// the CRC.
	var one [1]byte
	switch n, err := io.ReadFull(rc, one[:]); {
	case n > 0:
		return nil, fmt.Errorf("%w: bytes after the array data", ErrFormat)
	case errors.Is(err, io.EOF):
	default:
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return t, nil
}

// WriteNPZ writes the tensors to path as a .npz archive, deflated when
// compress is true (numpy.savez_compressed) and stored otherwise
// (numpy.savez). Each tensor is stored under its Name, or "arr_I" for an
// unnamed one; names must be unique. The file appears only once complete.
func WriteNPZ(path string, ts []*graph.Tensor, compress bool) error {
	names := make([]string, len(ts))
	seen := map[string]bool{}
	for i, t := range ts {
		name := t.Name
		if name == "" {
			name = fmt.Sprintf("arr_%d", i)
		}
		if seen[name] {
			return fmt.Errorf("tensorio: %s: two arrays named %q", path, name)
		}
		seen[name] = true
		names[i] = name
	}
	method := zip.Store
	if compress {
		method = zip.Deflate
	}
	err := writeAtomic(path, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		for i, t := range ts {
			mw, err := zw.CreateHeader(&zip.FileHeader{Name: names[i] + ".npy", Method: method})
			if err != nil {
				return err
			}
			if err := encodeNPY(mw, t); err != nil {
				return fmt.Errorf("array %q: %w", names[i], err)
			}
		}
		return zw.Close()
	})
	if err != nil {
		return fmt.Errorf("tensorio: %s: %w", path, err)
	}
	return nil
}
