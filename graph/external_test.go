package graph

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// extModel builds a model whose initializer "w" (float32[3]) lives in an
// external file.
func extModel(location string, offset, length int64) []byte {
	ext := pb(nil).bytes(13, pb(nil).str(1, "location").str(2, location))
	if offset >= 0 {
		ext = ext.bytes(13, pb(nil).str(1, "offset").str(2, strconv.FormatInt(offset, 10)))
	}
	if length >= 0 {
		ext = ext.bytes(13, pb(nil).str(1, "length").str(2, strconv.FormatInt(length, 10)))
	}
	w := append(pb(nil).varint(1, 3).varint(2, uint64(Float)).str(8, "w"), ext...).varint(14, 1)
	g := pb(nil).bytes(1, pb(nil).str(1, "w").str(2, "y").str(4, "Relu")).bytes(5, w).
		bytes(12, pb(nil).str(1, "y"))
	return pb(nil).varint(1, 8).bytes(7, g).bytes(8, pb(nil).varint(2, 17))
}

func floatBytes(vs ...float32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	data := append([]byte{9, 9, 9, 9}, floatBytes(1, 2, 3)...)
	writeFile(t, filepath.Join(dir, "w.bin"), data)
	writeFile(t, filepath.Join(dir, "sub", "w.bin"), floatBytes(4, 5, 6))
	writeFile(t, filepath.Join(dir, "other.bin"), floatBytes(7, 8, 9))
	if err := os.Symlink("w.bin", filepath.Join(dir, "link.bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub", filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "passwd")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "hard1.bin"), floatBytes(1, 1, 1))
	if err := os.Link(filepath.Join(dir, "hard1.bin"), filepath.Join(dir, "hard2.bin")); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Logf("no fifo: %v", err)
	}
	good := []struct {
		loc          string
		offset, leng int64
		want         []float32
	}{
		{"w.bin", 4, 12, []float32{1, 2, 3}},
		{"w.bin", 4, -1, []float32{1, 2, 3}},
		{"sub/w.bin", -1, -1, []float32{4, 5, 6}},
		{"./sub/w.bin", 0, 12, []float32{4, 5, 6}},
		{"other.bin", -1, 12, []float32{7, 8, 9}},
	}
	for i, tc := range good {
		path := filepath.Join(dir, "good"+strconv.Itoa(i)+".onnx")
		writeFile(t, path, extModel(tc.loc, tc.offset, tc.leng))
		m, err := Load(path)
		if err != nil {
			t.Errorf("%s: %v", tc.loc, err)
			continue
		}
		if d, err := m.Graph.Initializer("w").Data(); err != nil || !reflect.DeepEqual(d, tc.want) {
			t.Errorf("%s: data %v, %v", tc.loc, d, err)
		}
		// Encode writes the data inline; the copy needs no folder.
		b, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := m2.Graph.Initializer("w").Data(); !reflect.DeepEqual(d, tc.want) {
			t.Errorf("%s: re-encoded data %v", tc.loc, d)
		}
		m.Close()
	}
	bad := []struct {
		loc          string
		offset, leng int64
		want         string
		unsafe       bool
	}{
		{"/etc/passwd", -1, -1, "absolute path", true},
		{filepath.Join(dir, "w.bin"), -1, -1, "absolute path", true},
		{"../w.bin", -1, -1, "climbs out", true},
		{"sub/../../w.bin", -1, -1, "climbs out", true},
		{`sub\..\..\w.bin`, -1, -1, "climbs out", true},
		{"link.bin", -1, -1, `symbolic link "link.bin"`, true},
		{"linkdir/w.bin", -1, -1, `symbolic link "linkdir"`, true},
		{"passwd", -1, -1, "symbolic link", true},
		{"hard1.bin", -1, -1, "2 hard links", true},
		{"hard2.bin", -1, -1, "2 hard links", true},
		{"sub", -1, -1, "not a regular file", true},
		{"fifo", -1, -1, "not a regular file", true},
		{"", -1, -1, "without a location", false},
		{"missing.bin", -1, -1, "cannot stat", false},
		{"w.bin", 100, -1, "offset 100 beyond the file's 16 bytes", false},
		{"w.bin", 8, 12, "offset 8 + length 12 beyond the file's 16 bytes", false},
		{"w.bin", 0, -1, "needs 12 bytes, the file has 16 after offset 0", false},
		{"w.bin", 0, 16, "needs 12 bytes, external_data length is 16", false},
	}
	for i, tc := range bad {
		path := filepath.Join(dir, "bad"+strconv.Itoa(i)+".onnx")
		writeFile(t, path, extModel(tc.loc, tc.offset, tc.leng))
		m, err := Load(path)
		if err == nil {
			t.Errorf("%q: loaded: %v", tc.loc, m.Graph.Initializer("w"))
			m.Close()
			continue
		}
		if !strings.HasPrefix(err.Error(), "graph: "+path+": ") {
			t.Errorf("%q: error %q does not name the file", tc.loc, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %q does not contain %q", tc.loc, err, tc.want)
		}
		if errors.Is(err, ErrUnsafePath) != tc.unsafe {
			t.Errorf("%q: errors.Is(ErrUnsafePath) = %v", tc.loc, !tc.unsafe)
		}
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%q: %T is not a *FormatError", tc.loc, err)
		}
	}
	// Bytes alone cannot resolve external data.
	if _, err := Decode(extModel("w.bin", 4, 12)); !errors.Is(err, ErrExternalData) {
		t.Errorf("Decode with external data: %v", err)
	}
}

