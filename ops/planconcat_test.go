package ops

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"sync"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// concatModel is x → Relu → a, x → Neg → b, (x → Sigmoid → c), Concat(a, b,
// (c)) along axis → y → Abs → z; mid may add nodes between and change the
// Concat's inputs.
func concatModel(axis int64, three bool, mid func(g *graph.Graph)) *graph.Model {
	g := &graph.Graph{Name: "concat",
		Inputs: []*graph.ValueInfo{{Name: "x"}},
		Nodes: []*graph.Node{
			{Name: "relu", OpType: "Relu", Inputs: []string{"x"}, Outputs: []string{"a"}},
			{Name: "neg", OpType: "Neg", Inputs: []string{"x"}, Outputs: []string{"b"}},
		},
		Outputs: []*graph.ValueInfo{{Name: "z"}}}
	in := []string{"a", "b"}
	if three {
		g.Nodes = append(g.Nodes, &graph.Node{Name: "sig", OpType: "Sigmoid", Inputs: []string{"x"}, Outputs: []string{"c"}})
		in = append(in, "c")
	}
	g.Nodes = append(g.Nodes, &graph.Node{Name: "cat", OpType: "Concat", Inputs: in, Outputs: []string{"y"},
		Attrs: []*graph.Attr{{Name: "axis", Type: graph.AttrInt, I: axis}}})
	g.Nodes = append(g.Nodes, &graph.Node{Name: "abs", OpType: "Abs", Inputs: []string{"y"}, Outputs: []string{"z"}})
	if mid != nil {
		mid(g)
	}
	return &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 13}, Graph: g}
}

// concatRef computes the model without buffer reuse.
func planRef(t *testing.T, m *graph.Model, x Value) []Value {
	t.Helper()
	p, err := Compile(m, &Options{NoBufferReuse: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), []Value{x})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func randPlaneT(rng *rand.Rand, shape ...int) *Tensor {
	v := make([]float32, Size(shape))
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return New(shape, v)
}

func sameOuts(a, b []Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		ta, tb := a[i].(*Tensor), b[i].(*Tensor)
		if ta.DType != tb.DType || !slices.Equal(ta.Shape, tb.Shape) || fmt.Sprint(ta.Data) != fmt.Sprint(tb.Data) {
			return false
		}
	}
	return true
}

// TestConcatInPlace checks the outputs of runs that make a Concat in place
// and of runs that cannot (first run, new sizes, a batch of two), and how
// many were made in place (not under -race, where sync.Pool drops the
// recorded sizes at random).
func TestConcatInPlace(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	cases := []struct {
		name    string
		axis    int64
		three   bool
		shapes  [][]int
		inPlace []int // want Concats made in place in each run
	}{
		{"channels", 1, false, [][]int{{1, 3, 5, 7}, {1, 3, 5, 7}, {1, 3, 5, 7}}, []int{0, 1, 1}},
		{"three inputs", 1, true, [][]int{{1, 4, 9}, {1, 4, 9}}, []int{0, 1}},
		{"negative axis", -1, true, [][]int{{1, 1, 11}, {1, 1, 11}}, []int{0, 1}},
		{"axis 0", 0, false, [][]int{{2, 3}, {2, 3}}, []int{0, 1}},
		{"sizes change", 1, false, [][]int{{1, 3, 4}, {1, 3, 4}, {1, 5, 4}, {1, 5, 4}, {1, 3, 4}}, []int{0, 1, 0, 1, 0}},
		{"batch of two", 1, false, [][]int{{2, 3, 4}, {2, 3, 4}, {2, 3, 4}}, []int{0, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The Concat's output is also a graph output, then not.
			m := concatModel(c.axis, c.three, func(g *graph.Graph) {
				g.Outputs = append(g.Outputs, &graph.ValueInfo{Name: "y"})
			})
			for _, th := range []int{1, 2, 0} {
				if th == 0 {
					m, th = concatModel(c.axis, c.three, nil), 2
				}
				p, err := Compile(m, &Options{Threads: th})
				if err != nil {
					t.Fatal(err)
				}
				var kept, keptWant []Value
				for run, shape := range c.shapes {
					x := randPlaneT(rng, shape...)
					want := planRef(t, m, x)
					got, err := p.Run(context.Background(), []Value{x})
					if err != nil {
						t.Fatal(err)
					}
					if !sameOuts(got, want) {
						t.Fatalf("run %d: got %v, want %v", run, got, want)
					}
					if !raceEnabled && p.lastInPlace != c.inPlace[run] {
						t.Errorf("run %d: %d Concats in place, want %d", run, p.lastInPlace, c.inPlace[run])
					}
					if run == 1 {
						kept, keptWant = got, want
					}
				}
				// A result handed out earlier is not overwritten by later runs.
				if !sameOuts(kept, keptWant) {
					t.Errorf("%d threads: the second run's output changed", th)
				}
			}
		})
	}
}

