package ops

import (
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

func TestPad(t *testing.T) {
	x := New([]int{3, 2}, []float32{1, 1.2, 2.3, 3.4, 4.5, 5.7})
	// The wrap example of the spec (opset 19).
	shCheck(t, 19, "Pad", []*graph.Attr{attrStr("mode", "wrap")}, []Value{x, shI64s(2, 1, 1, 1)}, New([]int{6, 4}, []float32{
		3.4, 2.3, 3.4, 2.3,
		5.7, 4.5, 5.7, 4.5,
		1.2, 1.0, 1.2, 1.0,
		3.4, 2.3, 3.4, 2.3,
		5.7, 4.5, 5.7, 4.5,
		1.2, 1.0, 1.2, 1.0}))
	shErr(t, 18, "Pad", []*graph.Attr{attrStr("mode", "wrap")}, []Value{x, shI64s(2, 1, 1, 1)}, 1, "needs opset 19")
	r := New([]int{4}, []int32{1, 2, 3, 4})
	// Reflect beyond one period (numpy.pad gives the same).
	shCheck(t, 13, "Pad", []*graph.Attr{attrStr("mode", "reflect")}, []Value{r, shI64s(5, 4)}, New([]int{13}, []int32{2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2}))
	shCheck(t, 13, "Pad", []*graph.Attr{attrStr("mode", "edge")}, []Value{r, shI64s(2, 1)}, New([]int{7}, []int32{1, 1, 1, 2, 3, 4, 4}))
	shCheck(t, 13, "Pad", nil, []Value{r, shI64s(1, -2), Scalar(int32(9))}, New([]int{3}, []int32{9, 1, 2}))
	shCheck(t, 13, "Pad", []*graph.Attr{attrStr("mode", "reflect")}, []Value{r, shI64s(-1, 2)}, New([]int{5}, []int32{2, 3, 4, 3, 2}))
	shCheck(t, 13, "Pad", []*graph.Attr{attrStr("mode", "reflect")}, []Value{New([]int{1}, []int32{7}), shI64s(2, 1)}, New([]int{4}, []int32{7, 7, 7, 7}))
	shErr(t, 13, "Pad", []*graph.Attr{attrStr("mode", "edge")}, []Value{New([]int{0}, []int32{}), shI64s(1, 1)}, 1, "cannot pad the empty dim")
	shErr(t, 13, "Pad", nil, []Value{r, shI64s(-3, -2)}, 1, "crop more than")
	shErr(t, 13, "Pad", nil, []Value{r, shI64s(1)}, 1, "want 2 values")
	shErr(t, 13, "Pad", nil, []Value{r, shI64s(1, 1<<40)}, 1, "exceeds the limit")
	shErr(t, 13, "Pad", []*graph.Attr{attrStr("mode", "mirror")}, []Value{r, shI64s(1, 1)}, 1, "unknown mode")
	// Opset 2-10: attributes; opset 1: paddings.
	shCheck(t, 2, "Pad", []*graph.Attr{attrInts("pads", 0, 1, 0, 0), attrFloat("value", 2.5)}, []Value{New([]int{1, 2}, []float32{1, 2})}, New([]int{1, 3}, []float32{2.5, 1, 2}))
	shCheck(t, 1, "Pad", []*graph.Attr{attrInts("paddings", 0, 0, 0, 1)}, []Value{New([]int{1, 2}, []float32{1, 2})}, New([]int{1, 3}, []float32{1, 2, 0}))
	// Opset 18: axes.
	y := shSeqF32(2, 2)
	shCheck(t, 18, "Pad", nil, []Value{y, shI64s(1, 0), nil, shI64s(-1)}, New([]int{2, 3}, []float32{0, 0, 1, 0, 2, 3}))
	shErr(t, 18, "Pad", nil, []Value{y, shI64s(1, 0), nil, shI64s(-1, 1)}, 1, "want 4 values")
	// Strings pad with "" by default.
	shCheck(t, 13, "Pad", nil, []Value{New([]int{1}, []string{"a"}), shI64s(1, 0)}, New([]int{2}, []string{"", "a"}))
	// A 3-D edge pad with interior copies.
	z := shSeqF32(1, 2, 2)
	shCheck(t, 13, "Pad", []*graph.Attr{attrStr("mode", "edge")}, []Value{z, shI64s(0, 1, 0, 0, 0, 1)}, New([]int{1, 3, 3}, []float32{0, 1, 1, 0, 1, 1, 2, 3, 3}))
}

func TestTileExpand(t *testing.T) {
	x := shSeqF32(2, 2)
	shCheck(t, 13, "Tile", nil, []Value{x, shI64s(2, 1)}, New([]int{4, 2}, []float32{0, 1, 2, 3, 0, 1, 2, 3}))
	shCheck(t, 13, "Tile", nil, []Value{x, shI64s(1, 2)}, New([]int{2, 4}, []float32{0, 1, 0, 1, 2, 3, 2, 3}))
	shCheck(t, 13, "Tile", nil, []Value{x, shI64s(0, 2)}, New([]int{0, 4}, []float32{}))
	shCheck(t, 1, "Tile", nil, []Value{x, Scalar(int64(2)), Scalar(int64(-1))}, New([]int{2, 4}, []float32{0, 1, 0, 1, 2, 3, 2, 3}))
	shErr(t, 13, "Tile", nil, []Value{x, shI64s(-1, 1)}, 1, "out of range")
	shErr(t, 13, "Tile", nil, []Value{x, shI64s(1<<30, 1<<30)}, 1, "more than")
	shErr(t, 13, "Tile", nil, []Value{x, shI64s(1)}, 1, "want 2 values")

	v := New([]int{3, 1}, []int64{1, 2, 3})
	shCheck(t, 13, "Expand", nil, []Value{v, shI64s(2, 1, 2)}, New([]int{2, 3, 2}, []int64{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}))
	shCheck(t, 13, "Expand", nil, []Value{v, shI64s(1)}, v)
	shCheck(t, 13, "Expand", nil, []Value{v, shI64s(0)}, New([]int{3, 0}, []int64{}))
	shErr(t, 13, "Expand", nil, []Value{v, shI64s(2, 2)}, 1, "does not broadcast")
	shErr(t, 13, "Expand", nil, []Value{v, shI64s(1<<20, 1<<20, 3, 1)}, 1, "exceeds the limit")
	shErr(t, 13, "Expand", nil, []Value{v, shI64s(-1)}, 1, "out of range")
}

func TestShapeSizeRangeConstant(t *testing.T) {
	x := shSeqF32(2, 3, 4)
	shCheck(t, 13, "Shape", nil, []Value{x}, shI64s(2, 3, 4))
	shCheck(t, 15, "Shape", []*graph.Attr{attrInt("start", -2)}, []Value{x}, shI64s(3, 4))
	shCheck(t, 15, "Shape", []*graph.Attr{attrInt("start", 2), attrInt("end", 1)}, []Value{x}, New([]int{0}, []int64{}))
	shCheck(t, 15, "Shape", []*graph.Attr{attrInt("start", -10), attrInt("end", 10)}, []Value{x}, shI64s(2, 3, 4))
	shErr(t, 14, "Shape", []*graph.Attr{attrInt("start", 1)}, []Value{x}, 1, "need opset 15")
	shCheck(t, 13, "Size", nil, []Value{x}, Scalar(int64(24)))
	shCheck(t, 13, "Size", nil, []Value{New([]int{0, 2}, []bool{})}, Scalar(int64(0)))

	shCheck(t, 11, "Range", nil, []Value{Scalar(int64(10)), Scalar(int64(4)), Scalar(int64(-3))}, shI64s(10, 7))
	shCheck(t, 11, "Range", nil, []Value{Scalar(int64(-9e18)), Scalar(int64(9e18)), Scalar(int64(6e18))}, shI64s(-9e18, -3e18, 3e18))
	shCheck(t, 11, "Range", nil, []Value{Scalar(int16(1)), Scalar(int16(1)), Scalar(int16(1))}, New([]int{0}, []int16{}))
	shCheck(t, 11, "Range", nil, []Value{Scalar(float32(1)), Scalar(float32(2)), Scalar(float32(0.25))}, shF32s(1, 1.25, 1.5, 1.75))
	shErr(t, 11, "Range", nil, []Value{Scalar(int64(1)), Scalar(int64(2)), Scalar(int64(0))}, 1, "delta) is 0")
	shErr(t, 11, "Range", nil, []Value{Scalar(float32(0)), Scalar(float32(1e30)), Scalar(float32(1))}, 1, "too many")
	shErr(t, 11, "Range", nil, []Value{Scalar(int64(0)), Scalar(int32(1)), Scalar(int64(1))}, 1, "want the type of start")

	ci := shCheck(t, 13, "Constant", []*graph.Attr{attrInts("value_ints", 1, 2)}, nil, shI64s(1, 2))
	_ = ci
	shCheck(t, 13, "Constant", []*graph.Attr{{Name: "value_strings", Type: graph.AttrStrings, Strings: [][]byte{[]byte("a")}}}, nil, New([]int{1}, []string{"a"}))
	shCheck(t, 13, "Constant", []*graph.Attr{attrFloat("value_float", 2)}, nil, Scalar(float32(2)))
	shErr(t, 11, "Constant", []*graph.Attr{attrFloat("value_float", 2)}, nil, 1, "needs opset 12")
	shErr(t, 13, "Constant", []*graph.Attr{attrFloat("value_float", 2), attrInt("value_int", 1)}, nil, 1, "exactly one")
	vals, _ := graph.NewTensor("v", []int64{2}, []float32{5, 6})
	lin, _ := graph.NewTensor("i", []int64{2}, []int64{3, 0})
	shCheck(t, 13, "Constant", []*graph.Attr{{Name: "sparse_value", Type: graph.AttrSparseTensor, Sparse: &graph.SparseTensor{Values: vals, Indices: lin, Dims: []int64{2, 2}}}}, nil,
		New([]int{2, 2}, []float32{6, 0, 0, 5}))
	coo, _ := graph.NewTensor("i", []int64{2, 2}, []int64{0, 1, 1, 0})
	shCheck(t, 13, "Constant", []*graph.Attr{{Name: "sparse_value", Type: graph.AttrSparseTensor, Sparse: &graph.SparseTensor{Values: vals, Indices: coo, Dims: []int64{2, 2}}}}, nil,
		New([]int{2, 2}, []float32{0, 5, 6, 0}))
	bad, _ := graph.NewTensor("i", []int64{2}, []int64{4, 0})
	shErr(t, 13, "Constant", []*graph.Attr{{Name: "sparse_value", Type: graph.AttrSparseTensor, Sparse: &graph.SparseTensor{Values: vals, Indices: bad, Dims: []int64{2, 2}}}}, nil, 1, "index 4")

	seven, _ := graph.NewTensor("v", []int64{1}, []int32{7})
	shCheck(t, 9, "ConstantOfShape", []*graph.Attr{{Name: "value", Type: graph.AttrTensor, T: seven}}, []Value{shI64s(2, 1)}, New([]int{2, 1}, []int32{7, 7}))
	shCheck(t, 9, "ConstantOfShape", nil, []Value{shI64s()}, Scalar(float32(0)))
	shCheck(t, 9, "ConstantOfShape", nil, []Value{shI64s(3, 0)}, New([]int{3, 0}, []float32{}))
	shErr(t, 9, "ConstantOfShape", nil, []Value{shI64s(-1)}, 1, "out of range")
	shErr(t, 9, "ConstantOfShape", nil, []Value{shI64s(1<<20, 1<<20)}, 1, "exceeds the limit")
}
