package ops

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/x448/float16"
)

// Cast and CastLike between bool, the integer types, float16, bfloat16,
// float32, float64 and string. Float-to-integer conversion truncates toward
// zero; integer-to-integer keeps the low bits. Strings parse as decimal or
// scientific numbers and the case-insensitive literals "INF", "+INF", "-INF"
// and "NaN". float32 to bfloat16 truncates before opset 19 (as the opset-13
// conformance data expects) and rounds to nearest even from opset 19.
// Float8 and 4-bit targets are rejected.

func init() {
	registerRange("Cast", []int64{1, 6, 9, 13, 19, 21, 23, 24, 25}, newCast)
	registerRange("CastLike", []int64{15, 19, 21, 23, 24, 25}, newCastLike)
}

// legacyTypeNames maps the STRING form of Cast-1's "to" attribute.
var legacyTypeNames = map[string]graph.DType{
	"FLOAT": graph.Float, "UINT8": graph.Uint8, "INT8": graph.Int8, "UINT16": graph.Uint16, "INT16": graph.Int16,
	"INT32": graph.Int32, "INT64": graph.Int64, "STRING": graph.String, "BOOL": graph.Bool, "FLOAT16": graph.Float16,
	"DOUBLE": graph.Double, "UINT32": graph.Uint32, "UINT64": graph.Uint64, "COMPLEX64": graph.Complex64,
	"COMPLEX128": graph.Complex128, "BFLOAT16": graph.BFloat16,
}

func newCast(b *Build) (Kernel, error) {
	var to graph.DType
	a := b.Node.Attr("to")
	switch {
	case a == nil:
		return nil, b.Errorf("attribute \"to\" is required")
	case a.Type == graph.AttrString:
		dt, ok := legacyTypeNames[strings.ToUpper(string(a.S))]
		if !ok {
			return nil, b.Errorf("attribute \"to\" names unknown type %q", a.S)
		}
		to = dt
	default:
		v, err := b.Node.AttrInt("to", 0)
		if err != nil {
			return nil, err
		}
		to = graph.DType(v)
	}
	if err := castTarget(to); err != nil {
		return nil, b.Errorf("%v", err)
	}
	rne := b.Opset >= 19
	return elemKernel(1, func(in []*Tensor) (*Tensor, error) { return cast(in[0], to, rne) }), nil
}

func newCastLike(b *Build) (Kernel, error) {
	rne := b.Opset >= 19
	return elemKernel(2, func(in []*Tensor) (*Tensor, error) {
		if err := castTarget(in[1].DType); err != nil {
			return nil, err
		}
		return cast(in[0], in[1].DType, rne)
	}), nil
}

func castTarget(to graph.DType) error {
	switch to {
	case graph.Float, graph.Double, graph.Float16, graph.BFloat16, graph.Int8, graph.Int16, graph.Int32, graph.Int64,
		graph.Uint8, graph.Uint16, graph.Uint32, graph.Uint64, graph.Bool, graph.String:
		return nil
	}
	return fmt.Errorf("cast to %s is not supported", to)
}

// cast converts t to element type to. rne selects round-to-nearest-even for
// float32 to bfloat16 (truncation otherwise).
func cast(t *Tensor, to graph.DType, rne bool) (*Tensor, error) {
	shape := slices.Clone(t.Shape)
	if t.DType == to {
		return &Tensor{DType: to, Shape: shape, Data: t.Data}, nil
	}
	if err := castTarget(to); err != nil {
		return nil, err
	}
	// Direct paths that must not go through float64.
	if to == graph.BFloat16 && t.DType == graph.Float && !rne {
		v := t.Data.([]float32)
		return New(shape, mapSlice(v, func(x float32) graph.BFloat16Value {
			return graph.BFloat16Value(math.Float32bits(x) >> 16)
		})), nil
	}
	if to == graph.String {
		return New(shape, castToStrings(t)), nil
	}
	switch src := t.Data.(type) {
	case []string:
		return castFromStrings(src, to, shape)
	case []bool:
		return castFromInts(mapSlice(src, func(b bool) int64 {
			if b {
				return 1
			}
			return 0
		}), to, shape, rne)
	case []uint64:
		return castFromUint64s(src, to, shape, rne)
	case []float32, []float64, []float16.Float16, []graph.BFloat16Value:
		f, err := ToFloat64s(t)
		if err != nil {
			return nil, err
		}
		return castFromFloats(f, to, shape, rne)
	}
	if t.DType.IsInt() {
		iv, err := ToInt64s(t)
		if err != nil {
			return nil, err
		}
		return castFromInts(iv, to, shape, rne)
	}
	return nil, fmt.Errorf("cast from %s is not supported", t.DType)
}

func castFromFloats(f []float64, to graph.DType, shape []int, rne bool) (*Tensor, error) {
	switch to {
	case graph.Bool:
		return New(shape, mapSlice(f, func(x float64) bool { return x != 0 })), nil
	case graph.BFloat16:
		v := mapSlice(f, func(x float64) float32 { return float32(x) })
		if !rne {
			return New(shape, mapSlice(v, func(x float32) graph.BFloat16Value {
				return graph.BFloat16Value(math.Float32bits(x) >> 16)
			})), nil
		}
		return FromFloat32s(to, shape, v)
	}
	return fromFloat64s(to, shape, f)
}

