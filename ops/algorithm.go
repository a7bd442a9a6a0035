package ops

import "github.com/onnxrun/onnxrun/internal/kernels/conv"

// Algorithmer is implemented by kernels that can name the algorithm they
// run (for profiles).
type Algorithmer interface {
	Algorithm() string
}

// KernelAlgorithm names the algorithm kernel k runs on the inputs in (as
// a profile shows it), or "" when it does not say. Conv nodes report the
// convolution algorithm their prepared (tuned) plans use, or else the one
// chosen for the input's shape.
func KernelAlgorithm(k Kernel, in []Value) string {
	switch k := k.(type) {
	case *convKernel:
		if s := k.Algorithm(); s != "" {
			return s // the plans the node prepared (tuned)
		}
		return convAlgorithm(k, in)
	case *fusedKernel:
		s := ""
		if ck, ok := k.base.(*convKernel); ok {
			if s = ck.Algorithm(); s == "" {
				s = convAlgorithm(ck, in)
			}
		}
		if s == "" {
			s = k.baseOp
		}
		return s + k.Algorithm()[len(k.baseOp):]
	case Algorithmer:
		return k.Algorithm()
	}
	return ""
}

func convAlgorithm(k *convKernel, in []Value) string {
	x, err1 := TensorInput(in, 0)
	w, err2 := TensorInput(in, 1)
	if err1 != nil || err2 != nil {
		return ""
	}
	b, _ := OptTensor(in, 2)
	p, _, err := k.cn.convParams(x, w, b)
	if err != nil {
		return ""
	}
	// The plan the node prepared (tuned) for this shape, if it ran.
	if v, ok := k.cn.plans.Load(planKey[float32](p)); ok {
		return v.(*conv.Plan[float32]).Algo.String()
	}
	if v, ok := k.cn.plans.Load(planKey[float64](p)); ok {
		return v.(*conv.Plan[float64]).Algo.String()
	}
	pl, err := conv.NewPlan[float32](p)
	if err != nil {
		return ""
	}
	return pl.Algo.String()
}