func TestConcatNotInPlace(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	cases := []struct {
		name string
		mid  func(g *graph.Graph)
	}{
		{"input read twice", func(g *graph.Graph) {
			g.Nodes = append(g.Nodes, &graph.Node{Name: "other", OpType: "Exp", Inputs: []string{"a"}, Outputs: []string{"e"}})
			g.Outputs = append(g.Outputs, &graph.ValueInfo{Name: "e"})
		}},
		{"input is a graph output", func(g *graph.Graph) {
			g.Outputs = append(g.Outputs, &graph.ValueInfo{Name: "b"})
		}},
		{"graph input concatenated", func(g *graph.Graph) {
			g.Nodes[2].Inputs[1] = "x"
		}},
		{"same input twice", func(g *graph.Graph) {
			g.Nodes[2].Inputs[1] = "a"
		}},
		{"producer returns a view", func(g *graph.Graph) {
			// b becomes a Reshape of Neg's output: a view the Concat's
			// part cannot hold.
			g.Nodes[1].Outputs[0] = "b0"
			shp, err := graph.NewTensor("shp", []int64{4}, []int64{1, 3, 5, 7})
			if err != nil {
				panic(err)
			}
			g.Initializers = append(g.Initializers, shp)
			g.Nodes = append(g.Nodes, &graph.Node{Name: "rs", OpType: "Reshape", Inputs: []string{"b0", "shp"}, Outputs: []string{"b"}})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := concatModel(1, false, c.mid)
			p, err := Compile(m, &Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			for run := 0; run < 5; run++ {
				x := randPlaneT(rng, 1, 3, 5, 7)
				want := planRef(t, m, x)
				got, err := p.Run(context.Background(), []Value{x})
				if err != nil {
					t.Fatal(err)
				}
				if !sameOuts(got, want) {
					t.Fatalf("run %d: outputs differ", run)
				}
				if p.lastInPlace != 0 {
					t.Errorf("run %d: a Concat was made in place", run)
				}
			}
		})
	}
}

// TestConcatInPlaceConcurrent runs one plan from several goroutines: each
// run has its own buffers.
func TestConcatInPlaceConcurrent(t *testing.T) {
	m := concatModel(1, true, nil)
	p, err := Compile(m, &Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			for run := 0; run < 20; run++ {
				x := randPlaneT(rng, 1, 2+w%3, 6)
				want := planRef(t, m, x)
				got, err := p.Run(context.Background(), []Value{x})
				if err != nil {
					errs <- err
					return
				}
				if !sameOuts(got, want) {
					errs <- fmt.Errorf("worker %d run %d: outputs differ", w, run)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestConcatPrefixGroup checks Concats that share the buffer of a longer
// one whose inputs they begin (DenseNet's blocks).
func TestConcatPrefixGroup(t *testing.T) {
	cat := func(name string, in ...string) *graph.Node {
		return &graph.Node{Name: name, OpType: "Concat", Inputs: in, Outputs: []string{name},
			Attrs: []*graph.Attr{{Name: "axis", Type: graph.AttrInt, I: 1}}}
	}
	un := func(op, in, out string) *graph.Node {
		return &graph.Node{Name: out, OpType: op, Inputs: []string{in}, Outputs: []string{out}}
	}
	build := func(extra bool) *graph.Model {
		g := &graph.Graph{Name: "dense", Inputs: []*graph.ValueInfo{{Name: "x"}},
			Nodes: []*graph.Node{
				un("Relu", "x", "a"),
				cat("c1", "a"),
				un("Neg", "c1", "b"),
				cat("c2", "a", "b"),
				un("Sigmoid", "c2", "d"),
				un("Exp", "c2", "w"),
				cat("c3", "a", "b", "d"),
				un("Abs", "c3", "z"),
			},
			Outputs: []*graph.ValueInfo{{Name: "z"}, {Name: "w"}}}
		if extra {
			// b also read outside the group: nothing is placed.
			g.Nodes = append(g.Nodes, un("Tanh", "b", "e"))
			g.Outputs = append(g.Outputs, &graph.ValueInfo{Name: "e"})
		}
		return &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 13}, Graph: g}
	}
	rng := rand.New(rand.NewSource(3))
	for _, extra := range []bool{false, true} {
		m := build(extra)
		for _, th := range []int{1, 2} {
			p, err := Compile(m, &Options{Threads: th})
			if err != nil {
				t.Fatal(err)
			}
			for run, shape := range [][]int{{1, 2, 3, 5}, {1, 2, 3, 5}, {1, 2, 3, 5}, {1, 4, 3, 5}, {1, 4, 3, 5}, {2, 1, 3, 5}} {
				x := randPlaneT(rng, shape...)
				want := planRef(t, m, x)
				got, err := p.Run(context.Background(), []Value{x})
				if err != nil {
					t.Fatal(err)
				}
				if !sameOuts(got, want) {
					t.Fatalf("extra %v, run %d: outputs differ", extra, run)
				}
				wantIn := 0
				if !extra && (run == 1 || run == 2 || run == 4) {
					wantIn = 3
				}
				if !raceEnabled && p.lastInPlace != wantIn {
					t.Errorf("extra %v, run %d: %d Concats in place, want %d", extra, run, p.lastInPlace, wantIn)
				}
			}
		}
	}
}