func castFromInts(iv []int64, to graph.DType, shape []int, rne bool) (*Tensor, error) {
	switch to {
	case graph.Bool:
		return New(shape, mapSlice(iv, func(x int64) bool { return x != 0 })), nil
	case graph.Float:
		return New(shape, mapSlice(iv, func(x int64) float32 { return float32(x) })), nil
	case graph.Double:
		return New(shape, mapSlice(iv, func(x int64) float64 { return float64(x) })), nil
	case graph.Float16, graph.BFloat16:
		return FromFloat32s(to, shape, mapSlice(iv, func(x int64) float32 { return float32(x) }))
	}
	return fromInt64s(to, shape, iv)
}

func castFromUint64s(uv []uint64, to graph.DType, shape []int, rne bool) (*Tensor, error) {
	switch to {
	case graph.Float:
		return New(shape, mapSlice(uv, func(x uint64) float32 { return float32(x) })), nil
	case graph.Double:
		return New(shape, mapSlice(uv, func(x uint64) float64 { return float64(x) })), nil
	case graph.Float16, graph.BFloat16:
		return FromFloat32s(to, shape, mapSlice(uv, func(x uint64) float32 { return float32(x) }))
	}
	return castFromInts(mapSlice(uv, func(x uint64) int64 { return int64(x) }), to, shape, rne)
}

// parseNumber reads a string as Cast defines it.
func parseNumber(s string) (float64, error) {
	t := strings.TrimSpace(s)
	switch strings.ToUpper(t) {
	case "INF", "+INF", "INFINITY", "+INFINITY":
		return math.Inf(1), nil
	case "-INF", "-INFINITY":
		return math.Inf(-1), nil
	case "NAN", "+NAN", "-NAN":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(t, 64)
}

func castFromStrings(src []string, to graph.DType, shape []int) (*Tensor, error) {
	if to.IsInt() {
		iv := make([]int64, len(src))
		uv := make([]uint64, len(src))
		for i, s := range src {
			t := strings.TrimSpace(s)
			if v, err := strconv.ParseInt(t, 10, 64); err == nil {
				iv[i], uv[i] = v, uint64(v)
				continue
			}
			if v, err := strconv.ParseUint(t, 10, 64); err == nil {
				iv[i], uv[i] = int64(v), v
				continue
			}
			f, err := parseNumber(t)
			if err != nil {
				return nil, fmt.Errorf("element %d: cannot cast %q to %s", i, s, to)
			}
			iv[i], uv[i] = f64ToInt64(f), f64ToUint64(f)
		}
		if to == graph.Uint64 {
			return New(shape, uv), nil
		}
		return fromInt64s(to, shape, iv)
	}
	f := make([]float64, len(src))
	for i, s := range src {
		if to == graph.Bool {
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "true":
				f[i] = 1
				continue
			case "false":
				f[i] = 0
				continue
			}
		}
		v, err := parseNumber(s)
		if err != nil {
			return nil, fmt.Errorf("element %d: cannot cast %q to %s", i, s, to)
		}
		f[i] = v
	}
	if to == graph.Float {
		// Parse float32 directly to avoid double rounding.
		out := make([]float32, len(src))
		for i, s := range src {
			if v, err := strconv.ParseFloat(strings.TrimSpace(s), 32); err == nil {
				out[i] = float32(v)
			} else {
				out[i] = float32(f[i])
			}
		}
		return New(shape, out), nil
	}
	return castFromFloats(f, to, shape, true)
}

// castToStrings formats numbers in plain notation where that is short
// (shortest digits that read back to the same value) and in scientific
// notation for very large or small magnitudes; infinities and NaN use the
// literals Cast reads back.
func castToStrings(t *Tensor) []string {
	fmtFloat := func(x float64, bits int) string {
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "INF"
		case math.IsInf(x, -1):
			return "-INF"
		}
		if a := math.Abs(x); a != 0 && (a < 1e-4 || a >= 1e16) {
			return strconv.FormatFloat(x, 'e', -1, bits)
		}
		return strconv.FormatFloat(x, 'f', -1, bits)
	}
	switch d := t.Data.(type) {
	case []float32:
		return mapSlice(d, func(x float32) string { return fmtFloat(float64(x), 32) })
	case []float64:
		return mapSlice(d, func(x float64) string { return fmtFloat(x, 64) })
	case []float16.Float16, []graph.BFloat16Value:
		v, _ := ToFloat32s(t)
		return mapSlice(v, func(x float32) string { return fmtFloat(float64(x), 32) })
	case []bool:
		return mapSlice(d, func(x bool) string {
			if x {
				return "1"
			}
			return "0"
		})
	case []uint64:
		return mapSlice(d, func(x uint64) string { return strconv.FormatUint(x, 10) })
	}
	iv, _ := ToInt64s(t)
	return mapSlice(iv, func(x int64) string { return strconv.FormatInt(x, 10) })
}
