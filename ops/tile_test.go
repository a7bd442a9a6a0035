package ops

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// TestExpandReusedBuffers runs Expand (its output from the run's buffers,
// not zeroed) between two Neg nodes, over and over with new values, so
// that a buffer holding an earlier run's data is reused: every output
// element must still be the broadcast input.
func TestExpandReusedBuffers(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for it := range 100 {
		rank := 1 + r.IntN(4)
		out := make([]int, rank)
		in := make([]int, rank)
		for i := range out {
			out[i] = 1 + r.IntN(5)
			if r.IntN(2) == 0 {
				in[i] = out[i]
			} else {
				in[i] = 1
			}
		}
		in = in[r.IntN(rank):] // fewer dims broadcast from the front
		dt := []graph.DType{graph.Float, graph.Int64, graph.Double, graph.Int32}[it%4]
		g := &graph.Graph{Name: "g",
			Inputs:       []*graph.ValueInfo{{Name: "x"}},
			Outputs:      []*graph.ValueInfo{{Name: "z"}},
			Initializers: []*graph.Tensor{must(New([]int{rank}, toInt64s(out)).ToGraph("shape"))},
			Nodes: []*graph.Node{
				{Name: "n1", OpType: "Neg", Inputs: []string{"x"}, Outputs: []string{"nx"}},
				{Name: "e", OpType: "Expand", Inputs: []string{"nx", "shape"}, Outputs: []string{"y"}},
				{Name: "n2", OpType: "Neg", Inputs: []string{"y"}, Outputs: []string{"z"}},
			}}
		p, err := Compile(&graph.Model{Opsets: map[string]int64{"": 13}, Graph: g}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for run := range 3 {
			v := make([]float64, Size(in))
			for i := range v {
				v[i] = float64(r.IntN(1000))
			}
			x, err := fromFloat64s(dt, slices.Clone(in), v)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ExpandTensor(x, out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Run(context.Background(), []Value{x})
			if err != nil {
				t.Fatal(err)
			}
			gv, _ := ToFloat64s(got[0].(*Tensor))
			wv, _ := ToFloat64s(want)
			if !slices.Equal(got[0].(*Tensor).Shape, out) || !slices.Equal(gv, wv) {
				t.Fatalf("%s", fmt.Sprintf("case %d run %d: %s %v to %v: got %v, want %v", it, run, dt, in, out, gv, wv))
			}
		}
	}
}

func toInt64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
