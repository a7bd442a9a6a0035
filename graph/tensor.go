package graph

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/x448/float16"
)

// Tensor is a decoded TensorProto: an initializer, a Constant's value, or a
// tensor read from a file. Numeric data is held as little-endian raw bytes,
// whichever field of the file it came from, and may alias the model file's
// memory; strings are held apart.
type Tensor struct {
	Name      string
	DType     DType
	Dims      []int64
	DocString string
	// Strings holds the elements of a String tensor.
	Strings [][]byte
	// Metadata is TensorProto.metadata_props (IR 10).
	Metadata []StringPair

	raw []byte
}

// NumElements is the product of Dims (1 for a scalar). It returns -1 when
// the product overflows int64 or a dim is negative.
func NumElements(dims []int64) int64 {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return -1
		}
		if d != 0 && n > math.MaxInt64/d {
			return -1
		}
		n *= d
	}
	return n
}

// NumElements is the number of elements of t.
func (t *Tensor) NumElements() int64 { return NumElements(t.Dims) }

// Raw returns the little-endian bytes of a numeric tensor. The slice may
// alias the model file's memory: do not modify it.
func (t *Tensor) Raw() []byte { return t.raw }

// NewRawTensor makes a tensor over raw little-endian bytes without copying
// them, checking that their length fits dims.
func NewRawTensor(name string, dt DType, dims []int64, raw []byte) (*Tensor, error) {
	n := NumElements(dims)
	if n < 0 {
		return nil, fmt.Errorf("graph: tensor %q: dims %v overflow or are negative", name, dims)
	}
	if dt == String || !dt.Valid() {
		return nil, fmt.Errorf("graph: tensor %q: no raw storage for element type %s", name, dt)
	}
	if want := dt.RawLen(n); int64(len(raw)) != want {
		return nil, fmt.Errorf("graph: tensor %q: %s%v needs %d bytes, have %d", name, dt, dims, want, len(raw))
	}
	return &Tensor{Name: name, DType: dt, Dims: dims, raw: raw}, nil
}

// NewTensor makes a tensor from a typed Go slice: []float32, []float64,
// []float16.Float16, []BFloat16Value, []int8, []int16, []int32, []int64,
// []uint8, []uint16, []uint32, []uint64, []bool, []string, []complex64 or
// []complex128. Its length must equal the product of dims. Numeric data is
// copied into raw little-endian storage.
func NewTensor(name string, dims []int64, data any) (*Tensor, error) {
	n := NumElements(dims)
	if n < 0 {
		return nil, fmt.Errorf("graph: tensor %q: dims %v overflow or are negative", name, dims)
	}
	t := &Tensor{Name: name, Dims: append([]int64(nil), dims...)}
	var length int
	put := func(dt DType, l int, size int, f func(b []byte)) {
		t.DType, length = dt, l
		t.raw = make([]byte, l*size)
		f(t.raw)
	}
	le := binary.LittleEndian
	switch v := data.(type) {
	case []float32:
		put(Float, len(v), 4, func(b []byte) {
			for i, x := range v {
				le.PutUint32(b[4*i:], math.Float32bits(x))
			}
		})
	case []float64:
		put(Double, len(v), 8, func(b []byte) {
			for i, x := range v {
				le.PutUint64(b[8*i:], math.Float64bits(x))
			}
		})
	case []float16.Float16:
		put(Float16, len(v), 2, func(b []byte) {
			for i, x := range v {
				le.PutUint16(b[2*i:], x.Bits())
			}
		})
	case []BFloat16Value:
		put(BFloat16, len(v), 2, func(b []byte) {
			for i, x := range v {
				le.PutUint16(b[2*i:], uint16(x))
			}
		})
	case []int8:
		put(Int8, len(v), 1, func(b []byte) {
			for i, x := range v {
				b[i] = byte(x)
			}
		})
	case []int16:
		put(Int16, len(v), 2, func(b []byte) {
			for i, x := range v {
				le.PutUint16(b[2*i:], uint16(x))
			}
		})
	case []int32:
		put(Int32, len(v), 4, func(b []byte) {
			for i, x := range v {
				le.PutUint32(b[4*i:], uint32(x))
			}
		})
	case []int64:
		put(Int64, len(v), 8, func(b []byte) {
			for i, x := range v {
				le.PutUint64(b[8*i:], uint64(x))
			}
		})
	case []uint8:
		put(Uint8, len(v), 1, func(b []byte) { copy(b, v) })
	case []uint16:
		put(Uint16, len(v), 2, func(b []byte) {
			for i, x := range v {
				le.PutUint16(b[2*i:], x)
			}
		})
	case []uint32:
		put(Uint32, len(v), 4, func(b []byte) {
			for i, x := range v {
				le.PutUint32(b[4*i:], x)
			}
		})
	case []uint64:
		put(Uint64, len(v), 8, func(b []byte) {
			for i, x := range v {
				le.PutUint64(b[8*i:], x)
			}
		})
	case []bool:
		put(Bool, len(v), 1, func(b []byte) {
			for i, x := range v {
				if x {
					b[i] = 1
				}
			}
		})
	case []complex64:
		put(Complex64, len(v), 8, func(b []byte) {
			for i, x := range v {
				le.PutUint32(b[8*i:], math.Float32bits(real(x)))
				le.PutUint32(b[8*i+4:], math.Float32bits(imag(x)))
			}
		})
	case []complex128:
		put(Complex128, len(v), 16, func(b []byte) {
			for i, x := range v {
				le.PutUint64(b[16*i:], math.Float64bits(real(x)))
				le.PutUint64(b[16*i+8:], math.Float64bits(imag(x)))
			}
		})
	case []string:
		t.DType, length = String, len(v)
		t.Strings = make([][]byte, len(v))
		for i, s := range v {
			t.Strings[i] = []byte(s)
		}
	default:
		return nil, fmt.Errorf("graph: tensor %q: unsupported Go data type %T", name, data)
	}
	if int64(length) != n {
		return nil, fmt.Errorf("graph: tensor %q: %d values for dims %v (%d elements)", name, length, dims, n)
	}
	return t, nil
}

