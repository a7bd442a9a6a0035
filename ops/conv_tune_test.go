package ops

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/kernels/conv"
)

// convTuneModel is one 3×3 stride-1 Conv (im2col and Winograd apply) with
// constant weights.
func convTuneModel(t *testing.T) (*graph.Model, *Tensor) {
	t.Helper()
	xv := make([]float32, 8*12*12)
	for i := range xv {
		xv[i] = float32(i%13) / 5
	}
	x := New([]int{1, 8, 12, 12}, xv)
	wv := make([]float32, 8*8*9)
	for i := range wv {
		wv[i] = float32(i%7)/3 - 1
	}
	w := New([]int{8, 8, 3, 3}, wv)
	m := oneNode("Conv", []string{"x", "w"}, []*Tensor{x, w})
	gw, err := w.ToGraph("w")
	if err != nil {
		t.Fatal(err)
	}
	m.Graph.Initializers = append(m.Graph.Initializers, gw)
	m.Graph.Inputs = m.Graph.Inputs[:1]
	m.Graph.Nodes[0].Attrs = []*graph.Attr{{Name: "pads", Type: graph.AttrInts, Ints: []int64{1, 1, 1, 1}}}
	return m, x
}

// runConvAlgo runs the model once and returns the algorithm its Conv node
// reports and the output.
func runConvAlgo(t *testing.T, m *graph.Model, x *Tensor, opts Options) (string, []float32) {
	t.Helper()
	var algo, direct string
	opts.Profile = func(ev NodeEvent) {
		algo = KernelAlgorithm(ev.Kernel, ev.Inputs)
		if a, ok := ev.Kernel.(Algorithmer); ok {
			direct = a.Algorithm()
		}
	}
	p, err := Compile(m, &opts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), []Value{x})
	if err != nil {
		t.Fatal(err)
	}
	if algo != direct {
		t.Fatalf("KernelAlgorithm says %q, Algorithm() %q", algo, direct)
	}
	return algo, out[0].(*Tensor).Data.([]float32)
}

func TestConvTuning(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(conv.TuneCacheEnv, dir)
	m, x := convTuneModel(t)

	// Off: the default algorithm, no cache file.
	a, _ := runConvAlgo(t, m, x, Options{NoTune: true, Threads: 2})
	if a != "im2col" {
		t.Fatalf("untuned: %q, want im2col", a)
	}
	if _, err := os.Stat(filepath.Join(dir, "conv-tune.json")); !os.IsNotExist(err) {
		t.Fatalf("untuned run wrote the cache: %v", err)
	}

	// On: the choice is recorded, and the same choice comes back at any
	// thread count, with bit-identical outputs.
	a1, y1 := runConvAlgo(t, m, x, Options{Threads: 1})
	b, err := os.ReadFile(filepath.Join(dir, "conv-tune.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Entries map[string]string }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Entries) != 1 {
		t.Fatalf("cache entries %v, want one", f.Entries)
	}
	for _, v := range f.Entries {
		if v != a1 {
			t.Fatalf("cache holds %q, node chose %q", v, a1)
		}
	}
	for _, th := range []int{2, 3, 1} {
		a2, y2 := runConvAlgo(t, m, x, Options{Threads: th})
		if a2 != a1 {
			t.Fatalf("threads %d: chose %q, first choice %q", th, a2, a1)
		}
		for i := range y1 {
			if y1[i] != y2[i] {
				t.Fatalf("threads %d: output %d = %v, first run %v", th, i, y2[i], y1[i])
			}
		}
	}
}
