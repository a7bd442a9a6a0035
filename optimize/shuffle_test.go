package optimize

import (
	"fmt"
	"slices"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/ops"
)

// shuffleModel makes g inputs of shape → Concat(axis) → Reshape to the
// split shape → Transpose(perm) → Reshape back; mod may change the model
// before the output is declared.
func shuffleModel(dt graph.DType, shape []int, g, axis int, perm []int64, mod func(b *builder)) (*builder, []ops.Value) {
	b := newBuilder(13)
	var names []string
	var in []ops.Value
	for j := 0; j < g; j++ {
		name := fmt.Sprint("x", j)
		b.input(name, dt, shape...)
		names = append(names, name)
		in = append(in, randOf(b, dt, shape))
	}
	ax := axis
	if ax < 0 {
		ax += len(shape)
	}
	cat := slices.Clone(shape)
	cat[ax] *= g
	split := slices.Concat(dims64(shape[:ax]), []int64{int64(g), int64(shape[ax])}, dims64(shape[ax+1:]))
	b.initData("split", []int64{int64(len(split))}, split)
	b.initData("back", []int64{int64(len(cat))}, dims64(cat))
	b.node("Concat", names, []string{"c"}, aInt("axis", int64(axis)))
	b.node("Reshape", []string{"c", "split"}, []string{"r"})
	b.node("Transpose", []string{"r"}, []string{"t"}, aInts("perm", perm...))
	b.node("Reshape", []string{"t", "back"}, []string{"y"})
	if mod != nil {
		mod(b)
	}
	return b, in
}

func randOf(b *builder, dt graph.DType, shape []int) ops.Value {
	switch dt {
	case graph.Int64:
		v := make([]int64, ops.Size(shape))
		for i := range v {
			v[i] = b.rng.Int63n(1000) - 500
		}
		return ops.New(shape, v)
	case graph.Int32:
		v := make([]int32, ops.Size(shape))
		for i := range v {
			v[i] = int32(b.rng.Int63n(1000) - 500)
		}
		return ops.New(shape, v)
	}
	return randInput(b.rng, dt, shape...)
}

// swapPerm is the identity permutation of rank r with a and a+1 swapped.
func swapPerm(r, a int) []int64 {
	p := make([]int64, r)
	for i := range p {
		p[i] = int64(i)
	}
	p[a], p[a+1] = p[a+1], p[a]
	return p
}

func TestFuseChannelShuffle(t *testing.T) {
	cases := []struct {
		shape   []int
		g, axis int
	}{
		{[]int{1, 58, 28, 28}, 2, 1},
		{[]int{2, 3, 5, 7}, 2, 1},
		{[]int{2, 3, 5, 7}, 3, 1},
		{[]int{2, 3, 5, 7}, 2, 2},
		{[]int{2, 3, 5, 7}, 4, -1},
		{[]int{3, 5}, 2, 0},
		{[]int{1, 1, 1}, 5, 1},
		{[]int{1, 116, 1, 1}, 2, 1},
	}
	for _, c := range cases {
		for _, dt := range []graph.DType{graph.Float, graph.Double, graph.Int64, graph.Int32} {
			t.Run(fmt.Sprint(c.shape, c.g, c.axis, dt), func(t *testing.T) {
				ax := c.axis
				if ax < 0 {
					ax += len(c.shape)
				}
				b, in := shuffleModel(dt, c.shape, c.g, c.axis, swapPerm(len(c.shape)+1, ax), nil)
				b.output("y")
				om, st, err := Model(b.m, Options{Level: LevelAll})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, n := range om.Graph.Nodes {
					got = append(got, n.OpType)
				}
				wantOps(t, got, "ConcatShuffle")
				if st.Fused != 3 {
					t.Errorf("stats %v", st)
				}
				ref := runThreads(t, b.m, 1, in)[0].(*ops.Tensor)
				for _, th := range []int{1, 2} {
					if y := runThreads(t, om, th, in)[0].(*ops.Tensor); !sameBits(y, ref) || y.DType != ref.DType {
						t.Errorf("%d threads: got %v, want %v", th, y, ref)
					}
				}
			})
		}
	}
}

