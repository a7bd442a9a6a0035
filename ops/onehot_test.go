package ops

import (
	"math"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/x448/float16"
)

func TestIndexingMisc(t *testing.T) {
	// OneHot: out-of-range indices give all off_value; depth may be float.
	shCheck(t, 11, "OneHot", nil, []Value{shI64s(1, -1, 5, -4), Scalar(float32(3)), New([]int{2}, []int32{0, 7})},
		New([]int{4, 3}, []int32{0, 7, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0}))
	shCheck(t, 11, "OneHot", []*graph.Attr{attrInt("axis", 0)}, []Value{shI64s(0, 2), Scalar(int64(3)), New([]int{2}, []string{"n", "y"})},
		New([]int{3, 2}, []string{"y", "n", "n", "n", "n", "y"}))
	shCheck(t, 9, "OneHot", nil, []Value{shI64s(-1), Scalar(int64(2)), shF32s(0, 1)}, New([]int{1, 2}, []float32{0, 0}))
	shErr(t, 11, "OneHot", nil, []Value{shI64s(0), Scalar(int64(0)), shF32s(0, 1)}, 1, "depth) 0 is out of range")
	shErr(t, 11, "OneHot", nil, []Value{shI64s(0), Scalar(int64(2)), shF32s(0, 1, 2)}, 1, "want [off_value, on_value]")
	shErr(t, 11, "OneHot", []*graph.Attr{attrInt("axis", 2)}, []Value{shI64s(0), Scalar(int64(2)), shF32s(0, 1)}, 1, "out of range")

	// NonZero: -0 is zero, NaN is not; a scalar counts as 1-D.
	negZero := float16.Fromfloat32(float32(math.Copysign(0, -1)))
	shCheck(t, 13, "NonZero", nil, []Value{New([]int{2, 2}, []float16.Float16{negZero, float16.Fromfloat32(1), float16.NaN(), 0})}, New([]int{2, 2}, []int64{0, 1, 1, 0}))
	shCheck(t, 13, "NonZero", nil, []Value{New([]int{3}, []string{"a", "", "b"})}, New([]int{1, 2}, []int64{0, 2}))
	shCheck(t, 13, "NonZero", nil, []Value{Scalar(int32(3))}, New([]int{1, 1}, []int64{0}))
	shCheck(t, 13, "NonZero", nil, []Value{New([]int{2, 0}, []float32{})}, New([]int{2, 0}, []int64{}))

	// Unique without axis, unsorted and sorted.
	u := New([]int{6}, []string{"b", "a", "b", "c", "a", "b"})
	shCheck(t, 11, "Unique", []*graph.Attr{attrInt("sorted", 0)}, []Value{u},
		New([]int{3}, []string{"b", "a", "c"}), shI64s(0, 1, 3), shI64s(0, 1, 0, 2, 1, 0), shI64s(3, 2, 1))
	shCheck(t, 11, "Unique", nil, []Value{u},
		New([]int{3}, []string{"a", "b", "c"}), shI64s(1, 0, 3), shI64s(1, 0, 1, 2, 0, 1), shI64s(2, 3, 1))
	// Unique along axis 1 (columns).
	m := New([]int{2, 3}, []int32{2, 1, 2, 0, 5, 0})
	shCheck(t, 11, "Unique", []*graph.Attr{attrInt("axis", -1)}, []Value{m},
		New([]int{2, 2}, []int32{1, 2, 5, 0}), shI64s(1, 0), shI64s(1, 0, 1), shI64s(1, 2))
	shErr(t, 11, "Unique", nil, []Value{New([]int{1}, []complex64{1})}, 4, "has no order")
	nan := float32(math.NaN())
	got := shCheck(t, 11, "Unique", nil, []Value{shF32s(nan, 2, nan, -1)}, nil, shI64s(3, 1, 0), shI64s(2, 1, 2, 0), shI64s(1, 1, 2))
	if y := got[0].(*Tensor).Data.([]float32); len(y) != 3 || y[0] != -1 || y[1] != 2 || y[2] == y[2] {
		t.Errorf("Unique with NaN: got %v, want [-1 2 NaN]", y)
	}

	// Compress.
	x := shSeqF32(2, 3)
	shCheck(t, 11, "Compress", []*graph.Attr{attrInt("axis", -1)}, []Value{x, New([]int{2}, []bool{false, true})}, New([]int{2, 1}, []float32{1, 4}))
	shCheck(t, 11, "Compress", nil, []Value{x, New([]int{7}, []bool{true, false, false, false, false, true, false})}, shF32s(0, 5))
	shErr(t, 11, "Compress", nil, []Value{x, New([]int{7}, []bool{false, false, false, false, false, false, true})}, 1, "beyond")
	shErr(t, 11, "Compress", nil, []Value{x, shI64s(1)}, 1, "1-D bool")

	// ReverseSequence with batch on axis 0.
	rs := shSeqF32(2, 3, 2)
	shCheck(t, 10, "ReverseSequence", []*graph.Attr{attrInt("batch_axis", 0), attrInt("time_axis", 1)}, []Value{rs, shI64s(3, 2)},
		New([]int{2, 3, 2}, []float32{4, 5, 2, 3, 0, 1, 8, 9, 6, 7, 10, 11}))
	shErr(t, 10, "ReverseSequence", nil, []Value{rs, shI64s(1, 1, 4)}, 1, "value 4 at position 2")
	shErr(t, 10, "ReverseSequence", []*graph.Attr{attrInt("batch_axis", 1), attrInt("time_axis", 1)}, []Value{rs, shI64s(1, 1)}, 1, "0 and 1")

	// Trilu over a batch of 2x3 matrices, with extreme k.
	tr := shSeqF32(2, 2, 3)
	shCheck(t, 14, "Trilu", nil, []Value{tr, Scalar(int64(1))}, New([]int{2, 2, 3}, []float32{0, 1, 2, 0, 0, 5, 0, 7, 8, 0, 0, 11}))
	shCheck(t, 14, "Trilu", []*graph.Attr{attrInt("upper", 0)}, []Value{tr}, New([]int{2, 2, 3}, []float32{0, 0, 0, 3, 4, 0, 6, 0, 0, 9, 10, 0}))
	shCheck(t, 14, "Trilu", []*graph.Attr{attrInt("upper", 0)}, []Value{tr, Scalar(int64(math.MaxInt64))}, tr)
	shCheck(t, 14, "Trilu", nil, []Value{tr, Scalar(int64(math.MinInt64))}, tr)
	shErr(t, 14, "Trilu", nil, []Value{shF32s(1)}, 1, "rank >= 2")

	// EyeLike.
	shCheck(t, 9, "EyeLike", []*graph.Attr{attrInt("k", -1), attrInt("dtype", int64(graph.Bool))}, []Value{shSeqF32(3, 2)},
		New([]int{3, 2}, []bool{false, false, true, false, false, true}))
	shCheck(t, 9, "EyeLike", nil, []Value{New([]int{2, 2}, []int32{5, 5, 5, 5})}, New([]int{2, 2}, []int32{1, 0, 0, 1}))
	shErr(t, 9, "EyeLike", nil, []Value{shF32s(1)}, 1, "2-D")
}

