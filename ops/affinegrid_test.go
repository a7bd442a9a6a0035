package ops

import (
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

func TestAffineGrid(t *testing.T) {
	id2 := New([]int{1, 2, 3}, []float32{1, 0, 0, 0, 1, 0})
	// Pixel centers: x over W=3 is -2/3, 0, 2/3; y over H=2 is -1/2, 1/2.
	shCheck(t, 20, "AffineGrid", nil, []Value{id2, shI64s(1, 5, 2, 3)},
		New([]int{1, 2, 3, 2}, []float32{-2. / 3, -.5, 0, -.5, 2. / 3, -.5, -2. / 3, .5, 0, .5, 2. / 3, .5}))
	// Corners, with a shift in x and a scale in y: (x+0.5, 2y).
	th := New([]int{1, 2, 3}, []float64{1, 0, 0.5, 0, 2, 0})
	shCheck(t, 20, "AffineGrid", []*graph.Attr{attrInt("align_corners", 1)}, []Value{th, shI64s(1, 1, 2, 3)},
		New([]int{1, 2, 3, 2}, []float64{-.5, -2, .5, -2, 1.5, -2, -.5, 2, .5, 2, 1.5, 2}))
	// 3-D: the point is (x, y, z, 1); a single-element axis with corners is -1.
	id3 := New([]int{1, 3, 4}, []float32{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0.25})
	shCheck(t, 20, "AffineGrid", []*graph.Attr{attrInt("align_corners", 1)}, []Value{id3, shI64s(1, 1, 1, 1, 2)},
		New([]int{1, 1, 1, 2, 3}, []float32{-1, -1, -0.75, 1, -1, -0.75}))
	shErr(t, 20, "AffineGrid", nil, []Value{id2, shI64s(2, 1, 2, 3)}, 1, "batch differs")
	shErr(t, 20, "AffineGrid", nil, []Value{id2, shI64s(1, 1, 2, 3, 4)}, 1, "want shape [N, 3, 4]")
	shErr(t, 20, "AffineGrid", nil, []Value{id2, shI64s(1, 1, 2)}, 1, "want (N, C, H, W)")
}
