package tensorio

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/suites"
)

func TestPBRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ts := tensorsOfEveryType(t)
	ts = append(ts,
		mk(t, "bf16", []int64{2}, []graph.BFloat16Value{0x3f80, 0xc000}),
		mk(t, "str", []int64{3}, []string{"a", "", "ünï"}),
		mk(t, "", []int64{0, 2}, []float32{}),
	)
	for _, x := range ts {
		path := filepath.Join(dir, "t.pb")
		if err := WritePB(path, x); err != nil {
			t.Fatalf("%s: %v", x.DType, err)
		}
		got, err := ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", x.DType, err)
		}
		name := x.Name
		if name == "" {
			name = "t"
		}
		if got[0].Name != name {
			t.Errorf("%s: named %q, want %q", x.DType, got[0].Name, name)
		}
		wantData, _ := x.Data()
		check(t, x.DType.String(), got[0], x.DType, x.Dims, wantData)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %d files, want 1", len(entries))
	}
}

// TestPBAgainstNumpy converts the node suite's TensorProto files to .npy
// with onnx.numpy_helper and checks that both files read the same.
func TestPBAgainstNumpy(t *testing.T) {
	root := suites.NodeDir(t)
	py := pythonWithNumpy(t)
	out := t.TempDir()
	script := `
import os, sys, glob
import numpy as np
try:
    import onnx
    from onnx import numpy_helper
except ImportError:
    print("skip: no onnx module"); sys.exit(0)
root, out = sys.argv[1], sys.argv[2]
skip = {onnx.TensorProto.STRING, onnx.TensorProto.BFLOAT16, onnx.TensorProto.UNDEFINED}
n = 0
for d in sorted(glob.glob(root + "/*/test_data_set_0")):
    for f in sorted(glob.glob(d + "/*.pb")):
        t = onnx.TensorProto()
        try:
            t.ParseFromString(open(f, "rb").read())
        except Exception:
            continue
        if t.data_type in skip or t.data_type > 16 or not (t.HasField("raw_data") or t.dims or len(t.float_data) or len(t.int32_data) or len(t.int64_data) or len(t.double_data) or len(t.uint64_data)):
            continue
        try:
            a = numpy_helper.to_array(t)
        except Exception:
            continue
        rel = os.path.relpath(f, root).replace("/", "__")
        np.save(os.path.join(out, rel[:-3] + ".npy"), a)
        n += 1
print(n)
`
	res, err := runPython(py, script, root, out)
	if err != nil {
		t.Fatalf("%v\n%s", err, res)
	}
	if strings.HasPrefix(res, "skip:") {
		t.Skip(strings.TrimSpace(res))
	}
	npys, _ := filepath.Glob(filepath.Join(out, "*.npy"))
	failures := 0
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf(format, args...)
		if failures++; failures == 20 {
			t.Fatal("stopping after 20 failures")
		}
	}
	if len(npys) < 1000 {
		t.Fatalf("numpy converted only %d files: %s", len(npys), res)
	}
	for _, npy := range npys {
		rel := strings.ReplaceAll(strings.TrimSuffix(filepath.Base(npy), ".npy"), "__", "/") + ".pb"
		want, err := ReadNPYFile(npy)
		if err != nil {
			fail("%s: %v", rel, err)
			continue
		}
		got, err := ReadPBFile(filepath.Join(root, rel))
		if err != nil {
			fail("%s: %v", rel, err)
			continue
		}
		if got.DType != want.DType || !reflect.DeepEqual(append([]int64{}, got.Dims...), append([]int64{}, want.Dims...)) || !bytes.Equal(got.Raw(), want.Raw()) {
			fail("%s: .pb reads %s%v, numpy %s%v", rel, got.DType, got.Dims, want.DType, want.Dims)
		}
	}
	t.Logf("%d tensors compared", len(npys))
}
