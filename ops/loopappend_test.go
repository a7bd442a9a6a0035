package ops

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// appendLoopModel is a Loop whose body extends acc by p rows per iteration,
// acc_out = Concat(axis 0)(acc, piece), where piece is p copies of x+i; it
// also carries s = s+i and scans x+i. With viaIdentity the Concat reads acc
// through an Identity, which keeps the Loop from appending in place: the
// reference.
//
// With stopAt > 0 the body's condition is i+1 < stopAt and the Loop reads
// it; withTrips false leaves the trip count out.
func appendLoopModel(dt graph.DType, p int64, viaIdentity bool, stopAt int64, withTrips bool) *graph.Model {
	accIn := "acc"
	cond := &graph.Node{Name: "cid", OpType: "Identity", Inputs: []string{"c"}, Outputs: []string{"c_out"}}
	if stopAt > 0 {
		cond = &graph.Node{Name: "cless", OpType: "Less", Inputs: []string{"i1", "stop"}, Outputs: []string{"c_out"}}
	}
	nodes := []*graph.Node{
		cond,
		{Name: "i1", OpType: "Add", Inputs: []string{"i", "one"}, Outputs: []string{"i1"}},
		{Name: "fi", OpType: "Cast", Inputs: []string{"i"}, Outputs: []string{"fi"}, Attrs: []*graph.Attr{attrInt("to", int64(dt))}},
		{Name: "v", OpType: "Add", Inputs: []string{"x", "fi"}, Outputs: []string{"v"}},
		{Name: "u", OpType: "Unsqueeze", Inputs: []string{"v", "zero"}, Outputs: []string{"u"}},
		{Name: "shp", OpType: "Shape", Inputs: []string{"u"}, Outputs: []string{"ushape"}},
		{Name: "rows", OpType: "Mul", Inputs: []string{"ushape", "prow"}, Outputs: []string{"pshape"}},
		{Name: "piece", OpType: "Expand", Inputs: []string{"u", "pshape"}, Outputs: []string{"piece"}},
		{Name: "s", OpType: "Add", Inputs: []string{"s", "fi"}, Outputs: []string{"s_out"}},
	}
	if viaIdentity {
		nodes = append(nodes, &graph.Node{Name: "aid", OpType: "Identity", Inputs: []string{"acc"}, Outputs: []string{"acc_id"}})
		accIn = "acc_id"
	}
	nodes = append(nodes, &graph.Node{Name: "cat", OpType: "Concat", Inputs: []string{accIn, "piece"}, Outputs: []string{"acc_out"},
		Attrs: []*graph.Attr{attrInt("axis", 0)}})
	body := &graph.Graph{Name: "body",
		Inputs:  []*graph.ValueInfo{{Name: "i"}, {Name: "c"}, {Name: "acc"}, {Name: "s"}},
		Outputs: []*graph.ValueInfo{{Name: "c_out"}, {Name: "acc_out"}, {Name: "s_out"}, {Name: "v", Type: &graph.Type{Kind: graph.TypeTensor, Elem: dt}}},
		Initializers: []*graph.Tensor{
			must(New([]int{1}, []int64{0}).ToGraph("zero")),
			must(New([]int{3}, []int64{p, 1, 1}).ToGraph("prow")),
			must(Scalar(int64(1)).ToGraph("one")),
			must(Scalar(stopAt).ToGraph("stop")),
		},
		Nodes: nodes,
	}
	g := &graph.Graph{Name: "main",
		Inputs:  []*graph.ValueInfo{{Name: "m"}, {Name: "x"}, {Name: "acc0"}, {Name: "s0"}},
		Outputs: []*graph.ValueInfo{{Name: "acc_f"}, {Name: "s_f"}, {Name: "scan"}},
		Nodes: []*graph.Node{{Name: "loop", OpType: "Loop", Inputs: []string{"m", "", "acc0", "s0"},
			Outputs: []string{"acc_f", "s_f", "scan"}, Attrs: []*graph.Attr{{Name: "body", Type: graph.AttrGraph, G: body}}}}}
	if stopAt > 0 {
		g.Inputs = append(g.Inputs, &graph.ValueInfo{Name: "c0"})
		g.Nodes[0].Inputs[1] = "c0"
	}
	if !withTrips {
		g.Nodes[0].Inputs[0] = ""
	}
	return &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 17}, Graph: g}
}

