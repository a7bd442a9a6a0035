package ops

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

func tvi(name string, dt graph.DType, dims ...int64) *graph.ValueInfo {
	ds := make([]graph.Dim, len(dims))
	for i, d := range dims {
		ds[i] = graph.Dim{Value: d, Known: true}
	}
	return &graph.ValueInfo{Name: name, Type: &graph.Type{Kind: graph.TypeTensor, Elem: dt, Shape: ds, HasShape: true}}
}

func TestCheckAlloc(t *testing.T) {
	rc := &RunContext{Ctx: context.Background(), Options: &Options{Limits: Limits{MaxTensorBytes: 1000}}}
	if err := rc.CheckAlloc(graph.Float, []int{250}); err != nil {
		t.Fatalf("1000 bytes: %v", err)
	}
	err := rc.CheckAlloc(graph.Float, []int{251})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxTensorBytes" || le.Requested != 1004 || le.Max != 1000 {
		t.Fatalf("1004 bytes: got %v", err)
	}
	for _, want := range []string{"float32[251]", "1004 bytes", "--max-tensor-bytes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not contain %q", err, want)
		}
	}
	if err := rc.CheckAlloc(graph.Float, []int{1 << 40, 1 << 40, 1 << 40}); !errors.As(err, &le) || le.Requested != math.MaxInt64 {
		t.Fatalf("overflowing shape: got %v", err)
	}
	if err := rc.CheckAlloc(graph.Float, []int{0, 1 << 62}); err != nil {
		t.Fatalf("empty tensor: %v", err)
	}
	if err := rc.CheckAlloc(graph.Float, []int{-1}); err == nil {
		t.Fatal("negative dim: no error")
	}
}

func TestLimitsResolved(t *testing.T) {
	d := Limits{}.Resolved()
	if d.MaxTensorBytes <= 0 || d.MaxTensorBytes > DefaultMaxTensorBytes || d.MaxLiveBytes <= 0 || d.MaxDepth != DefaultMaxDepth || d.MaxLoopIterations != DefaultMaxLoopIterations {
		t.Fatalf("defaults: %+v", d)
	}
	u := Limits{MaxTensorBytes: -1, MaxLiveBytes: -1, MaxDepth: -1, MaxLoopIterations: -1}.Resolved()
	if u.MaxTensorBytes != math.MaxInt64 || u.MaxLiveBytes != math.MaxInt64 || u.MaxLoopIterations != math.MaxInt64 || u.MaxDepth < 1<<30 {
		t.Fatalf("unlimited: %+v", u)
	}
}

// chainModel makes n ConstantOfShape nodes of size floats each, all joined
// at the end by a Sum (so all are alive at once) when together is set, or a
// chain of Relu nodes on one of them (so at most two are alive) otherwise.
func chainModel(n, size int, together bool) *graph.Model {
	g := &graph.Graph{Name: "chain"}
	g.Inputs = []*graph.ValueInfo{tvi("shape", graph.Int64, 1)}
	if together {
		var names []string
		for i := range n {
			name := "c" + string(rune('a'+i))
			g.Nodes = append(g.Nodes, &graph.Node{Name: name, OpType: "ConstantOfShape", Inputs: []string{"shape"}, Outputs: []string{name}})
			names = append(names, name)
		}
		g.Nodes = append(g.Nodes, &graph.Node{Name: "sum", OpType: "Sum", Inputs: names, Outputs: []string{"y"}})
	} else {
		g.Nodes = append(g.Nodes, &graph.Node{Name: "c", OpType: "ConstantOfShape", Inputs: []string{"shape"}, Outputs: []string{"r0"}})
		prev := "r0"
		for i := 1; i <= n; i++ {
			out := "r" + string(rune('0'+i))
			g.Nodes = append(g.Nodes, &graph.Node{Name: "relu" + out, OpType: "Relu", Inputs: []string{prev}, Outputs: []string{out}})
			prev = out
		}
		g.Nodes = append(g.Nodes, &graph.Node{Name: "id", OpType: "Identity", Inputs: []string{prev}, Outputs: []string{"y"}})
	}
	g.Outputs = []*graph.ValueInfo{{Name: "y"}}
	return &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 17}, Graph: g}
}

