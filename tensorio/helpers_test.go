package tensorio

import (
	"os"
	"os/exec"
	"testing"
)

// pythonWithNumpy returns the Python that has numpy (python3-numpy of the
// distribution, which the ONNX test data tools use), or skips the test.
func pythonWithNumpy(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import numpy").Run() == nil {
			return py
		}
	}
	t.Skip("no python3 with numpy")
	return ""
}

// runPython runs script with args and returns its combined output.
func runPython(py, script string, args ...string) (string, error) {
	cmd := exec.Command(py, append([]string{"-c", script}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}
