package ops

import (
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/x448/float16"
)

func TestGatherFamily(t *testing.T) {
	x := shSeqF32(3, 2)
	idx := New([]int{2, 2}, []int32{0, -1, 2, 1})
	shCheck(t, 13, "Gather", nil, []Value{x, idx}, New([]int{2, 2, 2}, []float32{0, 1, 4, 5, 4, 5, 2, 3}))
	shCheck(t, 13, "Gather", []*graph.Attr{attrInt("axis", -1)}, []Value{x, Scalar(int64(1))}, New([]int{3}, []float32{1, 3, 5}))
	shCheck(t, 13, "Gather", nil, []Value{x, New([]int{0}, []int64{})}, New([]int{0, 2}, []float32{}))
	shErr(t, 13, "Gather", nil, []Value{x, shI64s(0, 3)}, 1, "input 1 (indices)", "index 3 at position 1", "[-3, 3)")
	shErr(t, 13, "Gather", nil, []Value{x, shI64s(-4)}, 1, "index -4")
	shErr(t, 13, "Gather", []*graph.Attr{attrInt("axis", 2)}, []Value{x, shI64s(0)}, 1, "out of range")
	shErr(t, 13, "Gather", nil, []Value{x, shF32s(0)}, 1, "int32 or int64")
	// A contiguous run of rows shares the input's data.
	out := shCheck(t, 13, "Gather", nil, []Value{x, shI64s(1, -1)}, New([]int{2, 2}, []float32{2, 3, 4, 5}))
	if &out[0].(*Tensor).Data.([]float32)[0] != &x.Data.([]float32)[2] {
		t.Error("Gather of consecutive rows copied its input")
	}
	s := New([]int{3}, []string{"x", "y", "z"})
	shCheck(t, 13, "Gather", nil, []Value{s, shI64s(2, 2, 0)}, New([]int{3}, []string{"z", "z", "x"}))

	// GatherElements: out[i][j] = x[idx[i][j]][j] on axis 0.
	ge := New([]int{2, 2}, []int64{2, -3, 1, 0})
	shCheck(t, 13, "GatherElements", nil, []Value{x, ge}, New([]int{2, 2}, []float32{4, 1, 2, 1}))
	shCheck(t, 13, "GatherElements", []*graph.Attr{attrInt("axis", 1)}, []Value{x, New([]int{3, 1}, []int64{1, 0, 1})}, New([]int{3, 1}, []float32{1, 2, 5}))
	shErr(t, 13, "GatherElements", nil, []Value{x, New([]int{1, 2}, []int64{0, 3})}, 1, "index 3 at position 1", "[-3, 3)")
	shErr(t, 13, "GatherElements", nil, []Value{x, New([]int{1, 3}, []int64{0, 0, 0})}, 1, "exceeds")
	shErr(t, 13, "GatherElements", nil, []Value{x, shI64s(0)}, 1, "differ in rank")

	// GatherND with batch_dims 1: data [2,2,2], indices [2,1] pick data[b][i].
	d := shSeqF32(2, 2, 2)
	shCheck(t, 13, "GatherND", []*graph.Attr{attrInt("batch_dims", 1)}, []Value{d, New([]int{2, 1}, []int64{1, 0})}, New([]int{2, 2}, []float32{2, 3, 4, 5}))
	shCheck(t, 13, "GatherND", nil, []Value{d, New([]int{2, 3}, []int64{0, 1, 1, 1, -1, 0})}, New([]int{2}, []float32{3, 6}))
	shErr(t, 13, "GatherND", nil, []Value{d, New([]int{1, 2}, []int64{0, 2})}, 1, "index 2 at position 1", "[-2, 2)")
	shErr(t, 13, "GatherND", nil, []Value{d, New([]int{1, 4}, []int64{0, 0, 0, 0})}, 1, "last dim 4")
	shErr(t, 11, "GatherND", []*graph.Attr{attrInt("batch_dims", 1)}, []Value{d, shI64s(0)}, 1, "needs opset 12")
}