// Data returns the tensor's elements as a typed Go slice (see NewTensor for
// the types; Float8 types come back as their raw []uint8 codes, Int4 and
// Uint4 unpacked to []int8 and []uint8). The slice shares memory with the
// tensor when the storage is suitably aligned (this machine is little-endian)
// and is a copy otherwise; callers must not modify it.
func (t *Tensor) Data() (any, error) {
	n := t.NumElements()
	if n < 0 {
		return nil, fmt.Errorf("graph: tensor %q: dims %v overflow or are negative", t.Name, t.Dims)
	}
	if t.DType == String {
		if int64(len(t.Strings)) != n {
			return nil, fmt.Errorf("graph: tensor %q: %d strings for dims %v", t.Name, len(t.Strings), t.Dims)
		}
		out := make([]string, n)
		for i, s := range t.Strings {
			out[i] = string(s)
		}
		return out, nil
	}
	if want := t.DType.RawLen(n); int64(len(t.raw)) != want {
		return nil, fmt.Errorf("graph: tensor %q: %s%v needs %d bytes, have %d", t.Name, t.DType, t.Dims, want, len(t.raw))
	}
	b := t.raw
	switch t.DType {
	case Float:
		return view[float32](b, n), nil
	case Double:
		return view[float64](b, n), nil
	case Float16:
		return view[float16.Float16](b, n), nil
	case BFloat16:
		return view[BFloat16Value](b, n), nil
	case Int8:
		return view[int8](b, n), nil
	case Int16:
		return view[int16](b, n), nil
	case Int32:
		return view[int32](b, n), nil
	case Int64:
		return view[int64](b, n), nil
	case Uint8, Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ:
		return b[:n:n], nil
	case Uint16:
		return view[uint16](b, n), nil
	case Uint32:
		return view[uint32](b, n), nil
	case Uint64:
		return view[uint64](b, n), nil
	case Complex64:
		return view[complex64](b, n), nil
	case Complex128:
		return view[complex128](b, n), nil
	case Bool:
		out := make([]bool, n)
		for i := range out {
			out[i] = b[i] != 0
		}
		return out, nil
	case Int4:
		out := make([]int8, n)
		for i := range out {
			v := b[i/2] >> (4 * uint(i%2)) & 0xf
			out[i] = int8(v<<4) >> 4
		}
		return out, nil
	case Uint4:
		out := make([]uint8, n)
		for i := range out {
			out[i] = b[i/2] >> (4 * uint(i%2)) & 0xf
		}
		return out, nil
	}
	return nil, fmt.Errorf("graph: tensor %q: unsupported element type %s", t.Name, t.DType)
}

// view reinterprets b as n elements of T, without copying when b is aligned
// for T, and with a copy otherwise.
func view[T any](b []byte, n int64) []T {
	var zero T
	size := int64(unsafe.Sizeof(zero))
	if n == 0 {
		return []T{}
	}
	if uintptr(unsafe.Pointer(&b[0]))%unsafe.Alignof(zero) == 0 {
		return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
	}
	out := make([]T, n)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), n*size), b)
	return out
}
