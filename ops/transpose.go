package ops

import (
	"fmt"
)

func init() {
	Register(Spec{Op: "Transpose", Since: 1}, newTranspose)
}

type transposeKernel struct {
	perm []int64 // nil: reverse the dims
}

func newTranspose(b *Build) (Kernel, error) {
	perm, err := b.Node.AttrInts("perm", nil)
	if err != nil {
		return nil, err
	}
	if perm != nil {
		if _, err := transposePerm(perm, len(perm)); err != nil {
			return nil, b.Errorf("%v", err)
		}
	}
	return &transposeKernel{perm: perm}, nil
}

// transposePerm checks that perm is a permutation of [0, rank).
func transposePerm(perm []int64, rank int) ([]int, error) {
	if len(perm) != rank {
		return nil, fmt.Errorf("perm %v has %d entries for rank %d", perm, len(perm), rank)
	}
	seen := make([]bool, rank)
	out := make([]int, rank)
	for i, p := range perm {
		if p < 0 || p >= int64(rank) || seen[p] {
			return nil, fmt.Errorf("perm %v is not a permutation of [0, %d)", perm, rank)
		}
		seen[p] = true
		out[i] = int(p)
	}
	return out, nil
}

func (k *transposeKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	r := x.Rank()
	var perm []int
	if k.perm == nil {
		perm = make([]int, r)
		for i := range perm {
			perm[i] = r - 1 - i
		}
	} else if perm, err = transposePerm(k.perm, r); err != nil {
		return nil, fmt.Errorf("input 0 %s: %w", x, err)
	}
	out, err := transposeTensor(rc, x, perm)
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

// TransposeTensor permutes the dims of t: dim i of the result is dim perm[i] of t.
// When the permutation keeps the order of every dim bigger than 1 the result
// shares t's data.
func TransposeTensor(t *Tensor, perm []int) (*Tensor, error) {
	return transposeTensor(nil, t, perm)
}

// transposeTensor is TransposeTensor with a moved result in a buffer of
// the run when rc has them.
func transposeTensor(rc *RunContext, t *Tensor, perm []int) (*Tensor, error) {
	if len(perm) != t.Rank() {
		return nil, fmt.Errorf("ops: perm %v for a tensor of rank %d", perm, t.Rank())
	}
	st := Strides(t.Shape)
	shape := make([]int, len(perm))
	stride := make([]int, len(perm))
	last, moved := -1, false
	for i, p := range perm {
		shape[i] = t.Shape[p]
		stride[i] = st[p]
		if t.Shape[p] != 1 {
			if p < last {
				moved = true
			}
			last = p
		}
	}
	if !moved {
		return mvShare(t, shape), nil
	}
	return mvStridedTensorRC(rc, t, shape, stride, 0)
}
