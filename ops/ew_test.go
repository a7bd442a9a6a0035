package ops

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/x448/float16"
)

// runOne runs a one-node model of op at opset with the given attributes on
// inputs (nil for an omitted optional input) and returns its outputs.
func runOne(op string, opset int64, attrs []*graph.Attr, nout int, inputs ...*Tensor) ([]*Tensor, error) {
	outs, err := runNode(opset, op, attrs, values(inputs), nout)
	if err != nil {
		return nil, err
	}
	res := make([]*Tensor, len(outs))
	for i, o := range outs {
		res[i] = o.(*Tensor)
	}
	return res, nil
}

func f32(shape []int, v ...float32) *Tensor { return New(shape, v) }
func i64(shape []int, v ...int64) *Tensor   { return New(shape, v) }

// sameTensor compares exactly for non-floats and within 1e-6 relative for
// floats (NaN equal to NaN).
func sameTensor(got, want *Tensor) error {
	if got.DType != want.DType || !reflect.DeepEqual(append([]int{}, got.Shape...), append([]int{}, want.Shape...)) {
		return fmt.Errorf("got %s, want %s", got, want)
	}
	gf, err1 := ToFloat64s(got)
	wf, err2 := ToFloat64s(want)
	if err1 == nil && err2 == nil && got.DType.IsFloat() {
		for i := range wf {
			a, b := gf[i], wf[i]
			if math.IsNaN(a) && math.IsNaN(b) {
				continue
			}
			if a != b && math.Abs(a-b) > 1e-6*math.Max(1, math.Abs(b)) {
				return fmt.Errorf("element %d = %v, want %v (got %v)", i, a, b, gf)
			}
		}
		return nil
	}
	if !reflect.DeepEqual(got.Data, want.Data) {
		return fmt.Errorf("got %v, want %v", got.Data, want.Data)
	}
	return nil
}

type opCase struct {
	name  string
	op    string
	opset int64
	attrs []*graph.Attr
	in    []*Tensor
	want  *Tensor
	err   string // substring of the expected error
}

