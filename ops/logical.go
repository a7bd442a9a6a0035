package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
)

// Logical ops on bool tensors (And, Or, Xor, Not), BitwiseNot and Where.

func init() {
	for _, op := range []struct {
		name string
		f    func(x, y bool) bool
	}{
		{"And", func(x, y bool) bool { return x && y }},
		{"Or", func(x, y bool) bool { return x || y }},
		{"Xor", func(x, y bool) bool { return x != y }},
	} {
		fns := binFns{Bool: op.f}
		registerRange(op.name, []int64{1, 7}, func(b *Build) (Kernel, error) {
			return binaryKernel(b, func(x, y *Tensor, _ int) (*Tensor, error) { return applyBinary(x, y, fns) })
		})
	}
	registerRange("Not", []int64{1}, func(b *Build) (Kernel, error) {
		fns := unFns{Bool: func(x bool) bool { return !x }}
		return unaryKernel(fns), nil
	})
	registerRange("BitwiseNot", []int64{18}, func(b *Build) (Kernel, error) {
		fns := unFns{}.withSigned(bnot[int8], bnot[int16], bnot[int32], bnot[int64]).
			withUnsigned(bnot[uint8], bnot[uint16], bnot[uint32], bnot[uint64])
		return unaryKernel(fns), nil
	})
	registerRange("Where", []int64{9, 16}, func(b *Build) (Kernel, error) {
		return elemKernel(3, func(in []*Tensor) (*Tensor, error) { return where(in[0], in[1], in[2]) }), nil
	})
}

func bnot[T integer](x T) T { return ^x }

// where selects x where cond holds and y elsewhere, broadcasting all three.
func where(cond, x, y *Tensor) (*Tensor, error) {
	c, ok := cond.Data.([]bool)
	if !ok {
		return nil, fmt.Errorf("input 0 (condition) is %s, want bool", cond)
	}
	if x.DType != y.DType {
		return nil, fmt.Errorf("inputs 1 and 2 differ in type: %s and %s", x, y)
	}
	out, err := BroadcastShapes(cond.Shape, x.Shape, y.Shape)
	if err != nil {
		return nil, fmt.Errorf("input shapes %v, %v and %v do not broadcast", cond.Shape, x.Shape, y.Shape)
	}
	switch xs := x.Data.(type) {
	case []float32:
		return whereT(c, cond, xs, x, y, out)
	case []float64:
		return whereT(c, cond, xs, x, y, out)
	case []int8:
		return whereT(c, cond, xs, x, y, out)
	case []int16:
		return whereT(c, cond, xs, x, y, out)
	case []int32:
		return whereT(c, cond, xs, x, y, out)
	case []int64:
		return whereT(c, cond, xs, x, y, out)
	case []uint8:
		return whereT(c, cond, xs, x, y, out)
	case []uint16:
		return whereT(c, cond, xs, x, y, out)
	case []uint32:
		return whereT(c, cond, xs, x, y, out)
	case []uint64:
		return whereT(c, cond, xs, x, y, out)
	case []bool:
		return whereT(c, cond, xs, x, y, out)
	case []string:
		return whereT(c, cond, xs, x, y, out)
	case []complex64:
		return whereT(c, cond, xs, x, y, out)
	case []complex128:
		return whereT(c, cond, xs, x, y, out)
	}
	switch x.DType {
	case graph.Float16, graph.BFloat16:
		// Same-width bit patterns: select on the raw 16-bit values.
		xs, ys := halfBits(x), halfBits(y)
		r, err := whereT(c, cond, xs, x, &Tensor{DType: graph.Uint16, Shape: y.Shape, Data: ys}, out)
		if err != nil {
			return nil, err
		}
		return fromHalfBits(x.DType, r.Shape, r.Data.([]uint16)), nil
	}
	return nil, fmt.Errorf("element type %s is not supported", x.DType)
}

func whereT[T Elem](c []bool, cond *Tensor, xs []T, x, y *Tensor, out []int) (*Tensor, error) {
	ys := y.Data.([]T)
	res := make([]T, Size(out))
	w := newWalker(out, cond.Shape, x.Shape, y.Shape)
	w.walk(func(offs, inner []int, o, n int) {
		a, b, d := offs[0], offs[1], offs[2]
		for j := 0; j < n; j++ {
			if c[a] {
				res[o+j] = xs[b]
			} else {
				res[o+j] = ys[d]
			}
			a += inner[0]
			b += inner[1]
			d += inner[2]
		}
	})
	return New(out, res), nil
}
