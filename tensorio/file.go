package tensorio

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/onnxrun/onnxrun/graph"
)

// ReadFile reads the tensors of a file, choosing the format by extension:
// .npy (one array), .npz (every array, in archive order) or .pb (one
// TensorProto). Each tensor is named: a .npy array after its file name
// without the extension ("input_0"), a .npz array by its key, a .pb tensor
// by the name it carries or, when it has none, after its file name.
func ReadFile(path string) ([]*graph.Tensor, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".npy":
		t, err := ReadNPYFile(path)
		if err != nil {
			return nil, err
		}
		return []*graph.Tensor{t}, nil
	case ".npz":
		return ReadNPZ(path)
	case ".pb":
		t, err := ReadPBFile(path)
		if err != nil {
			return nil, err
		}
		return []*graph.Tensor{t}, nil
	default:
		return nil, fmt.Errorf("tensorio: %s: unknown tensor file extension %q (want .npy, .npz or .pb)", path, ext)
	}
}

// baseName is the file name of path without its extension.
func baseName(path string) string {
	b := filepath.Base(path)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// ReadNPYFile reads the .npy file at path. The tensor is named after the
// file, without its extension. The file must hold exactly one array.
func ReadNPYFile(path string) (*graph.Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tensorio: %w", err)
	}
	t, err := decodeNPY(b)
	if err != nil {
		return nil, fmt.Errorf("tensorio: %s: %w", path, err)
	}
	t.Name = baseName(path)
	return t, nil
}

// WriteNPY writes t to path as a .npy file. The file appears only once
// complete: t is written to a temporary file in the same folder, which is
// then renamed to path.
func WriteNPY(path string, t *graph.Tensor) error {
	if err := writeAtomic(path, func(w io.Writer) error { return encodeNPY(w, t) }); err != nil {
		return fmt.Errorf("tensorio: %s: %w", path, err)
	}
	return nil
}

// ReadPBFile reads the serialized TensorProto at path. A tensor without a
// name is named after the file, without its extension.
func ReadPBFile(path string) (*graph.Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tensorio: %w", err)
	}
	t, err := graph.DecodeTensor(b)
	if err != nil {
		return nil, fmt.Errorf("tensorio: %s: %w", path, err)
	}
	if t.Name == "" {
		t.Name = baseName(path)
	}
	return t, nil
}

// WritePB writes t to path as a serialized TensorProto, through a
// temporary file renamed into place.
func WritePB(path string, t *graph.Tensor) error {
	b, err := graph.EncodeTensor(t)
	if err != nil {
		return fmt.Errorf("tensorio: %s: %w", path, err)
	}
	err = writeAtomic(path, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(b))
		return err
	})
	if err != nil {
		return fmt.Errorf("tensorio: %s: %w", path, err)
	}
	return nil
}

// writeAtomic calls write on a temporary file in path's folder, and renames
// it to path when write, the flush and the close all succeed. On any
// failure the temporary file is removed and path is left untouched.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