func TestMaxLiveBytes(t *testing.T) {
	const size = 1 << 20 // 4 MiB of float32 per tensor
	lim := Limits{MaxLiveBytes: 10 << 20}
	in := []Value{New([]int{1}, []int64{size})}
	p, err := Compile(chainModel(3, size, true), &Options{Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Run(context.Background(), in)
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxLiveBytes" || !strings.Contains(err.Error(), `node "cc"`) {
		t.Fatalf("three 4 MiB tensors alive under a 10 MiB limit: got %v", err)
	}
	// A chain releases each tensor after its last use: two alive at most.
	p, err = Compile(chainModel(6, size, false), &Options{Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := p.Run(context.Background(), in); err != nil {
			t.Fatalf("chain: %v", err)
		}
	}
}

// loopModel is a Loop with trip count input m whose body adds 1 to a
// carried float.
func loopModel() *graph.Model {
	body := &graph.Graph{Name: "body",
		Inputs:       []*graph.ValueInfo{tvi("i", graph.Int64), tvi("c", graph.Bool), tvi("x", graph.Float, 1)},
		Outputs:      []*graph.ValueInfo{{Name: "c_out"}, {Name: "x_out"}},
		Initializers: []*graph.Tensor{must(New([]int{1}, []float32{1}).ToGraph("one"))},
		Nodes: []*graph.Node{
			{Name: "cid", OpType: "Identity", Inputs: []string{"c"}, Outputs: []string{"c_out"}},
			{Name: "add", OpType: "Add", Inputs: []string{"x", "one"}, Outputs: []string{"x_out"}},
		}}
	g := &graph.Graph{Name: "main",
		Inputs:  []*graph.ValueInfo{tvi("m", graph.Int64), tvi("x", graph.Float, 1)},
		Outputs: []*graph.ValueInfo{{Name: "y"}},
		Nodes: []*graph.Node{{Name: "loop", OpType: "Loop", Inputs: []string{"m", "", "x"}, Outputs: []string{"y"},
			Attrs: []*graph.Attr{{Name: "body", Type: graph.AttrGraph, G: body}}}}}
	return &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 17}, Graph: g}
}

func must(t *graph.Tensor, err error) *graph.Tensor {
	if err != nil {
		panic(err)
	}
	return t
}

func TestMaxLoopIterations(t *testing.T) {
	p, err := Compile(loopModel(), &Options{Limits: Limits{MaxLoopIterations: 10}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), []Value{Scalar(int64(10)), New([]int{1}, []float32{0})})
	if err != nil {
		t.Fatalf("10 iterations: %v", err)
	}
	if v := out[0].(*Tensor).Data.([]float32)[0]; v != 10 {
		t.Fatalf("10 iterations: got %v", v)
	}
	_, err = p.Run(context.Background(), []Value{Scalar(int64(11)), New([]int{1}, []float32{0})})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxLoopIterations" || !strings.Contains(err.Error(), "--max-loop") {
		t.Fatalf("11 iterations: got %v", err)
	}
	// A cancelled context stops the loop too.
	p, _ = Compile(loopModel(), &Options{Limits: Limits{MaxLoopIterations: -1}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Run(ctx, []Value{Scalar(int64(1 << 40)), New([]int{1}, []float32{0})}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v", err)
	}
}

// ifModel nests If nodes depth deep, each taking the then branch.
func ifModel(depth int) *graph.Model {
	inner := &graph.Graph{Name: "leaf", Outputs: []*graph.ValueInfo{{Name: "x"}}}
	g := inner
	for i := range depth {
		name := "y" + string(rune('a'+i))
		g = &graph.Graph{Name: "level",
			Outputs: []*graph.ValueInfo{{Name: name}},
			Nodes: []*graph.Node{{Name: "if" + name, OpType: "If", Inputs: []string{"c"}, Outputs: []string{name},
				Attrs: []*graph.Attr{{Name: "then_branch", Type: graph.AttrGraph, G: g}, {Name: "else_branch", Type: graph.AttrGraph, G: g}}}}}
	}
	g.Name = "main"
	g.Inputs = []*graph.ValueInfo{tvi("c", graph.Bool), tvi("x", graph.Float, 1)}
	return &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 17}, Graph: g}
}

func TestMaxDepth(t *testing.T) {
	in := []Value{Scalar(true), New([]int{1}, []float32{7})}
	p, err := Compile(ifModel(3), &Options{Limits: Limits{MaxDepth: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(context.Background(), in); err != nil {
		t.Fatalf("depth 3 under a limit of 3: %v", err)
	}
	p, err = Compile(ifModel(4), &Options{Limits: Limits{MaxDepth: 3}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Run(context.Background(), in)
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxDepth" {
		t.Fatalf("depth 4 under a limit of 3: got %v", err)
	}
}