// TestExternalShared reads two tensors from one file, and a tensor of a
// subgraph.
func TestExternalShared(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "data"), floatBytes(1, 2, 3, 4, 5, 6))
	ext := func(name string, off int) pb {
		return pb(nil).varint(1, 3).varint(2, uint64(Float)).str(8, name).
			bytes(13, pb(nil).str(1, "location").str(2, "data")).
			bytes(13, pb(nil).str(1, "offset").str(2, strconv.Itoa(off))).
			bytes(13, pb(nil).str(1, "length").str(2, "12")).varint(14, 1)
	}
	body := pb(nil).bytes(5, ext("b", 12)).bytes(12, pb(nil).str(1, "b"))
	loop := pb(nil).str(4, "If").bytes(5, pb(nil).str(1, "then_branch").varint(20, uint64(AttrGraph)).bytes(6, body))
	g := pb(nil).bytes(1, loop).bytes(5, ext("a", 0))
	path := filepath.Join(dir, "m.onnx")
	writeFile(t, path, pb(nil).varint(1, 8).bytes(7, g))
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	a, _ := m.Graph.Initializer("a").Data()
	sub, _ := m.Graph.Nodes[0].AttrGraph("then_branch")
	b, _ := sub.Initializer("b").Data()
	if !reflect.DeepEqual(a, []float32{1, 2, 3}) || !reflect.DeepEqual(b, []float32{4, 5, 6}) {
		t.Errorf("a %v b %v", a, b)
	}
}

// TestLoadAligns checks that Load moves misaligned raw data so that Data
// views the file's memory instead of copying it, for every misalignment.
func TestLoadAligns(t *testing.T) {
	dir := t.TempDir()
	for pad := 0; pad < 8; pad++ {
		name := strings.Repeat("n", pad+1)
		f64 := pb(nil).varint(1, 2).varint(2, uint64(Double)).str(8, name+"d").
			bytes(9, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, math.Float64bits(1.5)), math.Float64bits(-3)))
		f32 := pb(nil).varint(1, 3).varint(2, uint64(Float)).str(8, name+"f").bytes(9, floatBytes(1, 2, 3))
		i8 := pb(nil).varint(1, 1).varint(2, uint64(Int8)).str(8, "b").bytes(9, []byte{0xff})
		g := pb(nil).bytes(5, f64).bytes(5, i8).bytes(5, f32)
		path := filepath.Join(dir, "m"+strconv.Itoa(pad)+".onnx")
		writeFile(t, path, pb(nil).varint(1, 8).bytes(7, g))
		m, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, tn := range m.Graph.Initializers {
			d, err := tn.Data()
			if err != nil {
				t.Fatal(err)
			}
			var want any
			var p unsafe.Pointer
			switch v := d.(type) {
			case []float64:
				want, p = []float64{1.5, -3}, unsafe.Pointer(&v[0])
			case []float32:
				want, p = []float32{1, 2, 3}, unsafe.Pointer(&v[0])
			case []int8:
				want, p = []int8{-1}, unsafe.Pointer(&v[0])
			}
			if !reflect.DeepEqual(d, want) {
				t.Errorf("pad %d %s: %v", pad, tn.Name, d)
			}
			if p != unsafe.Pointer(&tn.Raw()[0]) {
				t.Errorf("pad %d %s: Data copied instead of viewing", pad, tn.Name)
			}
		}
		// The decoded model must not depend on the bytes overwritten.
		checkRoundTrip(t, m)
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	}
}

// TestLoadNodeSuite checks that Load gives what Decode gives.
func TestLoadNodeSuite(t *testing.T) {
	models := nodeSuiteModels(t)
	for _, path := range models[:len(models):len(models)] {
		m, err := Load(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		b, _ := os.ReadFile(path)
		m2, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		m.closer, m.dir = nil, ""
		if !reflect.DeepEqual(m, m2) {
			t.Errorf("%s: Load and Decode differ", path)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.onnx")); err == nil {
		t.Error("missing file loaded")
	}
}
