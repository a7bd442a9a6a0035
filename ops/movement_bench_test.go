package ops

import (
	"testing"
)

func BenchmarkMovement(b *testing.B) {
	x := shSeqF32(1, 64, 56, 56)
	emb := shSeqF32(30000, 256)
	ids := make([]int64, 512)
	for i := range ids {
		ids[i] = int64(i * 37 % 30000)
	}
	idx := New([]int{1, 512}, ids)
	cases := []struct {
		name string
		f    func() error
	}{
		{"Gather/embedding", func() error { _, err := GatherTensor(emb, idx, 0); return err }},
		{"Concat/channels", func() error { _, err := ConcatTensors([]*Tensor{x, x, x}, 1); return err }},
		{"Slice/step2", func() error {
			_, err := SliceTensor(x, []int64{0, 0}, []int64{56, 56}, []int64{2, 3}, []int64{2, 2})
			return err
		}},
		{"Pad/reflect", func() error {
			_, err := PadTensor(x, []int64{0, 0, 3, 3, 0, 0, 3, 3}, "reflect", []float32{0})
			return err
		}},
		{"Expand/broadcast", func() error { _, err := ExpandTensor(shSeqF32(64, 1, 1), []int{64, 56, 56}); return err }},
		{"Tile/2x2", func() error { _, err := TileTensor(x, []int64{1, 1, 2, 2}); return err }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := c.f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
