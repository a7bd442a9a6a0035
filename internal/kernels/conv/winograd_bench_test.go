package conv

import (
	"fmt"
	"testing"
)

// BenchmarkWinogradLayers runs ResNet's 3×3 stride-1 layers (64 channels
// at 56×56 down to 512 at 7×7) with 1 and 2 threads through im2col and both
// Winograd forms; GFLOP/s counts the direct convolution's operations.
func BenchmarkWinogradLayers(b *testing.B) {
	for _, l := range []struct{ c, hw int }{{64, 56}, {128, 28}, {256, 14}, {512, 7}} {
		p := Params{N: 1, C: l.c, M: l.c, Group: 1, In: []int{l.hw, l.hw}, Kernel: []int{3, 3}, Out: []int{l.hw, l.hw},
			Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{1, 1}}
		for _, a := range []Algo{Im2col, Winograd, Winograd43} {
			if a == Winograd43 && !winograd43OK(&p) {
				continue
			}
			for _, th := range []int{1, 2} {
				b.Run(fmt.Sprintf("c%d_%dx%d/%v/t%d", l.c, l.hw, l.hw, a, th), func(b *testing.B) { benchConvThreads(b, p, a, th) })
			}
		}
	}
}
