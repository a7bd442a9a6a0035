package ops

import (
	"context"
	"testing"
)

func BenchmarkLoopIteration(b *testing.B) {
	p, err := Compile(loopModel(), &Options{Limits: Limits{MaxLoopIterations: -1}})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if _, err := p.Run(context.Background(), []Value{Scalar(int64(b.N)), New([]int{1}, []float32{0})}); err != nil {
		b.Fatal(err)
	}
}
