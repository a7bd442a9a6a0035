package ops

import (
	"slices"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

func TestReshapeShapeTable(t *testing.T) {
	tests := []struct {
		in        []int
		shape     []int64
		allowZero bool
		want      []int
		err       string
	}{
		{[]int{2, 3, 4}, []int64{4, -1}, false, []int{4, 6}, ""},
		{[]int{2, 3, 4}, []int64{0, -1}, false, []int{2, 12}, ""},
		{[]int{2, 3, 4}, []int64{0, 0, 4}, false, []int{2, 3, 4}, ""},
		{[]int{2, 3, 4}, []int64{}, false, nil, "cannot reshape"},
		{[]int{1}, []int64{}, false, []int{}, ""},
		{[]int{0, 3}, []int64{-1, 3}, false, []int{0, 3}, ""},
		{[]int{0, 3}, []int64{0, 3}, true, []int{0, 3}, ""},
		{[]int{0, 3}, []int64{3, 0}, true, []int{3, 0}, ""},
		{[]int{0, 3}, []int64{0, -1}, true, nil, "both -1 and a zero dim"},
		{[]int{0, 3}, []int64{0, -1}, false, nil, "cannot infer"},
		{[]int{2, 3}, []int64{-1, -1}, false, nil, "more than one -1"},
		{[]int{2, 3}, []int64{-2, 3}, false, nil, "invalid dim -2"},
		{[]int{2, 3}, []int64{1, 1, 0}, false, nil, "copies dim 2"},
		{[]int{2, 3}, []int64{4, -1}, false, nil, "cannot reshape"},
		{[]int{2, 3}, []int64{7}, false, nil, "cannot reshape"},
		{[]int{2, 3}, []int64{1 << 40, 1 << 40}, false, nil, "too large"},
		{[]int{2, 3}, []int64{1 << 20, 1 << 20, 1 << 20}, false, nil, "more than"},
	}
	for _, tc := range tests {
		got, err := ReshapeShape(tc.in, tc.shape, tc.allowZero)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ReshapeShape(%v, %v, %v): error %v, want %q", tc.in, tc.shape, tc.allowZero, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ReshapeShape(%v, %v, %v) = %v, %v; want %v", tc.in, tc.shape, tc.allowZero, got, err, tc.want)
		}
	}
}

