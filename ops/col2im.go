package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/internal/kernels/conv"
)

func init() {
	Register(Spec{Op: "Col2Im", Since: 18}, newCol2Im)
}

type col2imKernel struct{ dilations, pads, strides []int }

func newCol2Im(b *Build) (Kernel, error) {
	k := &col2imKernel{}
	for _, f := range []struct {
		name string
		dst  *[]int
	}{{"dilations", &k.dilations}, {"pads", &k.pads}, {"strides", &k.strides}} {
		v, err := b.Node.AttrInts(f.name, nil)
		if err != nil {
			return nil, err
		}
		*f.dst = toInts(v)
	}
	return k, nil
}

func (k *col2imKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	var shapes [2][]int
	for i := 1; i <= 2; i++ {
		t, err := TensorInput(in, i)
		if err != nil {
			return nil, err
		}
		v, err := ToInt64s(t)
		if err != nil || t.Rank() != 1 {
			return nil, fmt.Errorf("input %d: want a 1-d integer tensor, got %s", i, t)
		}
		for _, d := range v {
			if d <= 0 || d > 1<<31 {
				return nil, fmt.Errorf("input %d: size %d is not positive", i, d)
			}
		}
		shapes[i-1] = toInts(v)
	}
	image, block := shapes[0], shapes[1]
	if x.Rank() >= 2 {
		if err := rc.CheckAlloc(x.DType, append([]int{x.Shape[0], x.Shape[1]}, image...)); err != nil {
			return nil, err
		}
	}
	r := len(image)
	if len(block) != r || r == 0 {
		return nil, fmt.Errorf("input 2 (block_shape): %v does not match image_shape %v", block, image)
	}
	fill := func(v []int, n, def int) ([]int, error) {
		if len(v) == 0 {
			out := make([]int, n)
			for i := range out {
				out[i] = def
			}
			return out, nil
		}
		if len(v) != n {
			return nil, fmt.Errorf("attribute %v does not match %d spatial axes", v, r)
		}
		return v, nil
	}
	dil, err := fill(k.dilations, r, 1)
	if err != nil {
		return nil, err
	}
	str, err := fill(k.strides, r, 1)
	if err != nil {
		return nil, err
	}
	pads, err := fill(k.pads, 2*r, 0)
	if err != nil {
		return nil, err
	}
	blocks := make([]int, r)
	for i := 0; i < r; i++ {
		span := image[i] + pads[i] + pads[r+i] - ((block[i]-1)*dil[i] + 1)
		if span < 0 || dil[i] <= 0 || str[i] <= 0 {
			return nil, fmt.Errorf("axis %d: block %d does not fit image %d", i, block[i], image[i])
		}
		blocks[i] = span/str[i] + 1
	}
	kv, l := Size(block), Size(blocks)
	if x.Rank() != 3 || x.Shape[1]%kv != 0 || x.Shape[2] != l {
		return nil, fmt.Errorf("input 0 (input): shape %v, want [N, C·%d, %d]", x.Shape, kv, l)
	}
	n, c := x.Shape[0], x.Shape[1]/kv
	p := conv.Params{N: 1, C: 1, M: 1, Group: 1, In: blocks, Kernel: block, Out: image,
		Strides: str, Dilations: dil, Pads: pads[:r]}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	shape := append([]int{n, c}, image...)
	if err := checkOutputSize(shape); err != nil {
		return nil, err
	}
	isz := Size(image)
	run := func(xv []float64) ([]float64, error) {
		y := make([]float64, n*c*isz)
		for i := 0; i < n*c; i++ {
			if err := conv.Col2Im(&p, xv[i*kv*l:(i+1)*kv*l], y[i*isz:(i+1)*isz]); err != nil {
				return nil, err
			}
		}
		return y, nil
	}
	y, err := floatCompute(x, shape,
		func(v []float32) ([]float32, error) {
			out, err := run(convertSlice[float32, float64](v))
			return convertSlice[float64, float32](out), err
		}, run)
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}
