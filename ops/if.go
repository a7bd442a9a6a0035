package ops

import (
	"fmt"
)

func init() {
	Register(Spec{Op: "If", Since: 1}, newIf)
}

type ifKernel struct {
	then, els *Plan
	nOut      int
}

func newIf(b *Build) (Kernel, error) {
	tg, err := b.Node.AttrGraph("then_branch")
	if err != nil {
		return nil, err
	}
	eg, err := b.Node.AttrGraph("else_branch")
	if err != nil {
		return nil, err
	}
	if tg == nil || eg == nil {
		return nil, b.Errorf("then_branch and else_branch are required")
	}
	if len(tg.Outputs) != len(eg.Outputs) {
		return nil, b.Errorf("then_branch has %d outputs, else_branch %d", len(tg.Outputs), len(eg.Outputs))
	}
	if len(tg.Outputs) < len(b.Node.Outputs) {
		return nil, b.Errorf("node has %d outputs, the branches %d", len(b.Node.Outputs), len(tg.Outputs))
	}
	tp, err := b.Subgraph(tg)
	if err != nil {
		return nil, err
	}
	ep, err := b.Subgraph(eg)
	if err != nil {
		return nil, err
	}
	return &ifKernel{then: tp, els: ep, nOut: len(b.Node.Outputs)}, nil
}

func (k *ifKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	c, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	cond, err := mScalarBool(c)
	if err != nil {
		return nil, fmt.Errorf("input 0 (cond): %w", err)
	}
	p := k.els
	if cond {
		p = k.then
	}
	outs, err := rc.RunSubgraph(p, nil)
	if err != nil {
		return nil, err
	}
	return outs[:k.nOut], nil
}
