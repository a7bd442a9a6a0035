package onnxrun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/ops"
	"gorgonia.org/tensor"
)

// The tests build small models from kernels of a private domain, so that
// they exercise the session alone.
const testDomain = "test.onnxrun"

// started receives a value each time a Block kernel starts.
var started = make(chan struct{}, 64)

func init() {
	reg := func(op string, k ops.KernelFunc) {
		ops.Register(ops.Spec{Domain: testDomain, Op: op, Since: 1}, func(*ops.Build) (ops.Kernel, error) { return k, nil })
	}
	// Inc adds 1 to every element of a float32 tensor, into a new tensor.
	reg("Inc", func(rc *ops.RunContext, in []ops.Value) ([]ops.Value, error) {
		t, err := ops.TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		x, ok := t.Data.([]float32)
		if !ok {
			return nil, fmt.Errorf("want float32, got %s", t)
		}
		y := make([]float32, len(x))
		for i, v := range x {
			y[i] = v + 1
		}
		return []ops.Value{ops.New(append([]int{}, t.Shape...), y)}, nil
	})
	// Pass returns its inputs unchanged (the same values).
	reg("Pass", func(rc *ops.RunContext, in []ops.Value) ([]ops.Value, error) {
		return append([]ops.Value{}, in...), nil
	})
	reg("Panic", func(rc *ops.RunContext, in []ops.Value) ([]ops.Value, error) {
		var s []int
		_ = s[3]
		return nil, nil
	})
	// Block announces itself on started and waits for its context to end
	// (at most 10s), then passes its input on.
	reg("Block", func(rc *ops.RunContext, in []ops.Value) ([]ops.Value, error) {
		started <- struct{}{}
		select {
		case <-rc.Ctx.Done():
		case <-time.After(10 * time.Second):
		}
		return append([]ops.Value{}, in...), nil
	})
}

// dims builds a declared shape from ints (fixed) and strings (symbolic).
func tt(dt graph.DType, dims ...any) *graph.Type {
	t := &graph.Type{Kind: graph.TypeTensor, Elem: dt, HasShape: true, Shape: []graph.Dim{}}
	for _, d := range dims {
		switch d := d.(type) {
		case int:
			t.Shape = append(t.Shape, graph.Dim{Value: int64(d), Known: true})
		case string:
			t.Shape = append(t.Shape, graph.Dim{Param: d})
		case nil:
			t.Shape = append(t.Shape, graph.Dim{})
		}
	}
	return t
}

func vi(name string, t *graph.Type) *graph.ValueInfo { return &graph.ValueInfo{Name: name, Type: t} }

func node(op string, in []string, out ...string) *graph.Node {
	return &graph.Node{Name: op + "_" + out[0], OpType: op, Domain: testDomain, Inputs: in, Outputs: out}
}

func model(g *graph.Graph) *graph.Model {
	return &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 13, testDomain: 1}, Graph: g}
}

