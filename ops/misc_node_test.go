package ops_test

import (
	"path/filepath"
	"sort"
	"testing"
)

// TestMiscGenerated runs the cases of testdata/misc (made by its gen.py,
// with expected outputs from ONNX Runtime) through the node-suite runner.
func TestMiscGenerated(t *testing.T) {
	models, err := filepath.Glob(filepath.Join("testdata", "misc", "*", "model.onnx"))
	if err != nil || len(models) == 0 {
		t.Skip("no cases under testdata/misc")
	}
	sort.Strings(models)
	for _, m := range models {
		dir := filepath.Dir(m)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			if err := runGuarded(dir); err != nil {
				t.Error(err)
			}
		})
	}
}
