package tensorio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/x448/float16"
)

// codes are the numpy type codes of testdata/make.py, with their types.
var codes = []struct {
	code string
	dt   graph.DType
}{
	{"f2", graph.Float16}, {"f4", graph.Float}, {"f8", graph.Double},
	{"i1", graph.Int8}, {"i2", graph.Int16}, {"i4", graph.Int32}, {"i8", graph.Int64},
	{"u1", graph.Uint8}, {"u2", graph.Uint16}, {"u4", graph.Uint32}, {"u8", graph.Uint64},
	{"b1", graph.Bool}, {"c8", graph.Complex64}, {"c16", graph.Complex128},
}

// want is element i of an array of type dt, by the formulas of
// testdata/make.py: i-3 for signed and float types, max-5+i for unsigned
// ones, i odd for bool, (i-3)+(i+0.5)j for complex.
func want(dt graph.DType, n int) any {
	switch dt {
	case graph.Float16:
		return fill(n, func(i int) float16.Float16 { return float16.Fromfloat32(float32(i - 3)) })
	case graph.Float:
		return fill(n, func(i int) float32 { return float32(i - 3) })
	case graph.Double:
		return fill(n, func(i int) float64 { return float64(i - 3) })
	case graph.Int8:
		return fill(n, func(i int) int8 { return int8(i - 3) })
	case graph.Int16:
		return fill(n, func(i int) int16 { return int16(i - 3) })
	case graph.Int32:
		return fill(n, func(i int) int32 { return int32(i - 3) })
	case graph.Int64:
		return fill(n, func(i int) int64 { return int64(i - 3) })
	case graph.Uint8:
		return fill(n, func(i int) uint8 { return math.MaxUint8 - 5 + uint8(i) })
	case graph.Uint16:
		return fill(n, func(i int) uint16 { return math.MaxUint16 - 5 + uint16(i) })
	case graph.Uint32:
		return fill(n, func(i int) uint32 { return math.MaxUint32 - 5 + uint32(i) })
	case graph.Uint64:
		return fill(n, func(i int) uint64 { return math.MaxUint64 - 5 + uint64(i) })
	case graph.Bool:
		return fill(n, func(i int) bool { return i%2 == 1 })
	case graph.Complex64:
		return fill(n, func(i int) complex64 { return complex(float32(i-3), float32(i)+0.5) })
	case graph.Complex128:
		return fill(n, func(i int) complex128 { return complex(float64(i-3), float64(i)+0.5) })
	}
	panic(fmt.Sprint("no values for ", dt))
}

