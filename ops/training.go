package ops

import (
	"fmt"
	"math"
	"slices"
)

// The optimizers of the ai.onnx.preview.training domain: one update step of
// Adagrad, Adam and (Nesterov) momentum over any number of tensors.

const trainingDomain = "ai.onnx.preview.training"

func init() {
	Register(Spec{Domain: trainingDomain, Op: "Adagrad", Since: 1}, func(b *Build) (Kernel, error) { return newOptimizer(b, optAdagrad) })
	Register(Spec{Domain: trainingDomain, Op: "Adam", Since: 1}, func(b *Build) (Kernel, error) { return newOptimizer(b, optAdam) })
	Register(Spec{Domain: trainingDomain, Op: "Momentum", Since: 1}, func(b *Build) (Kernel, error) { return newOptimizer(b, optMomentum) })
}

type optKind int

const (
	optAdagrad optKind = iota
	optAdam
	optMomentum
)

type optimizerKernel struct {
	kind                       optKind
	groups                     int // tensors per optimized variable: X, G and state
	decay, eps, norm, normPost float64
	alpha, beta                float64
	nesterov                   bool
}

func newOptimizer(b *Build, kind optKind) (Kernel, error) {
	k := &optimizerKernel{kind: kind}
	f := func(name string, def float32, required bool) (float64, error) {
		if required && !b.Node.HasAttr(name) {
			return 0, b.Errorf("attribute %s is required", name)
		}
		v, err := b.Node.AttrFloat(name, def)
		return float64(v), err
	}
	var err error
	switch kind {
	case optAdagrad:
		k.groups = 3
		if k.decay, err = f("decay_factor", 0, false); err != nil {
			return nil, err
		}
		if k.eps, err = f("epsilon", 0, false); err != nil {
			return nil, err
		}
		if k.norm, err = f("norm_coefficient", 0, false); err != nil {
			return nil, err
		}
	case optAdam:
		k.groups = 4
		for _, a := range []struct {
			p    *float64
			name string
			def  float32
		}{{&k.alpha, "alpha", 0.9}, {&k.beta, "beta", 0.999}, {&k.eps, "epsilon", 0}, {&k.norm, "norm_coefficient", 0}, {&k.normPost, "norm_coefficient_post", 0}} {
			if *a.p, err = f(a.name, a.def, false); err != nil {
				return nil, err
			}
		}
	case optMomentum:
		k.groups = 3
		for _, a := range []struct {
			p    *float64
			name string
		}{{&k.alpha, "alpha"}, {&k.beta, "beta"}, {&k.norm, "norm_coefficient"}} {
			if *a.p, err = f(a.name, 0, true); err != nil {
				return nil, err
			}
		}
		mode, err := b.Node.AttrString("mode", "")
		if err != nil {
			return nil, err
		}
		if mode != "standard" && mode != "nesterov" {
			return nil, b.Errorf("mode %q is not standard or nesterov", mode)
		}
		k.nesterov = mode == "nesterov"
	}
	if n := len(b.Node.Inputs) - 2; n < k.groups || n%k.groups != 0 {
		return nil, b.Errorf("%d tensor inputs do not split into groups of %d", n, k.groups)
	}
	return k, nil
}

func (k *optimizerKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	rt, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	rv, err := ToFloat64s(rt)
	if err != nil || len(rv) != 1 || !rt.DType.IsFloat() {
		return nil, fmt.Errorf("input 0 (R) is %s, want a float scalar", rt)
	}
	tt, err := TensorInput(in, 1)
	if err != nil {
		return nil, err
	}
	step, err := mScalarInt(tt)
	if err != nil {
		return nil, fmt.Errorf("input 1 (T): %w", err)
	}
	R, T := rv[0], float64(step)
	n := (len(in) - 2) / k.groups
	res := make([][]*Tensor, k.groups-1) // per output kind, per variable
	for v := range n {
		ts := make([]*Tensor, k.groups)
		vals := make([][]float64, k.groups)
		for g := range k.groups {
			i := 2 + g*n + v
			t, err := TensorInput(in, i)
			if err != nil {
				return nil, err
			}
			if !t.DType.IsFloat() || (g > 0 && (t.DType != ts[0].DType || !slices.Equal(t.Shape, ts[0].Shape))) {
				return nil, fmt.Errorf("input %d is %s, want %s like input %d", i, t, ts[0], 2+v)
			}
			ts[g] = t
			if vals[g], err = ToFloat64s(t); err != nil {
				return nil, err
			}
		}
		x, g := vals[0], vals[1]
		news := make([][]float64, k.groups-1)
		for j := range news {
			news[j] = make([]float64, len(x))
		}
		for e := range x {
			gr := k.norm*x[e] + g[e]
			switch k.kind {
			case optAdagrad:
				r := R / (1 + T*k.decay)
				h := vals[2][e] + gr*gr
				news[0][e] = x[e] - r*gr/(math.Sqrt(h)+k.eps)
				news[1][e] = h
			case optAdam:
				m := k.alpha*vals[2][e] + (1-k.alpha)*gr
				h := k.beta*vals[3][e] + (1-k.beta)*gr*gr
				ra := R
				if T > 0 {
					ra = R * math.Sqrt(1-math.Pow(k.beta, T)) / (1 - math.Pow(k.alpha, T))
				}
				xn := x[e] - ra*m/(math.Sqrt(h)+k.eps)
				news[0][e] = (1 - k.normPost) * xn
				news[1][e], news[2][e] = m, h
			case optMomentum:
				beta := k.beta
				if T <= 0 {
					beta = 1
				}
				m := k.alpha*vals[2][e] + beta*gr
				if k.nesterov {
					news[0][e] = x[e] - R*(gr+k.alpha*m)
				} else {
					news[0][e] = x[e] - R*m
				}
				news[1][e] = m
			}
		}
		for j, nv := range news {
			t, err := mFromFloat64s(ts[0].DType, append([]int{}, ts[0].Shape...), nv)
			if err != nil {
				return nil, err
			}
			res[j] = append(res[j], t)
		}
	}
	var outs []Value
	for _, group := range res {
		for _, t := range group {
			outs = append(outs, t)
		}
	}
	return outs, nil
}
