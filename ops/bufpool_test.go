package ops

import (
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// poolChainModel is x → Neg → a → Relu → y, with a also a graph output when
// keepA.
func poolChainModel(n int, keepA bool) *graph.Model {
	g := &graph.Graph{Name: "chain",
		Inputs: []*graph.ValueInfo{{Name: "x"}},
		Nodes: []*graph.Node{
			{Name: "neg", OpType: "Neg", Inputs: []string{"x"}, Outputs: []string{"a"}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"a"}, Outputs: []string{"y"}},
		},
		Outputs: []*graph.ValueInfo{{Name: "y"}}}
	if keepA {
		g.Outputs = append(g.Outputs, &graph.ValueInfo{Name: "a"})
	}
	return &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 14}, Graph: g}
}

func TestBufferReuseInPlace(t *testing.T) {
	const n = parallelMin * 2
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	for _, keepA := range []bool{false, true} {
		p, err := Compile(poolChainModel(n, keepA), &Options{Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		for run := 0; run < 3; run++ {
			in := New([]int{n}, append([]float32(nil), x...))
			out, err := p.Run(nil, []Value{in})
			if err != nil {
				t.Fatal(err)
			}
			y := out[0].(*Tensor).Data.([]float32)
			for i, v := range x {
				if want := max(-v, 0); y[i] != want {
					t.Fatalf("keepA %v run %d: y[%d] = %v, want %v", keepA, run, i, y[i], want)
				}
			}
			if got := in.Data.([]float32); got[1] != x[1] {
				t.Fatal("the input was overwritten")
			}
			if keepA {
				a := out[1].(*Tensor).Data.([]float32)
				for i, v := range x {
					if a[i] != -v {
						t.Fatalf("run %d: output a[%d] = %v, want %v (overwritten in place?)", run, i, a[i], -v)
					}
				}
			}
		}
		gets, reuses := p.PoolStats()
		if gets == 0 {
			t.Errorf("keepA %v: no buffer came from the pool", keepA)
		}
		if !keepA && gets != 1 {
			// Relu worked in place on Neg's buffer: one request per run.
			t.Errorf("%d buffer requests in the last run, want 1 (Relu in place)", gets)
		}
		_ = reuses
	}
}
