package onnxgo

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/onnxrun/onnxrun"
	onnxgraph "github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/ops"
	onnx "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend"
	"github.com/owulveryck/onnx-go/backend/testbackend"
	_ "github.com/owulveryck/onnx-go/backend/testbackend/onnx"
	"gorgonia.org/tensor"
)

var _ backend.ComputationBackend = (*Graph)(nil)

// expectedFailures lists the onnx-go registered backend tests that do not
// pass, and why. Each is still run: a test listed here that starts passing
// fails TestONNXGoSuite, so the list stays current.
var expectedFailures = map[string]string{
	// The harness compares with an absolute tolerance of 1e-6, finer than
	// float32 resolves at these magnitudes (the results differ from the
	// reference by one unit in the last place, from summation order).
	"TestPow":                                      "tolerance: 1e-6 absolute on values near 1357 (float32 ulp 1.2e-4)",
	"TestReduceL1DefaultAxesKeepdimsRandom":        "tolerance: 1e-6 absolute on a sum of 60 values",
	"TestReduceSumDefaultAxesKeepdimsRandom":       "tolerance: 1e-6 absolute on a sum of 60 values",
	"TestReduceSumSquareDefaultAxesKeepdimsRandom": "tolerance: 1e-6 absolute on a sum of 60 squares",
	"TestReduceProdDefaultAxesKeepdimsRandom":      "tolerance: 1e-6 absolute on a product of 60 values",
	"TestRoialign":                                 "tolerance: the ONNX reference output is rounded to 4 decimals",
	// onnx-go's test generator writes scalar outputs with shape (1); Size
	// returns a rank-0 tensor.
	"TestSize":        "expects shape (1) for Size's scalar output",
	"TestSizeExample": "expects shape (1) for Size's scalar output",
	// onnx-go's test generator wrote these int64 inputs as float32 tensors;
	// the operators take integer tensors there.
	"TestSliceNeg":            "float32 starts/ends/axes/steps inputs (int64 in the ONNX test)",
	"TestSliceEndOutOfBounds": "float32 starts/ends/axes/steps inputs (int64 in the ONNX test)",
	"TestTopK":                "float32 K input (int64 in the ONNX test)",
	"TestModBroadcast":        "float32 second input (int32 in the ONNX test)",
	// onnx-go's decoder does not pass graph attributes to a backend.
	"TestScan9Sum": "onnx-go: ir.AttributeProto_GRAPH not handled yet (skipped by the harness)",
}

// TestONNXGoSuite runs every backend test registered by onnx-go's
// testbackend/onnx package against a fresh Graph, with onnx-go's own
// harness (TestCase.RunTest) for the tests expected to pass.
func TestONNXGoSuite(t *testing.T) {
	var cases []*testbackend.TestCase
	for _, ctor := range testbackend.GetAllRegisteredTests() {
		cases = append(cases, ctor())
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].Title < cases[j].Title })
	pass, expected := 0, 0
	for _, tc := range cases {
		if reason, ok := expectedFailures[tc.Title]; ok {
			expected++
			if err := runCase(tc); err == nil {
				t.Errorf("%s now passes: remove it from expectedFailures (%s)", tc.Title, reason)
			}
			continue
		}
		if t.Run(tc.Title, tc.RunTest(NewGraph(), false)) && !tc.Skipped {
			pass++
		}
	}
	t.Logf("onnx-go backend tests: %d of %d pass, %d expected failures", pass, len(cases), expected)
}

