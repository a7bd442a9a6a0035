package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	// ImageScaler was an experimental op of opsets 1-9 (removed with the
	// other experimental ops in opset 10); old converted models still use it.
	Register(Spec{Op: "ImageScaler", Since: 1, Until: 9}, newImageScaler)
}

// imageScalerKernel computes y = scale*x + bias[c] over an NCHW image batch.
type imageScalerKernel struct {
	scale float64
	bias  []float64
}

func newImageScaler(b *Build) (Kernel, error) {
	scale, err := b.Node.AttrFloat("scale", 1)
	if err != nil {
		return nil, err
	}
	bias, err := b.Node.AttrFloats("bias", nil)
	if err != nil {
		return nil, err
	}
	k := &imageScalerKernel{scale: float64(scale)}
	if b.Node.HasAttr("bias") {
		k.bias = make([]float64, len(bias))
		for i, v := range bias {
			k.bias[i] = float64(v)
		}
	}
	return k, nil
}

// Run scales and shifts each channel.
func (k *imageScalerKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	if x.Rank() != 4 {
		return nil, fmt.Errorf("input 0 %s: want an NCHW tensor", x)
	}
	if k.bias != nil && len(k.bias) != x.Shape[1] {
		return nil, fmt.Errorf("attribute bias has %d values for the %d channels of input 0 %s", len(k.bias), x.Shape[1], x)
	}
	plane := x.Shape[2] * x.Shape[3]
	bias := func(i int) float64 {
		if k.bias == nil {
			return 0
		}
		return k.bias[i/plane%x.Shape[1]]
	}
	switch d := x.Data.(type) {
	case []float32:
		y := make([]float32, len(d))
		for i, v := range d {
			y[i] = float32(k.scale*float64(v) + bias(i))
		}
		return []Value{New(x.Shape, y)}, nil
	case []float64:
		y := make([]float64, len(d))
		for i, v := range d {
			y[i] = k.scale*v + bias(i)
		}
		return []Value{New(x.Shape, y)}, nil
	}
	if x.DType != graph.Float16 {
		return nil, fmt.Errorf("input 0 %s: want float16, float or double", x)
	}
	v, err := ToFloat64s(x)
	if err != nil {
		return nil, err
	}
	for i := range v {
		v[i] = k.scale*v[i] + bias(i)
	}
	y, err := fromFloat64s(x.DType, x.Shape, v)
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}
