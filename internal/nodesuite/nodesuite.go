// Package nodesuite locates the ONNX backend node test suite for the tests
// of the other packages.
package nodesuite

import (
	"os"
	"testing"
)

// DefaultDir is where Debian's libonnx-testdata package installs the suite.
const DefaultDir = "/usr/share/libonnx-testdata/data/node"

// Path returns the suite's folder: $ONNX_NODE_TESTS, or DefaultDir. The
// folder may not exist.
func Path() string {
	if d := os.Getenv("ONNX_NODE_TESTS"); d != "" {
		return d
	}
	return DefaultDir
}

// Dir returns Path, skipping tb when that folder does not exist.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir := Path()
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("ONNX node test suite not found at %s (install libonnx-testdata or set ONNX_NODE_TESTS)", dir)
	}
	return dir
}
