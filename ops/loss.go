package ops

import (
	"fmt"
	"math"
	"slices"
)

func init() {
	Register(Spec{Op: "NegativeLogLikelihoodLoss", Since: 12}, func(b *Build) (Kernel, error) { return newLoss(b, false) })
	Register(Spec{Op: "SoftmaxCrossEntropyLoss", Since: 12}, func(b *Build) (Kernel, error) { return newLoss(b, true) })
}

type lossKernel struct {
	softmax   bool
	reduction string
	ignore    int64
	hasIgnore bool
}

func newLoss(b *Build, softmax bool) (Kernel, error) {
	red, err := b.Node.AttrString("reduction", "mean")
	if err != nil {
		return nil, err
	}
	if red != "none" && red != "sum" && red != "mean" {
		return nil, b.Errorf("reduction %q is not none, sum or mean", red)
	}
	k := &lossKernel{softmax: softmax, reduction: red, hasIgnore: b.Node.HasAttr("ignore_index")}
	if k.ignore, err = b.Node.AttrInt("ignore_index", 0); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *lossKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	if !x.DType.IsFloat() {
		return nil, fmt.Errorf("input 0 is %s, want a floating-point tensor", x)
	}
	if x.Rank() < 2 {
		return nil, fmt.Errorf("input 0 is %s, want [N, C, ...]", x)
	}
	tg, err := TensorInput(in, 1)
	if err != nil {
		return nil, err
	}
	N, C := x.Shape[0], x.Shape[1]
	want := append([]int{N}, x.Shape[2:]...)
	if !slices.Equal(tg.Shape, want) {
		return nil, fmt.Errorf("input 1 (target) is %s, want shape %v", tg, want)
	}
	if !tg.DType.IsInt() {
		return nil, fmt.Errorf("input 1 (target) is %s, want an integer tensor", tg)
	}
	labels, err := ToInt64s(tg)
	if err != nil {
		return nil, err
	}
	var weight []float64
	if wt, err := OptTensor(in, 2); err != nil {
		return nil, err
	} else if wt != nil {
		if !slices.Equal(wt.Shape, []int{C}) || wt.DType != x.DType {
			return nil, fmt.Errorf("input 2 (weight) is %s, want %s[%d]", wt, x.DType, C)
		}
		if weight, err = ToFloat64s(wt); err != nil {
			return nil, err
		}
	}
	xv, err := ToFloat64s(x)
	if err != nil {
		return nil, err
	}
	D := Size(x.Shape[2:])
	logp := xv
	if k.softmax {
		logp = make([]float64, len(xv))
		for n := range N {
			for d := range D {
				m := math.Inf(-1)
				for c := range C {
					m = math.Max(m, xv[(n*C+c)*D+d])
				}
				s := 0.0
				for c := range C {
					s += math.Exp(xv[(n*C+c)*D+d] - m)
				}
				ls := m + math.Log(s)
				for c := range C {
					logp[(n*C+c)*D+d] = xv[(n*C+c)*D+d] - ls
				}
			}
		}
	}
	loss := make([]float64, N*D)
	sum, wsum := 0.0, 0.0
	for n := range N {
		for d := range D {
			l := labels[n*D+d]
			if k.hasIgnore && l == k.ignore {
				continue
			}
			if l < 0 || l >= int64(C) {
				return nil, fmt.Errorf("target %d at position %d is out of range [0, %d)", l, n*D+d, C)
			}
			w := 1.0
			if weight != nil {
				w = weight[l]
			}
			v := -logp[(n*int(C)+int(l))*D+d] * w
			loss[n*D+d] = v
			sum += v
			wsum += w
		}
	}
	var out *Tensor
	switch k.reduction {
	case "none":
		out, err = mFromFloat64s(x.DType, want, loss)
	case "sum":
		out, err = mFromFloat64s(x.DType, []int{}, []float64{sum})
	default:
		out, err = mFromFloat64s(x.DType, []int{}, []float64{sum / wsum})
	}
	if err != nil {
		return nil, err
	}
	res := []Value{out}
	if k.softmax {
		lp, err := mFromFloat64s(x.DType, x.Shape, logp)
		if err != nil {
			return nil, err
		}
		res = append(res, lp)
	}
	return res, nil
}
