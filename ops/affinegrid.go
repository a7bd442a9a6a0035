package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register(Spec{Op: "AffineGrid", Since: 20}, newAffineGrid)
}

// affineGridKernel makes the sampling grid of GridSample from a batch of
// affine matrices theta (N, 2, 3) or (N, 3, 4) and the output size
// (N, C, H, W) or (N, C, D, H, W). The base grid spans [-1, 1] per spatial
// axis: pixel centers (2i+1)/S-1, or with align_corners the corner pixels
// i*2/(S-1)-1 (-1 when S is 1). Each output point is theta times the
// homogeneous point (x, y[, z], 1), x running along the last axis.
type affineGridKernel struct{ alignCorners bool }

func newAffineGrid(b *Build) (Kernel, error) {
	ac, err := b.Node.AttrInt("align_corners", 0)
	if err != nil {
		return nil, err
	}
	return &affineGridKernel{alignCorners: ac != 0}, nil
}

// Run builds the grid; it computes in float64.
func (k *affineGridKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	theta, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	switch theta.DType {
	case graph.Float, graph.Double, graph.Float16, graph.BFloat16:
	default:
		return nil, fmt.Errorf("input 0 (theta) %s: want a floating-point tensor", theta)
	}
	size, ok, err := mvInt64Input(in, 1, "size")
	if err != nil {
		return nil, err
	}
	if !ok || (len(size) != 4 && len(size) != 5) {
		return nil, fmt.Errorf("input 1 (size) %v: want (N, C, H, W) or (N, C, D, H, W)", size)
	}
	nd := len(size) - 2 // spatial dims
	if theta.Rank() != 3 || theta.Shape[1] != nd || theta.Shape[2] != nd+1 {
		return nil, fmt.Errorf("input 0 (theta) %s: want shape [N, %d, %d] for size %v", theta, nd, nd+1, size)
	}
	if int64(theta.Shape[0]) != size[0] {
		return nil, fmt.Errorf("input 0 (theta) %s: batch differs from size %v", theta, size)
	}
	spatial := make([]int, nd)
	for i, s := range size[2:] {
		if s < 0 || s > MaxElements {
			return nil, fmt.Errorf("input 1 (size) %v: dim %d is out of range", size, s)
		}
		spatial[i] = int(s)
	}
	outShape := append(append([]int{theta.Shape[0]}, spatial...), nd)
	if _, err := mvCheckShape("output", outShape); err != nil {
		return nil, err
	}
	if err := rc.CheckAlloc(theta.DType, outShape); err != nil {
		return nil, err
	}
	th, err := ToFloat64s(theta)
	if err != nil {
		return nil, err
	}
	// coords[i] holds the base coordinates along spatial axis i.
	coords := make([][]float64, nd)
	for i, s := range spatial {
		c := make([]float64, s)
		for j := range c {
			switch {
			case k.alignCorners && s == 1:
				c[j] = -1
			case k.alignCorners:
				c[j] = float64(2*j)/float64(s-1) - 1
			default:
				c[j] = float64(2*j+1)/float64(s) - 1
			}
		}
		coords[i] = c
	}
	points := Size(spatial)
	out := make([]float64, theta.Shape[0]*points*nd)
	p := make([]float64, nd+1) // homogeneous point: x (last axis) first
	idx := make([]int, nd)
	o := 0
	for n := 0; n < theta.Shape[0]; n++ {
		m := th[n*nd*(nd+1) : (n+1)*nd*(nd+1)]
		clear(idx)
		for range points {
			for i := 0; i < nd; i++ {
				p[i] = coords[nd-1-i][idx[nd-1-i]]
			}
			p[nd] = 1
			for r := 0; r < nd; r++ {
				var s float64
				for c := 0; c <= nd; c++ {
					s += m[r*(nd+1)+c] * p[c]
				}
				out[o] = s
				o++
			}
			for a := nd - 1; a >= 0; a-- {
				if idx[a]++; idx[a] < spatial[a] {
					break
				}
				idx[a] = 0
			}
		}
	}
	t, err := fromFloat64s(theta.DType, outShape, out)
	if err != nil {
		return nil, err
	}
	return []Value{t}, nil
}