// loopAppends returns the appended values of the plan's first Loop.
func loopAppends(t *testing.T, p *Plan) []loopAppend {
	t.Helper()
	for _, st := range p.steps {
		if k, ok := st.kernel.(*loopKernel); ok {
			return k.apps
		}
	}
	t.Fatal("no Loop in the plan")
	return nil
}

func randomOf(t *testing.T, r *rand.Rand, dt graph.DType, shape []int) *Tensor {
	t.Helper()
	v := make([]float64, Size(shape))
	for i := range v {
		v[i] = float64(r.IntN(200)) - 100
		if dt == graph.Uint8 {
			v[i] = float64(r.IntN(100))
		}
	}
	out, err := fromFloat64s(dt, shape, v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoopAppendMatchesConcat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, dt := range []graph.DType{graph.Float, graph.Double, graph.Int64, graph.Int32, graph.Uint8} {
		for _, p := range []int64{0, 1, 3} {
			for _, trips := range []int64{0, 1, 2, 7, 40} {
				for _, stop := range []struct {
					at        int64
					withTrips bool
				}{{0, true}, {trips / 2, true}, {trips, false}} {
					if !stop.withTrips && stop.at == 0 {
						continue // would never stop
					}
					rows0 := r.IntN(3)
					name := fmt.Sprintf("%s/p%d/m%d/rows%d/stop%v", dt, p, trips, rows0, stop)
					fast, err := Compile(appendLoopModel(dt, p, false, stop.at, stop.withTrips), nil)
					if err != nil {
						t.Fatal(name, err)
					}
					if apps := loopAppends(t, fast); len(apps) != 1 || apps[0].carry != 0 {
						t.Fatalf("%s: appended values %v, want carried value 0", name, apps)
					}
					ref, err := Compile(appendLoopModel(dt, p, true, stop.at, stop.withTrips), nil)
					if err != nil {
						t.Fatal(name, err)
					}
					if apps := loopAppends(t, ref); apps != nil {
						t.Fatalf("%s: reference appends %v", name, apps)
					}
					a, b := 1+r.IntN(4), 1+r.IntN(5)
					x := randomOf(t, r, dt, []int{a, b})
					acc0 := randomOf(t, r, dt, []int{rows0, a, b})
					keep, _ := ToFloat64s(acc0)
					s0 := randomOf(t, r, dt, []int{a, b})
					in := []Value{Scalar(trips), x, acc0, s0}
					if stop.at > 0 {
						in = append(in, Scalar(true))
					}
					want, err := ref.Run(context.Background(), in)
					if err != nil {
						t.Fatal(name, err)
					}
					for run := range 2 {
						got, err := fast.Run(context.Background(), in)
						if err != nil {
							t.Fatal(name, err)
						}
						for j := range want {
							g, w := got[j].(*Tensor), want[j].(*Tensor)
							if g.DType != w.DType || !slices.Equal(g.Shape, w.Shape) || !reflect.DeepEqual(g.Data, w.Data) {
								t.Fatalf("%s run %d output %d: got %s %v, want %s %v", name, run, j, g, g.Data, w, w.Data)
							}
						}
						if now, _ := ToFloat64s(acc0); !slices.Equal(now, keep) {
							t.Fatalf("%s: the initial value was written to", name)
						}
					}
				}
			}
		}
	}
}

func TestLoopAppendErrors(t *testing.T) {
	fast, err := Compile(appendLoopModel(graph.Float, 1, false, 0, true), nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := Compile(appendLoopModel(graph.Float, 1, true, 0, true), nil)
	if err != nil {
		t.Fatal(err)
	}
	x := New([]int{2, 3}, make([]float32, 6))
	s0 := New([]int{2, 3}, make([]float32, 6))
	for _, acc0 := range []Value{
		New([]int{0, 2, 4}, []float32{}),                  // a dim differs
		New([]int{2, 3}, make([]float32, 6)),              // the rank differs
		New([]int{1, 2, 3}, []int64{1, 2, 3, 4, 5, 6}),    // the type differs
		Scalar(float32(1)),                                // rank 0: no axis 0
		&Sequence{Elem: graph.Float, Items: []*Tensor{x}}, // not a tensor
	} {
		in := []Value{Scalar(int64(3)), x, acc0, s0}
		_, want := ref.Run(context.Background(), in)
		_, got := fast.Run(context.Background(), in)
		if want == nil || got == nil {
			t.Fatalf("initial %v: got error %v, reference error %v", acc0, got, want)
		}
		if got.Error() != want.Error() {
			t.Errorf("initial %v:\n got error %v\nwant error %v", acc0, got, want)
		}
		// Without iterations nothing is joined: the initial value comes back.
		in[0] = Scalar(int64(0))
		out, err := fast.Run(context.Background(), in)
		if err != nil || out[0] != acc0 {
			t.Errorf("initial %v, 0 iterations: got %v, %v", acc0, out, err)
		}
	}
}

func TestLoopAppendLimits(t *testing.T) {
	m := appendLoopModel(graph.Float, 1, false, 0, true)
	p, err := Compile(m, &Options{Limits: Limits{MaxTensorBytes: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	x := New([]int{2, 5}, make([]float32, 10)) // 40 bytes a row
	in := []Value{Scalar(int64(24)), x, New([]int{0, 2, 5}, []float32{}), New([]int{2, 5}, make([]float32, 10))}
	if _, err := p.Run(context.Background(), in); err != nil {
		t.Fatalf("24 rows: %v", err)
	}
	in[0] = Scalar(int64(26))
	var le *LimitError
	if _, err := p.Run(context.Background(), in); !errors.As(err, &le) || le.Limit != "MaxTensorBytes" {
		t.Fatalf("26 rows: got %v, want a MaxTensorBytes error", err)
	}
}

func TestLoopAppendPattern(t *testing.T) {
	// Each change makes acc_in or acc_out visible to more than the Concat,
	// or the Concat something else: the body must run as written.
	for name, change := range map[string]func(b *graph.Graph){
		"acc read twice": func(b *graph.Graph) {
			b.Nodes = append(b.Nodes, &graph.Node{Name: "r", OpType: "Identity", Inputs: []string{"acc"}, Outputs: []string{"r"}})
		},
		"acc_out read": func(b *graph.Graph) {
			b.Nodes = append(b.Nodes, &graph.Node{Name: "r", OpType: "Identity", Inputs: []string{"acc_out"}, Outputs: []string{"r"}})
		},
		"acc_out scanned": func(b *graph.Graph) { b.Outputs[3] = &graph.ValueInfo{Name: "acc_out", Type: b.Outputs[3].Type} },
		"acc scanned":     func(b *graph.Graph) { b.Outputs[3] = &graph.ValueInfo{Name: "acc", Type: b.Outputs[3].Type} },
		"axis 1": func(b *graph.Graph) {
			b.Nodes[len(b.Nodes)-1].Attrs = []*graph.Attr{attrInt("axis", 1)}
		},
		"acc last": func(b *graph.Graph) {
			n := b.Nodes[len(b.Nodes)-1]
			n.Inputs = []string{"piece", "acc"}
		},
		"three inputs": func(b *graph.Graph) {
			n := b.Nodes[len(b.Nodes)-1]
			n.Inputs = append(n.Inputs, "piece")
		},
		"acc read by a subgraph": func(b *graph.Graph) {
			then := &graph.Graph{Name: "then", Outputs: []*graph.ValueInfo{{Name: "t"}},
				Nodes: []*graph.Node{{Name: "t", OpType: "Identity", Inputs: []string{"acc"}, Outputs: []string{"t"}}}}
			b.Nodes = append(b.Nodes, &graph.Node{Name: "if", OpType: "If", Inputs: []string{"c"}, Outputs: []string{"t"},
				Attrs: []*graph.Attr{{Name: "then_branch", Type: graph.AttrGraph, G: then}, {Name: "else_branch", Type: graph.AttrGraph, G: then}}})
		},
	} {
		m := appendLoopModel(graph.Float, 1, false, 0, true)
		change(m.Graph.Nodes[0].Attr("body").G)
		p, err := Compile(m, nil)
		if err != nil {
			t.Fatal(name, err)
		}
		if apps := loopAppends(t, p); apps != nil {
			t.Errorf("%s: the body is rewritten (%v)", name, apps)
		}
	}
}
