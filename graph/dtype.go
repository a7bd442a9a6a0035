package graph

import "fmt"

// DType is an ONNX tensor element type (TensorProto.DataType). The numeric
// codes are those of onnx.proto, so a DType read from a file is stored as is.
type DType int32

// Element types, with the codes of onnx.proto (IR version 10).
const (
	Undefined      DType = 0
	Float          DType = 1
	Uint8          DType = 2
	Int8           DType = 3
	Uint16         DType = 4
	Int16          DType = 5
	Int32          DType = 6
	Int64          DType = 7
	String         DType = 8
	Bool           DType = 9
	Float16        DType = 10
	Double         DType = 11
	Uint32         DType = 12
	Uint64         DType = 13
	Complex64      DType = 14
	Complex128     DType = 15
	BFloat16       DType = 16
	Float8E4M3FN   DType = 17
	Float8E4M3FNUZ DType = 18
	Float8E5M2     DType = 19
	Float8E5M2FNUZ DType = 20
	Uint4          DType = 21
	Int4           DType = 22
)

var dtypeNames = map[DType]string{
	Undefined: "undefined", Float: "float32", Uint8: "uint8", Int8: "int8", Uint16: "uint16",
	Int16: "int16", Int32: "int32", Int64: "int64", String: "string", Bool: "bool",
	Float16: "float16", Double: "float64", Uint32: "uint32", Uint64: "uint64",
	Complex64: "complex64", Complex128: "complex128", BFloat16: "bfloat16",
	Float8E4M3FN: "float8e4m3fn", Float8E4M3FNUZ: "float8e4m3fnuz", Float8E5M2: "float8e5m2",
	Float8E5M2FNUZ: "float8e5m2fnuz", Uint4: "uint4", Int4: "int4",
}

// String returns the numpy-style name of the type ("float32", "int64", "bool", ...).
func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("dtype(%d)", int32(d))
}

// ParseDType maps a name as printed by String back to its DType.
func ParseDType(name string) (DType, bool) {
	for d, s := range dtypeNames {
		if s == name {
			return d, true
		}
	}
	return Undefined, false
}

// Valid reports whether d is a known element type other than Undefined.
func (d DType) Valid() bool { return d > Undefined && d <= Int4 }

// Size is the number of bytes one element takes in raw (little-endian)
// storage. It is 0 for String and Undefined; for the 4-bit types it is 1
// although two elements share a byte (see RawLen).
func (d DType) Size() int {
	switch d {
	case Float, Int32, Uint32:
		return 4
	case Double, Int64, Uint64, Complex64:
		return 8
	case Complex128:
		return 16
	case Uint8, Int8, Bool, Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Uint4, Int4:
		return 1
	case Uint16, Int16, Float16, BFloat16:
		return 2
	}
	return 0
}

// RawLen is the number of bytes n elements of d take in raw_data.
func (d DType) RawLen(n int64) int64 {
	if d == Uint4 || d == Int4 {
		return (n + 1) / 2
	}
	return n * int64(d.Size())
}

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool {
	switch d {
	case Float, Double, Float16, BFloat16, Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ:
		return true
	}
	return false
}

// IsInt reports whether d is a signed or unsigned integer type.
func (d DType) IsInt() bool {
	switch d {
	case Uint8, Int8, Uint16, Int16, Int32, Int64, Uint32, Uint64, Uint4, Int4:
		return true
	}
	return false
}

// IsSigned reports whether d is a signed integer type.
func (d DType) IsSigned() bool {
	switch d {
	case Int8, Int16, Int32, Int64, Int4:
		return true
	}
	return false
}

// BFloat16Value is one bfloat16 number: the upper 16 bits of a float32.
type BFloat16Value uint16

// Float32 widens b exactly.
func (b BFloat16Value) Float32() float32 { return f32frombits(uint32(b) << 16) }

// BFloat16From rounds f to the nearest bfloat16 (ties to even; NaN stays NaN).
func BFloat16From(f float32) BFloat16Value {
	u := f32bits(f)
	if u&0x7fffffff > 0x7f800000 { // NaN
		return BFloat16Value(u>>16 | 0x40)
	}
	u += 0x7fff + (u>>16)&1
	return BFloat16Value(u >> 16)
}
