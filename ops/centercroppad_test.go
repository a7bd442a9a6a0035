package ops

import (
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

func TestCenterCropPad(t *testing.T) {
	x := shSeqF32(3, 4) // rows 0..3, 4..7, 8..11
	m := func(r, c int, v ...float32) *Tensor { return New([]int{r, c}, v) }
	// Crop 3x4 to 1x2: odd row excess 2 -> start 1; col excess 2 -> start 1.
	shCheck(t, 18, "CenterCropPad", nil, []Value{x, shI64s(1, 2)}, m(1, 2, 5, 6))
	// Crop with odd excess: 4 cols -> 1 starts at 1 (the extra one goes from the end).
	shCheck(t, 18, "CenterCropPad", nil, []Value{x, shI64s(3, 1)}, m(3, 1, 1, 5, 9))
	// Pad 3 rows -> 6: 1 before, 2 after; crop 4 cols -> 3 from column 0.
	shCheck(t, 18, "CenterCropPad", nil, []Value{x, New([]int{2}, []int32{6, 3})},
		m(6, 3, 0, 0, 0, 0, 1, 2, 4, 5, 6, 8, 9, 10, 0, 0, 0, 0, 0, 0))
	// axes: only the last axis, given negatively.
	shCheck(t, 18, "CenterCropPad", []*graph.Attr{attrInts("axes", -1)}, []Value{x, shI64s(6)},
		m(3, 6, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 7, 0, 0, 8, 9, 10, 11, 0))
	// Strings pad with the empty string.
	s := New([]int{2}, []string{"a", "b"})
	shCheck(t, 18, "CenterCropPad", nil, []Value{s, shI64s(3)}, New([]int{3}, []string{"a", "b", ""}))
	shErr(t, 18, "CenterCropPad", nil, []Value{x, shI64s(2)}, 1, "want 2 values")
	shErr(t, 18, "CenterCropPad", []*graph.Attr{attrInts("axes", 0, -2)}, []Value{x, shI64s(2, 2)}, 1, "repeats")
	shErr(t, 18, "CenterCropPad", []*graph.Attr{attrInts("axes", 2)}, []Value{x, shI64s(2)}, 1, "out of range")
}
