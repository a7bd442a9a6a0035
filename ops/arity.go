package ops

// arity bounds the number of inputs of standard-domain ops whose kernels
// read a fixed set of inputs: without the check, a node that gives such an
// op an extra input would run with that input silently ignored. Ops not
// listed are checked by their own factories. Trailing omitted inputs ("")
// do not count.
var arity = map[string][2]int{}

func init() {
	for _, op := range []string{"Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceil", "Cos",
		"Cosh", "Erf", "Exp", "Floor", "IsNaN", "IsInf", "Log", "Neg", "Not", "Reciprocal", "Relu", "Round",
		"Sigmoid", "Sign", "Sin", "Sinh", "Softplus", "Softsign", "Sqrt", "Tan", "Tanh", "Elu", "Selu",
		"Celu", "LeakyRelu", "HardSigmoid", "HardSwish", "ThresholdedRelu", "Shrink", "Mish", "Gelu",
		"BitwiseNot", "Softmax", "LogSoftmax", "Hardmax"} {
		arity[op] = [2]int{1, 1}
	}
	for _, op := range []string{"Add", "Sub", "Mul", "Div", "Pow", "Mod", "And", "Or", "Xor", "Equal",
		"Greater", "Less", "GreaterOrEqual", "LessOrEqual", "BitShift", "BitwiseAnd", "BitwiseOr",
		"BitwiseXor", "PRelu", "MatMul"} {
		arity[op] = [2]int{2, 2}
	}
	arity["Where"] = [2]int{3, 3}
	arity["Gemm"] = [2]int{2, 3}
}

// checkArity returns an error when a standard-domain node gives its op
// fewer or more inputs than the op takes at the model's opset.
func checkArity(b *Build) error {
	n := b.Node
	if n.Domain != "" {
		return nil
	}
	lo, hi := 0, -1
	if r, ok := arity[n.OpType]; ok {
		lo, hi = r[0], r[1]
	} else if n.OpType == "Clip" {
		// Clip-1 and Clip-6 take min and max as attributes, Clip-11 on as inputs.
		lo, hi = 1, 1
		if b.Opset >= 11 {
			hi = 3
		}
	} else {
		return nil
	}
	count := len(n.Inputs)
	for count > 0 && n.Inputs[count-1] == "" {
		count--
	}
	if count < lo || count > hi {
		if lo == hi {
			return b.Errorf("takes %d input(s), the node gives %d", lo, count)
		}
		return b.Errorf("takes %d to %d inputs, the node gives %d", lo, hi, count)
	}
	return nil
}
