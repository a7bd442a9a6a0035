// Package suites locates the test inputs that live outside the repository:
// the ONNX backend node test suite and the generated model zoo.
package suites

import (
	"os"
	"testing"
)

// NodeDefault is where Debian's libonnx-testdata package installs the ONNX
// node test suite.
const NodeDefault = "/usr/share/libonnx-testdata/data/node"

// NodePath returns the node suite's folder: $ONNX_NODE_TESTS, or
// NodeDefault. The folder may not exist.
func NodePath() string {
	if d := os.Getenv("ONNX_NODE_TESTS"); d != "" {
		return d
	}
	return NodeDefault
}

// NodeDir returns NodePath, skipping tb when that folder does not exist.
func NodeDir(tb testing.TB) string {
	tb.Helper()
	dir := NodePath()
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("ONNX node test suite not found at %s (install libonnx-testdata or set ONNX_NODE_TESTS)", dir)
	}
	return dir
}

// ZooPath returns the folder of generated zoo models (one folder per model
// with model.onnx and test_data_set_0) named by $ONNXRUN_ZOO, or by the
// older names $ONNX_ZOO_DIR and $ONNX_ZOO; "" when none is set.
func ZooPath() string {
	for _, v := range []string{"ONNXRUN_ZOO", "ONNX_ZOO_DIR", "ONNX_ZOO"} {
		if d := os.Getenv(v); d != "" {
			return d
		}
	}
	return ""
}

// ZooDir returns ZooPath, skipping tb when it is not set.
func ZooDir(tb testing.TB) string {
	tb.Helper()
	dir := ZooPath()
	if dir == "" {
		tb.Skip("no model zoo (set ONNXRUN_ZOO to its folder)")
	}
	return dir
}