func TestNoChannelShuffleFusion(t *testing.T) {
	shape := []int{2, 4, 3, 3}
	cases := []struct {
		name string
		perm []int64
		mod  func(b *builder)
		out  []string
	}{
		{"other permutation", []int64{0, 1, 2, 4, 3}, nil, []string{"y"}},
		{"concat read twice", swapPerm(5, 1), func(b *builder) { b.node("Relu", []string{"c"}, []string{"z"}) }, []string{"y", "z"}},
		{"split read twice", swapPerm(5, 1), nil, []string{"y", "r"}},
		{"transposed read twice", swapPerm(5, 1), nil, []string{"y", "t"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, in := shuffleModel(graph.Float, shape, 2, 1, c.perm, c.mod)
			b.output(c.out...)
			om, _, err := Model(b.m, Options{Level: LevelAll})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range om.Graph.Nodes {
				if n.OpType == "ConcatShuffle" {
					t.Error("fused")
				}
			}
			b.check(t, in...)
		})
	}
	// Inputs of different sizes along the axis.
	b := newBuilder(13)
	b.input("x0", graph.Float, 2, 2, 3)
	b.input("x1", graph.Float, 2, 6, 3)
	b.initData("split", []int64{4}, []int64{2, 2, 4, 3})
	b.initData("back", []int64{3}, []int64{2, 8, 3})
	b.node("Concat", []string{"x0", "x1"}, []string{"c"}, aInt("axis", 1))
	b.node("Reshape", []string{"c", "split"}, []string{"r"})
	b.node("Transpose", []string{"r"}, []string{"t"}, aInts("perm", 0, 2, 1, 3))
	b.node("Reshape", []string{"t", "back"}, []string{"y"})
	b.output("y")
	om, _, err := Model(b.m, Options{Level: LevelAll})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range om.Graph.Nodes {
		if n.OpType == "ConcatShuffle" {
			t.Error("inputs of different sizes fused")
		}
	}
}

// TestConcatShuffleKernel runs the fused op directly on inputs that do
// not match.
func TestConcatShuffleKernel(t *testing.T) {
	m := &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 13, ops.FusedDomain: 1}, Graph: &graph.Graph{Name: "t"}}
	m.Graph.Inputs = []*graph.ValueInfo{{Name: "a"}, {Name: "b"}}
	m.Graph.Outputs = []*graph.ValueInfo{{Name: "y"}}
	m.Graph.Nodes = []*graph.Node{{Name: "s", OpType: "ConcatShuffle", Domain: ops.FusedDomain, Inputs: []string{"a", "b"}, Outputs: []string{"y"},
		Attrs: []*graph.Attr{{Name: "axis", Type: graph.AttrInt, I: 1}}}}
	p, err := ops.Compile(m, &ops.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(nil, []ops.Value{ops.New([]int{1, 2, 2}, []float32{1, 2, 3, 4}), ops.New([]int{1, 2, 2}, []float32{5, 6, 7, 8})})
	if err != nil {
		t.Fatal(err)
	}
	if y := out[0].(*ops.Tensor); fmt.Sprint(y.Shape, y.Data) != "[1 4 2] [1 2 5 6 3 4 7 8]" {
		t.Errorf("got %v %v", y.Shape, y.Data)
	}
	for _, bad := range [][]ops.Value{
		{ops.New([]int{1, 2, 2}, []float32{1, 2, 3, 4}), ops.New([]int{1, 2, 2}, []float64{5, 6, 7, 8})},
		{ops.New([]int{1, 2, 2}, []float32{1, 2, 3, 4}), ops.New([]int{1, 4}, []float32{5, 6, 7, 8})},
		{ops.New([]int{4}, []float32{1, 2, 3, 4}), ops.New([]int{4}, []float32{5, 6, 7, 8})},
		{ops.New([]int{1, 2}, []bool{true, false}), ops.New([]int{1, 2}, []bool{true, false})},
	} {
		if _, err := p.Run(nil, bad); err == nil {
			t.Errorf("no error for %v", bad)
		}
	}
}
