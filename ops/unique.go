package ops

import (
	"cmp"
	"fmt"
	"sort"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/x448/float16"
)

func init() {
	Register(Spec{Op: "Unique", Since: 11}, newUnique)
}

// elemCompare returns a function ordering two elements of t by flat index
// (numbers by value with NaN last, false before true, strings bytewise).
func elemCompare(t *Tensor) (func(i, j int) int, error) {
	switch d := t.Data.(type) {
	case []float32:
		return func(i, j int) int { return cmpNaNLast(float64(d[i]), float64(d[j])) }, nil
	case []float64:
		return func(i, j int) int { return cmpNaNLast(d[i], d[j]) }, nil
	case []int8:
		return cmpT(d), nil
	case []int16:
		return cmpT(d), nil
	case []int32:
		return cmpT(d), nil
	case []int64:
		return cmpT(d), nil
	case []uint8:
		return cmpT(d), nil
	case []uint16:
		return cmpT(d), nil
	case []uint32:
		return cmpT(d), nil
	case []uint64:
		return cmpT(d), nil
	case []string:
		return cmpT(d), nil
	case []bool:
		return func(i, j int) int {
			a, b := d[i], d[j]
			switch {
			case a == b:
				return 0
			case b:
				return -1
			}
			return 1
		}, nil
	case []float16.Float16:
		return func(i, j int) int { return cmpNaNLast(float64(d[i].Float32()), float64(d[j].Float32())) }, nil
	case []graph.BFloat16Value:
		return func(i, j int) int { return cmpNaNLast(float64(d[i].Float32()), float64(d[j].Float32())) }, nil
	}
	return nil, fmt.Errorf("element type %s has no order", t.DType)
}

// cmpNaNLast orders numbers with NaN after everything and equal to NaN, as
// numpy.unique sorts them (and, equal_nan, collapses them).
func cmpNaNLast(a, b float64) int {
	an, bn := a != a, b != b
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return cmp.Compare(a, b)
}

func cmpT[T cmp.Ordered](d []T) func(i, j int) int {
	return func(i, j int) int { return cmp.Compare(d[i], d[j]) }
}

func newUnique(b *Build) (Kernel, error) {
	sorted, err := b.Node.AttrInt("sorted", 1)
	if err != nil {
		return nil, err
	}
	axis, err := b.Node.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	hasAxis := b.Node.HasAttr("axis")
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		return unique(x, sorted != 0, hasAxis, axis)
	}), nil
}

func unique(x *Tensor, sorted, hasAxis bool, axis int64) ([]Value, error) {
	ecmp, err := elemCompare(x)
	if err != nil {
		return nil, fmt.Errorf("input 0: %w", err)
	}
	// The input is seen as outer x n x inner; the items compared are the n
	// slices along the axis (single elements without an axis).
	outer, n, inner := 1, x.Len(), 1
	ax := 0
	if hasAxis {
		if ax, err = NormAxis(axis, x.Rank()); err != nil {
			return nil, fmt.Errorf("input 0 %s: %w", x, err)
		}
		outer, n, inner = Size(x.Shape[:ax]), x.Shape[ax], Size(x.Shape[ax+1:])
	}
	scmp := func(a, b int) int {
		for o := 0; o < outer; o++ {
			base := o * n * inner
			for i := 0; i < inner; i++ {
				if c := ecmp(base+a*inner+i, base+b*inner+i); c != 0 {
					return c
				}
			}
		}
		return 0
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return scmp(order[i], order[j]) < 0 })
	// Group equal items; a group's first member is its first occurrence.
	var firsts []int // first occurrence of each group, in sorted order
	var counts []int64
	group := make([]int, n) // item → group (sorted order)
	for k, it := range order {
		if k == 0 || scmp(order[k-1], it) != 0 {
			firsts = append(firsts, it)
			counts = append(counts, 0)
		}
		group[it] = len(firsts) - 1
		counts[len(counts)-1]++
	}
	u := len(firsts)
	rank := make([]int, u) // group → output position
	for g := range rank {
		rank[g] = g
	}
	if !sorted {
		byFirst := make([]int, u)
		for g := range byFirst {
			byFirst[g] = g
		}
		sort.Slice(byFirst, func(i, j int) bool { return firsts[byFirst[i]] < firsts[byFirst[j]] })
		for p, g := range byFirst {
			rank[g] = p
		}
	}
	indices := make([]int64, u)
	cnt := make([]int64, u)
	for g := 0; g < u; g++ {
		indices[rank[g]] = int64(firsts[g])
		cnt[rank[g]] = counts[g]
	}
	inverse := make([]int64, n)
	for i := range inverse {
		inverse[i] = int64(rank[group[i]])
	}
	src := x
	if !hasAxis {
		src = mvShare(x, []int{n})
	}
	y, err := GatherTensor(src, New([]int{u}, append([]int64{}, indices...)), int64(ax))
	if err != nil {
		return nil, err
	}
	return []Value{y, New([]int{u}, indices), New([]int{n}, inverse), New([]int{u}, cnt)}, nil
}