func open(t *testing.T, g *graph.Graph, opts ...Option) *Session {
	t.Helper()
	s, err := FromModel(model(g), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dense(shape []int, v []float32) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

// twoInputs: a float32[N,3] and b float32[N,?] pass to outputs; c = a+1.
func twoInputs() *graph.Graph {
	return &graph.Graph{
		Name:    "two",
		Inputs:  []*graph.ValueInfo{vi("a", tt(graph.Float, "N", 3)), vi("b", tt(graph.Float, "N", nil))},
		Outputs: []*graph.ValueInfo{vi("c", tt(graph.Float, "N", 3)), vi("bo", tt(graph.Float, "N", nil))},
		Nodes:   []*graph.Node{node("Inc", []string{"a"}, "c"), node("Pass", []string{"b"}, "bo")},
	}
}

func TestInfo(t *testing.T) {
	s := open(t, twoInputs())
	in := s.Inputs()
	if len(in) != 2 || in[0].Name != "a" || in[0].String() != "float32[N,3]" || in[1].String() != "float32[N,?]" {
		t.Fatalf("inputs %+v", in)
	}
	if in[0].Kind != KindTensor || !in[0].RankKnown || in[0].Shape[0] != (Dim{Size: -1, Name: "N"}) || in[0].Shape[1] != (Dim{Size: 3}) {
		t.Fatalf("input a: %+v", in[0])
	}
	out := s.Outputs()
	if len(out) != 2 || out[0].Name != "c" || out[0].DType != graph.Float {
		t.Fatalf("outputs %+v", out)
	}
}

func TestRunAndInputErrors(t *testing.T) {
	s := open(t, twoInputs())
	ctx := context.Background()
	a := dense([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	b := dense([]int{2, 1}, []float32{7, 8})
	out, err := s.Run(ctx, map[string]*tensor.Dense{"a": a, "b": b})
	if err != nil {
		t.Fatal(err)
	}
	c := out["c"]
	if got := c.Data().([]float32); fmt.Sprint(got) != "[2 3 4 5 6 7]" || fmt.Sprint(c.Shape()) != "(2, 3)" {
		t.Fatalf("c = %v %v", c.Shape(), got)
	}
	// bo is b passed through: it must come back as a copy, not b's memory.
	bo := out["bo"].Data().([]float32)
	bo[0] = 100
	if b.Data().([]float32)[0] != 7 {
		t.Fatal("output shares memory with an input")
	}

	tests := []struct {
		name string
		in   map[string]*tensor.Dense
		want string
	}{
		{"missing", map[string]*tensor.Dense{"a": a}, `onnxrun: input "b" is missing: want float32[N,?]`},
		{"unknown", map[string]*tensor.Dense{"a": a, "b": b, "x": b}, `onnxrun: unknown input "x" (the model's inputs are "a", "b")`},
		{"dtype", map[string]*tensor.Dense{"a": tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(make([]int64, 6))), "b": b},
			`onnxrun: input "a": want float32[N,3], got int64[2,3]`},
		{"rank", map[string]*tensor.Dense{"a": dense([]int{6}, make([]float32, 6)), "b": b},
			`onnxrun: input "a": want float32[N,3], got float32[6] (rank 1, want rank 2)`},
		{"fixed dim", map[string]*tensor.Dense{"a": dense([]int{3, 2}, make([]float32, 6)), "b": b},
			`onnxrun: input "a": want float32[N,3], got float32[3,2] (dim 1 is 2, want 3)`},
		{"symbolic", map[string]*tensor.Dense{"a": a, "b": dense([]int{3, 1}, make([]float32, 3))},
			`onnxrun: input "b": want float32[N,?], got float32[3,1] (dim 0 is 3, but N is 2 in input "a")`},
		{"go int", map[string]*tensor.Dense{"a": tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(make([]int, 6))), "b": b},
			`onnxrun: input "a": want float32[N,3], got int[2 3] (Go int tensors have no ONNX element type (use int64))`},
	}
	for _, tc := range tests {
		_, err := s.Run(ctx, tc.in)
		var ie *InputError
		if err == nil || err.Error() != tc.want || !errors.As(err, &ie) {
			t.Errorf("%s: got error %v\nwant %s", tc.name, err, tc.want)
		}
	}
}

func TestConstantOutputIsCopied(t *testing.T) {
	w, err := graph.NewTensor("w", []int64{2}, []float32{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	g := &graph.Graph{
		Inputs:       []*graph.ValueInfo{vi("x", tt(graph.Float, 2))},
		Outputs:      []*graph.ValueInfo{vi("y", tt(graph.Float, 2)), vi("w", tt(graph.Float, 2)), vi("y2", tt(graph.Float, 2))},
		Initializers: []*graph.Tensor{w},
		Nodes:        []*graph.Node{node("Inc", []string{"x"}, "y"), node("Pass", []string{"y"}, "y2")},
	}
	s := open(t, g)
	x := dense([]int{2}, []float32{5, 6})
	for range 2 {
		out, err := s.Run(context.Background(), map[string]*tensor.Dense{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		wv := out["w"].Data().([]float32)
		if fmt.Sprint(wv) != "[1 2]" {
			t.Fatalf("w = %v", wv)
		}
		wv[0] = 42 // must not change the model's weight
		y, y2 := out["y"].Data().([]float32), out["y2"].Data().([]float32)
		y[0] = 0 // y and y2 must not share memory
		if y2[0] != 6 {
			t.Fatalf("y2 = %v after changing y", y2)
		}
	}
}

func TestKernelPanicNamesNode(t *testing.T) {
	g := &graph.Graph{
		Inputs:  []*graph.ValueInfo{vi("x", tt(graph.Float, 1))},
		Outputs: []*graph.ValueInfo{vi("y", tt(graph.Float, 1))},
		Nodes:   []*graph.Node{node("Panic", []string{"x"}, "y")},
	}
	s := open(t, g)
	_, err := s.Run(context.Background(), map[string]*tensor.Dense{"x": dense([]int{1}, []float32{1})})
	if err == nil || !strings.Contains(err.Error(), `node "Panic_y" (Panic`) || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("got %v", err)
	}
}

func blockGraph() *graph.Graph {
	return &graph.Graph{
		Inputs:  []*graph.ValueInfo{vi("x", tt(graph.Float, 1))},
		Outputs: []*graph.ValueInfo{vi("z", tt(graph.Float, 1))},
		Nodes:   []*graph.Node{node("Block", []string{"x"}, "y"), node("Inc", []string{"y"}, "z")},
	}
}

func TestCancel(t *testing.T) {
	s := open(t, blockGraph())
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		_, err := s.Run(ctx, map[string]*tensor.Dense{"x": dense([]int{1}, []float32{1})})
		errc <- err
	}()
	<-started
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `"Inc_z"`) {
			t.Fatalf("got %v, want a cancellation before node Inc_z", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestCloseDuringRun(t *testing.T) {
	s, err := FromModel(model(blockGraph()))
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	errc := make(chan error, n)
	for range n {
		go func() {
			_, err := s.Run(context.Background(), map[string]*tensor.Dense{"x": dense([]int{1}, []float32{1})})
			errc <- err
		}()
	}
	for range n {
		<-started
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errc; !errors.Is(err, ErrClosed) {
			t.Fatalf("run during Close: got %v, want ErrClosed", err)
		}
	}
	if _, err := s.Run(context.Background(), map[string]*tensor.Dense{"x": dense([]int{1}, []float32{1})}); !errors.Is(err, ErrClosed) {
		t.Fatalf("run after Close: got %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestConcurrentRuns(t *testing.T) {
	s := open(t, twoInputs())
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				n := 1 + (g+i)%4
				a := make([]float32, 3*n)
				for j := range a {
					a[j] = float32(g*1000 + i*10 + j)
				}
				out, err := s.Run(context.Background(), map[string]*tensor.Dense{"a": dense([]int{n, 3}, a), "b": dense([]int{n, 2}, make([]float32, 2*n))})
				if err != nil {
					errs <- err
					return
				}
				c := out["c"].Data().([]float32)
				for j := range a {
					if c[j] != a[j]+1 {
						errs <- fmt.Errorf("goroutine %d run %d: c[%d] = %v, want %v", g, i, j, c[j], a[j]+1)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestRunValuesSequenceAndOptional(t *testing.T) {
	seq := &graph.Type{Kind: graph.TypeSequence, Inner: tt(graph.Int64, "K")}
	opt := &graph.Type{Kind: graph.TypeOptional, Inner: tt(graph.Float, 2)}
	g := &graph.Graph{
		Inputs:  []*graph.ValueInfo{vi("s", seq), vi("o", opt)},
		Outputs: []*graph.ValueInfo{vi("s2", seq), vi("o2", opt)},
		Nodes:   []*graph.Node{node("Pass", []string{"s", "o"}, "s2", "o2")},
	}
	s := open(t, g)
	items := []*ops.Tensor{ops.New([]int{2}, []int64{1, 2}), ops.New([]int{3}, []int64{3, 4, 5})}
	out, err := s.RunValues(context.Background(), map[string]ops.Value{"s": &ops.Sequence{Elem: graph.Int64, Items: items}})
	if err != nil {
		t.Fatal(err)
	}
	q := out["s2"].(*ops.Sequence)
	if len(q.Items) != 2 || fmt.Sprint(q.Items[1].Data) != "[3 4 5]" {
		t.Fatalf("s2 = %v", q)
	}
	if o := out["o2"].(*ops.Optional); o.Value != nil {
		t.Fatalf("o2 = %v, want empty", o.Value)
	}
	// A bare tensor for an optional input is a present optional.
	out, err = s.RunValues(context.Background(), map[string]ops.Value{"s": &ops.Sequence{Elem: graph.Int64}, "o": ops.New([]int{2}, []float32{1, 2})})
	if err != nil {
		t.Fatal(err)
	}
	if o := out["o2"].(*ops.Optional); o.Value == nil || fmt.Sprint(o.Value.(*ops.Tensor).Data) != "[1 2]" {
		t.Fatalf("o2 = %v", o)
	}
	_, err = s.RunValues(context.Background(), map[string]ops.Value{"s": &ops.Sequence{Elem: graph.Int64, Items: []*ops.Tensor{ops.New([]int{1, 1}, []int64{1})}}})
	if err == nil || !strings.Contains(err.Error(), `input "s": want seq(int64[K])`) || !strings.Contains(err.Error(), "item 0") {
		t.Fatalf("bad sequence item: got %v", err)
	}
	_, err = s.Run(context.Background(), map[string]*tensor.Dense{})
	if err == nil || !strings.Contains(err.Error(), "RunValues") {
		t.Fatalf("Run on a sequence model: got %v", err)
	}
}

// Scalars and zero-sized tensors through Run, both ways.
func TestRunScalarAndEmpty(t *testing.T) {
	g := &graph.Graph{
		Inputs:  []*graph.ValueInfo{vi("s", tt(graph.Int64)), vi("e", tt(graph.Float, "K", 3))},
		Outputs: []*graph.ValueInfo{vi("s2", tt(graph.Int64)), vi("e2", tt(graph.Float, "K", 3)), vi("e3", tt(graph.Float, "K", 3))},
		Nodes:   []*graph.Node{node("Pass", []string{"s", "e"}, "s2", "e2"), node("Inc", []string{"e"}, "e3")},
	}
	s := open(t, g)
	out, err := s.Run(context.Background(), map[string]*tensor.Dense{
		"s": tensor.New(tensor.FromScalar(int64(42))),
		"e": tensor.New(tensor.WithShape(0, 3), tensor.WithBacking([]float32{})),
	})
	if err != nil {
		t.Fatal(err)
	}
	if s2 := out["s2"]; !s2.IsScalar() || s2.Data() != int64(42) {
		t.Errorf("s2 = %v %v", s2.Shape(), s2.Data())
	}
	for _, k := range []string{"e2", "e3"} {
		if e := out[k]; fmt.Sprint(e.Shape()) != "(0, 3)" || e.Dtype() != tensor.Float32 || len(e.Float32s()) != 0 {
			t.Errorf("%s = %v %v", k, e.Shape(), e.Dtype())
		}
	}
	_, err = s.Run(context.Background(), map[string]*tensor.Dense{
		"s": tensor.New(tensor.WithShape(1), tensor.WithBacking([]int64{1})),
		"e": tensor.New(tensor.WithShape(0, 3), tensor.WithBacking([]float32{})),
	})
	if err == nil || err.Error() != `onnxrun: input "s": want int64[], got int64[1] (rank 1, want rank 0)` {
		t.Errorf("a [1] tensor for a scalar input: %v", err)
	}
}
