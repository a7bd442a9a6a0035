package ops

import (
	"cmp"
	"fmt"
	"math"
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
		if inner == 1 && n <= math.MaxUint32 {
			src = topKF32(d, outer, n, int(k), t.largest)
		} else {
			src = topK(d, outer, n, inner, int(k), t.largest)
		}
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
	if k == 0 {
		return src
	}
	sel := make([]int, 0, k)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			sel = topKLine(sel[:0], d, base, n, inner, k, largest)
			for j, p := range sel {
				src[(o*k+j)*inner+i] = base + p*inner
			}
		}
	}
	return src
}

// topKLine returns in sel the positions, best first, of the k best of the
// n values d[base+j*inner]: best is largest (or smallest) by cmp.Compare,
// then lowest position, so the order is total and the result that of a
// stable sort. It keeps the k best seen so far in a heap whose root is
// the worst of them: O(n log k), and most values cost one comparison.
func topKLine[T cmp.Ordered](sel []int, d []T, base, n, inner, k int, largest bool) []int {
	// better reports whether position a ranks before position b.
	better := func(a, b int) bool {
		c := cmp.Compare(d[base+a*inner], d[base+b*inner])
		if !largest {
			c = -c
		}
		return c > 0 || c == 0 && a < b
	}
	// down restores the heap (worst at the root) below node i.
	down := func(i int) {
		for {
			w := i
			if l := 2*i + 1; l < len(sel) && better(sel[w], sel[l]) {
				w = l
			}
			if r := 2*i + 2; r < len(sel) && better(sel[w], sel[r]) {
				w = r
			}
			if w == i {
				return
			}
			sel[i], sel[w] = sel[w], sel[i]
			i = w
		}
	}
	for j := range k {
		sel = append(sel, j)
	}
	for i := k/2 - 1; i >= 0; i-- {
		down(i)
	}
	for j := k; j < n; j++ {
		if better(j, sel[0]) {
			sel[0] = j
			down(0)
		}
	}
	slices.SortFunc(sel, func(a, b int) int {
		switch {
		case a == b:
			return 0
		case better(a, b):
			return -1
		}
		return 1
	})
	return sel
}

// topKF32 is topK for float32 lines that are contiguous (inner 1) and
// shorter than 2^32. Each value and its position make one uint64 key
// whose order is the rank order: the value's bits mapped to an unsigned
// order (NaN lowest, -0 as +0; inverted for smallest) above the
// position's complement, so that equal values rank the lower position
// first. The k largest keys are kept in a min-heap.
func topKF32(d []float32, outer, n, k int, largest bool) []int {
	src := make([]int, outer*k)
	if k == 0 {
		return src
	}
	heap := make([]uint64, k)
	for o := 0; o < outer; o++ {
		line := d[o*n : (o+1)*n]
		key := func(j int) uint64 {
			v := line[j]
			var b uint32
			if v == v {
				if v == 0 {
					v = 0
				}
				b = math.Float32bits(v)
				if b>>31 != 0 {
					b = ^b
				} else {
					b |= 1 << 31
				}
			}
			if !largest {
				b = ^b
			}
			return uint64(b)<<32 | uint64(math.MaxUint32-uint32(j))
		}
		for j := range k {
			heap[j] = key(j)
		}
		for i := k/2 - 1; i >= 0; i-- {
			siftDownU64(heap, i)
		}
		for j := k; j < n; j++ {
			if kj := key(j); kj > heap[0] {
				heap[0] = kj
				siftDownU64(heap, 0)
			}
		}
		slices.Sort(heap)
		out := src[o*k : (o+1)*k]
		for j, kv := range heap {
			out[k-1-j] = o*n + int(math.MaxUint32-uint32(kv))
		}
	}
	return src
}

// siftDownU64 restores the min-heap h below node i.
func siftDownU64(h []uint64, i int) {
	for {
		m := i
		if l := 2*i + 1; l < len(h) && h[l] < h[m] {
			m = l
		}
		if r := 2*i + 2; r < len(h) && h[r] < h[m] {
			m = r
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
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