func runCases(t *testing.T, cases []opCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outs, err := runOne(c.op, c.opset, c.attrs, 1, c.in...)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := sameTensor(outs[0], c.want); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBinaryOps(t *testing.T) {
	runCases(t, []opCase{
		{"add_bcast", "Add", 14, nil, []*Tensor{f32([]int{2, 3}, 1, 2, 3, 4, 5, 6), f32([]int{3}, 10, 20, 30)}, f32([]int{2, 3}, 11, 22, 33, 14, 25, 36), ""},
		{"add_col", "Add", 14, nil, []*Tensor{f32([]int{2, 1}, 1, 2), f32([]int{1, 3}, 10, 20, 30)}, f32([]int{2, 3}, 11, 21, 31, 12, 22, 32), ""},
		{"sub_scalar_left", "Sub", 14, nil, []*Tensor{f32(nil, 10), f32([]int{2}, 1, 2)}, f32([]int{2}, 9, 8), ""},
		{"add_legacy_axis", "Add", 6, []*graph.Attr{attrInt("broadcast", 1), attrInt("axis", 0)},
			[]*Tensor{f32([]int{2, 2}, 1, 2, 3, 4), f32([]int{2}, 10, 20)}, f32([]int{2, 2}, 11, 12, 23, 24), ""},
		{"add_legacy_noflag", "Add", 6, nil, []*Tensor{f32([]int{2, 2}, 1, 2, 3, 4), f32([]int{2}, 10, 20)}, nil, "broadcast is 0"},
		{"add_mismatch", "Add", 14, nil, []*Tensor{f32([]int{2}, 1, 2), f32([]int{3}, 1, 2, 3)}, nil, "does not broadcast"},
		{"div_int_trunc", "Div", 14, nil, []*Tensor{i64([]int{4}, 7, -7, 7, -7), i64([]int{4}, 2, 2, -2, -2)}, i64([]int{4}, 3, -3, -3, 3), ""},
		{"div_int_zero", "Div", 14, nil, []*Tensor{i64([]int{1}, 1), i64([]int{1}, 0)}, nil, "division by zero"},
		{"mod_int", "Mod", 13, nil, []*Tensor{i64([]int{4}, 7, -7, 7, -7), i64([]int{4}, 3, 3, -3, -3)}, i64([]int{4}, 1, 2, -2, -1), ""},
		{"mod_fmod", "Mod", 13, []*graph.Attr{attrInt("fmod", 1)}, []*Tensor{f32([]int{2}, 5.5, -5.5), f32([]int{2}, 2, 2)}, f32([]int{2}, 1.5, -1.5), ""},
		{"pow_mixed", "Pow", 15, nil, []*Tensor{f32([]int{3}, 1, 2, 3), i64([]int{3}, 2, 3, 0)}, f32([]int{3}, 1, 8, 1), ""},
		{"pow_int", "Pow", 15, nil, []*Tensor{i64([]int{2}, 3, -2), i64([]int{2}, 3, 3)}, i64([]int{2}, 27, -8), ""},
		{"bitshift", "BitShift", 11, []*graph.Attr{attrStr("direction", "LEFT")}, []*Tensor{New([]int{2}, []uint8{1, 2}), New([]int{2}, []uint8{1, 2})}, New([]int{2}, []uint8{2, 8}), ""},
		{"equal_str", "Equal", 19, nil, []*Tensor{New([]int{2}, []string{"a", "b"}), New([]int{2}, []string{"a", "c"})}, New([]int{2}, []bool{true, false}), ""},
		{"where", "Where", 16, nil, []*Tensor{New([]int{2, 1}, []bool{true, false}), f32([]int{2}, 1, 2), f32(nil, 9)}, f32([]int{2, 2}, 1, 2, 9, 9), ""},
		{"max_nan", "Max", 13, nil, []*Tensor{f32([]int{2}, 1, float32(math.NaN())), f32([]int{2}, 3, 0), f32([]int{1}, 2)}, f32([]int{2}, 3, float32(math.NaN())), ""},
		{"mean", "Mean", 13, nil, []*Tensor{f32([]int{2}, 1, 2), f32([]int{2}, 3, 6)}, f32([]int{2}, 2, 4), ""},
		{"prelu", "PRelu", 16, nil, []*Tensor{f32([]int{2, 2}, -1, 2, -3, 4), f32([]int{2}, 0.5, 0.25)}, f32([]int{2, 2}, -0.5, 2, -1.5, 4), ""},
		{"add_f16", "Add", 14, nil, []*Tensor{New([]int{1}, []float16.Float16{float16.Fromfloat32(1.5)}), New([]int{1}, []float16.Float16{float16.Fromfloat32(2)})},
			New([]int{1}, []float16.Float16{float16.Fromfloat32(3.5)}), ""},
	})
}

func TestUnaryAndActivations(t *testing.T) {
	nan := float32(math.NaN())
	runCases(t, []opCase{
		{"round", "Round", 11, nil, []*Tensor{f32([]int{5}, 0.9, 2.5, 2.3, 1.5, -4.5)}, f32([]int{5}, 1, 2, 2, 2, -4), ""},
		{"abs_int", "Abs", 13, nil, []*Tensor{i64([]int{2}, -3, 4)}, i64([]int{2}, 3, 4), ""},
		{"sign", "Sign", 13, nil, []*Tensor{f32([]int{3}, -2, 0, 5)}, f32([]int{3}, -1, 0, 1), ""},
		{"isnan", "IsNaN", 13, nil, []*Tensor{f32([]int{2}, nan, 1)}, New([]int{2}, []bool{true, false}), ""},
		{"isinf_neg", "IsInf", 10, []*graph.Attr{attrInt("detect_positive", 0)}, []*Tensor{f32([]int{3}, float32(math.Inf(1)), float32(math.Inf(-1)), 1)}, New([]int{3}, []bool{false, true, false}), ""},
		{"leakyrelu", "LeakyRelu", 16, []*graph.Attr{attrFloat("alpha", 0.1)}, []*Tensor{f32([]int{2}, -1, 1)}, f32([]int{2}, -0.1, 1), ""},
		{"clip_attr", "Clip", 6, []*graph.Attr{attrFloat("min", -1), attrFloat("max", 1)}, []*Tensor{f32([]int{3}, -2, 0, 2)}, f32([]int{3}, -1, 0, 1), ""},
		{"clip_inputs", "Clip", 13, nil, []*Tensor{f32([]int{3}, -2, 0, 2), nil, f32(nil, 1)}, f32([]int{3}, -2, 0, 1), ""},
		{"clip_int", "Clip", 13, nil, []*Tensor{i64([]int{3}, -2, 0, 2), i64(nil, -1), i64(nil, 1)}, i64([]int{3}, -1, 0, 1), ""},
		{"shrink", "Shrink", 9, []*graph.Attr{attrFloat("lambd", 1.5), attrFloat("bias", 1.5)}, []*Tensor{f32([]int{5}, -2, -1, 0, 1, 2)}, f32([]int{5}, -0.5, 0, 0, 0, 0.5), ""},
		{"thresholded", "ThresholdedRelu", 10, []*graph.Attr{attrFloat("alpha", 2)}, []*Tensor{f32([]int{3}, 1, 2, 3)}, f32([]int{3}, 0, 0, 3), ""},
		{"hardsigmoid", "HardSigmoid", 6, nil, []*Tensor{f32([]int{3}, -5, 0, 5)}, f32([]int{3}, 0, 0.5, 1), ""},
		{"not", "Not", 1, nil, []*Tensor{New([]int{2}, []bool{true, false})}, New([]int{2}, []bool{false, true}), ""},
		{"bitwise_and", "BitwiseAnd", 18, nil, []*Tensor{New([]int{2}, []int32{12, -1}), New([]int{2}, []int32{10, 5})}, New([]int{2}, []int32{8, 5}), ""},
		{"bitwise_xor", "BitwiseXor", 18, nil, []*Tensor{New([]int{2}, []uint8{12, 255}), New([]int{1}, []uint8{10})}, New([]int{2}, []uint8{6, 245}), ""},
		{"bitwise_not", "BitwiseNot", 18, nil, []*Tensor{New([]int{2}, []int8{0, 5})}, New([]int{2}, []int8{-1, -6}), ""},
		{"gelu", "Gelu", 20, nil, []*Tensor{f32([]int{3}, -1, 0, 1)}, f32([]int{3}, -0.15865526, 0, 0.8413447), ""},
		{"gelu_tanh", "Gelu", 20, []*graph.Attr{attrStr("approximate", "tanh")}, []*Tensor{f32([]int{2}, -1, 1)}, f32([]int{2}, -0.15880801, 0.841192), ""},
		{"mish", "Mish", 18, nil, []*Tensor{f32([]int{2}, -1, 1)}, f32([]int{2}, -0.30340144, 0.86509836), ""},
		{"add_empty", "Add", 14, nil, []*Tensor{f32([]int{0, 3}), f32([]int{3}, 1, 2, 3)}, f32([]int{0, 3}), ""},
		{"where_f16", "Where", 16, nil, []*Tensor{New([]int{2}, []bool{true, false}), New([]int{2}, []float16.Float16{float16.Fromfloat32(1), float16.Fromfloat32(2)}),
			New([]int{1}, []float16.Float16{float16.Fromfloat32(-1)})}, New([]int{2}, []float16.Float16{float16.Fromfloat32(1), float16.Fromfloat32(-1)}), ""},
		{"relu_int", "Relu", 14, nil, []*Tensor{New([]int{2}, []int32{-1, 3})}, New([]int{2}, []int32{0, 3}), ""},
	})
}

func TestSoftmaxAndReduce(t *testing.T) {
	e1 := float32(1 / (1 + math.Exp(1)))
	e2 := float32(1 / (1 + math.Exp(-1)))
	runCases(t, []opCase{
		{"softmax13", "Softmax", 13, nil, []*Tensor{f32([]int{2, 2}, 0, 1, 1000, 1001)}, f32([]int{2, 2}, e1, e2, e1, e2), ""},
		{"softmax_axis0", "Softmax", 13, []*graph.Attr{attrInt("axis", 0)}, []*Tensor{f32([]int{2, 1}, 0, 1)}, f32([]int{2, 1}, e1, e2), ""},
		{"softmax1_coerce", "Softmax", 11, nil, []*Tensor{f32([]int{1, 2, 1}, 0, 1)}, f32([]int{1, 2, 1}, e1, e2), ""},
		{"softmax1_axis_rank", "Softmax", 1, []*graph.Attr{attrInt("axis", 1)}, []*Tensor{f32([]int{2}, 3, 4)}, f32([]int{2}, 1, 1), ""},
		{"logsoftmax", "LogSoftmax", 13, nil, []*Tensor{f32([]int{2}, 0, 0)}, f32([]int{2}, float32(-math.Ln2), float32(-math.Ln2)), ""},
		{"hardmax", "Hardmax", 13, nil, []*Tensor{f32([]int{2, 3}, 1, 3, 3, 0, -1, -2)}, f32([]int{2, 3}, 0, 1, 0, 1, 0, 0), ""},
		{"reducesum13", "ReduceSum", 13, []*graph.Attr{attrInt("keepdims", 0)}, []*Tensor{f32([]int{2, 2}, 1, 2, 3, 4), i64([]int{1}, 1)}, f32([]int{2}, 3, 7), ""},
		{"reducesum_noop", "ReduceSum", 13, []*graph.Attr{attrInt("noop_with_empty_axes", 1)}, []*Tensor{f32([]int{2}, 1, 2), i64([]int{0})}, f32([]int{2}, 1, 2), ""},
		// Reducing over no axes: composite reductions keep their element-wise step.
		{"reducesumsquare_noop", "ReduceSumSquare", 18, []*graph.Attr{attrInt("noop_with_empty_axes", 1)}, []*Tensor{f32([]int{2}, -3, 2)}, f32([]int{2}, 9, 4), ""},
		{"reducel1_noop", "ReduceL1", 18, []*graph.Attr{attrInt("noop_with_empty_axes", 1)}, []*Tensor{f32([]int{1, 2}, -3, 2), i64([]int{0})}, f32([]int{1, 2}, 3, 2), ""},
		{"reducel2_noop", "ReduceL2", 18, []*graph.Attr{attrInt("noop_with_empty_axes", 1)}, []*Tensor{f32([]int{2}, -3, 2)}, f32([]int{2}, 3, 2), ""},
		{"reducelogsum_noop", "ReduceLogSum", 18, []*graph.Attr{attrInt("noop_with_empty_axes", 1)}, []*Tensor{f32([]int{2}, 1, float32(math.E))}, f32([]int{2}, 0, 1), ""},
		{"reducemean_noop", "ReduceMean", 18, []*graph.Attr{attrInt("noop_with_empty_axes", 1)}, []*Tensor{f32([]int{2}, -3, 2)}, f32([]int{2}, -3, 2), ""},
		{"reducesum_all", "ReduceSum", 11, nil, []*Tensor{f32([]int{2, 2}, 1, 2, 3, 4)}, f32([]int{1, 1}, 10), ""},
		{"reducemean_axes", "ReduceMean", 13, []*graph.Attr{attrInts("axes", 0)}, []*Tensor{f32([]int{2, 2}, 1, 2, 3, 4)}, f32([]int{1, 2}, 2, 3), ""},
		{"reducemax_int", "ReduceMax", 18, []*graph.Attr{attrInt("keepdims", 0)}, []*Tensor{i64([]int{2, 2}, 1, 5, 3, 4), i64([]int{1}, -1)}, i64([]int{2}, 5, 4), ""},
		{"reducel2", "ReduceL2", 13, []*graph.Attr{attrInt("keepdims", 0)}, []*Tensor{f32([]int{2}, 3, 4)}, f32([]int{}, 5), ""},
		{"reducelse", "ReduceLogSumExp", 13, []*graph.Attr{attrInt("keepdims", 0)}, []*Tensor{f32([]int{2}, 1000, 1000)}, f32([]int{}, float32(1000+math.Ln2)), ""},
		{"reduce_dup_axes", "ReduceSum", 11, []*graph.Attr{attrInts("axes", 0, -2)}, []*Tensor{f32([]int{2, 2}, 1, 2, 3, 4)}, nil, "repeated"},
		{"argmax_last", "ArgMax", 12, []*graph.Attr{attrInt("axis", 1), attrInt("select_last_index", 1)}, []*Tensor{f32([]int{2, 2}, 2, 2, 3, -1)}, i64([]int{2, 1}, 1, 0), ""},
		{"argmin", "ArgMin", 13, []*graph.Attr{attrInt("keepdims", 0)}, []*Tensor{f32([]int{2, 2}, 2, 1, 3, -1)}, i64([]int{2}, 0, 1), ""},
		{"cumsum_excl_rev", "CumSum", 14, []*graph.Attr{attrInt("exclusive", 1), attrInt("reverse", 1)}, []*Tensor{f32([]int{3}, 1, 2, 3), i64(nil, 0)}, f32([]int{3}, 5, 3, 0), ""},
		{"reducemax_empty_axis", "ReduceMax", 18, []*graph.Attr{attrInt("keepdims", 0)}, []*Tensor{f32([]int{2, 0}), i64([]int{1}, 1)}, f32([]int{2}, float32(math.Inf(-1)), float32(math.Inf(-1))), ""},
		{"reducesum_empty_axis", "ReduceSum", 13, nil, []*Tensor{f32([]int{2, 0}), i64([]int{1}, 1)}, f32([]int{2, 1}, 0, 0), ""},
		{"reducemin_bool", "ReduceMin", 20, []*graph.Attr{attrInt("keepdims", 0)}, []*Tensor{New([]int{2, 2}, []bool{true, false, true, true}), i64([]int{1}, 1)}, New([]int{2}, []bool{false, true}), ""},
		{"reduceprod_int", "ReduceProd", 18, []*graph.Attr{attrInt("keepdims", 0)}, []*Tensor{New([]int{3}, []int32{2, 3, 4})}, New([]int{}, []int32{24}), ""},
		{"det", "Det", 11, nil, []*Tensor{f32([]int{2, 2, 2}, 1, 2, 3, 4, 0, 1, 1, 0)}, f32([]int{2}, -2, -1), ""},
	})
}

func TestMatMulGemmCast(t *testing.T) {
	runCases(t, []opCase{
		{"matmul_1d_2d", "MatMul", 13, nil, []*Tensor{f32([]int{2}, 1, 2), f32([]int{2, 2}, 1, 2, 3, 4)}, f32([]int{2}, 7, 10), ""},
		{"matmul_2d_1d", "MatMul", 13, nil, []*Tensor{f32([]int{2, 2}, 1, 2, 3, 4), f32([]int{2}, 1, 1)}, f32([]int{2}, 3, 7), ""},
		{"matmul_1d_1d", "MatMul", 13, nil, []*Tensor{f32([]int{2}, 1, 2), f32([]int{2}, 3, 4)}, f32([]int{}, 11), ""},
		{"matmul_batch_bcast", "MatMul", 13, nil, []*Tensor{f32([]int{2, 1, 2}, 1, 0, 0, 1), f32([]int{2, 2}, 1, 2, 3, 4)}, f32([]int{2, 1, 2}, 1, 2, 3, 4), ""},
		{"matmul_int", "MatMul", 13, nil, []*Tensor{i64([]int{1, 2}, 1, 2), i64([]int{2, 1}, 3, 4)}, i64([]int{1, 1}, 11), ""},
		{"matmul_bad", "MatMul", 13, nil, []*Tensor{f32([]int{1, 3}, 1, 2, 3), f32([]int{2, 1}, 3, 4)}, nil, "inner dims"},
		{"gemm", "Gemm", 13, []*graph.Attr{attrInt("transA", 1), attrFloat("alpha", 2), attrFloat("beta", 0.5)},
			[]*Tensor{f32([]int{2, 1}, 1, 2), f32([]int{2, 2}, 1, 2, 3, 4), f32([]int{2}, 10, 20)}, f32([]int{1, 2}, 19, 30), ""},
		{"gemm_noc", "Gemm", 13, []*graph.Attr{attrInt("transB", 1)}, []*Tensor{f32([]int{1, 2}, 1, 2), f32([]int{1, 2}, 3, 4)}, f32([]int{1, 1}, 11), ""},
		{"gemm_double", "Gemm", 13, nil, []*Tensor{New([]int{1, 1}, []float64{2}), New([]int{1, 1}, []float64{3}), New([]int{1}, []float64{1})}, New([]int{1, 1}, []float64{7}), ""},
		{"cast_f2i", "Cast", 13, []*graph.Attr{attrInt("to", int64(graph.Int32))}, []*Tensor{f32([]int{3}, 1.7, -1.7, 300)}, New([]int{3}, []int32{1, -1, 300}), ""},
		{"cast_i2i_wrap", "Cast", 13, []*graph.Attr{attrInt("to", int64(graph.Int8))}, []*Tensor{New([]int{1}, []int16{200})}, New([]int{1}, []int8{-56}), ""},
		{"cast_str2f", "Cast", 13, []*graph.Attr{attrInt("to", int64(graph.Float))}, []*Tensor{New([]int{4}, []string{"1e-5", "-INF", "nan", "+inf"})},
			f32([]int{4}, 1e-5, float32(math.Inf(-1)), float32(math.NaN()), float32(math.Inf(1))), ""},
		{"cast_f2str", "Cast", 13, []*graph.Attr{attrInt("to", int64(graph.String))}, []*Tensor{f32([]int{3}, 0.5, 314.15926, float32(math.Inf(-1)))},
			New([]int{3}, []string{"0.5", "314.15927", "-INF"}), ""},
		{"cast_legacy_string_to", "Cast", 1, []*graph.Attr{attrStr("to", "DOUBLE")}, []*Tensor{i64([]int{1}, 3)}, New([]int{1}, []float64{3}), ""},
		{"castlike", "CastLike", 19, nil, []*Tensor{f32([]int{2}, 1.5, -2.5), New([]int{1}, []int64{0})}, i64([]int{2}, 1, -2), ""},
		{"gemm_empty_k", "Gemm", 13, []*graph.Attr{attrFloat("beta", 2)}, []*Tensor{f32([]int{1, 0}), f32([]int{0, 2}), f32([]int{2}, 1, 2)}, f32([]int{1, 2}, 2, 4), ""},
		{"cast_f8", "Cast", 19, []*graph.Attr{attrInt("to", int64(graph.Float8E4M3FN))}, []*Tensor{f32([]int{1}, 1)}, nil, "not supported"},
	})
}

// TestConcurrentRuns runs one compiled MatMul→Add→Softmax→ReduceSum plan
// from several goroutines at once; every run must give the same result.
func TestConcurrentRuns(t *testing.T) {
	g := &graph.Graph{
		Name:    "g",
		Inputs:  []*graph.ValueInfo{{Name: "a"}, {Name: "b"}, {Name: "c"}},
		Outputs: []*graph.ValueInfo{{Name: "y"}},
		Nodes: []*graph.Node{
			{Name: "mm", OpType: "MatMul", Inputs: []string{"a", "b"}, Outputs: []string{"t1"}},
			{Name: "add", OpType: "Add", Inputs: []string{"t1", "c"}, Outputs: []string{"t2"}},
			{Name: "sm", OpType: "Softmax", Inputs: []string{"t2"}, Outputs: []string{"t3"}},
			{Name: "rs", OpType: "ReduceSum", Inputs: []string{"t3"}, Outputs: []string{"y"}, Attrs: []*graph.Attr{attrInt("keepdims", 0)}},
		},
	}
	p, err := Compile(&graph.Model{Opsets: map[string]int64{"": 13}, Graph: g}, &Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := randTensor(3, 70, 65), randTensor(65, 66), randTensor(66)
	done := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			out, err := p.Run(context.Background(), []Value{a, b, c})
			if err != nil {
				done <- err
				return
			}
			y := out[0].(*Tensor).Data.([]float32)[0]
			if math.Abs(float64(y)-210) > 1e-3 { // 3*70 rows, each summing to 1
				done <- fmt.Errorf("sum %v, want 210", y)
				return
			}
			done <- nil
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestConcurrentLegacyBroadcast runs a pre-opset-7 broadcasting Add from
// several goroutines (run with -race).
func TestConcurrentLegacyBroadcast(t *testing.T) {
	g := &graph.Graph{
		Name:    "g",
		Inputs:  []*graph.ValueInfo{{Name: "a"}, {Name: "b"}},
		Outputs: []*graph.ValueInfo{{Name: "y"}},
		Nodes: []*graph.Node{{Name: "add", OpType: "Add", Inputs: []string{"a", "b"}, Outputs: []string{"y"},
			Attrs: []*graph.Attr{attrInt("broadcast", 1), attrInt("axis", 1)}}},
	}
	p, err := Compile(&graph.Model{Opsets: map[string]int64{"": 6}, Graph: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := f32([]int{2, 3, 2}, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1), f32([]int{3}, 10, 20, 30)
	want := f32([]int{2, 3, 2}, 10, 10, 20, 20, 30, 30, 11, 11, 21, 21, 31, 31)
	done := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			out, err := p.Run(context.Background(), []Value{a, b})
			if err == nil {
				err = sameTensor(out[0].(*Tensor), want)
			}
			done <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
