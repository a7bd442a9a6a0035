package ops

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/gemm"
)

// oneNodeModel wraps n in a model whose inputs and outputs are the node's.
func mOneNodeModel(n *graph.Node, opset int64) *graph.Model {
	g := &graph.Graph{Name: "t", Nodes: []*graph.Node{n}}
	for _, in := range n.Inputs {
		if in != "" {
			g.Inputs = append(g.Inputs, &graph.ValueInfo{Name: in})
		}
	}
	for _, o := range n.Outputs {
		g.Outputs = append(g.Outputs, &graph.ValueInfo{Name: o})
	}
	return &graph.Model{Opsets: map[string]int64{"": opset}, Graph: g}
}

func mRunModel(m *graph.Model, in ...Value) ([]Value, error) {
	p, err := Compile(m, nil)
	if err != nil {
		return nil, err
	}
	return p.Run(context.Background(), in)
}

func mRunOne(n *graph.Node, opset int64, in ...Value) ([]Value, error) {
	return mRunModel(mOneNodeModel(n, opset), in...)
}

func mNode(op string, ins, outs []string, attrs ...*graph.Attr) *graph.Node {
	return &graph.Node{OpType: op, Inputs: ins, Outputs: outs, Attrs: attrs}
}

func mWantFloats(t *testing.T, got Value, shape []int, want []float64) {
	t.Helper()
	g, ok := got.(*Tensor)
	if !ok {
		t.Fatalf("got a %T, want a tensor", got)
	}
	if !slices.Equal(g.Shape, shape) {
		t.Fatalf("got shape %v, want %v", g.Shape, shape)
	}
	v, err := ToFloat64s(g)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(v[i]-want[i]) > 1e-5+1e-3*math.Abs(want[i]) {
			t.Fatalf("element %d is %g, want %g (all: %v)", i, v[i], want[i], v)
		}
	}
}

func TestFunctionExpansion(t *testing.T) {
	ref := &graph.Attr{Name: "equation", Type: graph.AttrString, RefAttrName: "eq"}
	fn := &graph.Function{
		Name: "Contract", Domain: "local.test", Inputs: []string{"a", "b"}, Outputs: []string{"c"},
		AttributeProto: []*graph.Attr{attrStr("eq", "ij,jk->ik")},
		Nodes:          []*graph.Node{mNode("Einsum", []string{"a", "b"}, []string{"c"}, ref)},
		Opsets:         map[string]int64{"": 12},
	}
	a := New([]int{2, 2}, []float32{1, 2, 3, 4})
	b := New([]int{2, 2}, []float32{5, 6, 7, 8})
	for _, tc := range []struct {
		name  string
		attrs []*graph.Attr
		want  []float64
	}{
		{"caller attribute", []*graph.Attr{attrStr("eq", "ij,ij->ij")}, []float64{5, 12, 21, 32}},
		{"function default", nil, []float64{19, 22, 43, 50}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := mNode("Contract", []string{"x", "y"}, []string{"z"}, tc.attrs...)
			n.Domain = "local.test"
			m := mOneNodeModel(n, 17)
			m.Opsets["local.test"] = 1
			m.Functions = []*graph.Function{fn}
			out, err := mRunModel(m, a, b)
			if err != nil {
				t.Fatal(err)
			}
			mWantFloats(t, out[0], []int{2, 2}, tc.want)
		})
	}
}

func TestFunctionOmittedInput(t *testing.T) {
	// zero point omitted by the caller: QuantizeLinear sees no input 2.
	fn := &graph.Function{
		Name: "Q", Domain: "local.test", Inputs: []string{"x", "s", "z"}, Outputs: []string{"y"},
		Nodes:  []*graph.Node{mNode("QuantizeLinear", []string{"x", "s", "z"}, []string{"y"})},
		Opsets: map[string]int64{"": 13},
	}
	n := mNode("Q", []string{"x", "s"}, []string{"y"})
	n.Domain = "local.test"
	m := mOneNodeModel(n, 13)
	m.Functions = []*graph.Function{fn}
	out, err := mRunModel(m, New([]int{3}, []float32{1, 2.6, -4}), Scalar(float32(0.5)))
	if err != nil {
		t.Fatal(err)
	}
	got := out[0].(*Tensor)
	if got.DType != graph.Uint8 || !slices.Equal(got.Shape, []int{3}) {
		t.Fatalf("got %s", got)
	}
	if d := got.Data.([]uint8); d[0] != 2 || d[1] != 5 || d[2] != 0 {
		t.Fatalf("got %v, want [2 5 0]", d)
	}
}