func fill[T any](n int, f func(int) T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

// check compares a tensor with the expected type, dims and values.
func check(t *testing.T, what string, got *graph.Tensor, dt graph.DType, dims []int64, vals any) {
	t.Helper()
	if got.DType != dt {
		t.Errorf("%s: dtype %s, want %s", what, got.DType, dt)
		return
	}
	if !reflect.DeepEqual(got.Dims, dims) && !(len(got.Dims) == 0 && len(dims) == 0) {
		t.Errorf("%s: dims %v, want %v", what, got.Dims, dims)
		return
	}
	data, err := got.Data()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if !reflect.DeepEqual(data, vals) {
		t.Errorf("%s: data %v, want %v", what, data, vals)
	}
}

func TestReadNumpyFiles(t *testing.T) {
	for _, c := range codes {
		orders := []string{"le", "be"}
		if c.dt.Size() == 1 {
			orders = orders[:1]
		}
		for _, o := range orders {
			name := o + "_" + c.code
			ts, err := ReadFile(filepath.Join("testdata", name+".npy"))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if len(ts) != 1 || ts[0].Name != name {
				t.Errorf("%s: got %d tensors, first named %q", name, len(ts), ts[0].Name)
			}
			check(t, name, ts[0], c.dt, []int64{2, 3}, want(c.dt, 6))
		}
	}
}

// TestReadNumpyLayouts reads Fortran-order arrays, the later header
// versions, a scalar, an empty and a 1-D array.
func TestReadNumpyLayouts(t *testing.T) {
	for _, tc := range []struct {
		file string
		dt   graph.DType
		dims []int64
		vals any
	}{
		{"fortran_i4", graph.Int32, []int64{2, 3, 4}, want(graph.Int32, 24)},
		{"fortran_be_f8", graph.Double, []int64{3, 2}, want(graph.Double, 6)},
		{"v2_f4", graph.Float, []int64{2, 3}, want(graph.Float, 6)},
		{"v3_f4", graph.Float, []int64{2, 3}, want(graph.Float, 6)},
		{"scalar_f8", graph.Double, []int64{}, []float64{3.5}},
		{"empty_f4", graph.Float, []int64{0, 3}, []float32{}},
		{"vec_i8", graph.Int64, []int64{5}, want(graph.Int64, 5)},
	} {
		got, err := ReadNPYFile(filepath.Join("testdata", tc.file+".npy"))
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		check(t, tc.file, got, tc.dt, tc.dims, tc.vals)
	}
}

func TestReadNumpyRefused(t *testing.T) {
	for _, tc := range []struct{ file, msg string }{
		{"str_U.npy", "string arrays are not supported"},
		{"rec.npy", "structured (record) arrays are not supported"},
	} {
		_, err := ReadFile(filepath.Join("testdata", tc.file))
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want ErrUnsupported with %q", tc.file, err, tc.msg)
		}
	}
}

// tensorsOfEveryType makes a [2,3] tensor of every element type numpy has.
func tensorsOfEveryType(t *testing.T) []*graph.Tensor {
	var ts []*graph.Tensor
	for _, c := range codes {
		x, err := graph.NewTensor(c.code, []int64{2, 3}, want(c.dt, 6))
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, x)
	}
	return ts
}

func TestNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	shapes := [][]int64{{}, {0}, {1}, {7}, {2, 3}, {0, 4}, {2, 1, 3, 1}}
	for _, c := range codes {
		for _, dims := range shapes {
			n := int(graph.NumElements(dims))
			x, err := graph.NewTensor("x", dims, want(c.dt, n))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := EncodeNPY(&buf, x); err != nil {
				t.Fatalf("%s%v: %v", c.dt, dims, err)
			}
			if buf.Len()-n*c.dt.Size() != 128 && buf.Len()-n*c.dt.Size() != 64 {
				t.Errorf("%s%v: header of %d bytes is not 64-byte aligned", c.dt, dims, buf.Len()-n*c.dt.Size())
			}
			got, err := DecodeNPY(buf.Bytes())
			if err != nil {
				t.Fatalf("%s%v: %v", c.dt, dims, err)
			}
			check(t, fmt.Sprint(c.dt, dims), got, c.dt, dims, want(c.dt, n))
			got, err = ReadNPY(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("%s%v: ReadNPY: %v", c.dt, dims, err)
			}
			check(t, fmt.Sprint("ReadNPY ", c.dt, dims), got, c.dt, dims, want(c.dt, n))

			path := filepath.Join(dir, "x.npy")
			if err := WriteNPY(path, x); err != nil {
				t.Fatal(err)
			}
			got, err = ReadNPYFile(path)
			if err != nil {
				t.Fatal(err)
			}
			check(t, fmt.Sprint("file ", c.dt, dims), got, c.dt, dims, want(c.dt, n))
		}
	}
}

