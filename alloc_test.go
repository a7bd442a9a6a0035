package onnxrun

import (
	"context"
	"github.com/onnxrun/onnxrun/internal/suites"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestAllocsPerRun reports the allocations of one steady-state run of the
// zoo's resnet18 (see suites.ZooPath; skipped when absent),
// with and without graph optimization.
func TestAllocsPerRun(t *testing.T) {
	dir := filepath.Join(suites.ZooDir(t), "resnet18")
	if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err != nil || testing.Short() {
		t.Skip("no zoo resnet18")
	}
	noReuse := func(c *config) { c.ops.NoBufferReuse = true }
	for _, c := range []struct {
		name string
		opts []Option
	}{
		{"unoptimized, no buffer reuse", []Option{WithoutOptimization(), noReuse}},
		{"unoptimized", []Option{WithoutOptimization()}},
		{"optimized, no buffer reuse", []Option{noReuse}},
		{"optimized", nil},
	} {
		s, err := Open(filepath.Join(dir, "model.onnx"), c.opts...)
		if err != nil {
			t.Fatal(err)
		}
		in, _ := testCase(t, s, dir)
		run := func() {
			if _, err := s.Run(context.Background(), in); err != nil {
				t.Fatal(err)
			}
		}
		run()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		const runs = 3
		for range runs {
			run()
		}
		runtime.ReadMemStats(&m1)
		t.Logf("%s: %d allocations, %.1f MiB per run; %d GC cycles in %d runs", c.name,
			(m1.Mallocs-m0.Mallocs)/runs, float64(m1.TotalAlloc-m0.TotalAlloc)/runs/(1<<20), m1.NumGC-m0.NumGC, runs)
		gets, reuses := s.plan.PoolStats()
		t.Logf("%s: %d output buffers requested from the run's pool, %d of them recycled", c.name, gets, reuses)
		s.Close()
	}
}
