package optimize

import (
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/ops"
)

// builder makes small models for the pass tests.
type builder struct {
	m   *graph.Model
	rng *rand.Rand
}

func newBuilder(opset int64) *builder {
	return &builder{m: &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": opset}, Graph: &graph.Graph{Name: "t"}},
		rng: rand.New(rand.NewSource(1))}
}

func dims64(d []int) []int64 {
	out := make([]int64, len(d))
	for i, v := range d {
		out[i] = int64(v)
	}
	return out
}

func (b *builder) input(name string, dt graph.DType, shape ...int) {
	t := &graph.Type{Kind: graph.TypeTensor, Elem: dt, HasShape: true}
	for _, d := range shape {
		t.Shape = append(t.Shape, graph.Dim{Value: int64(d), Known: true})
	}
	b.m.Graph.Inputs = append(b.m.Graph.Inputs, &graph.ValueInfo{Name: name, Type: t})
}

func (b *builder) symInput(name string, dt graph.DType, shape ...string) {
	t := &graph.Type{Kind: graph.TypeTensor, Elem: dt, HasShape: true}
	for _, d := range shape {
		if d == "N" {
			t.Shape = append(t.Shape, graph.Dim{Param: "N"})
		} else {
			var v int64
			for _, c := range d {
				v = 10*v + int64(c-'0')
			}
			t.Shape = append(t.Shape, graph.Dim{Value: v, Known: true})
		}
	}
	b.m.Graph.Inputs = append(b.m.Graph.Inputs, &graph.ValueInfo{Name: name, Type: t})
}

func (b *builder) output(names ...string) {
	for _, n := range names {
		b.m.Graph.Outputs = append(b.m.Graph.Outputs, &graph.ValueInfo{Name: n})
	}
}

// init adds a random initializer (positive when pos) of type dt.
func (b *builder) init(name string, dt graph.DType, pos bool, shape ...int) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = b.rng.Float64()*2 - 1
		if pos {
			v[i] = 0.5 + b.rng.Float64()
		}
	}
	b.m.Graph.Initializers = append(b.m.Graph.Initializers, tensorAs(name, dt, dims64(shape), v))
}

func (b *builder) initData(name string, shape []int64, data any) {
	t, err := graph.NewTensor(name, shape, data)
	if err != nil {
		panic(err)
	}
	b.m.Graph.Initializers = append(b.m.Graph.Initializers, t)
}

func (b *builder) node(op string, in, out []string, attrs ...*graph.Attr) *graph.Node {
	n := &graph.Node{Name: op + "_" + out[0], OpType: op, Inputs: in, Outputs: out, Attrs: attrs}
	b.m.Graph.Nodes = append(b.m.Graph.Nodes, n)
	return n
}

func aInt(name string, v int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInt, I: v}
}
func aInts(name string, v ...int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInts, Ints: v}
}
func aFloat(name string, v float32) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrFloat, F: v}
}

// randInput makes a random tensor for a graph input.
func randInput(rng *rand.Rand, dt graph.DType, shape ...int) ops.Value {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if dt == graph.Double {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.Float64()*4 - 2
		}
		return ops.New(shape, v)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.Float64()*4 - 2)
	}
	return ops.New(shape, v)
}

// check optimizes b's model, compares the outputs on in with the
// unoptimized ones, and returns the optimized model's op types.
func (b *builder) check(t *testing.T, in ...ops.Value) ([]string, Stats) {
	t.Helper()
	orig := cloneNodes(b.m)
	om, st, err := Model(b.m, Options{Level: LevelAll})
	if err != nil {
		t.Fatal(err)
	}
	if !sameNodes(orig, b.m) {
		t.Fatal("the given model was modified")
	}
	want := runModel(t, b.m, in)
	got := runModel(t, om, in)
	for i := range want {
		if err := closeTensors(got[i].(*ops.Tensor), want[i].(*ops.Tensor), 1e-5, 1e-4); err != nil {
			t.Errorf("output %d: %v", i, err)
		}
	}
	var opsOut []string
	for _, n := range om.Graph.Nodes {
		s := n.OpType
		if a := n.Attr("activation"); a != nil {
			s += ":" + string(a.S)
		}
		if a := n.Attr("residual"); a != nil && a.I == 1 {
			s += "+res"
		}
		opsOut = append(opsOut, s)
	}
	return opsOut, st
}

type nodeCopy struct {
	n       *graph.Node
	in, out []string
}

