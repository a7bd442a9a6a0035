package ops

import "github.com/onnxrun/onnxrun/graph"

// fullBuffer is RunContext.Buffer for an output the kernel writes in full:
// memory from the run's pool is not zeroed first.
func fullBuffer(rc *RunContext, dt graph.DType, shape []int) (*Tensor, error) {
	return tensorBuffer(rc, dt, shape, false)
}
