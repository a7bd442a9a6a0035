package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register(Spec{Op: "RMSNormalization", Since: 23}, newRMSNorm)
}

// rmsNormKernel divides X by the root mean square of its trailing axes
// (from axis on) plus epsilon, then multiplies by scale, which broadcasts
// one way to X. Y takes scale's element type. Stage one computes in float64,
// at least the precision any stash_type asks for.
type rmsNormKernel struct {
	axis    int64
	epsilon float64
}

func newRMSNorm(b *Build) (Kernel, error) {
	axis, err := b.Node.AttrInt("axis", -1)
	if err != nil {
		return nil, err
	}
	eps, err := b.Node.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	st, err := b.Node.AttrInt("stash_type", 1)
	if err != nil {
		return nil, err
	}
	switch graph.DType(st) {
	case graph.Float, graph.Double, graph.Float16, graph.BFloat16:
	default:
		return nil, b.Errorf("attribute stash_type %d is not a floating-point type", st)
	}
	return &rmsNormKernel{axis: axis, epsilon: float64(eps)}, nil
}

func isFloatType(dt graph.DType) bool {
	return dt == graph.Float || dt == graph.Double || dt == graph.Float16 || dt == graph.BFloat16
}

// Run normalizes input 0 and scales it by input 1.
func (k *rmsNormKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	scale, err := TensorInput(in, 1)
	if err != nil {
		return nil, err
	}
	if !isFloatType(x.DType) || !isFloatType(scale.DType) {
		return nil, fmt.Errorf("inputs 0 (X) %s and 1 (scale) %s: want floating-point tensors", x, scale)
	}
	ax, err := NormAxis(k.axis, x.Rank())
	if err != nil {
		return nil, fmt.Errorf("attribute axis: %w", err)
	}
	if b, err := BroadcastShapes(x.Shape, scale.Shape); err != nil || !slices.Equal(b, x.Shape) {
		return nil, fmt.Errorf("input 1 (scale): shape %v does not broadcast to X's %v", scale.Shape, x.Shape)
	}
	v, err := ToFloat64s(x)
	if err != nil {
		return nil, err
	}
	s, err := ToFloat64s(scale)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(v))
	inner := Size(x.Shape[ax:])
	for o := 0; o+inner <= len(v) && inner > 0; o += inner {
		var sq float64
		for _, e := range v[o : o+inner] {
			sq += e * e
		}
		r := math.Sqrt(sq/float64(inner) + k.epsilon)
		for j := o; j < o+inner; j++ {
			out[j] = v[j] / r
		}
	}
	if slices.Equal(scale.Shape, x.Shape) {
		for i := range out {
			out[i] *= s[i]
		}
	} else {
		for i, si := range BroadcastIndex(scale.Shape, x.Shape) {
			out[i] *= s[si]
		}
	}
	y, err := fromFloat64s(scale.DType, x.Shape, out)
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}