func cloneNodes(m *graph.Model) []nodeCopy {
	var out []nodeCopy
	for _, n := range m.Graph.Nodes {
		out = append(out, nodeCopy{n, slices.Clone(n.Inputs), slices.Clone(n.Outputs)})
	}
	return out
}

func sameNodes(a []nodeCopy, m *graph.Model) bool {
	if len(a) != len(m.Graph.Nodes) {
		return false
	}
	for i, c := range a {
		n := m.Graph.Nodes[i]
		if c.n != n || !slices.Equal(c.in, n.Inputs) || !slices.Equal(c.out, n.Outputs) {
			return false
		}
	}
	return true
}

func wantOps(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ops after optimization: %v, want %v", got, want)
	}
}

func TestEliminateIdentityDropout(t *testing.T) {
	b := newBuilder(13)
	b.input("x", graph.Float, 2, 3)
	b.node("Identity", []string{"x"}, []string{"a"})
	b.node("Relu", []string{"a"}, []string{"r"})
	b.node("Dropout", []string{"r"}, []string{"d"})
	b.node("Identity", []string{"d"}, []string{"y"})
	b.output("y")
	got, st := b.check(t, randInput(b.rng, graph.Float, 2, 3))
	wantOps(t, got, "Relu")
	if st.Eliminated != 3 {
		t.Errorf("eliminated %d, want 3", st.Eliminated)
	}
}

func TestKeepDropoutWithMaskOrTraining(t *testing.T) {
	b := newBuilder(13)
	b.input("x", graph.Float, 2, 3)
	b.node("Dropout", []string{"x"}, []string{"d", "mask"})
	b.initData("train", []int64{}, []bool{true})
	b.initData("ratio", []int64{}, []float32{0})
	b.node("Dropout", []string{"d", "ratio", "train"}, []string{"y"})
	b.output("y", "mask")
	got, _ := b.check(t, randInput(b.rng, graph.Float, 2, 3))
	wantOps(t, got, "Dropout", "Dropout")
}

func TestIdentityOfInputToOutput(t *testing.T) {
	b := newBuilder(13)
	b.input("x", graph.Float, 2)
	b.node("Identity", []string{"x"}, []string{"y"})
	b.output("y")
	got, _ := b.check(t, randInput(b.rng, graph.Float, 2))
	wantOps(t, got, "Identity")
}

func TestConstantFolding(t *testing.T) {
	b := newBuilder(13)
	b.input("x", graph.Float, 2, 3)
	b.init("c1", graph.Float, false, 2, 3)
	b.init("c2", graph.Float, false, 3)
	b.node("Add", []string{"c1", "c2"}, []string{"s"})
	b.node("Relu", []string{"s"}, []string{"rs"})
	b.node("Mul", []string{"x", "rs"}, []string{"y"})
	// Too large to fold: 2^21 elements.
	b.initData("big", []int64{2}, []int64{1 << 11, 1 << 10})
	b.node("ConstantOfShape", []string{"big"}, []string{"z"})
	b.node("ReduceSum", []string{"z"}, []string{"zs"}, aInt("keepdims", 0))
	b.output("y", "zs")
	got, st := b.check(t, randInput(b.rng, graph.Float, 2, 3))
	wantOps(t, got, "Mul", "ConstantOfShape", "ReduceSum")
	if st.Folded != 2 || st.Removed != 3 {
		// c1, c2 and the folded Add's value, read only by the folded Relu.
		t.Errorf("stats %v, want 2 folded and 3 initializers removed", st)
	}
}

func TestShapeFolding(t *testing.T) {
	b := newBuilder(13)
	b.symInput("x", graph.Float, "N", "3", "4", "4")
	b.node("Shape", []string{"x"}, []string{"sh"})
	b.initData("one", []int64{}, []int64{1})
	b.initData("zero", []int64{1}, []int64{0})
	b.node("Gather", []string{"sh", "one"}, []string{"c"}, aInt("axis", 0))
	b.node("Unsqueeze", []string{"c", "zero"}, []string{"cu"})
	b.initData("minus1", []int64{1}, []int64{-1})
	b.node("Concat", []string{"minus1", "cu"}, []string{"target"}, aInt("axis", 0))
	// Reshape to [-1, 3]... of x transposed so channels are last.
	b.node("Transpose", []string{"x"}, []string{"xt"}, aInts("perm", 0, 2, 3, 1))
	b.node("Reshape", []string{"xt", "target"}, []string{"y"})
	b.output("y")
	got, st := b.check(t, randInput(b.rng, graph.Float, 2, 3, 4, 4))
	wantOps(t, got, "Transpose", "Reshape")
	if st.ShapeFolded == 0 {
		t.Errorf("stats %v: no shape folding", st)
	}
}