// TestNumpyReadsOurFiles has numpy load the files WriteNPY and WriteNPZ
// write, and compare them with the formulas of testdata/make.py.
func TestNumpyReadsOurFiles(t *testing.T) {
	py := pythonWithNumpy(t)
	dir := t.TempDir()
	ts := tensorsOfEveryType(t)
	for _, x := range ts {
		if err := WriteNPY(filepath.Join(dir, x.Name+".npy"), x); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteNPZ(filepath.Join(dir, "stored.npz"), ts, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteNPZ(filepath.Join(dir, "deflated.npz"), ts, true); err != nil {
		t.Fatal(err)
	}
	script := `
import sys, numpy as np
sys.path.insert(0, sys.argv[2])
from make import values, CODES
d = sys.argv[1]
for f in ["stored.npz", "deflated.npz"]:
    z = np.load(d + "/" + f)
    assert sorted(z.files) == sorted(CODES), z.files
    for c in CODES:
        a = z[c]
        assert a.dtype == np.dtype(c) and np.array_equal(a, values(c, (2, 3))), (f, c, a)
for c in CODES:
    a = np.load(d + "/" + c + ".npy")
    assert a.dtype == np.dtype(c) and a.shape == (2, 3), (c, a.dtype, a.shape)
    assert np.array_equal(a, values(c, (2, 3))), (c, a)
print("ok")
`
	out, err := runPython(py, script, dir, mustAbs(t, "testdata"))
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("numpy check: %v\n%s", err, out)
	}
}

func TestReadNPYSequential(t *testing.T) {
	var buf bytes.Buffer
	ts := tensorsOfEveryType(t)
	for _, x := range ts {
		if err := EncodeNPY(&buf, x); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := DecodeNPY(buf.Bytes()); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "after the array data") {
		t.Errorf("DecodeNPY of several arrays: %v, want an error about bytes after the data", err)
	}
	r := bytes.NewReader(buf.Bytes())
	for _, c := range codes {
		got, err := ReadNPY(r)
		if err != nil {
			t.Fatalf("%s: %v", c.code, err)
		}
		check(t, c.code, got, c.dt, []int64{2, 3}, want(c.dt, 6))
	}
	if r.Len() != 0 {
		t.Errorf("%d bytes left", r.Len())
	}
}

func TestEncodeRefused(t *testing.T) {
	for _, x := range []*graph.Tensor{
		mk(t, "b", []int64{2}, []graph.BFloat16Value{1, 2}),
		mk(t, "s", []int64{2}, []string{"a", "b"}),
	} {
		if err := EncodeNPY(&bytes.Buffer{}, x); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", x.DType, err)
		}
	}
}

// mk is graph.NewTensor that fails the test on error.
func mk(t *testing.T, name string, dims []int64, data any) *graph.Tensor {
	t.Helper()
	x, err := graph.NewTensor(name, dims, data)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// npyFile builds a .npy file from a header dictionary and data.
func npyFile(major byte, dict string, data []byte) []byte {
	b := []byte(npyMagic)
	b = append(b, major, 0)
	h := dict + "\n"
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
	}
	b = append(b, h...)
	return append(b, data...)
}

