package tensorio

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

func TestReadNumpyNPZ(t *testing.T) {
	for _, tc := range []struct {
		file  string
		names []string
	}{
		{"stored.npz", []string{"x", "y"}},
		{"deflated.npz", []string{"x", "y"}},
		{"positional.npz", []string{"arr_0", "arr_1"}},
	} {
		path := filepath.Join("testdata", tc.file)
		ts, err := ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if len(ts) != 2 || ts[0].Name != tc.names[0] || ts[1].Name != tc.names[1] {
			t.Errorf("%s: got %d arrays", tc.file, len(ts))
			continue
		}
		check(t, tc.file, ts[0], graph.Float, []int64{2, 3}, want(graph.Float, 6))
		check(t, tc.file, ts[1], graph.Int64, []int64{4}, want(graph.Int64, 4))
		b, _ := os.ReadFile(path)
		if mem, err := DecodeNPZ(b); err != nil || len(mem) != 2 || mem[1].Name != tc.names[1] || !bytes.Equal(mem[1].Raw(), ts[1].Raw()) {
			t.Errorf("%s: DecodeNPZ: %v", tc.file, err)
		}
		names, err := NPZNames(path)
		if err != nil || !reflect.DeepEqual(names, tc.names) {
			t.Errorf("%s: NPZNames %v, %v", tc.file, names, err)
		}
		y, err := ReadNPZArray(path, tc.names[1])
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
		} else {
			check(t, tc.file+" by name", y, graph.Int64, []int64{4}, want(graph.Int64, 4))
		}
		if _, err := ReadNPZArray(path, "nope"); err == nil || !strings.Contains(err.Error(), `no array "nope"`) {
			t.Errorf("%s: missing array: %v", tc.file, err)
		}
	}
}

func TestNPZRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ts := tensorsOfEveryType(t)
	ts = append(ts, mk(t, "", []int64{0, 2}, []float32{}), mk(t, "", []int64{}, []int64{42}))
	for _, compress := range []bool{false, true} {
		path := filepath.Join(dir, "all.npz")
		if err := WriteNPZ(path, ts, compress); err != nil {
			t.Fatal(err)
		}
		got, err := ReadNPZ(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(ts) {
			t.Fatalf("read %d arrays, wrote %d", len(got), len(ts))
		}
		for i, c := range codes {
			if got[i].Name != c.code {
				t.Errorf("array %d named %q, want %q", i, got[i].Name, c.code)
			}
			check(t, c.code, got[i], c.dt, []int64{2, 3}, want(c.dt, 6))
		}
		n := len(codes)
		if got[n].Name != "arr_14" || got[n+1].Name != "arr_15" {
			t.Errorf("unnamed arrays named %q, %q", got[n].Name, got[n+1].Name)
		}
		check(t, "empty", got[n], graph.Float, []int64{0, 2}, []float32{})
		check(t, "scalar", got[n+1], graph.Int64, nil, []int64{42})
	}
	dup := []*graph.Tensor{mk(t, "a", []int64{1}, []float32{1}), mk(t, "a", []int64{1}, []float32{2})}
	if err := WriteNPZ(filepath.Join(dir, "dup.npz"), dup, false); err == nil || !strings.Contains(err.Error(), `two arrays named "a"`) {
		t.Errorf("duplicate names: %v", err)
	}
}

// zipOf builds a zip archive of the given members, in order.
func zipOf(t *testing.T, method uint16, members ...[2]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m[0], Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(m[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMalformedNPZ(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "le_f4.npy"))
	if err != nil {
		t.Fatal(err)
	}
	g := string(good)
	huge := string(npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", make([]byte, 64)))
	stored := zipOf(t, zip.Store, [2]string{"x.npy", g})
	// Flip a data byte of the stored member so the CRC no longer matches.
	badCRC := bytes.Clone(stored)
	badCRC[bytes.Index(badCRC, good)+len(good)-1] ^= 0xff
	for _, tc := range []struct {
		name string
		file []byte
		err  error
		msg  string
	}{
		{"empty", nil, ErrFormat, "not a zip archive"},
		{"not zip", []byte("hello, this is not a zip archive at all"), ErrFormat, "not a zip archive"},
		{"truncated", stored[:len(stored)-10], ErrFormat, "not a zip archive"},
		{"not npy member", zipOf(t, zip.Deflate, [2]string{"readme.txt", "hi"}), ErrUnsupported, `member "readme.txt" is not a .npy array`},
		{"duplicate", zipOf(t, zip.Store, [2]string{"x.npy", g}, [2]string{"x.npy", g}), ErrFormat, `array "x" appears twice`},
		{"bad member", zipOf(t, zip.Deflate, [2]string{"x.npy", "garbage"}), ErrTruncated, `array "x"`},
		{"short member", zipOf(t, zip.Deflate, [2]string{"x.npy", g[:len(g)-3]}), ErrTruncated, "only 21 remain"},
		{"trailing bytes", zipOf(t, zip.Store, [2]string{"x.npy", g + "xyz"}), ErrFormat, "after the array data"},
		{"huge claim", zipOf(t, zip.Deflate, [2]string{"x.npy", huge}), ErrTruncated, "needs 8000000000000 bytes of data, only 64 remain"},
		{"bad crc", badCRC, ErrFormat, "checksum"},
	} {
		path := filepath.Join(t.TempDir(), "a.npz")
		if err := os.WriteFile(path, tc.file, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadFile(path)
		if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "tensorio: ") {
			t.Errorf("%s: %v, want %v containing %q", tc.name, err, tc.err, tc.msg)
		}
	}
}