// convBN builds Conv(x, W, B) → BatchNormalization → y.
func convModel(dt graph.DType, group int, bias bool) *builder {
	b := newBuilder(13)
	b.input("x", dt, 2, 4, 5, 5)
	b.init("W", dt, false, 6, 4/group, 3, 3)
	in := []string{"x", "W"}
	if bias {
		b.init("B", dt, false, 6)
		in = append(in, "B")
	}
	b.node("Conv", in, []string{"c"}, aInt("group", int64(group)), aInts("pads", 1, 1, 1, 1))
	return b
}

func TestConvBatchNormFolding(t *testing.T) {
	for _, dt := range []graph.DType{graph.Float, graph.Double} {
		for _, group := range []int{1, 2} {
			for _, bias := range []bool{false, true} {
				b := convModel(dt, group, bias)
				b.init("scale", dt, false, 6)
				b.init("beta", dt, false, 6)
				b.init("mean", dt, false, 6)
				b.init("var", dt, true, 6)
				b.node("BatchNormalization", []string{"c", "scale", "beta", "mean", "var"}, []string{"y"}, aFloat("epsilon", 1e-3))
				b.output("y")
				got, st := b.check(t, randInput(b.rng, dt, 2, 4, 5, 5))
				wantOps(t, got, "Conv")
				if st.ConvFolded != 1 {
					t.Errorf("%s group %d bias %v: stats %v", dt, group, bias, st)
				}
			}
		}
	}
}

func TestConvMulAddFolding(t *testing.T) {
	b := convModel(graph.Float, 2, true)
	b.init("k", graph.Float, false, 1, 6, 1, 1)
	b.init("a", graph.Float, false, 6, 1, 1)
	b.init("s", graph.Float, false, 1)
	b.node("Mul", []string{"k", "c"}, []string{"m"})
	b.node("Add", []string{"m", "a"}, []string{"p"})
	b.node("Mul", []string{"p", "s"}, []string{"y"})
	b.output("y")
	got, st := b.check(t, randInput(b.rng, graph.Float, 2, 4, 5, 5))
	wantOps(t, got, "Conv")
	if st.ConvFolded != 3 {
		t.Errorf("stats %v", st)
	}
}

func TestNoFoldWhenConvOutputIsRead(t *testing.T) {
	b := convModel(graph.Float, 1, true)
	b.init("k", graph.Float, false, 1, 6, 1, 1)
	b.init("spatial", graph.Float, false, 5, 5) // not per channel
	b.node("Mul", []string{"c", "k"}, []string{"y"})
	b.node("Add", []string{"c", "spatial"}, []string{"z"})
	b.output("y", "z")
	got, _ := b.check(t, randInput(b.rng, graph.Float, 2, 4, 5, 5))
	wantOps(t, got, "Conv", "Mul", "Add")
}

func TestFuseResidualRelu(t *testing.T) {
	b := convModel(graph.Float, 1, true)
	b.input("skip", graph.Float, 2, 6, 5, 5)
	b.node("Add", []string{"skip", "c"}, []string{"s"})
	b.node("Relu", []string{"s"}, []string{"y"})
	b.output("y")
	got, _ := b.check(t, randInput(b.rng, graph.Float, 2, 4, 5, 5), randInput(b.rng, graph.Float, 2, 6, 5, 5))
	wantOps(t, got, "FusedConv:Relu+res")
}

func TestFuseActivations(t *testing.T) {
	cases := []struct {
		name  string
		build func(b *builder)
		want  string
	}{
		{"Relu", func(b *builder) { b.node("Relu", []string{"c"}, []string{"y"}) }, "FusedConv:Relu"},
		{"LeakyRelu", func(b *builder) { b.node("LeakyRelu", []string{"c"}, []string{"y"}, aFloat("alpha", 0.2)) }, "FusedConv:LeakyRelu"},
		{"Sigmoid", func(b *builder) { b.node("Sigmoid", []string{"c"}, []string{"y"}) }, "FusedConv:Sigmoid"},
		{"Tanh", func(b *builder) { b.node("Tanh", []string{"c"}, []string{"y"}) }, "FusedConv:Tanh"},
		{"HardSwish", func(b *builder) {
			b.m.Opsets[""] = 14
			b.node("HardSwish", []string{"c"}, []string{"y"})
		}, "FusedConv:HardSwish"},
		{"HardSigmoid", func(b *builder) {
			b.node("HardSigmoid", []string{"c"}, []string{"y"}, aFloat("alpha", 0.3), aFloat("beta", 0.4))
		}, "FusedConv:HardSigmoid"},
		{"SiLU", func(b *builder) {
			b.node("Sigmoid", []string{"c"}, []string{"sg"})
			b.node("Mul", []string{"sg", "c"}, []string{"y"})
		}, "FusedConv:SiLU"},
		{"Clip", func(b *builder) {
			b.initData("lo", []int64{}, []float32{0})
			b.initData("hi", []int64{}, []float32{0.5})
			b.node("Clip", []string{"c", "lo", "hi"}, []string{"y"})
		}, "FusedConv:Clip"},
		{"ClipMaxOnly", func(b *builder) {
			b.initData("hi", []int64{}, []float32{0.5})
			b.node("Clip", []string{"c", "", "hi"}, []string{"y"})
		}, "FusedConv:Clip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := convModel(graph.Float, 2, true)
			c.build(b)
			b.output("y")
			got, _ := b.check(t, randInput(b.rng, graph.Float, 2, 4, 5, 5))
			wantOps(t, got, c.want)
		})
	}
}