// runCase does what TestCase.RunTest does, returning the first failure.
func runCase(tc *testbackend.TestCase) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	g := NewGraph()
	m := onnx.NewModel(g)
	if err := m.UnmarshalBinary(tc.ModelB); err != nil {
		return err
	}
	for i, in := range tc.Input {
		if err := m.SetInput(i, in); err != nil {
			return err
		}
	}
	if err := g.Run(); err != nil {
		return err
	}
	out, err := m.GetOutputTensors()
	if err != nil {
		return err
	}
	if len(out) != len(tc.ExpectedOutput) {
		return fmt.Errorf("%d outputs, want %d", len(out), len(tc.ExpectedOutput))
	}
	for i, want := range tc.ExpectedOutput {
		if !reflect.DeepEqual([]int(out[i].Shape()), []int(want.Shape())) {
			return fmt.Errorf("output %d: shape %v, want %v", i, out[i].Shape(), want.Shape())
		}
		g, w := reflect.ValueOf(out[i].Data()), reflect.ValueOf(want.Data())
		if g.Kind() != reflect.Slice || w.Kind() != reflect.Slice || g.Len() != w.Len() {
			return fmt.Errorf("output %d: data %T, want %T", i, out[i].Data(), want.Data())
		}
		for j := 0; j < w.Len(); j++ {
			a, b := toFloat(g.Index(j)), toFloat(w.Index(j))
			if !(math.Abs(a-b) <= 1e-6) && !(math.IsNaN(a) && math.IsNaN(b)) {
				return fmt.Errorf("output %d element %d: %v, want %v", i, j, a, b)
			}
		}
	}
	return nil
}

func toFloat(v reflect.Value) float64 {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return v.Float()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int())
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(v.Uint())
	case reflect.Bool:
		if v.Bool() {
			return 1
		}
		return 0
	}
	return math.NaN()
}

// A session is reused across runs with new inputs: each Run sees the
// inputs set since the last (onnx-go's gorgonnx returned stale results).
func TestRunTwice(t *testing.T) {
	var tc *testbackend.TestCase
	for _, ctor := range testbackend.GetOpTypeTests("Abs") {
		tc = ctor()
	}
	if tc == nil {
		t.Skip("no Abs test registered")
	}
	g := NewGraph()
	m := onnx.NewModel(g)
	if err := m.UnmarshalBinary(tc.ModelB); err != nil {
		t.Fatal(err)
	}
	shape := tc.Input[0].Shape()
	for _, v := range []float32{-2, 3} {
		x := make([]float32, shape.TotalSize())
		for i := range x {
			x[i] = v * float32(i)
		}
		if err := m.SetInput(0, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(x))); err != nil {
			t.Fatal(err)
		}
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
		out, err := m.GetOutputTensors()
		if err != nil {
			t.Fatal(err)
		}
		y := out[0].Data().([]float32)
		for i := range x {
			if y[i] != float32(math.Abs(float64(x[i]))) {
				t.Fatalf("input scale %v: y[%d] = %v, want %v", v, i, y[i], math.Abs(float64(x[i])))
			}
		}
	}
}

func TestNotImplemented(t *testing.T) {
	err := NewGraph().ApplyOperation(onnx.Operation{Name: "NoSuchOp"}, &Node{})
	if _, ok := err.(*onnx.ErrNotImplemented); !ok {
		t.Fatalf("got %v, want *onnx.ErrNotImplemented", err)
	}
}

// A real model through onnx-go's decoder: the small CNN of testdata/models
// (its reference output is PyTorch's), run twice.
func TestTinyCNN(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "models", "tiny_cnn")
	b, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) *tensor.Dense {
		pb, err := os.ReadFile(filepath.Join(dir, "test_data_set_0", name))
		if err != nil {
			t.Fatal(err)
		}
		g, err := onnxgraph.DecodeTensor(pb)
		if err != nil {
			t.Fatal(err)
		}
		v, err := ops.FromGraph(g)
		if err != nil {
			t.Fatal(err)
		}
		d, err := onnxrun.ToDense(v)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	in, want := read("input_0.pb"), read("output_0.pb")
	g := NewGraph()
	m := onnx.NewModel(g)
	if err := m.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if err := m.SetInput(0, in); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := g.Run(); err != nil {
			t.Fatal(err)
		}
		out, err := m.GetOutputTensors()
		if err != nil {
			t.Fatal(err)
		}
		got, w := out[0].Data().([]float32), want.Data().([]float32)
		if !out[0].Shape().Eq(want.Shape()) {
			t.Fatalf("shape %v, want %v", out[0].Shape(), want.Shape())
		}
		maxRef := 0.0
		for _, v := range w {
			maxRef = math.Max(maxRef, math.Abs(float64(v)))
		}
		for i := range w {
			if d := math.Abs(float64(got[i] - w[i])); !(d <= 1e-4+1e-3*maxRef) {
				t.Fatalf("element %d: %v, want %v", i, got[i], w[i])
			}
		}
	}
}
