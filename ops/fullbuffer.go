package ops

import (
	"slices"

	"github.com/onnxrun/onnxrun/graph"
)

// fullBuffer is RunContext.Buffer for an output the kernel writes in full:
// memory from the run's pool is not zeroed first.
func fullBuffer(rc *RunContext, dt graph.DType, shape []int) (*Tensor, error) {
	n := Size(shape)
	var data any
	switch dt {
	case graph.Float:
		data = runBufferFull[float32](rc, n)
	case graph.Double:
		data = runBufferFull[float64](rc, n)
	case graph.Int64:
		data = runBufferFull[int64](rc, n)
	case graph.Int32:
		data = runBufferFull[int32](rc, n)
	default:
		return Zeros(dt, shape)
	}
	return &Tensor{DType: dt, Shape: slices.Clone(shape), Data: data}, nil
}
