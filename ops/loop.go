package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register(Spec{Op: "Loop", Since: 1}, newLoop)
}

type loopKernel struct {
	body    *Plan
	bodyOut []*graph.ValueInfo
	bodyIn  []*graph.ValueInfo
	nCarry  int
	nScan   int
	apps    []loopAppend // carried values the body only extends (loopappend.go)
}

func newLoop(b *Build) (Kernel, error) {
	g, err := b.Node.AttrGraph("body")
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, b.Errorf("attribute body is required")
	}
	if len(b.Node.Inputs) < 2 {
		return nil, b.Errorf("want at least 2 inputs (M, cond), got %d", len(b.Node.Inputs))
	}
	nCarry := len(b.Node.Inputs) - 2
	if len(g.Inputs) != nCarry+2 {
		return nil, b.Errorf("body takes %d inputs, want %d (iteration, condition and %d loop-carried)", len(g.Inputs), nCarry+2, nCarry)
	}
	nScan := len(g.Outputs) - 1 - nCarry
	if nScan < 0 {
		return nil, b.Errorf("body has %d outputs, want at least %d (condition and %d loop-carried)", len(g.Outputs), nCarry+1, nCarry)
	}
	if len(b.Node.Outputs) > nCarry+nScan {
		return nil, b.Errorf("node has %d outputs, the body gives %d", len(b.Node.Outputs), nCarry+nScan)
	}
	run := g
	ag, apps := loopAppendBody(g, nCarry, b.Opset)
	if ag != nil {
		run = ag
	}
	p, err := b.Subgraph(run)
	if err != nil {
		return nil, err
	}
	return &loopKernel{body: p, bodyOut: g.Outputs, bodyIn: g.Inputs, nCarry: nCarry, nScan: nScan, apps: apps}, nil
}

func (k *loopKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	maxTrip := int64(-1)
	if m, err := OptTensor(in, 0); err != nil {
		return nil, err
	} else if m != nil {
		v, err := mScalarInt(m)
		if err != nil {
			return nil, fmt.Errorf("input 0 (M): %w", err)
		}
		maxTrip = v
	}
	useCond := false
	cond := true
	if c, err := OptTensor(in, 1); err != nil {
		return nil, err
	} else if c != nil {
		v, err := mScalarBool(c)
		if err != nil {
			return nil, fmt.Errorf("input 1 (cond): %w", err)
		}
		useCond, cond = true, v
	}
	carried := make([]Value, k.nCarry)
	for i := range carried {
		if 2+i < len(in) {
			carried[i] = in[2+i]
		}
	}
	scans := make([][]*Tensor, k.nScan)
	args := make([]Value, 2+k.nCarry)
	var grow loopGrowth
	var app *loopAppender
	if k.apps != nil {
		app = newLoopAppender(k.apps)
	}
	for it := int64(0); (maxTrip < 0 || it < maxTrip) && cond; it++ {
		if err := rc.Ctx.Err(); err != nil {
			return nil, fmt.Errorf("stopped at iteration %d: %w", it, err)
		}
		if err := rc.CheckIteration(it); err != nil {
			return nil, err
		}
		args[0] = Scalar(it)
		args[1] = Scalar(cond)
		copy(args[2:], carried)
		for i, v := range carried {
			// A body that takes an optional may give back a plain value.
			if tp := k.bodyIn[2+i].Type; tp != nil && tp.Kind == graph.TypeOptional && v != nil {
				if _, ok := v.(*Optional); !ok {
					args[2+i] = &Optional{Value: v, Type: tp.Inner}
				}
			}
		}
		outs, err := rc.RunSubgraph(k.body, args)
		if err != nil {
			return nil, fmt.Errorf("iteration %d: %w", it, err)
		}
		if useCond {
			c, ok := outs[0].(*Tensor)
			if !ok {
				return nil, fmt.Errorf("iteration %d: body condition is a %T, want a tensor", it, outs[0])
			}
			if cond, err = mScalarBool(c); err != nil {
				return nil, fmt.Errorf("iteration %d: body condition: %w", it, err)
			}
		}
		copy(carried, outs[1:1+k.nCarry])
		if app != nil {
			if err := app.extend(rc, args[2:], carried, maxTrip-it-1); err != nil {
				return nil, fmt.Errorf("iteration %d: %w", it, err)
			}
		}
		for j := range k.nScan {
			t, ok := outs[1+k.nCarry+j].(*Tensor)
			if !ok {
				return nil, fmt.Errorf("iteration %d: scan output %d is a %T, want a tensor", it, j, outs[1+k.nCarry+j])
			}
			scans[j] = append(scans[j], t)
		}
		if err := grow.check(rc, it, carried, outs[1+k.nCarry:]); err != nil {
			return nil, fmt.Errorf("iteration %d: %w", it, err)
		}
	}
	res := make([]Value, 0, k.nCarry+k.nScan)
	res = append(res, carried...)
	for j, items := range scans {
		var t *Tensor
		var err error
		if len(items) == 0 {
			t, err = mEmptyOfType(k.bodyOut[1+k.nCarry+j].Type, true)
		} else {
			t, err = mStack(items, 0)
		}
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %w", j, err)
		}
		res = append(res, t)
	}
	return res, nil
}
