package conv

import (
	"math"
	"math/rand"
	"testing"
)

// TestCandidatesBitIdenticalAcrossThreads runs every candidate algorithm
// of a few layers with 1, 2, 3 and 8 threads: each algorithm's output must
// be bit-identical whatever the thread count (the executor's determinism
// guarantee). Small images are included, since they are where work is
// split more finely to keep threads busy.
func TestCandidatesBitIdenticalAcrossThreads(t *testing.T) {
	layers := []Params{
		{N: 1, C: 16, M: 24, Group: 1, In: []int{14, 14}, Kernel: []int{3, 3}, Out: []int{14, 14}, Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{1, 1}},
		{N: 2, C: 8, M: 40, Group: 1, In: []int{7, 9}, Kernel: []int{3, 3}, Out: []int{7, 9}, Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{1, 1}},
		{N: 1, C: 32, M: 64, Group: 1, In: []int{28, 28}, Kernel: []int{3, 3}, Out: []int{28, 28}, Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{1, 1}},
		{N: 1, C: 64, M: 48, Group: 1, In: []int{9, 9}, Kernel: []int{1, 1}, Out: []int{9, 9}, Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{0, 0}},
		{N: 1, C: 32, M: 32, Group: 32, In: []int{15, 15}, Kernel: []int{3, 3}, Out: []int{8, 8}, Strides: []int{2, 2}, Dilations: []int{1, 1}, Pads: []int{1, 1}},
	}
	rng := rand.New(rand.NewSource(1))
	for li, p := range layers {
		pl, err := NewPlan[float32](p)
		if err != nil {
			t.Fatalf("layer %d: %v", li, err)
		}
		x := make([]float32, p.N*p.C*p.In[0]*p.In[1])
		w := make([]float32, p.M*(p.C/p.Group)*p.Kernel[0]*p.Kernel[1])
		bias := make([]float32, p.M)
		for _, s := range [][]float32{x, w, bias} {
			for i := range s {
				s[i] = rng.Float32()*2 - 1
			}
		}
		n := p.N * p.M * p.Out[0] * p.Out[1]
		for _, a := range Candidates[float32](&p) {
			q := pl.WithAlgo(a)
			var first []float32
			for _, th := range []int{1, 2, 3, 8} {
				y := make([]float32, n)
				if err := q.Run(x, w, bias, y, th); err != nil {
					t.Fatalf("layer %d %v: %v", li, a, err)
				}
				if first == nil {
					first = y
					continue
				}
				for i := range y {
					if math.Float32bits(y[i]) != math.Float32bits(first[i]) {
						t.Errorf("layer %d %v: %d threads: element %d is %v, 1 thread gives %v", li, a, th, i, y[i], first[i])
						break
					}
				}
			}
		}
	}
}
