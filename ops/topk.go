package ops

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/x448/float16"
)

func init() {
	Register(Spec{Op: "TopK", Since: 1, Until: 9}, newTopK)
	Register(Spec{Op: "TopK", Since: 10, Until: 10}, newTopK)
	Register(Spec{Op: "TopK", Since: 11}, newTopK)
}

type topKKernel struct {
	axis    int64
	k       int64 // TopK-1's attribute; -1 when k is an input
	largest bool
	sorted  bool
}

func newTopK(b *Build) (Kernel, error) {
	n := b.Node
	axis, err := n.AttrInt("axis", -1)
	if err != nil {
		return nil, err
	}
	t := &topKKernel{axis: axis, k: -1, largest: true, sorted: true}
	if b.Opset < 10 {
		if t.k, err = n.AttrInt("k", -1); err != nil {
			return nil, err
		}
		if t.k < 0 {
			return nil, b.Errorf("attribute k is required and must not be negative")
		}
	}
	if b.Opset >= 11 {
		l, err := n.AttrInt("largest", 1)
		if err != nil {
			return nil, err
		}
		s, err := n.AttrInt("sorted", 1)
		if err != nil {
			return nil, err
		}
		t.largest, t.sorted = l != 0, s != 0
	}
	return t, nil
}

func (t *topKKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	if x.Rank() == 0 {
		return nil, fmt.Errorf("input 0 (X): TopK needs rank at least 1")
	}
	axis, err := NormAxis(t.axis, x.Rank())
	if err != nil {
		return nil, err
	}
	k := t.k
	if k < 0 {
		kt, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		kv, err := ToInt64s(kt)
		if err != nil || len(kv) != 1 {
			return nil, fmt.Errorf("input 1 (K): want one integer, got %s", kt)
		}
		k = kv[0]
	}
	n := x.Shape[axis]
	if k < 0 || k > int64(n) {
		return nil, fmt.Errorf("k %d is out of range [0, %d] for axis %d of shape %v", k, n, axis, x.Shape)
	}
	outer, inner := Size(x.Shape[:axis]), Size(x.Shape[axis+1:])
	var src []int
	switch d := x.Data.(type) {
	case []float32:
		src = topK(d, outer, n, inner, int(k), t.largest)
	case []float64:
		src = topK(d, outer, n, inner, int(k), t.largest)
	case []int8:
		src = topK(d, outer, n, inner, int(k), t.largest)
	case []int16:
		src = topK(d, outer, n, inner, int(k), t.largest)
	case []int32:
		src = topK(d, outer, n, inner, int(k), t.largest)
	case []int64:
		src = topK(d, outer, n, inner, int(k), t.largest)
	case []uint8:
		src = topK(d, outer, n, inner, int(k), t.largest)
	case []uint16:
		src = topK(d, outer, n, inner, int(k), t.largest)
	case []uint32:
		src = topK(d, outer, n, inner, int(k), t.largest)
	case []uint64:
		src = topK(d, outer, n, inner, int(k), t.largest)
	case []float16.Float16, []graph.BFloat16Value:
		f, err := ToFloat32s(x)
		if err != nil {
			return nil, err
		}
		src = topK(f, outer, n, inner, int(k), t.largest)
	default:
		return nil, fmt.Errorf("input 0 (X): element type %s is not supported", x.DType)
	}
	shape := append([]int{}, x.Shape...)
	shape[axis] = int(k)
	vals, err := gatherTensor(x, shape, src)
	if err != nil {
		return nil, err
	}
	idx := make([]int64, len(src))
	for i, s := range src {
		idx[i] = int64((s / inner) % max(n, 1))
	}
	return []Value{vals, New(append([]int{}, shape...), idx)}, nil
}

// topK returns, for each (outer, inner) line along the axis, the flat
// source offsets of its k largest (or smallest) values, in order; equal
// values keep the lower index first. NaN orders below every number.
func topK[T cmp.Ordered](d []T, outer, n, inner, k int, largest bool) []int {
	src := make([]int, outer*k*inner)
	order := make([]int, n)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			for j := range order {
				order[j] = j
			}
			slices.SortStableFunc(order, func(a, b int) int {
				c := cmp.Compare(d[base+a*inner], d[base+b*inner])
				if largest {
					return -c
				}
				return c
			})
			for j := 0; j < k; j++ {
				src[(o*k+j)*inner+i] = base + order[j]*inner
			}
		}
	}
	return src
}

// gatherTensor returns a tensor of t's type and the given shape whose
// elements are t's elements at the flat offsets idx.
func gatherTensor(t *Tensor, shape []int, idx []int) (*Tensor, error) {
	var out any
	switch d := t.Data.(type) {
	case []float32:
		out = gatherIdx(d, idx)
	case []float64:
		out = gatherIdx(d, idx)
	case []float16.Float16:
		out = gatherIdx(d, idx)
	case []graph.BFloat16Value:
		out = gatherIdx(d, idx)
	case []int8:
		out = gatherIdx(d, idx)
	case []int16:
		out = gatherIdx(d, idx)
	case []int32:
		out = gatherIdx(d, idx)
	case []int64:
		out = gatherIdx(d, idx)
	case []uint8:
		out = gatherIdx(d, idx)
	case []uint16:
		out = gatherIdx(d, idx)
	case []uint32:
		out = gatherIdx(d, idx)
	case []uint64:
		out = gatherIdx(d, idx)
	case []bool:
		out = gatherIdx(d, idx)
	case []string:
		out = gatherIdx(d, idx)
	case []complex64:
		out = gatherIdx(d, idx)
	case []complex128:
		out = gatherIdx(d, idx)
	default:
		return nil, fmt.Errorf("element type %s is not supported", t.DType)
	}
	return &Tensor{DType: t.DType, Shape: shape, Data: out}, nil
}