func TestMalformedNPY(t *testing.T) {
	f4x2 := make([]byte, 8)
	huge := npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", make([]byte, 100))
	for _, tc := range []struct {
		name string
		file []byte
		err  error
		msg  string
	}{
		{"empty", nil, ErrTruncated, "shorter than a header"},
		{"no magic", []byte("PK\x03\x04 not numpy at all"), ErrFormat, "magic"},
		{"version 4", npyFile(4, "{}", nil), ErrFormat, "version 4.0"},
		{"header past end", []byte(npyMagic + "\x01\x00\xff\x00{'descr'"), ErrTruncated, "header says 255 bytes"},
		{"v2 header over limit", []byte(npyMagic + "\x02\x00\xff\xff\xff\xff{"), ErrFormat, "over the limit"},
		{"v2 short preamble", []byte(npyMagic + "\x02\x00\x10\x00"), ErrTruncated, "shorter than a version 2.0 header"},
		{"not a dict", npyFile(1, "('<f4', False, (2,))", f4x2), ErrFormat, "not a dictionary"},
		{"unclosed dict", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", f4x2), ErrFormat, "unexpected end"},
		{"garbage after dict", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", f4x2), ErrFormat, "after the dictionary"},
		{"missing shape", npyFile(1, "{'descr': '<f4', 'fortran_order': False}", f4x2), ErrFormat, "no 'shape'"},
		{"missing descr", npyFile(1, "{'fortran_order': False, 'shape': (2,)}", f4x2), ErrFormat, "no 'descr'"},
		{"missing order", npyFile(1, "{'descr': '<f4', 'shape': (2,)}", f4x2), ErrFormat, "no 'fortran_order'"},
		{"extra key", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", f4x2), ErrFormat, "unexpected key"},
		{"duplicate key", npyFile(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", f4x2), ErrFormat, "appears twice"},
		{"order not bool", npyFile(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", f4x2), ErrFormat, "fortran_order"},
		{"shape list", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", f4x2), ErrFormat, "not a tuple"},
		{"negative dim", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", f4x2), ErrFormat, "non-negative"},
		{"string dim", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ('2',)}", f4x2), ErrFormat, "non-negative"},
		{"dim over 64 bits", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", f4x2), ErrFormat, "64 bits"},
		{"dims overflow", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", f4x2), ErrFormat, "overflows"},
		{"bytes overflow", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,)}", f4x2), ErrFormat, "overflows"},
		{"huge claim", huge, ErrTruncated, "needs 4000000000000 bytes of data, the file has 100"},
		{"short data", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", f4x2), ErrTruncated, "needs 12 bytes"},
		{"native order", npyFile(1, "{'descr': '=f4', 'fortran_order': False, 'shape': (2,)}", f4x2), ErrUnsupported, "native byte order"},
		{"no order for f4", npyFile(1, "{'descr': '|f4', 'fortran_order': False, 'shape': (2,)}", f4x2), ErrUnsupported, "needs a byte order"},
		{"long double", npyFile(1, "{'descr': '<f16', 'fortran_order': False, 'shape': (2,)}", f4x2), ErrUnsupported, "extended-precision"},
		{"object", npyFile(1, "{'descr': '|O', 'fortran_order': False, 'shape': (2,)}", f4x2), ErrUnsupported, "object arrays"},
		{"datetime", npyFile(1, "{'descr': '<M8[s]', 'fortran_order': False, 'shape': (1,)}", f4x2), ErrUnsupported, "datetime"},
		{"unknown type", npyFile(1, "{'descr': '<q9', 'fortran_order': False, 'shape': (2,)}", f4x2), ErrUnsupported, "unknown"},
		{"bad bool", npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,)}", []byte{1, 7}), ErrFormat, "bool array holds byte 7"},
		{"deep nesting", npyFile(1, strings.Repeat("(", 1000), nil), ErrFormat, "nested"},
		{"bad escape", npyFile(1, `{'descr': '<f\x4', 'fortran_order': False, 'shape': (2,)}`, f4x2), ErrFormat, "escape"},
		{"unterminated string", npyFile(1, `{'descr': '<f4`, f4x2), ErrFormat, "newline inside a string"},
		{"unterminated string at end", []byte(npyMagic + "\x01\x00\x0c\x00{'descr': '<"), ErrFormat, "unexpected end"},
		{"bare multi-byte code", npyFile(1, "{'descr': 'f4', 'fortran_order': False, 'shape': (2,)}", f4x2), ErrUnsupported, "needs a byte order"},
	} {
		_, err := DecodeNPY(tc.file)
		if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "tensorio: npy: ") {
			t.Errorf("%s: DecodeNPY error %v, want %v containing %q", tc.name, err, tc.err, tc.msg)
		}
		if _, err := ReadNPY(bytes.NewReader(tc.file)); err == nil {
			t.Errorf("%s: ReadNPY succeeded", tc.name)
		}
	}
}

func TestHeaderVariants(t *testing.T) {
	f4x2 := []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40} // 1, 2
	for _, dict := range []string{
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
		"{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}",  // any key order
		`{"descr": "<f4", "fortran_order": False, "shape": (2L,)}`, // Python 2
		"{ 'descr' : '<f4' , 'fortran_order' : True , 'shape' : ( 2 , ) }",
		"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2)}",
	} {
		for _, major := range []byte{1, 2, 3} {
			got, err := DecodeNPY(npyFile(major, dict, f4x2))
			if err != nil {
				t.Errorf("%s: %v", dict, err)
				continue
			}
			if d, _ := got.Data(); !reflect.DeepEqual(d, []float32{1, 2}) {
				t.Errorf("%s: %v", dict, d)
			}
		}
	}
}

func TestFortranToC(t *testing.T) {
	// A [2,3] int16 array stored column-major: columns (0,3), (1,4), (2,5).
	f := []int16{0, 3, 1, 4, 2, 5}
	x := mk(t, "", []int64{6}, f)
	dict := "{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3), }"
	got, err := DecodeNPY(npyFile(1, dict, x.Raw()))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "fortran", got, graph.Int16, []int64{2, 3}, []int16{0, 1, 2, 3, 4, 5})
	// A [2,0,3] Fortran array is empty; a [2,1] one needs no reordering.
	if _, err := DecodeNPY(npyFile(1, "{'descr': '<i2', 'fortran_order': True, 'shape': (2, 0, 3), }", nil)); err != nil {
		t.Error(err)
	}
}

// TestTruncated cuts a valid file at every length.
func TestTruncated(t *testing.T) {
	for _, file := range []string{"le_c16.npy", "fortran_i4.npy", "v3_f4.npy"} {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		for n := range len(b) {
			if _, err := DecodeNPY(b[:n]); !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrFormat) {
				t.Fatalf("%s cut at %d: %v", file, n, err)
			}
			if _, err := ReadNPY(bytes.NewReader(b[:n])); !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrFormat) {
				t.Fatalf("%s cut at %d: ReadNPY: %v", file, n, err)
			}
		}
	}
}

// TestHugeClaimAllocation checks that a header claiming terabytes costs no
// more memory than the bytes actually present, through every reader.
func TestHugeClaimAllocation(t *testing.T) {
	file := npyFile(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", make([]byte, 100))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := DecodeNPY(file); !errors.Is(err, ErrTruncated) {
		t.Errorf("DecodeNPY: %v", err)
	}
	if _, err := ReadNPY(bytes.NewReader(file)); !errors.Is(err, ErrTruncated) {
		t.Errorf("ReadNPY: %v", err)
	}
	path := filepath.Join(t.TempDir(), "huge.npy")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); !errors.Is(err, ErrTruncated) {
		t.Errorf("ReadFile: %v", err)
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 8<<20 {
		t.Errorf("reading a 100-byte file claiming 8 TB allocated %d bytes", d)
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.npy")
	good := mk(t, "x", []int64{2}, []float32{1, 2})
	if err := WriteNPY(path, good); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)
	// A failing write leaves the old file as it was and no temporary file.
	bad := mk(t, "b", []int64{2}, []graph.BFloat16Value{1, 2})
	if err := WriteNPY(path, bad); !errors.Is(err, ErrUnsupported) {
		t.Errorf("WriteNPY(bfloat16): %v", err)
	}
	if err := WriteNPZ(filepath.Join(dir, "y.npz"), []*graph.Tensor{good, bad}, true); !errors.Is(err, ErrUnsupported) {
		t.Errorf("WriteNPZ(bfloat16): %v", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
		t.Error("failed write changed the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "x.npy" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v, want only x.npy", names)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode())
	}
	if err := WriteNPY(filepath.Join(dir, "no", "such", "x.npy"), good); err == nil {
		t.Error("write into a missing folder succeeded")
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, msg string }{
		{"x.txt", "unknown tensor file extension"},
		{"missing.npy", "no such file"},
		{"missing.npz", "no such file"},
		{"missing.pb", "no such file"},
	} {
		_, err := ReadFile(filepath.Join(dir, tc.name))
		if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "tensorio: ") {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.msg)
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