func TestFuseGemmMatMul(t *testing.T) {
	b := newBuilder(13)
	b.input("x", graph.Float, 3, 4)
	b.init("w", graph.Float, false, 5, 4)
	b.init("bias", graph.Float, false, 5)
	b.node("Gemm", []string{"x", "w", "bias"}, []string{"g"}, aInt("transB", 1))
	b.initData("lo", []int64{}, []float32{-0.1})
	b.initData("hi", []int64{}, []float32{0.3})
	b.node("Clip", []string{"g", "lo", "hi"}, []string{"y"})
	b.init("w2", graph.Float, false, 5, 2)
	b.node("MatMul", []string{"y", "w2"}, []string{"mm"})
	b.node("LeakyRelu", []string{"mm"}, []string{"z"})
	b.output("z")
	got, _ := b.check(t, randInput(b.rng, graph.Float, 3, 4))
	wantOps(t, got, "FusedGemm:Clip", "FusedMatMul:LeakyRelu")
}

func TestNoFusionWhenIntermediateIsRead(t *testing.T) {
	b := convModel(graph.Float, 1, true)
	b.node("Relu", []string{"c"}, []string{"y"})
	b.output("y", "c")
	got, _ := b.check(t, randInput(b.rng, graph.Float, 2, 4, 5, 5))
	wantOps(t, got, "Conv", "Relu")

	b = convModel(graph.Float, 1, true)
	b.node("Sigmoid", []string{"c"}, []string{"sg"})
	b.node("Mul", []string{"sg", "c"}, []string{"y"})
	b.output("y", "sg")
	got, _ = b.check(t, randInput(b.rng, graph.Float, 2, 4, 5, 5))
	wantOps(t, got, "Conv", "Sigmoid", "Mul")
}

func TestLevelNoneAndBasic(t *testing.T) {
	b := convModel(graph.Float, 1, true)
	b.node("Relu", []string{"c"}, []string{"y"})
	b.output("y")
	m, _, err := Model(b.m, Options{Level: LevelNone})
	if err != nil || m != b.m {
		t.Fatalf("LevelNone: %v, same model %v", err, m == b.m)
	}
	m, _, err = Model(b.m, Options{Level: LevelBasic})
	if err != nil || len(m.Graph.Nodes) != 2 {
		t.Fatalf("LevelBasic fused: %v, %d nodes", err, len(m.Graph.Nodes))
	}
}

