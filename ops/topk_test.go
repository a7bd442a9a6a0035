package ops

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// topKRef is the plain TopK: each line stably sorted in full.
func topKRef[T cmp.Ordered](d []T, outer, n, inner, k int, largest bool) []int {
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

func TestTopKMatchesStableSort(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for it := range 3000 {
		outer, n, inner := 1+r.IntN(3), r.IntN(60), 1+r.IntN(3)
		if it%50 == 0 {
			n = 2000 + r.IntN(3000)
		}
		k := r.IntN(n + 1)
		largest := r.IntN(2) == 0
		levels := []int{2, 5, 1000, 1 << 30}[r.IntN(4)] // few distinct values: many ties
		f := make([]float32, outer*n*inner)
		i64 := make([]int64, len(f))
		for j := range f {
			v := r.IntN(levels) - levels/2
			i64[j] = int64(v)
			f[j] = float32(v)
			switch r.IntN(40) {
			case 0:
				f[j] = float32(math.NaN())
			case 1:
				f[j] = float32(math.Inf(1 - 2*r.IntN(2)))
			case 2:
				f[j] = float32(math.Copysign(0, -1))
			}
		}
		name := fmt.Sprintf("case %d: outer %d n %d inner %d k %d largest %v", it, outer, n, inner, k, largest)
		if got, want := topK(f, outer, n, inner, k, largest), topKRef(f, outer, n, inner, k, largest); !slices.Equal(got, want) {
			t.Fatalf("%s: float32 offsets %v, want %v", name, got, want)
		}
		if inner == 1 {
			if got, want := topKF32(f, outer, n, k, largest), topKRef(f, outer, n, inner, k, largest); !slices.Equal(got, want) {
				t.Fatalf("%s: float32 keyed offsets %v, want %v", name, got, want)
			}
		}
		if got, want := topK(i64, outer, n, inner, k, largest), topKRef(i64, outer, n, inner, k, largest); !slices.Equal(got, want) {
			t.Fatalf("%s: int64 offsets %v, want %v", name, got, want)
		}
	}
}

func BenchmarkTopK(b *testing.B) {
	// Mask R-CNN's RPN: the 1000 best of 16368 anchor scores.
	r := rand.New(rand.NewPCG(1, 2))
	d := make([]float32, 16368)
	for i := range d {
		d[i] = r.Float32()
	}
	b.Run("ref", func(b *testing.B) {
		for b.Loop() {
			topKRef(d, 1, len(d), 1, 1000, true)
		}
	})
	b.Run("heap", func(b *testing.B) {
		for b.Loop() {
			topK(d, 1, len(d), 1, 1000, true)
		}
	})
	b.Run("keys", func(b *testing.B) {
		for b.Loop() {
			topKF32(d, 1, len(d), 1000, true)
		}
	})
}
