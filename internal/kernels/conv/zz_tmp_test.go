package conv

import (
	"fmt"
	"testing"
)

func BenchmarkTmpM(b *testing.B) {
	for _, m := range []int{60, 64, 66} {
		p := Params{N: 1, C: 32, M: m, Group: 1, In: []int{16, 28, 28}, Kernel: []int{3, 3, 3}, Out: []int{16, 28, 28}, Strides: []int{1, 1, 1}, Dilations: []int{1, 1, 1}, Pads: []int{1, 1, 1}}
		b.Run(fmt.Sprint(m), func(b *testing.B) { benchConvThreads(b, p, Im2col, 1) })
	}
}