func TestFunctionRecursionRejected(t *testing.T) {
	fn := &graph.Function{Name: "F", Domain: "local.test", Inputs: []string{"x"}, Outputs: []string{"y"},
		Nodes: []*graph.Node{{OpType: "F", Domain: "local.test", Inputs: []string{"x"}, Outputs: []string{"y"}}}}
	n := mNode("F", []string{"x"}, []string{"y"})
	n.Domain = "local.test"
	m := mOneNodeModel(n, 17)
	m.Functions = []*graph.Function{fn}
	if _, err := Compile(m, nil); err == nil || !strings.Contains(err.Error(), "recursive") {
		t.Fatalf("got %v, want a recursion error", err)
	}
}

// identityLoopBody passes the condition through and copies v with Einsum.
func mIdentityLoopBody() *graph.Graph {
	return &graph.Graph{
		Name:    "body",
		Inputs:  []*graph.ValueInfo{{Name: "i"}, {Name: "c"}, {Name: "v"}},
		Outputs: []*graph.ValueInfo{{Name: "c"}, {Name: "v2"}, {Name: "v2", Type: &graph.Type{Kind: graph.TypeTensor, Elem: graph.Float, HasShape: true, Shape: []graph.Dim{{Value: 2, Known: true}}}}},
		Nodes:   []*graph.Node{mNode("Einsum", []string{"v"}, []string{"v2"}, attrStr("equation", "i->i"))},
	}
}

func TestLoopCancelled(t *testing.T) {
	body := mIdentityLoopBody()
	body.Outputs = body.Outputs[:2]
	n := mNode("Loop", []string{"", "", "v"}, []string{"vf"}, &graph.Attr{Name: "body", Type: graph.AttrGraph, G: body})
	p, err := Compile(mOneNodeModel(n, 13), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = p.Run(ctx, []Value{New([]int{2}, []float32{1, 2})})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a deadline error", err)
	}
}

func TestLoopZeroTrips(t *testing.T) {
	n := mNode("Loop", []string{"M", "", "v"}, []string{"vf", "scan"}, &graph.Attr{Name: "body", Type: graph.AttrGraph, G: mIdentityLoopBody()})
	out, err := mRunOne(n, 13, Scalar(int64(0)), New([]int{2}, []float32{1, 2}))
	if err != nil {
		t.Fatal(err)
	}
	mWantFloats(t, out[0], []int{2}, []float64{1, 2})
	if s := out[1].(*Tensor); !slices.Equal(s.Shape, []int{0, 2}) || s.DType != graph.Float {
		t.Fatalf("scan output is %s, want float32[0 2]", s)
	}
	out, err = mRunOne(n, 13, Scalar(int64(3)), New([]int{2}, []float32{1, 2}))
	if err != nil {
		t.Fatal(err)
	}
	mWantFloats(t, out[1], []int{3, 2}, []float64{1, 2, 1, 2, 1, 2})
}