func TestScatterFamily(t *testing.T) {
	x := New([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	idx := New([]int{1, 3}, []int64{1, 0, -1})
	upd := New([]int{1, 3}, []float32{10, 20, 30})
	shCheck(t, 13, "ScatterElements", nil, []Value{x, idx, upd}, New([]int{2, 3}, []float32{1, 20, 3, 10, 5, 30}))
	shCheck(t, 10, "Scatter", nil, []Value{x, idx, upd}, New([]int{2, 3}, []float32{1, 20, 3, 10, 5, 30}))
	shCheck(t, 18, "ScatterElements", []*graph.Attr{attrStr("reduction", "max")}, []Value{x, New([]int{1, 3}, []int64{1, 1, 1}), New([]int{1, 3}, []float32{0, 9, 9})}, New([]int{2, 3}, []float32{1, 2, 3, 4, 9, 9}))
	shCheck(t, 18, "ScatterElements", []*graph.Attr{attrStr("reduction", "min"), attrInt("axis", 1)}, []Value{x, New([]int{1, 2}, []int64{0, 0}), New([]int{1, 2}, []float32{3, -1})}, New([]int{2, 3}, []float32{-1, 2, 3, 4, 5, 6}))
	shCheck(t, 16, "ScatterElements", []*graph.Attr{attrStr("reduction", "add")}, []Value{x, New([]int{2, 1}, []int64{0, 0}), New([]int{2, 1}, []float32{1, 1})}, New([]int{2, 3}, []float32{3, 2, 3, 4, 5, 6}))
	shErr(t, 13, "ScatterElements", []*graph.Attr{attrStr("reduction", "add")}, []Value{x, idx, upd}, 1, "needs opset 16")
	shErr(t, 16, "ScatterElements", []*graph.Attr{attrStr("reduction", "max")}, []Value{x, idx, upd}, 1, "needs opset 18")
	shErr(t, 13, "ScatterElements", nil, []Value{x, New([]int{1, 1}, []int64{2}), New([]int{1, 1}, []float32{0})}, 1, "index 2 at position 0", "[-2, 2)")
	shErr(t, 13, "ScatterElements", nil, []Value{x, idx, shF32s(1, 2, 3)}, 1, "input 2 (updates)")
	shErr(t, 18, "ScatterElements", []*graph.Attr{attrStr("reduction", "add")}, []Value{New([]int{1}, []string{"a"}), shI64s(0), New([]int{1}, []string{"b"})}, 1, "not defined for string")

	// ScatterND: rows of x replaced or combined.
	ri := New([]int{2, 1}, []int64{1, 1})
	ru := New([]int{2, 3}, []float32{1, 1, 1, 2, 2, 2})
	shCheck(t, 16, "ScatterND", []*graph.Attr{attrStr("reduction", "mul")}, []Value{x, ri, ru}, New([]int{2, 3}, []float32{1, 2, 3, 8, 10, 12}))
	shCheck(t, 13, "ScatterND", nil, []Value{x, New([]int{1, 2}, []int64{0, -1}), shF32s(7)}, New([]int{2, 3}, []float32{1, 2, 7, 4, 5, 6}))
	shErr(t, 13, "ScatterND", nil, []Value{x, New([]int{1, 2}, []int64{0, 3}), shF32s(7)}, 1, "index 3 at position 1", "[-3, 3)")
	shErr(t, 13, "ScatterND", nil, []Value{x, ri, shF32s(7)}, 1, "input 2 (updates)")

	h := New([]int{2}, []float16.Float16{float16.Fromfloat32(1.5), float16.Fromfloat32(2)})
	shCheck(t, 18, "ScatterND", []*graph.Attr{attrStr("reduction", "add")}, []Value{h, New([]int{2, 1}, []int64{1, 1}), New([]int{2}, []float16.Float16{float16.Fromfloat32(0.5), float16.Fromfloat32(0.25)})},
		New([]int{2}, []float16.Float16{float16.Fromfloat32(1.5), float16.Fromfloat32(2.75)}))
}

func TestTensorScatterBitCast(t *testing.T) {
	// The first example of the spec: one update row per batch, linear mode.
	row := func(v ...float32) []float32 { return v }
	cat := func(rows ...[]float32) []float32 {
		var out []float32
		for _, r := range rows {
			out = append(out, r...)
		}
		return out
	}
	a, b, c, d := row(1, 2, 3, 4, 5), row(5, 6, 7, 8, 9), row(8, 7, 6, 5, 4), row(4, 3, 2, 1, 0)
	past := New([]int{2, 1, 4, 5}, cat(a, b, c, d, a, b, c, d))
	upd := New([]int{2, 1, 1, 5}, cat(row(5, 5, 5, 5, 5), row(1, 1, 1, 1, 1)))
	shCheck(t, 24, "TensorScatter", []*graph.Attr{attrStr("mode", "linear")}, []Value{past, upd, shI64s(1, 2)},
		New([]int{2, 1, 4, 5}, cat(a, row(5, 5, 5, 5, 5), c, d, a, b, row(1, 1, 1, 1, 1), d)))
	// Circular mode wraps; without write_indices writing starts at 0.
	p2 := New([]int{1, 3, 1}, []int64{1, 2, 3})
	u2 := New([]int{1, 2, 1}, []int64{8, 9})
	shCheck(t, 24, "TensorScatter", []*graph.Attr{attrStr("mode", "circular")}, []Value{p2, u2, shI64s(-1)}, New([]int{1, 3, 1}, []int64{9, 2, 8}))
	shCheck(t, 24, "TensorScatter", nil, []Value{p2, u2}, New([]int{1, 3, 1}, []int64{8, 9, 3}))
	shErr(t, 24, "TensorScatter", nil, []Value{p2, u2, shI64s(2)}, 1, "index 2 at position 0", "[0, 1]")
	shErr(t, 24, "TensorScatter", []*graph.Attr{attrInt("axis", 0)}, []Value{p2, u2}, 1, "batch dim")

	shCheck(t, 26, "BitCast", []*graph.Attr{attrInt("to", int64(graph.Int32))}, []Value{shF32s(1, -2.5)}, New([]int{2}, []int32{1065353216, -1071644672}))
	shCheck(t, 26, "BitCast", []*graph.Attr{attrInt("to", int64(graph.Bool))}, []Value{New([]int{3}, []uint8{0, 2, 1})}, New([]int{3}, []bool{false, true, true}))
	shCheck(t, 26, "BitCast", []*graph.Attr{attrInt("to", int64(graph.Int64))}, []Value{New([]int{1}, []complex64{complex(1, 0)})}, New([]int{1}, []int64{1065353216}))
	shErr(t, 26, "BitCast", []*graph.Attr{attrInt("to", int64(graph.Int64))}, []Value{shF32s(1)}, 1, "cannot be bitcast")
	shErr(t, 26, "BitCast", []*graph.Attr{attrInt("to", int64(graph.String))}, []Value{shF32s(1)}, 1, "non-string")
}
