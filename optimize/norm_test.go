package optimize

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/ops"
)

// bnModel makes x → Add(x, x) → BatchNormalization → then(...), so that
// the normalized tensor comes from a non-Conv producer and from the run's
// buffer pool (the fused kernel may overwrite it).
func bnModel(dt graph.DType, opset int64, shape []int, then func(b *builder)) *builder {
	b := newBuilder(opset)
	b.input("x", dt, shape...)
	c := shape[1]
	b.init("scale", dt, false, c)
	b.init("beta", dt, false, c)
	b.init("mean", dt, false, c)
	b.init("var", dt, true, c)
	b.node("Add", []string{"x", "x"}, []string{"s"})
	b.node("BatchNormalization", []string{"s", "scale", "beta", "mean", "var"}, []string{"n"}, aFloat("epsilon", 1e-3))
	then(b)
	return b
}

// runThreads runs m with the given op thread budget.
func runThreads(t *testing.T, m *graph.Model, threads int, in []ops.Value) []ops.Value {
	t.Helper()
	p, err := ops.Compile(m, &ops.Options{Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), feeds(m, in))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameBits(a, b *ops.Tensor) bool {
	return fmt.Sprint(a.Shape) == fmt.Sprint(b.Shape) && fmt.Sprint(a.Data) == fmt.Sprint(b.Data)
}

func TestFuseBatchNormActivation(t *testing.T) {
	acts := []struct {
		name  string
		build func(b *builder)
		want  string
		exact bool // the same arithmetic as the separate nodes
	}{
		{"Relu", func(b *builder) { b.node("Relu", []string{"n"}, []string{"y"}) }, "ChannelAffine:Relu", true},
		{"None", func(b *builder) { b.node("Identity", []string{"n"}, []string{"y"}) }, "ChannelAffine", true},
		{"LeakyRelu", func(b *builder) { b.node("LeakyRelu", []string{"n"}, []string{"y"}, aFloat("alpha", 0.2)) }, "ChannelAffine:LeakyRelu", true},
		{"Clip", func(b *builder) {
			b.m.Opsets[""] = 9
			b.node("Clip", []string{"n"}, []string{"y"}, aFloat("min", -0.5), aFloat("max", 0.75))
		}, "ChannelAffine:Clip", true},
		{"SiLU", func(b *builder) {
			b.node("Sigmoid", []string{"n"}, []string{"sg"})
			b.node("Mul", []string{"n", "sg"}, []string{"y"})
		}, "ChannelAffine:SiLU", false},
		{"Tanh", func(b *builder) { b.node("Tanh", []string{"n"}, []string{"y"}) }, "ChannelAffine:Tanh", false},
	}
	shapes := [][]int{{2, 5, 7, 3}, {1, 3}, {3, 4, 9}, {1, 17, 1, 1}, {1, 6, 67, 65}, {1, 2, 1, 2, 3}}
	for _, a := range acts {
		for _, dt := range []graph.DType{graph.Float, graph.Double} {
			for _, shape := range shapes {
				t.Run(fmt.Sprint(a.name, dt, shape), func(t *testing.T) {
					b := bnModel(dt, 14, shape, a.build)
					b.output("y")
					in := randInput(b.rng, dt, shape...)
					got, st := b.check(t, in)
					wantOps(t, got, "Add", a.want)
					if st.NormFused != 1 {
						t.Errorf("stats %v", st)
					}
					om, _, err := Model(b.m, Options{Level: LevelAll})
					if err != nil {
						t.Fatal(err)
					}
					ref := runThreads(t, b.m, 1, []ops.Value{in})[0].(*ops.Tensor)
					one := runThreads(t, om, 1, []ops.Value{in})[0].(*ops.Tensor)
					two := runThreads(t, om, 2, []ops.Value{in})[0].(*ops.Tensor)
					if !sameBits(one, two) {
						t.Error("results differ between 1 and 2 threads")
					}
					if a.exact && !sameBits(one, ref) {
						t.Error("results differ from the separate nodes'")
					}
				})
			}
		}
	}
}

func TestFuseBatchNormKeepsSharedValues(t *testing.T) {
	// The normalized value is read twice: the activation stays separate.
	b := bnModel(graph.Float, 14, []int{2, 3, 4, 4}, func(b *builder) {
		b.node("Relu", []string{"n"}, []string{"y"})
		b.node("Sigmoid", []string{"n"}, []string{"z"})
	})
	b.output("y", "z")
	got, _ := b.check(t, randInput(b.rng, graph.Float, 2, 3, 4, 4))
	wantOps(t, got, "Add", "ChannelAffine", "Relu", "Sigmoid")

	// The normalized value is a graph output.
	b = bnModel(graph.Float, 14, []int{2, 3, 4, 4}, func(b *builder) {
		b.node("Relu", []string{"n"}, []string{"y"})
	})
	b.output("y", "n")
	got, _ = b.check(t, randInput(b.rng, graph.Float, 2, 3, 4, 4))
	wantOps(t, got, "Add", "ChannelAffine", "Relu")
}

func TestNoBatchNormFusion(t *testing.T) {
	cases := []struct {
		name  string
		build func() *builder
		in    []int
	}{
		{"training mode", func() *builder {
			b := newBuilder(15)
			b.input("x", graph.Float, 2, 3, 4)
			for _, n := range []string{"scale", "beta", "mean"} {
				b.init(n, graph.Float, false, 3)
			}
			b.init("var", graph.Float, true, 3)
			b.node("BatchNormalization", []string{"x", "scale", "beta", "mean", "var"}, []string{"n", "rm", "rv"}, aInt("training_mode", 1))
			b.node("Relu", []string{"n"}, []string{"y"})
			b.output("y", "rm", "rv")
			return b
		}, []int{2, 3, 4}},
		{"parameters as inputs", func() *builder {
			b := newBuilder(14)
			b.input("x", graph.Float, 2, 3, 4)
			b.input("scale", graph.Float, 3)
			for _, n := range []string{"beta", "mean"} {
				b.init(n, graph.Float, false, 3)
			}
			b.init("var", graph.Float, true, 3)
			b.node("BatchNormalization", []string{"x", "scale", "beta", "mean", "var"}, []string{"n"})
			b.node("Relu", []string{"n"}, []string{"y"})
			b.output("y")
			return b
		}, []int{2, 3, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.build()
			om, st, err := Model(b.m, Options{Level: LevelAll})
			if err != nil {
				t.Fatal(err)
			}
			if st.NormFused != 0 {
				t.Errorf("stats %v, want no fusion", st)
			}
			for _, n := range om.Graph.Nodes {
				if n.Domain == ops.FusedDomain {
					t.Errorf("fused node %s made", n.OpType)
				}
			}
		})
	}
}

// TestChannelAffineKernel runs the fused op directly: parameters given at
// run time, errors for bad inputs, and no write outside the output.
func TestChannelAffineKernel(t *testing.T) {
	m := &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 14, ops.FusedDomain: 1}, Graph: &graph.Graph{Name: "t"}}
	for _, n := range []string{"x", "a", "b"} {
		m.Graph.Inputs = append(m.Graph.Inputs, &graph.ValueInfo{Name: n})
	}
	m.Graph.Outputs = []*graph.ValueInfo{{Name: "y"}}
	m.Graph.Nodes = []*graph.Node{{Name: "aff", OpType: "ChannelAffine", Domain: ops.FusedDomain, Inputs: []string{"x", "a", "b"}, Outputs: []string{"y"},
		Attrs: []*graph.Attr{{Name: "activation", Type: graph.AttrString, S: []byte("Clip")}, {Name: "activation_params", Type: graph.AttrFloats, Floats: []float32{-1, 1}}}}}
	p, err := ops.Compile(m, &ops.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{-3, -1, 0, 0.5, 2, 4, 1, -2, 8, 0.25, -0.5, 3}
	xs := slices.Clone(x)
	a := []float64{0.5, -2}
	bb := []float64{0.25, 1}
	out, err := p.Run(context.Background(), []ops.Value{ops.New([]int{2, 2, 3}, x), ops.New([]int{2}, a), ops.New([]int{2}, bb)})
	if err != nil {
		t.Fatal(err)
	}
	y := out[0].(*ops.Tensor).Data.([]float32)
	for i, v := range xs {
		ch := (i / 3) % 2
		want := min(1, max(-1, v*float32(a[ch])+float32(bb[ch])))
		if y[i] != want {
			t.Errorf("y[%d] = %v, want %v", i, y[i], want)
		}
	}
	if !slices.Equal(x, xs) {
		t.Error("the caller's input was overwritten")
	}
	for _, bad := range [][]ops.Value{
		{ops.New([]int{2, 2, 3}, x), ops.New([]int{3}, []float64{1, 2, 3}), ops.New([]int{2}, bb)},
		{ops.New([]int{4}, []float32{1, 2, 3, 4}), ops.New([]int{2}, a), ops.New([]int{2}, bb)},
		{ops.New([]int{1, 2}, []int64{1, 2}), ops.New([]int{2}, a), ops.New([]int{2}, bb)},
	} {
		if _, err := p.Run(context.Background(), bad); err == nil {
			t.Errorf("no error for inputs %v", bad)
		}
	}
}

// BenchmarkBatchNormRelu compares BatchNormalization then Relu with the
// ChannelAffine node the optimizer makes of them, at a DenseNet shape.
func BenchmarkBatchNormRelu(b *testing.B) {
	shape := []int{1, 128, 56, 56}
	bm := bnModel(graph.Float, 13, shape, func(b *builder) { b.node("Relu", []string{"n"}, []string{"y"}) })
	bm.output("y")
	in := []ops.Value{randInput(bm.rng, graph.Float, shape...)}
	om, _, err := Model(bm.m, Options{Level: LevelAll})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		m    *graph.Model
	}{{"separate", bm.m}, {"fused", om}} {
		b.Run(c.name, func(b *testing.B) {
			p, err := ops.Compile(c.m, &ops.Options{Threads: 1})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := p.Run(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
