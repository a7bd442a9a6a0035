package graph

import (
	"github.com/onnxrun/onnxrun/internal/suites"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// zooModels lists the zoo models (see suites.ZooPath), or skips.
func zooModels(t testing.TB) []string {
	dir := suites.ZooDir(t)
	ms, _ := filepath.Glob(filepath.Join(dir, "*", "model.onnx"))
	if len(ms) == 0 {
		t.Skipf("no zoo models under %s", dir)
	}
	sort.Strings(ms)
	return ms
}

// TestZoo loads, validates and round-trips every zoo model and decodes its
// test data.
func TestZoo(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: zoo models are large")
	}
	for _, path := range zooModels(t) {
		name := filepath.Base(filepath.Dir(path))
		start := time.Now()
		m, err := Load(path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		took := time.Since(start)
		if err := m.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		var params int64
		for _, init := range m.Graph.Initializers {
			if _, err := init.Data(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			params += init.NumElements()
		}
		checkRoundTrip(t, m)
		files, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "test_data_set_*", "*.pb"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if tn, err := DecodeTensor(b); err != nil {
				t.Errorf("%s: %s: %v", name, f, err)
			} else {
				checkTensor(t, f, tn)
			}
		}
		t.Logf("%s: %d nodes, %d initializers (%d values), loaded in %v", name, len(m.Graph.Nodes), len(m.Graph.Initializers), params, took)
		m.Close()
	}
}

// BenchmarkDecodeZoo decodes each zoo model from memory.
func BenchmarkDecodeZoo(b *testing.B) {
	for _, path := range zooModels(b) {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(filepath.Dir(path)), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				if _, err := Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