func TestRandomOps(t *testing.T) {
	seeded := func(op string, attrs ...*graph.Attr) []float64 {
		t.Helper()
		out, err := mRunOne(mNode(op, nil, []string{"y"}, append(attrs, attrFloat("seed", 3))...), 17)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := ToFloat64s(out[0].(*Tensor))
		return v
	}
	u1 := seeded("RandomUniform", attrInts("shape", 50, 40), attrFloat("low", -2), attrFloat("high", 3))
	u2 := seeded("RandomUniform", attrInts("shape", 50, 40), attrFloat("low", -2), attrFloat("high", 3))
	for i, v := range u1 {
		if v < -2 || v >= 3 || v != u2[i] {
			t.Fatalf("uniform draw %d: %g (second run %g)", i, v, u2[i])
		}
	}
	nv := seeded("RandomNormal", attrInts("shape", 4000), attrFloat("mean", 5), attrFloat("scale", 2), attrInt("dtype", int64(graph.Double)))
	mean, sq := 0.0, 0.0
	for _, v := range nv {
		mean += v
	}
	mean /= float64(len(nv))
	for _, v := range nv {
		sq += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(sq / float64(len(nv)))
	if math.Abs(mean-5) > 0.15 || math.Abs(sd-2) > 0.15 {
		t.Fatalf("normal draws: mean %g, sd %g; want about 5 and 2", mean, sd)
	}
	out, err := mRunOne(mNode("Bernoulli", []string{"p"}, []string{"y"}, attrInt("dtype", int64(graph.Bool))), 15,
		New([]int{4}, []float32{0, 1, 0, 1}))
	if err != nil {
		t.Fatal(err)
	}
	if b := out[0].(*Tensor).Data.([]bool); b[0] || !b[1] || b[2] || !b[3] {
		t.Fatalf("bernoulli of 0/1 probabilities gave %v", b)
	}
	out, err = mRunOne(mNode("Multinomial", []string{"x"}, []string{"y"}, attrInt("sample_size", 5), attrInt("dtype", int64(graph.Int64))), 7,
		New([]int{2, 3}, []float32{0, -1e9, -1e9, -1e9, -1e9, 0}))
	if err != nil {
		t.Fatal(err)
	}
	got := out[0].(*Tensor)
	if !slices.Equal(got.Shape, []int{2, 5}) {
		t.Fatalf("multinomial gave %s", got)
	}
	for i, c := range got.Data.([]int64) {
		if want := int64(2 * (i / 5)); c != want {
			t.Fatalf("sample %d is class %d, want %d", i, c, want)
		}
	}
}

func TestMatMulIntegerZeroPoints(t *testing.T) {
	n := mNode("MatMulInteger", []string{"a", "b", "az", "bz"}, []string{"y"})
	out, err := mRunOne(n, 10, New([]int{2, 2}, []uint8{1, 2, 3, 4}), New([]int{2, 2}, []uint8{5, 6, 7, 8}),
		New([]int{2}, []uint8{1, 2}), New([]int{2}, []uint8{5, 6}))
	if err != nil {
		t.Fatal(err)
	}
	// (A - [1;2]) x (B - [5 6]) = [[0 1] [1 2]] x [[0 0] [2 2]]
	if d := out[0].(*Tensor).Data.([]int32); d[0] != 2 || d[1] != 2 || d[2] != 4 || d[3] != 4 {
		t.Fatalf("got %v, want [2 2 4 4]", d)
	}
}

func TestMiscErrors(t *testing.T) {
	seq := &Sequence{Elem: graph.Float, Items: []*Tensor{Scalar(float32(1))}}
	for _, tc := range []struct {
		name  string
		n     *graph.Node
		opset int64
		in    []Value
		want  string
	}{
		{"sequence position", mNode("SequenceAt", []string{"s", "p"}, []string{"y"}), 11, []Value{seq, Scalar(int64(1))}, "out of range"},
		{"sequence type", mNode("SequenceInsert", []string{"s", "x"}, []string{"y"}), 11, []Value{seq, Scalar(int64(1))}, "cannot insert"},
		{"einsum dims", mNode("Einsum", []string{"a", "b"}, []string{"y"}, attrStr("equation", "ij,jk->ik")), 12,
			[]Value{New([]int{2, 3}, make([]float32, 6)), New([]int{2, 2}, make([]float32, 4))}, "size"},
		{"rnn weights", mNode("RNN", []string{"x", "w", "r"}, []string{"y"}, attrInt("hidden_size", 2)), 14,
			[]Value{New([]int{1, 1, 3}, make([]float32, 3)), New([]int{1, 2, 2}, make([]float32, 4)), New([]int{1, 2, 2}, make([]float32, 4))}, "input 1 (W)"},
		{"nll target", mNode("NegativeLogLikelihoodLoss", []string{"x", "t"}, []string{"y"}), 13,
			[]Value{New([]int{1, 2}, []float32{1, 2}), New([]int{1}, []int64{5})}, "out of range"},
		{"split sizes", mNode("SplitToSequence", []string{"x", "s"}, []string{"y"}), 11,
			[]Value{New([]int{3}, []float32{1, 2, 3}), New([]int{2}, []int64{1, 1})}, "sums to"},
		{"empty optional", mNode("OptionalGetElement", []string{"o"}, []string{"y"}), 18, []Value{&Optional{}}, "empty optional"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mRunOne(tc.n, tc.opset, tc.in...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestEinsumPairMatchesLoop checks the batched-product path of two-operand
// Einsum against the plain loop over every label combination.
func TestEinsumPairMatchesLoop(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		eq     string
		shapes [][]int
	}{
		{"ij,jk->ik", [][]int{{3, 5}, {5, 4}}},
		{"bij,bjk->bik", [][]int{{2, 3, 4}, {2, 4, 5}}},
		{"bhqd,bhkd->bhqk", [][]int{{1, 2, 3, 4}, {1, 2, 5, 4}}},
		{"ij,kj->ki", [][]int{{3, 2}, {4, 2}}},
		{"abc,cd->dba", [][]int{{2, 3, 4}, {4, 3}}},
		{"ij,jk", [][]int{{2, 3}, {3, 2}}},
		{"i,j->ij", [][]int{{3}, {4}}},
		{"ijk,jl->il", [][]int{{2, 3, 4}, {3, 5}}}, // k summed in A only
		{"...ij,...jk->...ik", [][]int{{2, 2, 3}, {2, 3, 2}}},
		{"ab,ab->", [][]int{{3, 4}, {3, 4}}},
	} {
		t.Run(tc.eq, func(t *testing.T) {
			n := mNode("Einsum", []string{"a", "b"}, []string{"y"}, attrStr("equation", tc.eq))
			m := mOneNodeModel(n, 12)
			p, err := Compile(m, nil)
			if err != nil {
				t.Fatal(err)
			}
			k := p.steps[0].kernel.(*einsumKernel)
			ts := make([]*Tensor, 2)
			vals := make([][]float64, 2)
			for i, s := range tc.shapes {
				v := make([]float64, Size(s))
				for j := range v {
					v[j] = rnd.Float64()*2 - 1
				}
				ts[i], vals[i] = New(s, v), v
			}
			e, _, err := k.plan(ts)
			if err != nil {
				t.Fatal(err)
			}
			fast, ok := einsumPair(e, vals, matMulPlain[float64])
			if !ok {
				t.Fatal("the batched-product path declined")
			}
			order := append(append([]int{}, e.out...), e.sum...)
			ref := einsumLoop(vals, [][]int{e.strides(0, order), e.strides(1, order)}, e.extents(order), len(e.out))
			if len(fast) != len(ref) {
				t.Fatalf("got %d values, want %d", len(fast), len(ref))
			}
			for i := range ref {
				if math.Abs(fast[i]-ref[i]) > 1e-12 {
					t.Fatalf("element %d: %g, reference %g", i, fast[i], ref[i])
				}
			}
			// float32 through internal/gemm
			v32 := [][]float32{convertSlice[float64, float32](vals[0]), convertSlice[float64, float32](vals[1])}
			sg := func(m, n, k int, a, b, c []float32) {
				if m > 0 && n > 0 && k > 0 {
					gemm.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				}
			}
			f32, ok := einsumPair(e, v32, sg)
			if !ok {
				t.Fatal("the float32 batched-product path declined")
			}
			for i := range ref {
				if math.Abs(float64(f32[i])-ref[i]) > 1e-5 {
					t.Fatalf("float32 element %d: %g, reference %g", i, f32[i], ref[i])
				}
			}
		})
	}
}

// mRandTensor returns a float32 tensor of uniform values in [-1, 1).
func mRandTensor(rnd *rand.Rand, shape ...int) *Tensor {
	v := make([]float32, Size(shape))
	for i := range v {
		v[i] = rnd.Float32()*2 - 1
	}
	return New(shape, v)
}

func mToDouble(t *Tensor) *Tensor {
	v, _ := ToFloat64s(t)
	return New(t.Shape, append([]float64{}, v...))
}

// TestRecurrentDoubleMatchesFloat runs GRU and LSTM in float64 and float32
// (the float32 path is checked against ONNX Runtime by the generated cases).
func TestRecurrentDoubleMatchesFloat(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		op    string
		gates int
		attrs []*graph.Attr
	}{
		{"GRU", 3, []*graph.Attr{attrStr("direction", "bidirectional")}},
		{"GRU", 3, []*graph.Attr{attrInt("linear_before_reset", 1), attrStr("direction", "reverse")}},
		{"LSTM", 4, []*graph.Attr{attrStr("direction", "bidirectional"), attrFloat("clip", 0.8)}},
		{"RNN", 1, []*graph.Attr{attrInt("layout", 1)}},
	} {
		t.Run(tc.op, func(t *testing.T) {
			seq, batch, isz, hid, dirs := 5, 3, 4, 6, 1
			xShape := []int{seq, batch, isz}
			for _, a := range tc.attrs {
				if a.Name == "direction" && string(a.S) == "bidirectional" {
					dirs = 2
				}
				if a.Name == "layout" && a.I == 1 {
					xShape = []int{batch, seq, isz}
				}
			}
			x := mRandTensor(rnd, xShape...)
			w := mRandTensor(rnd, dirs, tc.gates*hid, isz)
			r := mRandTensor(rnd, dirs, tc.gates*hid, hid)
			b := mRandTensor(rnd, dirs, 2*tc.gates*hid)
			sl := New([]int{batch}, []int32{5, 2, 4})
			attrs := append([]*graph.Attr{attrInt("hidden_size", int64(hid))}, tc.attrs...)
			outs := []string{"y", "yh"}
			n := mNode(tc.op, []string{"x", "w", "r", "b", "sl"}, outs, attrs...)
			f32, err := mRunOne(n, 14, x, w, r, b, sl)
			if err != nil {
				t.Fatal(err)
			}
			f64, err := mRunOne(n, 14, mToDouble(x), mToDouble(w), mToDouble(r), mToDouble(b), sl)
			if err != nil {
				t.Fatal(err)
			}
			for i := range outs {
				want, _ := ToFloat64s(f32[i].(*Tensor))
				got := f64[i].(*Tensor)
				if got.DType != graph.Double {
					t.Fatalf("output %d is %s, want float64", i, got)
				}
				mWantFloats(t, got, f32[i].(*Tensor).Shape, want)
			}
		})
	}
}

func BenchmarkLSTM(b *testing.B) {
	rnd := rand.New(rand.NewPCG(5, 6))
	seq, batch, isz, hid := 50, 8, 128, 128
	n := mNode("LSTM", []string{"x", "w", "r"}, []string{"y", "yh"}, attrInt("hidden_size", int64(hid)), attrStr("direction", "bidirectional"))
	p, err := Compile(mOneNodeModel(n, 14), nil)
	if err != nil {
		b.Fatal(err)
	}
	in := []Value{mRandTensor(rnd, seq, batch, isz), mRandTensor(rnd, 2, 4*hid, isz), mRandTensor(rnd, 2, 4*hid, hid)}
	b.ResetTimer()
	for range b.N {
		if _, err := p.Run(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// TestControlFlowConcurrentRuns runs one compiled Loop from several
// goroutines at once (run with -race).
func TestControlFlowConcurrentRuns(t *testing.T) {
	n := mNode("Loop", []string{"M", "", "v"}, []string{"vf", "scan"}, &graph.Attr{Name: "body", Type: graph.AttrGraph, G: mIdentityLoopBody()})
	p, err := Compile(mOneNodeModel(n, 13), nil)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			m := int64(g + 1)
			out, err := p.Run(context.Background(), []Value{Scalar(m), New([]int{2}, []float32{float32(g), 1})})
			if err == nil {
				if s := out[1].(*Tensor); s.Shape[0] != int(m) || s.Data.([]float32)[2*int(m)-2] != float32(g) {
					err = errors.New("wrong scan output " + s.String())
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestQuantizeRejections(t *testing.T) {
	x := New([]int{4}, []float32{1, 2, 3, 4})
	_, err := mRunOne(mNode("QuantizeLinear", []string{"x", "s"}, []string{"y"}, attrInt("block_size", 2), attrInt("axis", 0)), 21, x, New([]int{3}, []float32{1, 1, 1}))
	if err == nil || !strings.Contains(err.Error(), "blocks of 2") {
		t.Fatalf("got %v, want an error about the scale's shape for blocks of 2", err)
	}
	_, err = mRunOne(mNode("QuantizeLinear", []string{"x", "s"}, []string{"y"}, attrInt("output_dtype", int64(graph.Float8E4M3FN))), 21, x, Scalar(float32(1)))
	if err == nil || !strings.Contains(err.Error(), "output_dtype") {
		t.Fatalf("got %v, want an output_dtype error", err)
	}
	out, err := mRunOne(mNode("QuantizeLinear", []string{"x", "s"}, []string{"y"}, attrInt("output_dtype", int64(graph.Int16))), 21, New([]int{3}, []float32{-70000, 2.5, 3.5}), Scalar(float32(1)))
	if err != nil {
		t.Fatal(err)
	}
	if d := out[0].(*Tensor).Data.([]int16); d[0] != -32768 || d[1] != 2 || d[2] != 4 {
		t.Fatalf("got %v, want [-32768 2 4] (saturated, ties to even)", d)
	}
}

// TestScan8ZeroLength: a batch entry of length 0 keeps its initial state and
// gets zeros for every scan output step.
func TestScan8ZeroLength(t *testing.T) {
	body := &graph.Graph{
		Name:    "body",
		Inputs:  []*graph.ValueInfo{{Name: "s"}, {Name: "x"}},
		Outputs: []*graph.ValueInfo{{Name: "s2"}, {Name: "s2"}},
		Nodes:   []*graph.Node{mNode("Mul", []string{"s", "x"}, []string{"s2"})},
	}
	n := mNode("Scan", []string{"lens", "s0", "x"}, []string{"sf", "o"}, attrInt("num_scan_inputs", 1),
		&graph.Attr{Name: "body", Type: graph.AttrGraph, G: body})
	out, err := mRunOne(n, 8, New([]int{2}, []int64{0, 2}), New([]int{2, 2}, []float32{1, 2, 3, 4}),
		New([]int{2, 2, 2}, []float32{5, 6, 7, 8, 2, 3, 4, 5}))
	if err != nil {
		t.Fatal(err)
	}
	// entry 0: untouched; entry 1: [3 4]*[2 3] = [6 12], then *[4 5] = [24 60]
	mWantFloats(t, out[0], []int{2, 2}, []float64{1, 2, 24, 60})
	mWantFloats(t, out[1], []int{2, 2, 2}, []float64{0, 0, 0, 0, 6, 12, 24, 60})
}

// mDFTNaive is the O(L²) definition of the DFT, the reference for dftPlan.
func mDFTNaive(re, im []float64, L int, inverse bool) ([]float64, []float64) {
	or, oi := make([]float64, L), make([]float64, L)
	sign := -1.0
	if inverse {
		sign = 1
	}
	for k := range L {
		for j := range min(len(re), L) {
			a := sign * 2 * math.Pi * float64((k*j)%L) / float64(L)
			c, s := math.Cos(a), math.Sin(a)
			or[k] += re[j]*c - im[j]*s
			oi[k] += re[j]*s + im[j]*c
		}
		if inverse {
			or[k] /= float64(L)
			oi[k] /= float64(L)
		}
	}
	return or, oi
}

func TestDFTPlanMatchesNaive(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	for _, L := range []int{1, 2, 3, 5, 7, 8, 12, 16, 97, 100, 128, 400} {
		for _, n := range []int{L, L/2 + 1, L + 3} {
			re, im := make([]float64, n), make([]float64, n)
			for i := range re {
				re[i], im[i] = rnd.Float64()*2-1, rnd.Float64()*2-1
			}
			for _, inv := range []bool{false, true} {
				p := newDFTPlan(L)
				gr, gi := p.dft(re, im, L, inv)
				wr, wi := mDFTNaive(re, im, L, inv)
				for k := range L {
					if math.Abs(gr[k]-wr[k]) > 1e-9*float64(L) || math.Abs(gi[k]-wi[k]) > 1e-9*float64(L) {
						t.Fatalf("L=%d n=%d inverse=%v bin %d: got %g%+gi, want %g%+gi", L, n, inv, k, gr[k], gi[k], wr[k], wi[k])
					}
				}
			}
		}
	}
}