func TestHalfTypes(t *testing.T) {
	h := func(v ...float32) *Tensor {
		d := make([]float16.Float16, len(v))
		for i, x := range v {
			d[i] = float16.Fromfloat32(x)
		}
		return New([]int{len(v)}, d)
	}
	hs := func(v float32) *Tensor { return Scalar(float16.Fromfloat32(v)) }
	shCheck(t, 11, "Range", nil, []Value{hs(1), hs(2), hs(0.25)}, h(1, 1.25, 1.5, 1.75))
	shCheck(t, 27, "Range", []*graph.Attr{attrInt("stash_type", 1)}, []Value{hs(0), hs(3), hs(1)}, h(0, 1, 2))
	shErr(t, 27, "Range", []*graph.Attr{attrInt("stash_type", 10)}, []Value{hs(0), hs(3), hs(1)}, 1, "stash_type 10")
	shErr(t, 21, "Range", []*graph.Attr{attrInt("stash_type", 1)}, []Value{hs(0), hs(3), hs(1)}, 1, "needs opset 27")
	bf := New([]int{2, 2}, []graph.BFloat16Value{graph.BFloat16From(1), graph.BFloat16From(2), graph.BFloat16From(3), graph.BFloat16From(4)})
	shCheck(t, 14, "Trilu", nil, []Value{bf}, New([]int{2, 2}, []graph.BFloat16Value{graph.BFloat16From(1), graph.BFloat16From(2), 0, graph.BFloat16From(4)}))
	shCheck(t, 9, "EyeLike", nil, []Value{New([]int{1, 2}, []float16.Float16{0, 0})}, New([]int{1, 2}, []float16.Float16{float16.Fromfloat32(1), 0}))
	shCheck(t, 7, "Pad", []*graph.Attr{attrInts("pads", 1, 0), attrFloat("value", 0.5)}, []Value{h(2)}, h(0.5, 2))
}
