package ops

import "cmp"

// Comparisons with a bool result: Equal, Greater, Less, GreaterOrEqual,
// LessOrEqual (with the legacy broadcast attributes before opset 7).

func init() {
	for _, op := range []struct {
		name string
		code string
		vers []int64
	}{
		{"Equal", "==", []int64{1, 7, 11, 13, 19}},
		{"Greater", ">", []int64{1, 7, 9, 13}},
		{"Less", "<", []int64{1, 7, 9, 13}},
		{"GreaterOrEqual", ">=", []int64{12, 16}},
		{"LessOrEqual", "<=", []int64{12, 16}},
	} {
		fns := cmpFns{
			F32: compare[float32](op.code), F64: compare[float64](op.code),
			I8: compare[int8](op.code), I16: compare[int16](op.code), I32: compare[int32](op.code), I64: compare[int64](op.code),
			U8: compare[uint8](op.code), U16: compare[uint16](op.code), U32: compare[uint32](op.code), U64: compare[uint64](op.code),
		}
		if op.code == "==" {
			fns.Bool = func(x, y bool) bool { return x == y }
			fns.Str = func(x, y string) bool { return x == y }
		}
		registerRange(op.name, op.vers, func(b *Build) (Kernel, error) {
			return binaryKernel(b, func(x, y *Tensor, _ int) (*Tensor, error) { return applyCompare(x, y, fns) })
		})
	}
}

func compare[T cmp.Ordered](code string) func(x, y T) bool {
	switch code {
	case "==":
		return func(x, y T) bool { return x == y }
	case ">":
		return func(x, y T) bool { return x > y }
	case "<":
		return func(x, y T) bool { return x < y }
	case ">=":
		return func(x, y T) bool { return x >= y }
	case "<=":
		return func(x, y T) bool { return x <= y }
	}
	panic("ops: unknown comparison")
}
