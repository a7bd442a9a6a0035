package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
)

// windowAttrs are the attributes convolution and pooling share.
type windowAttrs struct {
	autoPad   string
	kernel    []int // empty: from the weights
	strides   []int // empty: all 1
	dilations []int // empty: all 1
	pads      []int // begin..., end...; empty: all 0
}

func toInts(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// parseWindow reads auto_pad, kernel_shape, strides, dilations and pads.
func parseWindow(b *Build) (windowAttrs, error) {
	var w windowAttrs
	n := b.Node
	var err error
	if w.autoPad, err = n.AttrString("auto_pad", "NOTSET"); err != nil {
		return w, err
	}
	switch w.autoPad {
	case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
	default:
		return w, b.Errorf("auto_pad %q is not NOTSET, VALID, SAME_UPPER or SAME_LOWER", w.autoPad)
	}
	for _, f := range []struct {
		name string
		dst  *[]int
	}{{"kernel_shape", &w.kernel}, {"strides", &w.strides}, {"dilations", &w.dilations}, {"pads", &w.pads}} {
		v, err := n.AttrInts(f.name, nil)
		if err != nil {
			return w, err
		}
		*f.dst = toInts(v)
	}
	for _, s := range w.strides {
		if s <= 0 {
			return w, b.Errorf("strides %v must be positive", w.strides)
		}
	}
	for _, d := range w.dilations {
		if d <= 0 {
			return w, b.Errorf("dilations %v must be positive", w.dilations)
		}
	}
	for _, k := range w.kernel {
		if k <= 0 {
			return w, b.Errorf("kernel_shape %v must be positive", w.kernel)
		}
	}
	for _, p := range w.pads {
		if p < 0 {
			return w, b.Errorf("pads %v must not be negative", w.pads)
		}
	}
	if w.autoPad != "NOTSET" && len(w.pads) > 0 {
		nz := false
		for _, p := range w.pads {
			nz = nz || p != 0
		}
		if nz {
			return w, b.Errorf("pads %v given with auto_pad %s", w.pads, w.autoPad)
		}
	}
	return w, nil
}

// geometry is the resolved window of one node for one input shape.
type geometry struct {
	kernel, strides, dilations []int
	padBegin, padEnd           []int
	out                        []int
}

// resolve computes the output spatial shape and the padding for spatial
// input shape in and kernel shape kernel (from the attribute or the
// weights). ceil selects pooling's ceil_mode: the output size rounds up,
// but a window that would start in the end padding is dropped.
func (w *windowAttrs) resolve(in, kernel []int, ceil bool) (*geometry, error) {
	r := len(in)
	if len(kernel) != r {
		return nil, fmt.Errorf("kernel shape %v does not match %d spatial axes", kernel, r)
	}
	g := &geometry{kernel: kernel, strides: w.strides, dilations: w.dilations}
	if len(g.strides) == 0 {
		g.strides = ones(r)
	}
	if len(g.dilations) == 0 {
		g.dilations = ones(r)
	}
	if len(g.strides) != r || len(g.dilations) != r {
		return nil, fmt.Errorf("strides %v or dilations %v do not match %d spatial axes", w.strides, w.dilations, r)
	}
	g.padBegin, g.padEnd, g.out = make([]int, r), make([]int, r), make([]int, r)
	if w.autoPad == "NOTSET" && len(w.pads) != 0 {
		if len(w.pads) != 2*r {
			return nil, fmt.Errorf("pads %v do not match %d spatial axes", w.pads, r)
		}
		copy(g.padBegin, w.pads[:r])
		copy(g.padEnd, w.pads[r:])
	}
	for i := 0; i < r; i++ {
		dk := (g.kernel[i]-1)*g.dilations[i] + 1
		s := g.strides[i]
		switch w.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			g.out[i] = (in[i] + s - 1) / s
			total := max(0, (g.out[i]-1)*s+dk-in[i])
			if w.autoPad == "SAME_UPPER" {
				g.padBegin[i] = total / 2
			} else {
				g.padBegin[i] = total - total/2
			}
			g.padEnd[i] = total - g.padBegin[i]
		default:
			span := in[i] + g.padBegin[i] + g.padEnd[i] - dk
			if span < 0 {
				return nil, fmt.Errorf("axis %d: input size %d with pads %d+%d is smaller than the kernel extent %d",
					i, in[i], g.padBegin[i], g.padEnd[i], dk)
			}
			if ceil {
				g.out[i] = (span+s-1)/s + 1
				if (g.out[i]-1)*s >= in[i]+g.padBegin[i] {
					g.out[i]--
				}
			} else {
				g.out[i] = span/s + 1
			}
		}
	}
	return g, nil
}

