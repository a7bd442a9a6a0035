package ops

import (
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// PyTorch passes Resize its sizes as Concat(Shape(X)[:2], [H, W]): with an
// empty batch the batch size asked for is 0, which must give an empty output.
func TestResizeEmptyBatch(t *testing.T) {
	x := New([]int{0, 2, 3, 3}, []float32{})
	for _, mode := range []string{"nearest", "linear", "cubic"} {
		shCheck(t, 13, "Resize", []*graph.Attr{{Name: "mode", Type: graph.AttrString, S: []byte(mode)}},
			[]Value{x, nil, nil, shI64s(0, 2, 5, 4)}, New([]int{0, 2, 5, 4}, []float32{}))
	}
	shErr(t, 13, "Resize", nil, []Value{x, nil, nil, shI64s(1, 2, 5, 4)}, 1, "axis 0 is empty and cannot be resized to 1")
}
