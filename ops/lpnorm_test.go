package ops

import (
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

func TestLpNormalization(t *testing.T) {
	x := New([]int{2, 2}, []float32{3, 4, 0, 0})
	// p=2 along the last axis: (3,4)/5; a zero row stays zero.
	shCheck(t, 1, "LpNormalization", nil, []Value{x}, New([]int{2, 2}, []float32{0.6, 0.8, 0, 0}))
	// p=1 along axis 0: columns (3,0)/3 and (4,0)/4.
	shCheck(t, 1, "LpNormalization", []*graph.Attr{attrInt("axis", 0), attrInt("p", 1)}, []Value{x}, New([]int{2, 2}, []float32{1, 1, 0, 0}))
	d := New([]int{3}, []float64{1, -1, 2})
	got := shCheck(t, 22, "LpNormalization", []*graph.Attr{attrInt("p", 1)}, []Value{d}, New([]int{3}, []float64{0.25, -0.25, 0.5}))
	if &got[0].(*Tensor).Data.([]float64)[0] == &d.Data.([]float64)[0] {
		t.Error("LpNormalization wrote into its input")
	}
	shErr(t, 1, "LpNormalization", []*graph.Attr{attrInt("p", 3)}, []Value{x}, 1, "want 1 or 2")
	shErr(t, 1, "LpNormalization", []*graph.Attr{attrInt("axis", 2)}, []Value{x}, 1, "out of range")
}
