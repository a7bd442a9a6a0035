package ops

import (
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/x448/float16"
)

// ewOps lists the element-wise, reduction, softmax and linear-algebra ops
// with the number of inputs to try.
var ewOps = map[string]int{
	"Abs": 1, "Acos": 1, "Acosh": 1, "Add": 2, "And": 2, "ArgMax": 1, "ArgMin": 1, "Asin": 1, "Asinh": 1,
	"Atan": 1, "Atanh": 1, "BitShift": 2, "BitwiseAnd": 2, "BitwiseOr": 2, "BitwiseXor": 2, "BitwiseNot": 1,
	"Cast": 1, "CastLike": 2, "Ceil": 1, "Celu": 1, "Clip": 3, "Cos": 1, "Cosh": 1, "CumSum": 2, "Det": 1,
	"Div": 2, "Elu": 1, "Equal": 2, "Erf": 1, "Exp": 1, "Floor": 1, "Gelu": 1, "Greater": 2,
	"GreaterOrEqual": 2, "HardSigmoid": 1, "HardSwish": 1, "Hardmax": 1, "IsInf": 1, "IsNaN": 1,
	"LeakyRelu": 1, "Less": 2, "LessOrEqual": 2, "Log": 1, "LogSoftmax": 1, "MatMul": 2, "Gemm": 3,
	"Max": 3, "Mean": 3, "Min": 3, "Mish": 1, "Mod": 2, "Mul": 2, "Neg": 1, "Not": 1, "Or": 2, "PRelu": 2,
	"Pow": 2, "Reciprocal": 1, "ReduceL1": 2, "ReduceL2": 2, "ReduceLogSum": 2, "ReduceLogSumExp": 2,
	"ReduceMax": 2, "ReduceMean": 2, "ReduceMin": 2, "ReduceProd": 2, "ReduceSum": 2, "ReduceSumSquare": 2,
	"Relu": 1, "Round": 1, "Selu": 1, "Shrink": 1, "Sigmoid": 1, "Sign": 1, "Sin": 1, "Sinh": 1,
	"Softmax": 1, "Softplus": 1, "Softsign": 1, "Sqrt": 1, "Sub": 2, "Sum": 3, "Tan": 1, "Tanh": 1,
	"ThresholdedRelu": 1, "Where": 3, "Xor": 2,
}

// TestEwOpsRejectBadInputs feeds every op odd combinations of types and
// shapes: each must give a result or an error, never a panic.
func TestEwOpsRejectBadInputs(t *testing.T) {
	pool := []*Tensor{
		f32([]int{2, 3}, 1, -2, 3, 0, 5, -6),
		i64([]int{3}, 0, 1, -1),
		New([]int{2, 3}, []bool{true, false, true, true, false, false}),
		New([]int{1}, []string{"1.5"}),
		f32(nil, 2),
		New([]int{2, 3}, make([]float16.Float16, 6)),
		New([]int{2, 3}, []uint8{1, 2, 3, 4, 5, 6}),
		New([]int{0, 2}, []float64{}),
		f32([]int{3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 10),
	}
	attrs := map[string][]*graph.Attr{
		"Cast":     {attrInt("to", int64(graph.Float))},
		"BitShift": {attrStr("direction", "LEFT")},
	}
	for op, arity := range ewOps {
		for _, opset := range []int64{6, 11, 13, 18, 21} {
			if _, _, ok := Lookup("", op, opset); !ok {
				continue
			}
			var combos [][]*Tensor
			var gen func(prefix []*Tensor)
			gen = func(prefix []*Tensor) {
				if len(prefix) == arity {
					combos = append(combos, append([]*Tensor{}, prefix...))
					return
				}
				for _, p := range pool {
					gen(append(prefix, p))
				}
			}
			if arity == 3 {
				// Keep the three-input combinations small: vary two inputs.
				for _, a := range pool {
					for _, b := range pool {
						combos = append(combos, []*Tensor{a, b, pool[4]}, []*Tensor{pool[0], a, b})
					}
				}
			} else {
				gen(nil)
			}
			for _, in := range combos {
				_, err := runOne(op, opset, attrs[op], 1, in...)
				if err != nil && (strings.Contains(err.Error(), "internal error") || strings.Contains(err.Error(), "panic")) {
					t.Errorf("%s-%d on %v: %v", op, opset, in, err)
				}
			}
		}
	}
}
