package ops

import (
	"context"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// Benchmarks of the cheap ops at the shapes the zoo CNNs give them, run
// through a compiled plan (so outputs come from the run's buffers) on one
// thread. Each graph is x → Neg → op → Neg, so the op's input dies at the
// op as in a real model.

func benchPlan(b *testing.B, op string, opset int64, attrs []*graph.Attr, x *Tensor, consts ...*Tensor) {
	b.Helper()
	g := &graph.Graph{Name: "bench",
		Inputs:  []*graph.ValueInfo{{Name: "x"}},
		Outputs: []*graph.ValueInfo{{Name: "z"}},
		Nodes: []*graph.Node{
			{Name: "pre", OpType: "Neg", Inputs: []string{"x"}, Outputs: []string{"a"}},
			{Name: "op", OpType: op, Attrs: attrs, Inputs: []string{"a"}, Outputs: []string{"y"}},
			{Name: "post", OpType: "Neg", Inputs: []string{"y"}, Outputs: []string{"z"}},
		}}
	for i, c := range consts {
		name := "c" + string(rune('0'+i))
		gt, err := c.ToGraph(name)
		if err != nil {
			b.Fatal(err)
		}
		g.Initializers = append(g.Initializers, gt)
		g.Nodes[1].Inputs = append(g.Nodes[1].Inputs, name)
	}
	p, err := Compile(&graph.Model{IRVersion: 8, Opsets: map[string]int64{"": opset}, Graph: g}, &Options{Threads: 1})
	if err != nil {
		b.Fatal(err)
	}
	in := []Value{x}
	b.SetBytes(int64(4 * x.Len()))
	for b.Loop() {
		if _, err := p.Run(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheapMulPerChannel is efficientnet_b0's squeeze-excitation Mul.
func BenchmarkCheapMulPerChannel(b *testing.B) {
	benchPlan(b, "Mul", 14, nil, randTensor(1, 32, 112, 112), randTensor(1, 32, 1, 1))
}

// BenchmarkCheapRelu is densenet121's first transition Relu.
func BenchmarkCheapRelu(b *testing.B) { benchPlan(b, "Relu", 14, nil, randTensor(1, 256, 56, 56)) }

// BenchmarkCheapBatchNorm is densenet121's first transition BatchNormalization.
func BenchmarkCheapBatchNorm(b *testing.B) {
	v := randTensor(256)
	for i, e := range v.Data.([]float32) {
		v.Data.([]float32)[i] = e*e + 0.1
	}
	benchPlan(b, "BatchNormalization", 15, nil, randTensor(1, 256, 56, 56), randTensor(256), randTensor(256), randTensor(256), v)
}

// BenchmarkCheapConcat is a densenet121 block-1 Concat.
func BenchmarkCheapConcat(b *testing.B) {
	attrs := []*graph.Attr{{Name: "axis", Type: graph.AttrInt, I: 1}}
	benchPlan(b, "Concat", 13, attrs, randTensor(1, 224, 56, 56), randTensor(1, 32, 56, 56))
}

// BenchmarkCheapShuffle is shufflenet_v2's channel-shuffle Transpose.
func BenchmarkCheapShuffle(b *testing.B) {
	attrs := []*graph.Attr{{Name: "perm", Type: graph.AttrInts, Ints: []int64{0, 2, 1, 3, 4}}}
	benchPlan(b, "Transpose", 13, attrs, randTensor(1, 58, 2, 28, 28))
}

// BenchmarkCheapTranspose2D swaps the two dims of a matrix.
func BenchmarkCheapTranspose2D(b *testing.B) {
	benchPlan(b, "Transpose", 13, nil, randTensor(256, 3136))
}

// BenchmarkCheapTanh is dcgan_gen's Tanh.
func BenchmarkCheapTanh(b *testing.B) { benchPlan(b, "Tanh", 13, nil, randTensor(4, 6272)) }
