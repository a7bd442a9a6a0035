package ops

import (
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

func TestRMSNormalization(t *testing.T) {
	// Rows (3, 4) and (1, 1): rms 5/sqrt(2) and 1.
	x := New([]int{2, 2}, []float32{3, 4, 1, 1})
	r := float32(0.2 * 1.4142135623730951) // 1/(5/sqrt 2)
	shCheck(t, 23, "RMSNormalization", []*graph.Attr{attrFloat("epsilon", 0)}, []Value{x, shF32s(1, 2)},
		New([]int{2, 2}, []float32{3 * r, 8 * r, 1, 2}))
	// axis 0: one rms over all four values, sqrt((9+16+1+1)/4) = sqrt(6.75); scale a scalar.
	q := float32(1 / 2.598076211353316)
	shCheck(t, 23, "RMSNormalization", []*graph.Attr{attrInt("axis", 0), attrFloat("epsilon", 0)}, []Value{x, New([]int{}, []float32{2})},
		New([]int{2, 2}, []float32{6 * q, 8 * q, 2 * q, 2 * q}))
	// Y takes the element type of scale.
	shCheck(t, 23, "RMSNormalization", []*graph.Attr{attrFloat("epsilon", 0)}, []Value{New([]int{1}, []float32{-2}), New([]int{1}, []float64{3})},
		New([]int{1}, []float64{-3}))
	shErr(t, 23, "RMSNormalization", nil, []Value{x, shF32s(1, 2, 3)}, 1, "does not broadcast")
	shErr(t, 23, "RMSNormalization", []*graph.Attr{attrInt("axis", 2)}, []Value{x, shF32s(1, 2)}, 1, "out of range")
	shErr(t, 23, "RMSNormalization", []*graph.Attr{attrInt("stash_type", 7)}, []Value{x, shF32s(1, 2)}, 1, "stash_type")
}
