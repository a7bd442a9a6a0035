package graph

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unsafe"
)

// Load reads the model file at path into memory and initializer data
// aliases that copy, so a model costs about its file size in memory; the
// file may be truncated, rewritten or removed once Load returns. (LoadMapped
// maps the file instead.) Model.Close releases what Load holds.
//
// Tensors with external data are read from files named relative to the
// model's folder. A reference that could reach outside that folder is an
// error wrapping ErrUnsafePath: an absolute path, a ".." component, a
// symbolic link anywhere on the path, a file with more than one hard link,
// or anything but a regular file; so is a range beyond the file's end.
// The optional checksum entry is not verified. The data is read into memory
// owned by the model.
//
// Load checks what Decode checks; call Model.Validate for the graph's
// consistency.
func Load(path string) (*Model, error) {
	return load(path, readFile)
}

func load(path string, open func(string) ([]byte, *mapping, error)) (*Model, error) {
	buf, closer, err := open(path)
	if err != nil {
		return nil, fmt.Errorf("graph: load: %w", err)
	}
	m, err := loadBytes(buf, filepath.Dir(path))
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		var fe *FormatError
		if errors.As(err, &fe) && fe.File == "" {
			fe.File = path
			return nil, err
		}
		return nil, fmt.Errorf("graph: load %s: %w", path, err)
	}
	if closer != nil {
		m.closer = closer
	}
	return m, nil
}

// loadBytes decodes a model held in buf, which the decoder may modify (to
// align tensor data), and resolves external data against dir.
func loadBytes(buf []byte, dir string) (*Model, error) {
	d := &decoder{base: buf}
	m, err := d.model(buf)
	if err != nil {
		return nil, err
	}
	m.dir = dir
	d.alignTensors()
	files := map[string]*extFile{}
	defer func() {
		for _, ef := range files {
			if ef.f != nil {
				ef.f.Close()
			}
		}
	}()
	for _, r := range d.external {
		if err := readExternal(dir, r, files); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// alignTensors moves raw tensor data that is misaligned for its element
// type back by a few bytes, over protobuf framing the decoder has already
// read, so that Tensor.Data can view it in place instead of copying it.
// Only the bytes before a tensor's data, and after the previous aliased
// tensor's data, are overwritten; the buffer must be private to the model.
func (d *decoder) alignTensors() {
	sort.Slice(d.aliased, func(i, j int) bool { return d.off(d.aliased[i].raw) < d.off(d.aliased[j].raw) })
	var prevEnd int64
	for _, t := range d.aliased {
		start := d.off(t.raw)
		if start < 0 {
			continue
		}
		end := start + int64(len(t.raw))
		align := int64(alignOf(t.DType))
		if align > 1 {
			mis := int64(uintptr(unsafe.Pointer(&t.raw[0])) % uintptr(align))
			if mis != 0 && start-mis >= prevEnd {
				dst := d.base[start-mis : end-mis : end-mis]
				copy(dst, t.raw)
				t.raw = dst
				end -= mis
			}
		}
		prevEnd = end
	}
}

// alignOf is the alignment Data needs for a view of dt without copying.
func alignOf(dt DType) int {
	switch dt {
	case Float, Int32, Uint32, Complex64:
		return 4
	case Double, Int64, Uint64, Complex128:
		return int(unsafe.Alignof(int64(0)))
	case Float16, BFloat16, Int16, Uint16:
		return 2
	}
	return 1
}

// extFile is an external data file, opened once for all its tensors.
type extFile struct {
	f    *os.File
	size int64
	err  error // why it cannot be used
}

// readExternal reads the data of one external tensor, opening its file
// (once; files caches it) after checking that the path stays inside dir.
func readExternal(dir string, r extRef, files map[string]*extFile) error {
	fail := func(cause error, format string, args ...any) error {
		return &FormatError{Where: fmt.Sprintf("tensor %q external data %q", r.t.Name, r.location), Offset: -1,
			Msg: fmt.Sprintf(format, args...), Err: cause}
	}
	ef := files[r.location]
	if ef == nil {
		ef = openExternal(dir, r.location)
		files[r.location] = ef
	}
	if ef.err != nil {
		var fe *FormatError
		if errors.As(ef.err, &fe) {
			return fail(fe.Err, "%s", fe.Msg)
		}
		return ef.err
	}
	size := ef.size
	if r.offset > size {
		return fail(nil, "offset %d beyond the file's %d bytes", r.offset, size)
	}
	n := r.length
	want := r.t.DType.RawLen(r.t.NumElements())
	if n < 0 {
		n = size - r.offset
		if n != want {
			return fail(nil, "%s%v needs %d bytes, the file has %d after offset %d", r.t.DType, r.t.Dims, want, n, r.offset)
		}
	}
	if n > size-r.offset {
		return fail(nil, "offset %d + length %d beyond the file's %d bytes", r.offset, n, size)
	}
	if n == 0 {
		return nil
	}
	buf := make([]byte, n) // n is checked against the file's size
	if k, err := ef.f.ReadAt(buf, r.offset); k != len(buf) {
		return fail(err, "short read")
	}
	r.t.raw = buf
	return nil
}

// openExternal opens the external data file loc, relative to dir, refusing
// any path that could lead outside dir. Problems are reported in err.
func openExternal(dir, loc string) *extFile {
	fail := func(cause error, format string, args ...any) *extFile {
		return &extFile{err: &FormatError{Offset: -1, Msg: fmt.Sprintf(format, args...), Err: cause}}
	}
	if filepath.IsAbs(loc) || strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, `\`) || filepath.VolumeName(loc) != "" {
		return fail(ErrUnsafePath, "absolute path")
	}
	parts := strings.FieldsFunc(loc, func(c rune) bool { return c == '/' || c == '\\' })
	if len(parts) == 0 {
		return fail(ErrUnsafePath, "empty path")
	}
	for _, p := range parts {
		if p == ".." {
			return fail(ErrUnsafePath, "path climbs out of the model's folder")
		}
		if strings.ContainsRune(p, 0) {
			return fail(ErrUnsafePath, "NUL in path")
		}
	}
	// No component may be a symbolic link.
	cur := dir
	var last os.FileInfo
	for _, p := range parts {
		if p == "." {
			continue
		}
		cur = filepath.Join(cur, p)
		fi, err := os.Lstat(cur)
		if err != nil {
			return fail(err, "cannot stat")
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return fail(ErrUnsafePath, "symbolic link %q", p)
		}
		last = fi
	}
	if last == nil || !last.Mode().IsRegular() {
		return fail(ErrUnsafePath, "not a regular file")
	}
	// os.Root refuses to leave dir even if the tree changes meanwhile.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fail(err, "cannot open the model's folder")
	}
	defer root.Close()
	f, err := root.Open(filepath.Join(parts...))
	if err != nil {
		return fail(err, "cannot open")
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fail(err, "cannot stat")
	}
	// The file opened must be the one checked, regular, with one link.
	if !fi.Mode().IsRegular() || !os.SameFile(fi, last) {
		f.Close()
		return fail(ErrUnsafePath, "file changed while being opened")
	}
	if n := linkCount(fi); n > 1 {
		f.Close()
		return fail(ErrUnsafePath, "file has %d hard links", n)
	}
	return &extFile{f: f, size: fi.Size()}
}