func ones(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

// spatialShape checks that x has rank >= minRank and returns its batch,
// channel and spatial dims.
func spatialShape(x *Tensor, minRank int) (n, c int, sp []int, err error) {
	if x.Rank() < minRank {
		return 0, 0, nil, fmt.Errorf("input 0 (X): shape %v has rank %d, want at least %d", x.Shape, x.Rank(), minRank)
	}
	return x.Shape[0], x.Shape[1], x.Shape[2:], nil
}

// maxOutputElems bounds the outputs these ops allocate from sizes that
// attributes or small inputs choose (output_shape, sizes, image_shape).
const maxOutputElems = 1 << 31

// checkOutputSize returns an error when shape has more than
// maxOutputElems elements (or overflows).
func checkOutputSize(shape []int) error {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("output shape %v has a negative size", shape)
		}
		if d != 0 && n > maxOutputElems/d {
			return fmt.Errorf("output shape %v is too large", shape)
		}
		n *= d
	}
	return nil
}

// threads returns the op thread budget.
func threads(rc *RunContext) int {
	if rc != nil && rc.Options != nil {
		return rc.Options.Threads
	}
	return 0
}

// isHalf reports whether dt is computed by widening to float32.
func isHalf(dt graph.DType) bool { return dt == graph.Float16 || dt == graph.BFloat16 }

// floatT is the set of float element types kernels compute in.
type floatT interface{ float32 | float64 }

// floatCompute runs f32 on float32 (widened half) data or f64 on float64
// data of x, and wraps the result with shape, narrowing back to x's type.
func floatCompute(x *Tensor, shape []int, f32 func([]float32) ([]float32, error), f64 func([]float64) ([]float64, error)) (*Tensor, error) {
	switch {
	case x.DType == graph.Double:
		out, err := f64(x.Data.([]float64))
		if err != nil {
			return nil, err
		}
		return New(shape, out), nil
	case x.DType == graph.Float || isHalf(x.DType):
		v, err := ToFloat32s(x)
		if err != nil {
			return nil, err
		}
		out, err := f32(v)
		if err != nil {
			return nil, err
		}
		return FromFloat32s(x.DType, shape, out)
	}
	return nil, fmt.Errorf("input 0: element type %s is not supported (want float16, bfloat16, float or double)", x.DType)
}

// float64Compute is floatCompute for a computation written once over
// float64: float32 and half-precision inputs are widened, run, and
// narrowed back to the input's type.
func float64Compute(x *Tensor, shape []int, run func([]float64) []float64) (*Tensor, error) {
	return floatCompute(x, shape,
		func(v []float32) ([]float32, error) {
			return convertSlice[float64, float32](run(convertSlice[float32, float64](v))), nil
		},
		func(v []float64) ([]float64, error) { return run(v), nil })
}

// floatsAs returns t's values as []T, converting when t's type differs
// (half types widen through float32).
func floatsAs[T floatT](t *Tensor) ([]T, error) {
	if d, ok := t.Data.([]T); ok {
		return d, nil
	}
	var z T
	if _, is32 := any(z).(float32); is32 {
		if isHalf(t.DType) {
			v, err := ToFloat32s(t)
			return any(v).([]T), err
		}
		v, err := ToFloat64s(t)
		if err != nil {
			return nil, err
		}
		return any(convertSlice[float64, float32](v)).([]T), nil
	}
	v, err := ToFloat64s(t)
	return any(v).([]T), err
}
