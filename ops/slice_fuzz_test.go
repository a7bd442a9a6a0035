package ops

import (
	"math"
	"math/rand"
	"reflect"
	"slices"
	"testing"
)

// shPySliceIndices lists the indices a Python slice start:stop:step selects
// from a sequence of length n (the algorithm of PySlice_AdjustIndices),
// except where the ONNX spec differs: a start still negative after adding n
// is clamped to 0 for negative steps too (Python would select nothing).
func shPySliceIndices(start, stop, step int64, n int) []int {
	l := int64(n)
	adjust := func(v int64, isStart bool) int64 {
		if v < 0 {
			v += l
			if v < 0 {
				if step < 0 && !(isStart && l > 0) {
					return -1
				}
				return 0
			}
		} else if v >= l {
			if step < 0 {
				return l - 1
			}
			return l
		}
		return v
	}
	s, e := adjust(start, true), adjust(stop, false)
	var out []int
	if step > 0 {
		for i := s; i < e; i += step {
			out = append(out, int(i))
		}
	} else {
		for i := s; i > e; i += step {
			out = append(out, int(i))
		}
	}
	return out
}

func TestSliceRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	pick := func(dim int) int64 {
		switch rng.Intn(8) {
		case 0:
			return math.MaxInt64
		case 1:
			return math.MinInt64
		}
		return int64(rng.Intn(4*dim+5) - 2*dim - 2)
	}
	for iter := 0; iter < 2000; iter++ {
		r := 1 + rng.Intn(4)
		shape := make([]int, r)
		for i := range shape {
			shape[i] = rng.Intn(5)
		}
		x := shSeqI64(shape...)
		var starts, ends, axes, steps []int64
		lists := make([][]int, r)
		for ax := range lists {
			lists[ax] = make([]int, shape[ax])
			for i := range lists[ax] {
				lists[ax][i] = i
			}
		}
		for _, ax := range rng.Perm(r)[:1+rng.Intn(r)] {
			s, e := pick(shape[ax]), pick(shape[ax])
			st := int64(rng.Intn(7) - 3)
			if st == 0 {
				st = 1
			}
			if rng.Intn(10) == 0 {
				st *= math.MaxInt64 / 4
			}
			starts, ends, steps = append(starts, s), append(ends, e), append(steps, st)
			a := int64(ax)
			if rng.Intn(2) == 0 {
				a -= int64(r)
			}
			axes = append(axes, a)
			lists[ax] = shPySliceIndices(s, e, st, shape[ax])
		}
		got, err := SliceTensor(x, starts, ends, axes, steps)
		if err != nil {
			t.Fatalf("%v starts %v ends %v axes %v steps %v: %v", shape, starts, ends, axes, steps, err)
		}
		// Reference: the cartesian product of the per-axis index lists.
		wshape := make([]int, r)
		for ax := range wshape {
			wshape[ax] = len(lists[ax])
		}
		want := make([]int64, 0, Size(wshape))
		st := Strides(shape)
		coord := make([]int, r)
		for k := 0; k < Size(wshape); k++ {
			off := 0
			for ax, c := range coord {
				off += lists[ax][c] * st[ax]
			}
			want = append(want, int64(off))
			for ax := r - 1; ax >= 0; ax-- {
				coord[ax]++
				if coord[ax] < wshape[ax] {
					break
				}
				coord[ax] = 0
			}
		}
		if !slices.Equal(got.Shape, wshape) || (len(want) > 0 && !reflect.DeepEqual(got.Data, want)) {
			t.Fatalf("%v starts %v ends %v axes %v steps %v: got %v %v, want %v %v", shape, starts, ends, axes, steps, got.Shape, got.Data, wshape, want)
		}
	}
}
