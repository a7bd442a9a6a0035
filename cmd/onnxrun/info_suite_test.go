package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/suites"
	"github.com/onnxrun/onnxrun/tensorio"
)

// nodeSuiteDir is the ONNX backend node test suite of Debian's
// libonnx-testdata package, or $ONNX_NODE_TESTS.
func nodeSuiteDir(t *testing.T) string {
	return suites.NodeDir(t)
}

// TestInfoNodeSuite runs info --json over every model of the node suite
// and checks its inputs and outputs against the test's data files: one
// input_N.pb per fed input (initializers excluded) and one output_N.pb per
// output, with the declared element type and known dims.
func TestInfoNodeSuite(t *testing.T) {
	root := nodeSuiteDir(t)
	models, _ := filepath.Glob(filepath.Join(root, "*", "model.onnx"))
	if len(models) == 0 {
		t.Skipf("no models under %s", root)
	}
	for _, model := range models {
		test := filepath.Base(filepath.Dir(model))
		code, stdout, stderr := runCLI("info", "--json", model)
		if code != exitOK {
			t.Errorf("%s: exit %d: %s", test, code, stderr)
			continue
		}
		var info modelInfo
		if err := json.Unmarshal([]byte(stdout), &info); err != nil {
			t.Errorf("%s: output is not JSON: %v", test, err)
			continue
		}
		data := filepath.Join(filepath.Dir(model), "test_data_set_0")
		checkValues(t, test, "input", info.Inputs, data)
		checkValues(t, test, "output", info.Outputs, data)
	}
	t.Logf("%d models", len(models))
}

// suiteQuirks are the node-suite data files (ONNX 1.12) that disagree with
// their model's declaration: numpy has no bfloat16, so the bfloat16 data is
// stored as uint16 TensorProtos, and CastLike's "like" inputs hold a [1]
// tensor where the model declares [3, 4].
var suiteQuirks = map[string]bool{
	"test_cast_BFLOAT16_to_FLOAT input input":                true,
	"test_cast_FLOAT_to_BFLOAT16 output output":              true,
	"test_castlike_BFLOAT16_to_FLOAT input input":            true,
	"test_castlike_BFLOAT16_to_FLOAT input like":             true,
	"test_castlike_BFLOAT16_to_FLOAT_expanded input input":   true,
	"test_castlike_BFLOAT16_to_FLOAT_expanded input like":    true,
	"test_castlike_FLOAT_to_BFLOAT16 input like":             true,
	"test_castlike_FLOAT_to_BFLOAT16 output output":          true,
	"test_castlike_FLOAT_to_BFLOAT16_expanded input like":    true,
	"test_castlike_FLOAT_to_BFLOAT16_expanded output output": true,
}

func checkValues(t *testing.T, test, kind string, vs []valueInfo, data string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(data, kind+"_*.pb"))
	if len(files) != len(vs) {
		t.Errorf("%s: %d %ss listed, the test data has %d", test, len(vs), kind, len(files))
		return
	}
	for i, v := range vs {
		if strings.Contains(v.DType, "(") || v.DType == "unknown" {
			continue // sequences, maps and optionals are not TensorProto files
		}
		x, err := tensorio.ReadFile(filepath.Join(data, kind+"_"+strconv.Itoa(i)+".pb"))
		if err != nil {
			t.Errorf("%s: %s %d: %v", test, kind, i, err)
			continue
		}
		got := x[0]
		if suiteQuirks[test+" "+kind+" "+v.Name] {
			continue
		}
		if got.DType.String() != v.DType {
			t.Errorf("%s: %s %q: dtype %s listed, the data has %s", test, kind, v.Name, v.DType, got.DType)
		}
		if v.Shape == nil {
			continue
		}
		if len(v.Shape) != len(got.Dims) {
			t.Errorf("%s: %s %q: shape %v listed, the data has %v", test, kind, v.Name, v.Shape, got.Dims)
			continue
		}
		for j, d := range v.Shape {
			if n, ok := d.(float64); ok && int64(n) != got.Dims[j] {
				t.Errorf("%s: %s %q: shape %v listed, the data has %v", test, kind, v.Name, v.Shape, got.Dims)
				break
			}
		}
	}
}

// TestInfoZoo runs info --json over the models of $ONNXRUN_ZOO (a folder
// of <model>/model.onnx), when set.
func TestInfoZoo(t *testing.T) {
	root := suites.ZooDir(t)
	models, _ := filepath.Glob(filepath.Join(root, "*", "model.onnx"))
	for _, model := range models {
		code, stdout, stderr := runCLI("info", "--json", model)
		if code != exitOK {
			t.Errorf("%s: exit %d: %s", model, code, stderr)
			continue
		}
		var info modelInfo
		if err := json.Unmarshal([]byte(stdout), &info); err != nil {
			t.Errorf("%s: output is not JSON: %v", model, err)
			continue
		}
		m, err := graph.Load(model)
		if err != nil {
			t.Fatal(err)
		}
		inits := map[string]bool{}
		for _, x := range m.Graph.Initializers {
			inits[x.Name] = true
		}
		m.Close()
		for _, in := range info.Inputs {
			if inits[in.Name] {
				t.Errorf("%s: input %q has an initializer", model, in.Name)
			}
		}
		if len(info.Inputs) == 0 || info.Nodes == 0 {
			t.Errorf("%s: %d inputs, %d nodes", model, len(info.Inputs), info.Nodes)
		}
	}
	t.Logf("%d models", len(models))
}
