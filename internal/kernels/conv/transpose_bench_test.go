package conv

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// zooTransposed are transposed convolutions of the zoo models (name:
// model/node); In is the input's spatial shape, Out the output's.
var zooTransposed = []struct {
	name string
	p    Params
}{
	{"seed/d-4x4s2", Params{N: 1, C: 32, M: 8, Group: 1, In: []int{26, 26}, Kernel: []int{4, 4}, Out: []int{52, 52}, Strides: []int{2, 2}, Dilations: []int{1, 1}, Pads: []int{1, 1}}},
	{"maskrcnn/conv5_mask", Params{N: 8, C: 256, M: 256, Group: 1, In: []int{14, 14}, Kernel: []int{2, 2}, Out: []int{28, 28}, Strides: []int{2, 2}, Dilations: []int{1, 1}, Pads: []int{0, 0}}},
	{"dcgan-style/5x5s2", Params{N: 4, C: 128, M: 64, Group: 1, In: []int{7, 7}, Kernel: []int{5, 5}, Out: []int{14, 14}, Strides: []int{2, 2}, Dilations: []int{1, 1}, Pads: []int{2, 2}}},
}

// BenchmarkZooTransposed runs each of zooTransposed with packed weights
// and a bias on 1 and 2 threads.
func BenchmarkZooTransposed(b *testing.B) {
	for _, l := range zooTransposed {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/t%d", l.name, th), func(b *testing.B) {
				p := l.p
				pl, err := NewTransposePlan[float32](p)
				if err != nil {
					b.Fatal(err)
				}
				r := rand.New(rand.NewPCG(1, 1))
				x := randSlice(r, p.N*p.C*prod(p.In))
				w := randSlice(r, p.C*p.M/p.Group*prod(p.Kernel))
				bias := randSlice(r, p.M)
				y := make([]float32, p.N*p.M*prod(p.Out))
				tw, err := pl.PackWeights(w)
				if err != nil {
					b.Fatal(err)
				}
				flops := 2 * float64(p.N*p.C*prod(p.In)*p.M/p.Group*prod(p.Kernel))
				b.ResetTimer()
				_, p0 := cpuClocks()
				for i := 0; i < b.N; i++ {
					if err := pl.RunPacked(x, tw, bias, y, th); err != nil {
						b.Fatal(err)
					}
				}
				_, p1 := cpuClocks()
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				if p1 > p0 {
					b.ReportMetric(flops*float64(b.N)/(p1-p0)/1e9, "GFLOP/cpu-s")
				}
			})
		}
	}
}
