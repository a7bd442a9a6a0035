package onnxrun

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/ops"
	"gorgonia.org/tensor"
)

// The models of testdata/models, made by testdata/models/make.py; their
// expected outputs are PyTorch's.
var testModels = []string{"tiny_cnn", "tiny_seed", "tiny_dcgan"}

// readPB reads a TensorProto file as a Dense.
func readPB(t *testing.T, path string) *tensor.Dense {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.DecodeTensor(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	v, err := ops.FromGraph(g)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	d, err := ToDense(v)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

// testCase loads a model's test_data_set_0: inputs and expected outputs by
// name, in the model's input and output order.
func testCase(t *testing.T, s *Session, dir string) (in, want map[string]*tensor.Dense) {
	t.Helper()
	in, want = map[string]*tensor.Dense{}, map[string]*tensor.Dense{}
	for i, info := range s.Inputs() {
		in[info.Name] = readPB(t, filepath.Join(dir, "test_data_set_0", fmt.Sprintf("input_%d.pb", i)))
	}
	for i, info := range s.Outputs() {
		want[info.Name] = readPB(t, filepath.Join(dir, "test_data_set_0", fmt.Sprintf("output_%d.pb", i)))
	}
	return in, want
}

// closeTo compares got with the reference want: same shape, and every
// element within 1e-4 + 1e-3*max|want|.
func closeTo(got, want *tensor.Dense) error {
	if !got.Shape().Eq(want.Shape()) {
		return fmt.Errorf("shape %v, want %v", got.Shape(), want.Shape())
	}
	g, ok1 := got.Data().([]float32)
	w, ok2 := want.Data().([]float32)
	if !ok1 || !ok2 {
		return fmt.Errorf("types %v and %v, want float32", got.Dtype(), want.Dtype())
	}
	maxRef := 0.0
	for _, v := range w {
		maxRef = math.Max(maxRef, math.Abs(float64(v)))
	}
	tol := 1e-4 + 1e-3*maxRef
	for i := range w {
		if d := math.Abs(float64(g[i]) - float64(w[i])); !(d <= tol) {
			return fmt.Errorf("element %d is %v, want %v (difference %.3g, tolerance %.3g)", i, g[i], w[i], d, tol)
		}
	}
	return nil
}

func TestModels(t *testing.T) {
	for _, name := range testModels {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "models", name)
			s, err := Open(filepath.Join(dir, "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			in, want := testCase(t, s, dir)
			out, err := s.Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			for k, w := range want {
				if err := closeTo(out[k], w); err != nil {
					t.Errorf("output %q: %v", k, err)
				}
			}
		})
	}
}

// TestModelsRepeatable runs each model several times in a row and from 8
// goroutines at once: every result must equal the first, bit for bit.
func TestModelsRepeatable(t *testing.T) {
	for _, name := range testModels {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "models", name)
			s, err := Open(filepath.Join(dir, "model.onnx"), WithThreads(2))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			in, _ := testCase(t, s, dir)
			first, err := s.Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			same := func(out map[string]*tensor.Dense) error {
				for k, w := range first {
					g := out[k]
					if g == nil || !g.Shape().Eq(w.Shape()) {
						return fmt.Errorf("output %q: shape differs", k)
					}
					gv, wv := g.Data().([]float32), w.Data().([]float32)
					for i := range wv {
						if math.Float32bits(gv[i]) != math.Float32bits(wv[i]) {
							return fmt.Errorf("output %q element %d: %v, first run gave %v", k, i, gv[i], wv[i])
						}
					}
				}
				return nil
			}
			for range 3 {
				out, err := s.Run(context.Background(), in)
				if err != nil {
					t.Fatal(err)
				}
				if err := same(out); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 3 {
						out, err := s.Run(context.Background(), in)
						if err == nil {
							err = same(out)
						}
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}
