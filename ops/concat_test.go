package ops

import (
	"math"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

func TestConcatSplit(t *testing.T) {
	a := New([]int{2, 1}, []string{"a", "b"})
	b := New([]int{2, 2}, []string{"c", "d", "e", "f"})
	e := New([]int{2, 0}, []string{})
	shCheck(t, 13, "Concat", []*graph.Attr{attrInt("axis", -1)}, []Value{a, e, b}, New([]int{2, 3}, []string{"a", "c", "d", "b", "e", "f"}))
	// Opset 1-3: axis defaults to 1.
	x, y := shSeqF32(1, 2), New([]int{1, 1}, []float32{9})
	shCheck(t, 1, "Concat", nil, []Value{x, y}, New([]int{1, 3}, []float32{0, 1, 9}))
	shErr(t, 4, "Concat", nil, []Value{x, y}, 1, "axis is required")
	shErr(t, 13, "Concat", []*graph.Attr{attrInt("axis", 0)}, []Value{x, y}, 1, "differ in dim 1")
	shErr(t, 13, "Concat", []*graph.Attr{attrInt("axis", 0)}, []Value{x, shF32s(1)}, 1, "differ in rank")
	shErr(t, 13, "Concat", []*graph.Attr{attrInt("axis", 2)}, []Value{x, y}, 1, "out of range")

	z := shSeqF32(2, 5)
	row := func(v ...float32) *Tensor { return New([]int{2, len(v) / 2}, v) }
	// Opset 18: num_outputs with a smaller last part.
	shCheck(t, 18, "Split", []*graph.Attr{attrInt("axis", 1), attrInt("num_outputs", 3)}, []Value{z},
		row(0, 1, 5, 6), row(2, 3, 7, 8), row(4, 9))
	shCheck(t, 18, "Split", []*graph.Attr{attrInt("axis", 1)}, []Value{z, shI64s(1, 4)}, row(0, 5), row(1, 2, 3, 4, 6, 7, 8, 9))
	shCheck(t, 13, "Split", []*graph.Attr{attrInt("axis", -1)}, []Value{z, shI64s(0, 5)}, New([]int{2, 0}, []float32{}), z)
	shCheck(t, 2, "Split", []*graph.Attr{attrInt("axis", 1), attrInts("split", 2, 3)}, []Value{z}, row(0, 1, 5, 6), row(2, 3, 4, 7, 8, 9))
	shErr(t, 13, "Split", []*graph.Attr{attrInt("axis", 1)}, []Value{z}, 2, "does not split into 2 equal parts")
	shErr(t, 13, "Split", []*graph.Attr{attrInt("axis", 1)}, []Value{z, shI64s(1, 2)}, 2, "sums to 3")
	shErr(t, 13, "Split", []*graph.Attr{attrInt("axis", 1)}, []Value{z, shI64s(-1, 6)}, 2, "out of range")
	shErr(t, 13, "Split", []*graph.Attr{attrInt("axis", 1)}, []Value{z, shI64s(5)}, 2, "1 entries for 2 outputs")
	shErr(t, 18, "Split", []*graph.Attr{attrInt("num_outputs", 3)}, []Value{z}, 2, "num_outputs 3")
	// Split along the first axis shares the input's data.
	got := shCheck(t, 13, "Split", nil, []Value{z}, New([]int{1, 5}, []float32{0, 1, 2, 3, 4}), New([]int{1, 5}, []float32{5, 6, 7, 8, 9}))
	if &got[1].(*Tensor).Data.([]float32)[0] != &z.Data.([]float32)[5] {
		t.Error("Split on axis 0 copied its input")
	}
}

func TestSlice(t *testing.T) {
	x := shSeqF32(3, 4)
	m := func(r, c int, v ...float32) *Tensor { return New([]int{r, c}, v) }
	shCheck(t, 13, "Slice", nil, []Value{x, shI64s(0, 1), shI64s(2, 3)}, m(2, 2, 1, 2, 5, 6))
	// Negative steps, INT_MAX / INT_MIN ends.
	shCheck(t, 13, "Slice", nil, []Value{x, shI64s(-1), shI64s(math.MinInt64), shI64s(1), shI64s(-2)}, m(3, 2, 3, 1, 7, 5, 11, 9))
	shCheck(t, 13, "Slice", nil, []Value{x, shI64s(math.MaxInt64), shI64s(math.MinInt64), shI64s(0), shI64s(-1)}, m(3, 4, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3))
	shCheck(t, 13, "Slice", nil, []Value{x, shI64s(1), shI64s(math.MaxInt64), shI64s(-1), shI64s(math.MaxInt64)}, m(3, 1, 1, 5, 9))
	shCheck(t, 13, "Slice", nil, []Value{x, shI64s(5), shI64s(10), shI64s(0)}, New([]int{0, 4}, []float32{}))
	shCheck(t, 13, "Slice", nil, []Value{x, shI64s(2), shI64s(1), shI64s(1)}, New([]int{3, 0}, []float32{}))
	// Opset 1-9: attributes; axes default to [0, len(starts)).
	shCheck(t, 9, "Slice", []*graph.Attr{attrInts("starts", 1, 0), attrInts("ends", 1000, -1)}, []Value{x}, m(2, 3, 4, 5, 6, 8, 9, 10))
	shErr(t, 13, "Slice", nil, []Value{x, shI64s(0), shI64s(1), shI64s(0), shI64s(0)}, 1, "a step is 0")
	shErr(t, 13, "Slice", nil, []Value{x, shI64s(0, 0), shI64s(1, 1), shI64s(1, -1)}, 1, "repeat axis")
	shErr(t, 13, "Slice", nil, []Value{x, shI64s(0), shI64s(1), shI64s(2)}, 1, "out of range")
	shErr(t, 13, "Slice", nil, []Value{x, shI64s(0), shI64s(1, 2)}, 1, "differ in length")
	// A contiguous run shares the input's data.
	out := shCheck(t, 13, "Slice", nil, []Value{x, shI64s(1), shI64s(3), shI64s(0)}, m(2, 4, 4, 5, 6, 7, 8, 9, 10, 11))
	if &out[0].(*Tensor).Data.([]float32)[0] != &x.Data.([]float32)[4] {
		t.Error("a contiguous slice copied its input")
	}
	s := New([]int{5}, []string{"a", "b", "c", "d", "e"})
	shCheck(t, 13, "Slice", nil, []Value{s, shI64s(4), shI64s(0), shI64s(0), shI64s(-2)}, New([]int{2}, []string{"e", "c"}))
}

func TestSliceRange(t *testing.T) {
	tests := []struct {
		start, end, step int64
		dim              int
		first, n         int
	}{
		{0, 10, 1, 5, 0, 5},
		{-3, -1, 1, 5, 2, 2},
		{-100, 100, 2, 5, 0, 3},
		{100, -100, -1, 5, 4, 5},
		{4, 0, -2, 5, 4, 2},
		{0, 4, -1, 5, 0, 0},
		{math.MaxInt64, math.MinInt64, -3, 7, 6, 3},
		{2, 2, 1, 5, 2, 0},
		{0, 1, 1, 0, 0, 0},
	}
	for _, tc := range tests {
		first, n := SliceRange(tc.start, tc.end, tc.step, tc.dim)
		if first != tc.first || n != tc.n {
			t.Errorf("SliceRange(%d, %d, %d, %d) = %d, %d; want %d, %d", tc.start, tc.end, tc.step, tc.dim, first, n, tc.first, tc.n)
		}
	}
}

func TestSplitOpset1(t *testing.T) {
	z := shSeqF32(5)
	// Opset 1: the sizes may come from input 1.
	shCheck(t, 1, "Split", nil, []Value{z, shI64s(2, 3)}, shF32s(0, 1), shF32s(2, 3, 4))
	shCheck(t, 1, "Split", []*graph.Attr{attrInts("split", 4, 1)}, []Value{z}, shF32s(0, 1, 2, 3), shF32s(4))
	shCheck(t, 11, "Split", []*graph.Attr{attrInt("axis", -1)}, []Value{z}, shF32s(0), shF32s(1), shF32s(2), shF32s(3), shF32s(4))
	shErr(t, 13, "Split", []*graph.Attr{attrInts("split", 4, 1)}, []Value{z}, 2, "replaced by input 1")
}

// PyTorch exports chunk and cat with negative axes at opset 9; they count from the back.
func TestNegativeAxisBeforeOpset11(t *testing.T) {
	z := shSeqF32(2, 4)
	row := func(v ...float32) *Tensor { return New([]int{2, len(v) / 2}, v) }
	shCheck(t, 2, "Split", []*graph.Attr{attrInt("axis", -1)}, []Value{z}, row(0, 1, 4, 5), row(2, 3, 6, 7))
	shCheck(t, 4, "Concat", []*graph.Attr{attrInt("axis", -1)}, []Value{row(0, 4), row(1, 2, 3, 5, 6, 7)}, z)
	shErr(t, 2, "Split", []*graph.Attr{attrInt("axis", -3)}, []Value{z}, 2, "out of range")
}