func TestReshapeOps(t *testing.T) {
	x := shSeqF32(2, 3)
	// Outputs share the input's data.
	out := shCheck(t, 14, "Reshape", nil, []Value{x, shI64s(3, -1)}, New([]int{3, 2}, x.Data.([]float32)))
	if !shSameData(out[0].(*Tensor), x) {
		t.Error("Reshape copied its input")
	}
	shCheck(t, 4, "Reshape", []*graph.Attr{attrInts("shape", 6)}, []Value{x}, New([]int{6}, x.Data.([]float32)))
	shErr(t, 13, "Reshape", []*graph.Attr{attrInt("allowzero", 1)}, []Value{x, shI64s(6)}, 1, "allowzero needs opset 14")
	shErr(t, 14, "Reshape", nil, []Value{x, shI64s(4, -1)}, 1, "input 1 (shape)", "cannot reshape")

	out = shCheck(t, 13, "Flatten", []*graph.Attr{attrInt("axis", 0)}, []Value{x}, New([]int{1, 6}, x.Data.([]float32)))
	if !shSameData(out[0].(*Tensor), x) {
		t.Error("Flatten copied its input")
	}
	y := shSeqF32(2, 3, 4)
	shCheck(t, 13, "Flatten", []*graph.Attr{attrInt("axis", -1)}, []Value{y}, New([]int{6, 4}, y.Data.([]float32)))
	shCheck(t, 13, "Flatten", []*graph.Attr{attrInt("axis", 3)}, []Value{y}, New([]int{24, 1}, y.Data.([]float32)))
	shErr(t, 13, "Flatten", []*graph.Attr{attrInt("axis", 4)}, []Value{y}, 1, "axis 4 is out of range")
	shErr(t, 9, "Flatten", []*graph.Attr{attrInt("axis", -1)}, []Value{y}, 1, "needs opset 11")

	z := shSeqF32(1, 3, 1)
	shCheck(t, 11, "Squeeze", []*graph.Attr{attrInts("axes", -1)}, []Value{z}, New([]int{1, 3}, z.Data.([]float32)))
	shCheck(t, 13, "Squeeze", nil, []Value{z}, New([]int{3}, z.Data.([]float32)))
	shCheck(t, 13, "Squeeze", nil, []Value{z, shI64s(0)}, New([]int{3, 1}, z.Data.([]float32)))
	shCheck(t, 13, "Squeeze", nil, []Value{z, shI64s()}, z)
	shCheck(t, 11, "Squeeze", []*graph.Attr{attrInts("axes")}, []Value{z}, z)
	shCheck(t, 11, "Squeeze", nil, []Value{z}, New([]int{3}, z.Data.([]float32)))
	shErr(t, 13, "Squeeze", nil, []Value{z, shI64s(1)}, 1, "cannot squeeze axis 1")
	shErr(t, 13, "Squeeze", nil, []Value{z, shI64s(3)}, 1, "axis 3 is out of range")

	shCheck(t, 11, "Unsqueeze", []*graph.Attr{attrInts("axes", -1, 0)}, []Value{x}, New([]int{1, 2, 3, 1}, x.Data.([]float32)))
	out = shCheck(t, 13, "Unsqueeze", nil, []Value{x, shI64s(1)}, New([]int{2, 1, 3}, x.Data.([]float32)))
	if !shSameData(out[0].(*Tensor), x) {
		t.Error("Unsqueeze copied its input")
	}
	shCheck(t, 13, "Unsqueeze", nil, []Value{Scalar(float32(5)), shI64s(0)}, New([]int{1}, []float32{5}))
	shErr(t, 13, "Unsqueeze", nil, []Value{x, shI64s(1, -3)}, 1, "repeat axis")
	shErr(t, 13, "Unsqueeze", nil, []Value{x, shI64s(4)}, 1, "out of range")
	shErr(t, 13, "Unsqueeze", nil, []Value{x}, 1, "axes) is missing")

	out = shCheck(t, 16, "Identity", nil, []Value{x}, x)
	if out[0] != Value(x) {
		t.Error("Identity copied its input")
	}
	seq := &Sequence{Elem: x.DType, Items: []*Tensor{x}}
	got, err := runNode(16, "Identity", nil, []Value{seq}, 1)
	if err != nil || got[0] != Value(seq) {
		t.Errorf("Identity of a sequence: %v, %v", got, err)
	}
}

// TestMovementRegistrations checks that every data-movement op is
// registered without gaps from its first ONNX version onwards.
func TestMovementRegistrations(t *testing.T) {
	first := map[string]int64{
		"Reshape": 1, "Flatten": 1, "Squeeze": 1, "Unsqueeze": 1, "Transpose": 1, "Concat": 1, "Split": 1,
		"Slice": 1, "Gather": 1, "GatherElements": 11, "GatherND": 11, "Scatter": 9, "ScatterElements": 11,
		"ScatterND": 11, "Pad": 1, "Tile": 1, "Expand": 8, "Shape": 1, "Size": 1, "Constant": 1,
		"ConstantOfShape": 9, "Range": 11, "OneHot": 9, "NonZero": 9, "Identity": 1, "Unique": 11,
		"Compress": 9, "ReverseSequence": 10, "Trilu": 14, "EyeLike": 9, "TensorScatter": 24, "BitCast": 26,
	}
	for op, v0 := range first {
		if _, _, ok := Lookup("", op, v0-1); ok && v0 > 1 {
			t.Errorf("%s is registered before its first version %d", op, v0)
		}
		for v := v0; v <= 28; v++ {
			if _, _, ok := Lookup("", op, v); !ok {
				t.Errorf("%s is not registered at opset %d", op, v)
			}
		}
	}
}
