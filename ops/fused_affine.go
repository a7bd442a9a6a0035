package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/kernels/conv"
	"github.com/onnxrun/onnxrun/internal/kernels/vec"
)

// ChannelAffine of the internal domain FusedDomain is what the graph
// optimizer (package optimize) makes of a BatchNormalization in inference
// mode and the activation that followed it:
//
//	ChannelAffine(X, A, B) = Act(X·A[c] + B[c])
//
// over X of shape (N, C, D1, ...), with A and B of C elements each (A =
// scale/√(var+ε), B = bias − mean·A, computed in float64 by the optimizer
// as BatchNormalization's kernel computes them, and rounded to X's element
// type before use, as that kernel does). Attributes "activation" and
// "activation_params" are FusedConv's. Each plane is scaled and activated
// in one pass while it is in cache, instead of the two passes over memory
// of the separate nodes.
func init() {
	Register(Spec{Domain: FusedDomain, Op: "ChannelAffine", Since: 1}, newChannelAffine)
}

type channelAffineKernel struct {
	ep epilogue
	// a and b are the constant A and B widened to float64 (nil: read at
	// run time).
	a, b []float64
}

func newChannelAffine(b *Build) (Kernel, error) {
	for _, a := range b.Node.Attrs {
		if a.Name != "activation" && a.Name != "activation_params" {
			return nil, b.Errorf("unknown attribute %q", a.Name)
		}
	}
	if len(b.Node.Inputs) != 3 || len(b.Node.Outputs) != 1 {
		return nil, b.Errorf("takes 3 inputs and 1 output, got %d and %d", len(b.Node.Inputs), len(b.Node.Outputs))
	}
	actName, err := b.Node.AttrString("activation", "")
	if err != nil {
		return nil, err
	}
	act, ok := actByName[actName]
	if !ok {
		return nil, b.Errorf("activation %q is not supported", actName)
	}
	params, err := b.Node.AttrFloats("activation_params", nil)
	if err != nil {
		return nil, err
	}
	need := map[int]int{epiClip: 2, epiLeakyRelu: 1, epiHardSigmoid: 2}[act]
	if len(params) != need {
		return nil, b.Errorf("activation %s takes %d parameters, got %d", actName, need, len(params))
	}
	k := &channelAffineKernel{ep: epilogue{act: act, name: actName}}
	if need > 0 {
		k.ep.p0 = float64(params[0])
	}
	if need > 1 {
		k.ep.p1 = float64(params[1])
	}
	if ta, tb := b.Constant(1), b.Constant(2); ta != nil && tb != nil {
		if k.a, err = ToFloat64s(ta); err != nil {
			return nil, b.Errorf("input 1 (A): %v", err)
		}
		if k.b, err = ToFloat64s(tb); err != nil {
			return nil, b.Errorf("input 2 (B): %v", err)
		}
	}
	return k, nil
}

// Algorithm names the fused activation for profiles.
func (k *channelAffineKernel) Algorithm() string {
	if k.ep.name == "" {
		return "affine"
	}
	return "affine+" + k.ep.name
}

func (k *channelAffineKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	if x.Rank() < 2 {
		return nil, fmt.Errorf("input 0 (X): shape %v has rank below 2", x.Shape)
	}
	n, c := x.Shape[0], x.Shape[1]
	sp := Size(x.Shape[2:])
	a, b := k.a, k.b
	if a == nil {
		for i, p := range []*[]float64{&a, &b} {
			t, err := TensorInput(in, 1+i)
			if err != nil {
				return nil, err
			}
			if *p, err = ToFloat64s(t); err != nil {
				return nil, fmt.Errorf("input %d: %w", 1+i, err)
			}
		}
	}
	if len(a) != c || len(b) != c {
		return nil, fmt.Errorf("inputs 1 and 2 (A, B): %d and %d elements, want one per channel of X %v", len(a), len(b), x.Shape)
	}
	var y any
	switch x.DType {
	case graph.Float:
		y = channelAffine[float32](rc, &k.ep, x.Data.([]float32), a, b, n, c, sp)
	case graph.Double:
		y = channelAffine[float64](rc, &k.ep, x.Data.([]float64), a, b, n, c, sp)
	default:
		return nil, fmt.Errorf("input 0 (X): element type %s is not supported (want float or double)", x.DType)
	}
	return []Value{&Tensor{DType: x.DType, Shape: slices.Clone(x.Shape), Data: y}}, nil
}

// channelAffine computes ep(x·a[c] + b[c]) plane by plane, into x's own
// memory when the plan allows it.
func channelAffine[T floatT](rc *RunContext, ep *epilogue, x []T, a, b []float64, n, c, sp int) []T {
	var y []T
	if rc.canOverwrite(0) {
		y = x
	} else {
		y = runBufferFull[T](rc, len(x))
	}
	x = x[:n*c*sp]
	y = y[:n*c*sp]
	planes := n * c
	// Whole planes per task, at least a few thousand elements each, so
	// that small tensors run on one thread.
	per := max(1, 4096/max(sp, 1))
	tasks := (planes + per - 1) / per
	conv.ParallelFor(tasks, threads(rc), func(_, t int) {
		for pl := t * per; pl < min(planes, (t+1)*per); pl++ {
			ch := pl % c
			av, bv := T(a[ch]), T(b[ch])
			xs, ys := x[pl*sp:(pl+1)*sp], y[pl*sp:(pl+1)*sp]
			if x32, ok := any(xs).([]float32); ok {
				// The vector loops, and the plane is still in cache for the
				// activation's pass.
				y32 := any(ys).([]float32)
				vec.Affine(y32, x32, float32(av), float32(bv))
				switch ep.act {
				case epiRelu:
					vec.Clamp(y32, y32, 0, float32(math.Inf(1)))
				case epiClip:
					vec.Clamp(y32, y32, float32(ep.p0), float32(ep.p1))
				default:
					applyEpilogue(ep, y32, nil)
				}
				continue
			}
			for i, v := range xs {
				ys[i] = v*av + bv
			}
			applyEpilogue(ep, ys, nil)
		}
	})
	return y
}
