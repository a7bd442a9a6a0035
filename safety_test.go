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
	"github.com/onnxrun/onnxrun/internal/suites"
	"gorgonia.org/tensor"
)

// deterministicModels are the model folders the determinism tests run: the
// models of testdata/models, and those of the zoo (suites.ZooPath) when it
// is set.
func deterministicModels(t *testing.T) []string {
	var dirs []string
	for _, name := range testModels {
		dirs = append(dirs, filepath.Join("testdata", "models", name))
	}
	if zoo := suites.ZooPath(); zoo != "" {
		ms, _ := filepath.Glob(filepath.Join(zoo, "*", "model.onnx"))
		for _, m := range ms {
			dirs = append(dirs, filepath.Dir(m))
		}
	}
	return dirs
}

// bitsEqual reports the first element where got and want differ in their
// bits.
func bitsEqual(got, want map[string]*tensor.Dense) error {
	for k, w := range want {
		g := got[k]
		if g == nil || !g.Shape().Eq(w.Shape()) {
			return fmt.Errorf("output %q: shape %v, want %v", k, g.Shape(), w.Shape())
		}
		switch wv := w.Data().(type) {
		case []float32:
			gv := g.Data().([]float32)
			for i := range wv {
				if math.Float32bits(gv[i]) != math.Float32bits(wv[i]) {
					return fmt.Errorf("output %q element %d: %v, want %v", k, i, gv[i], wv[i])
				}
			}
		case []int64:
			gv := g.Data().([]int64)
			for i := range wv {
				if gv[i] != wv[i] {
					return fmt.Errorf("output %q element %d: %v, want %v", k, i, gv[i], wv[i])
				}
			}
		}
	}
	return nil
}

// perturbed returns a copy of the float32 inputs scaled by 1+k/16, so that
// each goroutine of a concurrency test runs different data.
func perturbed(in map[string]*tensor.Dense, k int) map[string]*tensor.Dense {
	out := map[string]*tensor.Dense{}
	for name, d := range in {
		c := d.Clone().(*tensor.Dense)
		if v, ok := c.Data().([]float32); ok {
			for i := range v {
				v[i] *= 1 + float32(k)/16
			}
		}
		out[name] = c
	}
	return out
}

// TestDeterministicAcrossThreads runs each model with 1, 2, 3 and 8
// threads per operator: every output must be bit-identical to the 1-thread
// run (the README's determinism guarantee).
func TestDeterministicAcrossThreads(t *testing.T) {
	for _, dir := range deterministicModels(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var first map[string]*tensor.Dense
			for _, threads := range []int{1, 2, 3, 8} {
				s, err := Open(filepath.Join(dir, "model.onnx"), WithThreads(threads))
				if err != nil {
					t.Fatal(err)
				}
				in, _ := testCase(t, s, dir)
				out, err := s.Run(context.Background(), in)
				s.Close()
				if err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = out
					continue
				}
				if err := bitsEqual(out, first); err != nil {
					t.Errorf("%d threads vs 1: %v", threads, err)
				}
			}
		})
	}
}

// TestConcurrentDifferentInputs uses one session from 8 goroutines, each
// with its own inputs: every result must equal, bit for bit, what a
// sequential run on the same inputs gives.
func TestConcurrentDifferentInputs(t *testing.T) {
	for _, dir := range deterministicModels(t)[:len(testModels)] {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			s, err := Open(filepath.Join(dir, "model.onnx"), WithThreads(2))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			base, _ := testCase(t, s, dir)
			const n = 8
			ins := make([]map[string]*tensor.Dense, n)
			want := make([]map[string]*tensor.Dense, n)
			for k := range n {
				ins[k] = perturbed(base, k)
				if want[k], err = s.Run(context.Background(), ins[k]); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for k := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 3 {
						out, err := s.Run(context.Background(), ins[k])
						if err == nil {
							err = bitsEqual(out, want[k])
						}
						if err != nil {
							errs <- fmt.Errorf("goroutine %d: %w", k, err)
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

// TestModelFileTruncatedAfterOpen truncates, then rewrites, the model file
// of an open session: runs must go on giving the same results (Load keeps
// its own copy of the file), never fault.
func TestModelFileTruncatedAfterOpen(t *testing.T) {
	dir := filepath.Join("testdata", "models", "tiny_cnn")
	b, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in, _ := testCase(t, s, dir)
	want, err := s.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	got, err := s.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if err := bitsEqual(got, want); err != nil {
		t.Fatalf("after truncation: %v", err)
	}
	junk := make([]byte, len(b))
	for i := range junk {
		junk[i] = 0xff
	}
	if err := os.WriteFile(path, junk, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = s.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if err := bitsEqual(got, want); err != nil {
		t.Fatalf("after rewriting: %v", err)
	}
	// A file truncated before Load is refused with its name.
	if _, err := graph.Load(path); err == nil {
		t.Fatal("Load of a rewritten file: no error")
	}
}
