package ops

import (
	"fmt"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/kernels/conv"
)

// ConcatShuffle of the internal domain FusedDomain is what the graph
// optimizer (package optimize) makes of ShuffleNet's channel shuffle: a
// Concat of g tensors of the same shape along axis, a Reshape that splits
// that axis into (g, C), a Transpose that swaps the two and a Reshape that
// merges them again. Its output has the Concat's shape, with
//
//	Y[..., c·g + j, ...] = X_j[..., c, ...]
//
// for c in [0, C) and j in [0, g): the inputs' channels interleaved. It
// writes each run of elements once, where the separate nodes copy the data
// twice. Attribute "axis" (int, non-negative) is the Concat's axis.
func init() {
	Register(Spec{Domain: FusedDomain, Op: "ConcatShuffle", Since: 1}, newConcatShuffle)
}

type concatShuffleKernel struct{ axis int }

func newConcatShuffle(b *Build) (Kernel, error) {
	for _, a := range b.Node.Attrs {
		if a.Name != "axis" {
			return nil, b.Errorf("unknown attribute %q", a.Name)
		}
	}
	axis, err := b.Node.AttrInt("axis", -1)
	if err != nil {
		return nil, err
	}
	if axis < 0 || axis > 1<<20 {
		return nil, b.Errorf("axis %d is not a non-negative axis", axis)
	}
	if len(b.Node.Inputs) < 1 || len(b.Node.Outputs) != 1 {
		return nil, b.Errorf("takes 1 or more inputs and 1 output, got %d and %d", len(b.Node.Inputs), len(b.Node.Outputs))
	}
	return &concatShuffleKernel{axis: int(axis)}, nil
}

func (k *concatShuffleKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	xs := make([]*Tensor, len(in))
	for i := range in {
		x, err := TensorInput(in, i)
		if err != nil {
			return nil, err
		}
		if i > 0 && (x.DType != xs[0].DType || !slices.Equal(x.Shape, xs[0].Shape)) {
			return nil, fmt.Errorf("input %d: %s %v differs from input 0's %s %v", i, x.DType, x.Shape, xs[0].DType, xs[0].Shape)
		}
		xs[i] = x
	}
	x0 := xs[0]
	if k.axis >= x0.Rank() {
		return nil, fmt.Errorf("axis %d is outside input 0's shape %v", k.axis, x0.Shape)
	}
	g := len(xs)
	outer, c, inner := Size(x0.Shape[:k.axis]), x0.Shape[k.axis], Size(x0.Shape[k.axis+1:])
	shape := slices.Clone(x0.Shape)
	shape[k.axis] *= g
	var y any
	switch x0.DType {
	case graph.Float:
		y = shuffleInto[float32](rc, xs, outer, c, inner)
	case graph.Double:
		y = shuffleInto[float64](rc, xs, outer, c, inner)
	case graph.Int32:
		y = shuffleInto[int32](rc, xs, outer, c, inner)
	case graph.Int64:
		y = shuffleInto[int64](rc, xs, outer, c, inner)
	default:
		return nil, fmt.Errorf("input 0: element type %s is not supported (want float, double, int32 or int64)", x0.DType)
	}
	return []Value{&Tensor{DType: x0.DType, Shape: shape, Data: y}}, nil
}

// shuffleInto interleaves the rows of inner elements of xs (outer·c rows
// each) into a new buffer of the run.
func shuffleInto[T Elem](rc *RunContext, xs []*Tensor, outer, c, inner int) []T {
	g := len(xs)
	src := make([][]T, g)
	for j, x := range xs {
		src[j] = x.Data.([]T)[:outer*c*inner]
	}
	y := runBufferFull[T](rc, outer*c*inner*g)
	rows := outer * c
	// Whole rows per task, a few thousand elements each at least, so that
	// small tensors stay on one thread.
	per := max(1, 4096/max(inner*g, 1))
	tasks := (rows + per - 1) / per
	conv.ParallelFor(tasks, threads(rc), func(_, t int) {
		for r := t * per; r < min(rows, (t+1)*per); r++ {
			d := y[r*g*inner : (r+1)*g*inner]
			for j := range src {
				copy(d[j*inner:(j+1)*inner], src[j][r*inner:(r+1)*inner])
			}
		}
	})
	return y
}
