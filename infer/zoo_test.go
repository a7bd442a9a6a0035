package infer

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/suites"
)

// zooDir holds generated models with test data (model.onnx and
// test_data_set_0): see suites.ZooDir.
func zooDir(tb testing.TB) string { return suites.ZooDir(tb) }

// TestZoo infers every zoo model with its dynamic dims bound to the test
// input's sizes, and checks that every graph output has the shape of the
// expected output, every value has a fully known shape (data-dependent sizes
// as named symbols), and that without binding the batch stays symbolic.
func TestZoo(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(zooDir(t), "*", "model.onnx"))
	if len(dirs) == 0 {
		t.Skip("no zoo models")
	}
	for _, path := range dirs {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			if testing.Short() && filepath.Base(dir) == "maskrcnn" {
				t.Skip("short")
			}
			m, err := graph.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			bind := map[string]int64{}
			for i, in := range m.Graph.FeedInputs() {
				b, err := os.ReadFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("input_%d.pb", i)))
				if err != nil {
					t.Fatal(err)
				}
				tt, err := graph.DecodeTensor(b)
				if err != nil {
					t.Fatal(err)
				}
				if in.Type != nil {
					for k, d := range in.Type.Shape {
						if d.Param != "" && k < len(tt.Dims) {
							bind[d.Param] = tt.Dims[k]
						}
					}
				}
			}
			res, err := Run(m, Options{Bindings: bind})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range res.Diagnostics {
				t.Errorf("diagnostic: %v", d.Error())
			}
			for i, o := range m.Graph.Outputs {
				b, err := os.ReadFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("output_%d.pb", i)))
				if err != nil {
					continue
				}
				tt, err := graph.DecodeTensor(b)
				if err != nil {
					t.Fatal(err)
				}
				f := res.Values[o.Name]
				if v, detail := verdict(f, tt.DType, tt.Dims); v == "wrong" {
					t.Errorf("output %q: %s", o.Name, detail)
				} else if v == "partial" {
					// Only data-dependent sizes may stay symbolic.
					for _, d := range f.Shape {
						if d.IsUnknown() {
							t.Errorf("output %q: %s", o.Name, detail)
							break
						}
					}
				}
			}
			for name, f := range res.Values {
				if f.Kind == KindTensor && (!f.Ranked || !f.Shape.Known()) {
					t.Errorf("value %q: %v not fully known", name, f)
				}
			}
			if len(bind) > 0 {
				free, err := Run(m, Options{})
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range m.Graph.Outputs {
					f := free.Values[o.Name]
					if _, ok := bind["N"]; ok && f.Ranked && len(f.Shape) > 0 && !f.Shape[0].Equal(Sym("N")) {
						t.Errorf("unbound: output %q is %v, want N as the first dim", o.Name, f)
					}
				}
			}
		})
	}
}

// BenchmarkZooMaskRCNN times inference over the largest zoo model (about
// 2,100 nodes with If/Loop bodies).
func BenchmarkZooMaskRCNN(b *testing.B) {
	m, err := graph.Load(filepath.Join(zooDir(b), "maskrcnn", "model.onnx"))
	if err != nil {
		b.Skip("no maskrcnn model")
	}
	defer m.Close()
	for b.Loop() {
		if _, err := Run(m, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