// TestFusedGemmEpilogues checks every activation, with and without a
// residual, on the shapes that take the in-GEMM epilogue (Gemm with a row
// bias, transposed operands; MatMul with a batched A) and on one that does
// not (Gemm with a full C scaled by beta).
func TestFusedGemmEpilogues(t *testing.T) {
	acts := []struct {
		op    string
		attrs []*graph.Attr
	}{
		{"Relu", nil}, {"LeakyRelu", []*graph.Attr{aFloat("alpha", 0.1)}}, {"Sigmoid", nil}, {"Tanh", nil},
		{"HardSwish", nil}, {"HardSigmoid", []*graph.Attr{aFloat("alpha", 0.3), aFloat("beta", 0.4)}}, {"SiLU", nil}, {"Clip", nil},
	}
	shapes := []string{"gemm-bias", "gemm-transA", "gemm-fullC", "matmul-3d"}
	for _, a := range acts {
		for _, sh := range shapes {
			for _, residual := range []bool{false, true} {
				b := newBuilder(14)
				var outShape []int
				var inputs []ops.Value
				switch sh {
				case "gemm-bias", "gemm-fullC", "gemm-transA":
					b.input("x", graph.Float, 7, 9)
					b.init("w", graph.Float, false, 11, 9)
					in := []string{"x", "w"}
					attrs := []*graph.Attr{aInt("transB", 1), aFloat("alpha", 0.7)}
					switch sh {
					case "gemm-bias":
						b.init("c", graph.Float, false, 11)
						in = append(in, "c")
					case "gemm-fullC":
						b.init("c", graph.Float, false, 7, 11)
						in = append(in, "c")
						attrs = append(attrs, aFloat("beta", 0.5))
					case "gemm-transA":
						b.m.Graph.Inputs = nil
						b.input("x", graph.Float, 9, 7)
						attrs = append(attrs, aInt("transA", 1))
					}
					b.node("Gemm", in, []string{"g"}, attrs...)
					outShape = []int{7, 11}
					if sh == "gemm-transA" {
						inputs = append(inputs, randInput(b.rng, graph.Float, 9, 7))
					} else {
						inputs = append(inputs, randInput(b.rng, graph.Float, 7, 9))
					}
				case "matmul-3d":
					b.input("x", graph.Float, 2, 5, 9)
					b.init("w", graph.Float, false, 9, 11)
					b.node("MatMul", []string{"x", "w"}, []string{"g"})
					outShape = []int{2, 5, 11}
					inputs = append(inputs, randInput(b.rng, graph.Float, 2, 5, 9))
				}
				cur := "g"
				if residual {
					b.input("z", graph.Float, outShape...)
					inputs = append(inputs, randInput(b.rng, graph.Float, outShape...))
					b.node("Add", []string{cur, "z"}, []string{"s"})
					cur = "s"
				}
				switch a.op {
				case "SiLU":
					b.node("Sigmoid", []string{cur}, []string{"sg"})
					b.node("Mul", []string{cur, "sg"}, []string{"y"})
				case "Clip":
					b.initData("lo", []int64{}, []float32{-0.2})
					b.initData("hi", []int64{}, []float32{0.6})
					b.node("Clip", []string{cur, "lo", "hi"}, []string{"y"})
				default:
					b.node(a.op, []string{cur}, []string{"y"}, a.attrs...)
				}
				b.output("y")
				got, _ := b.check(t, inputs...)
				if len(got) != 1 || !strings.HasPrefix(got[0], "Fused") {
					t.Errorf("%s %s residual %v: ops %v, want one fused node", a.op, sh, residual, got)
				}
			}
		}
	}
}

// TestFusedPointwiseConv covers the FusedConv path that runs a 1×1
// convolution as one GEMM per image with the epilogue inside, and a 1×1
// convolution with stride 2 that must take the general path.
func TestFusedPointwiseConv(t *testing.T) {
	for _, stride := range []int64{1, 2} {
		for _, bias := range []bool{false, true} {
			for _, residual := range []bool{false, true} {
				for _, act := range []string{"Relu", "HardSwish", "Clip", ""} {
					if act == "" && !residual {
						continue
					}
					b := newBuilder(14)
					b.input("x", graph.Float, 2, 5, 6, 7)
					b.init("W", graph.Float, false, 9, 5, 1, 1)
					in := []string{"x", "W"}
					if bias {
						b.init("B", graph.Float, false, 9)
						in = append(in, "B")
					}
					b.node("Conv", in, []string{"c"}, aInts("strides", stride, stride))
					oh, ow := 6, 7
					if stride == 2 {
						oh, ow = 3, 4
					}
					inputs := []ops.Value{randInput(b.rng, graph.Float, 2, 5, 6, 7)}
					cur := "c"
					if residual {
						b.input("z", graph.Float, 2, 9, oh, ow)
						inputs = append(inputs, randInput(b.rng, graph.Float, 2, 9, oh, ow))
						b.node("Add", []string{"z", cur}, []string{"s"})
						cur = "s"
					}
					switch act {
					case "Clip":
						b.initData("hi", []int64{}, []float32{0.7})
						b.node("Clip", []string{cur, "", "hi"}, []string{"y"})
					case "":
						b.node("Identity", []string{cur}, []string{"y"})
					default:
						b.node(act, []string{cur}, []string{"y"})
					}
					b.output("y")
					got, _ := b.check(t, inputs...)
					if len(got) != 1 || !strings.HasPrefix(got[0], "FusedConv") {
						t.Errorf("stride %d bias %v residual %v %s: ops %v", stride, bias, residual, act, got)
					}
				}
			}
		}
	}
}
