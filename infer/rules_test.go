package infer

import (
	"strconv"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// builder makes small models for rule tests.
type builder struct {
	m *graph.Model
	g *graph.Graph
}

func newBuilder(opset int64) *builder {
	g := &graph.Graph{Name: "test"}
	return &builder{m: &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": opset}, Graph: g}, g: g}
}

// input declares a float input; dims are ints (constant) or strings
// (dim_param).
func (b *builder) input(name string, dt graph.DType, dims ...any) {
	t := &graph.Type{Kind: graph.TypeTensor, Elem: dt, HasShape: true}
	for _, d := range dims {
		switch v := d.(type) {
		case int:
			t.Shape = append(t.Shape, graph.Dim{Value: int64(v), Known: true})
		case string:
			t.Shape = append(t.Shape, graph.Dim{Param: v})
		}
	}
	b.g.Inputs = append(b.g.Inputs, &graph.ValueInfo{Name: name, Type: t})
}

// weight adds a float initializer of the given dims.
func (b *builder) weight(name string, dims ...int64) {
	t, err := graph.NewTensor(name, dims, make([]float32, graph.NumElements(dims)))
	if err != nil {
		panic(err)
	}
	b.g.Initializers = append(b.g.Initializers, t)
}

func (b *builder) ints(name string, v ...int64) {
	t, err := graph.NewTensor(name, []int64{int64(len(v))}, v)
	if err != nil {
		panic(err)
	}
	b.g.Initializers = append(b.g.Initializers, t)
}

func (b *builder) node(op string, in, out []string, attrs ...*graph.Attr) *graph.Node {
	n := &graph.Node{Name: out[0] + "_node", OpType: op, Inputs: in, Outputs: out, Attrs: attrs}
	b.g.Nodes = append(b.g.Nodes, n)
	return n
}

func aInt(name string, v int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInt, I: v}
}
func aInts(name string, v ...int64) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrInts, Ints: v}
}
func aStr(name, v string) *graph.Attr {
	return &graph.Attr{Name: name, Type: graph.AttrString, S: []byte(v)}
}

func (b *builder) run(t *testing.T, bind map[string]int64) *Result {
	t.Helper()
	res, err := Run(b.m, Options{Bindings: bind})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func shapeOf(t *testing.T, res *Result, name string) string {
	t.Helper()
	f, ok := res.Values[name]
	if !ok {
		t.Fatalf("no value %q", name)
	}
	if !f.Ranked {
		return "unranked"
	}
	return f.Shape.String()
}

func noErrors(t *testing.T, res *Result) {
	t.Helper()
	for _, d := range res.Diagnostics {
		if d.Severity == SeverityError {
			t.Errorf("diagnostic: %v", d.Error())
		}
	}
}

func TestConvSeedExamples(t *testing.T) {
	tests := []struct {
		name   string
		in     []any
		w      []int64
		attrs  []*graph.Attr
		want   string
		begin  []string
		end    []string
		oddPad []string
	}{
		{"alexnet 227->55", []any{1, 3, 227, 227}, []int64{96, 3, 11, 11},
			[]*graph.Attr{aInts("strides", 4, 4)}, "[1,96,55,55]", []string{"0", "0"}, []string{"0", "0"}, []string{"", ""}},
		{"keras valid 28->26", []any{1, 1, 28, 28}, []int64{32, 1, 3, 3},
			[]*graph.Attr{aStr("auto_pad", "VALID")}, "[1,32,26,26]", []string{"0", "0"}, []string{"0", "0"}, []string{"", ""}},
		{"dilation 2 28->24", []any{1, 1, 28, 28}, []int64{32, 1, 3, 3},
			[]*graph.Attr{aInts("dilations", 2, 2)}, "[1,32,24,24]", []string{"0", "0"}, []string{"0", "0"}, []string{"", ""}},
		{"same 28->28", []any{1, 1, 28, 28}, []int64{32, 1, 3, 3},
			[]*graph.Attr{aStr("auto_pad", "SAME_UPPER")}, "[1,32,28,28]", []string{"1", "1"}, []string{"1", "1"}, []string{"", ""}},
		// stride 2, kernel 4 on 28: out 14, total pad (14-1)*2+4-28 = 2: even.
		// kernel 3 on 28, stride 2: out 14, total pad 13*2+3-28 = 1: odd.
		{"same_upper odd", []any{1, 1, 28, 28}, []int64{8, 1, 3, 3},
			[]*graph.Attr{aStr("auto_pad", "SAME_UPPER"), aInts("strides", 2, 2)}, "[1,8,14,14]",
			[]string{"0", "0"}, []string{"1", "1"}, []string{"end", "end"}},
		{"same_lower odd", []any{1, 1, 28, 28}, []int64{8, 1, 3, 3},
			[]*graph.Attr{aStr("auto_pad", "SAME_LOWER"), aInts("strides", 2, 2)}, "[1,8,14,14]",
			[]string{"1", "1"}, []string{"0", "0"}, []string{"begin", "begin"}},
		{"explicit pads", []any{1, 3, 224, 224}, []int64{64, 3, 7, 7},
			[]*graph.Attr{aInts("strides", 2, 2), aInts("pads", 3, 3, 3, 3)}, "[1,64,112,112]", []string{"3", "3"}, []string{"3", "3"}, []string{"", ""}},
		{"1-D", []any{1, 8, 256}, []int64{16, 8, 3},
			[]*graph.Attr{aInts("dilations", 4), aInts("pads", 4, 4)}, "[1,16,256]", []string{"4"}, []string{"4"}, []string{""}},
		{"3-D", []any{2, 3, 16, 56, 56}, []int64{64, 3, 3, 7, 7},
			[]*graph.Attr{aInts("strides", 1, 2, 2), aInts("pads", 1, 3, 3, 1, 3, 3)}, "[2,64,16,28,28]",
			[]string{"1", "3", "3"}, []string{"1", "3", "3"}, []string{"", "", ""}},
		{"group", []any{1, 16, 10, 10}, []int64{32, 4, 3, 3},
			[]*graph.Attr{aInts("group", 4)}, "[1,32,8,8]", []string{"0", "0"}, []string{"0", "0"}, []string{"", ""}},
		{"symbolic H", []any{"N", 3, "H", "W"}, []int64{8, 3, 3, 3},
			[]*graph.Attr{aInts("strides", 2, 2), aInts("pads", 1, 1, 1, 1)}, "[N,8,floor((H+1)/2),floor((W+1)/2)]",
			[]string{"1", "1"}, []string{"1", "1"}, []string{"", ""}},
		{"symbolic same", []any{"N", 3, "H", 5}, []int64{8, 3, 3, 3},
			[]*graph.Attr{aStr("auto_pad", "SAME_UPPER"), aInts("strides", 2, 2)}, "[N,8,floor((H+1)/2),3]",
			nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuilder(13)
			b.input("x", graph.Float, tt.in...)
			b.weight("w", tt.w...)
			n := b.node("Conv", []string{"x", "w"}, []string{"y"}, tt.attrs...)
			if tt.name == "group" {
				n.Attrs = append(n.Attrs[:0], aInt("group", 4))
			}
			res := b.run(t, nil)
			noErrors(t, res)
			if got := shapeOf(t, res, "y"); got != tt.want {
				t.Errorf("shape %s, want %s", got, tt.want)
			}
			rec := res.Nodes[0]
			if rec.Conv == nil {
				t.Fatal("no conv record")
			}
			for i := range tt.begin {
				if g := rec.Conv.PadsBegin[i].String(); g != tt.begin[i] {
					t.Errorf("pad begin %d: %s, want %s", i, g, tt.begin[i])
				}
				if g := rec.Conv.PadsEnd[i].String(); g != tt.end[i] {
					t.Errorf("pad end %d: %s, want %s", i, g, tt.end[i])
				}
				if g := rec.Conv.OddPad[i]; g != tt.oddPad[i] {
					t.Errorf("odd pad %d: %q, want %q", i, g, tt.oddPad[i])
				}
			}
		})
	}
}

func TestConvSymbolicEquivalence(t *testing.T) {
	// floor((H+2-3)/2)+1 from the conv equals ceil(H/2) written by hand.
	b := newBuilder(13)
	b.input("x", graph.Float, "N", 3, "H", "H")
	b.weight("w", 8, 3, 3, 3)
	b.node("Conv", []string{"x", "w"}, []string{"y"}, aInts("strides", 2, 2), aInts("pads", 1, 1, 1, 1))
	res := b.run(t, nil)
	y := res.Values["y"].Shape
	want := Sym("H").CeilDiv(Const(2))
	if !y[2].Equal(want) || !y[3].Equal(y[2]) {
		t.Errorf("dims %v, %v; want both equal to ceil(H/2) = %v", y[2], y[3], want)
	}
	if v, ok := y[2].Bind(map[string]int64{"H": 227}).Value(); !ok || v != 114 {
		t.Errorf("H=227: %v, want 114", y[2].Bind(map[string]int64{"H": 227}))
	}
	// MACs: N*M*prod(out)*(C/group)*prod(kernel)
	if got := res.Nodes[0].MACs.Bind(map[string]int64{"N": 1, "H": 4}).String(); got != "864" {
		t.Errorf("MACs at N=1 H=4: %s, want 864 (1*8*2*2*3*9)", got)
	}
}

func TestPoolCeilMode(t *testing.T) {
	tests := []struct {
		in    int
		k, s  int64
		pads  []int64
		ceil  int64
		want  string
		label string
	}{
		{112, 3, 2, []int64{1, 1}, 0, "[1,1,56]", "floor"},
		{6, 3, 2, []int64{0, 0}, 1, "[1,1,3]", "ceil keeps a window starting inside"},
		{5, 2, 2, []int64{0, 1}, 1, "[1,1,3]", "ceil, window starts in the input"},
		// in 4, k 2, s 2, pads 1/1: ceil((4+2-2)/2)+1 = 3; the last window
		// starts at 2*2-1 = 3 < 4: kept.
		{4, 2, 2, []int64{1, 1}, 1, "[1,1,3]", "kept"},
		// in 5, k 1, s 2, pads 0/2: ceil((5+2-1)/2)+1 = 4; the last window
		// would start at 6 >= 5 (in the end padding): dropped.
		{5, 1, 2, []int64{0, 2}, 1, "[1,1,3]", "dropped"},
	}
	for _, tt := range tests {
		b := newBuilder(13)
		b.input("x", graph.Float, 1, 1, tt.in)
		b.node("MaxPool", []string{"x"}, []string{"y"}, aInts("kernel_shape", tt.k), aInts("strides", tt.s), aInts("pads", tt.pads...), aInt("ceil_mode", tt.ceil))
		res := b.run(t, nil)
		noErrors(t, res)
		if got := shapeOf(t, res, "y"); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.label, got, tt.want)
		}
	}
}

func TestContradictions(t *testing.T) {
	tests := []struct {
		name  string
		build func(b *builder)
		want  string
	}{
		{"channel mismatch", func(b *builder) {
			b.input("x", graph.Float, 1, 3, 8, 8)
			b.weight("w", 8, 4, 3, 3)
			b.node("Conv", []string{"x", "w"}, []string{"y"})
		}, "channels"},
		{"group mismatch", func(b *builder) {
			b.input("x", graph.Float, 1, 16, 8, 8)
			b.weight("w", 6, 4, 3, 3)
			b.node("Conv", []string{"x", "w"}, []string{"y"}, aInt("group", 4))
		}, "not a multiple of group"},
		{"reshape cannot fit", func(b *builder) {
			b.input("x", graph.Float, 2, 3, 4)
			b.ints("s", 5, -1)
			b.node("Reshape", []string{"x", "s"}, []string{"y"})
		}, "does not fit"},
		{"concat 3 vs 4", func(b *builder) {
			b.input("a", graph.Float, 2, 3)
			b.input("c", graph.Float, 2, 4)
			b.node("Concat", []string{"a", "c"}, []string{"y"}, aInt("axis", 0))
		}, "does not match"},
		{"N bound to 1 then 3", func(b *builder) {
			b.input("a", graph.Float, "N", 5)
			b.input("c", graph.Float, 1, 5)
			b.input("d", graph.Float, 3, 5)
			b.node("Concat", []string{"a", "c"}, []string{"y"}, aInt("axis", 1))
			b.node("Concat", []string{"a", "d"}, []string{"z"}, aInt("axis", 1))
		}, "does not match"},
		{"matmul inner", func(b *builder) {
			b.input("a", graph.Float, 2, 3)
			b.input("c", graph.Float, 4, 5)
			b.node("MatMul", []string{"a", "c"}, []string{"y"})
		}, "inner dims"},
		{"broadcast", func(b *builder) {
			b.input("a", graph.Float, 2, 3)
			b.input("c", graph.Float, 4, 3)
			b.node("Add", []string{"a", "c"}, []string{"y"})
		}, "does not broadcast"},
		{"declared output contradicts", func(b *builder) {
			b.input("a", graph.Float, 2, 3)
			b.node("Relu", []string{"a"}, []string{"y"})
			b.g.Outputs = append(b.g.Outputs, &graph.ValueInfo{Name: "y", Type: &graph.Type{Kind: graph.TypeTensor, Elem: graph.Float, HasShape: true,
				Shape: []graph.Dim{{Value: 2, Known: true}, {Value: 4, Known: true}}}})
		}, "declared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuilder(13)
			tt.build(b)
			res := b.run(t, nil)
			var found *Diagnostic
			for i, d := range res.Diagnostics {
				if d.Severity == SeverityError {
					found = &res.Diagnostics[i]
				}
			}
			if found == nil {
				t.Fatalf("no error diagnostic; values %v", res.Values)
			}
			msg := found.Error()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "_node") || !strings.Contains(msg, "opset 13") {
				t.Errorf("diagnostic %q should name the node, opset and say %q", msg, tt.want)
			}
		})
	}
}

// TestShapeChain checks a Shape→Gather→Concat→Reshape chain (channel
// shuffle) with a symbolic batch.
func TestShapeChain(t *testing.T) {
	b := newBuilder(13)
	b.input("x", graph.Float, "N", 116, 28, 28)
	b.node("Shape", []string{"x"}, []string{"s"})
	b.ints("i0", 0)
	b.ints("i2", 2)
	b.ints("i3", 3)
	b.node("Gather", []string{"s", "i0"}, []string{"n"}, aInt("axis", 0))
	b.node("Gather", []string{"s", "i2"}, []string{"h"}, aInt("axis", 0))
	b.node("Gather", []string{"s", "i3"}, []string{"w"}, aInt("axis", 0))
	b.ints("g", 2)
	b.ints("cpg", 58)
	b.node("Concat", []string{"n", "g", "cpg", "h", "w"}, []string{"shape5"}, aInt("axis", 0))
	b.node("Reshape", []string{"x", "shape5"}, []string{"r"})
	b.node("Transpose", []string{"r"}, []string{"t"}, aInts("perm", 0, 2, 1, 3, 4))
	b.ints("m1", -1)
	b.node("Concat", []string{"n", "m1", "h", "w"}, []string{"shape4"}, aInt("axis", 0))
	b.node("Reshape", []string{"t", "shape4"}, []string{"y"})
	// Size and arithmetic on shape values.
	b.node("Size", []string{"x"}, []string{"sz"})
	b.node("Div", []string{"sz", "n"}, []string{"per"})
	b.node("Flatten", []string{"x"}, []string{"f"})
	res := b.run(t, nil)
	noErrors(t, res)
	for name, want := range map[string]string{"r": "[N,2,58,28,28]", "t": "[N,58,2,28,28]", "y": "[N,116,28,28]", "f": "[N,90944]"} {
		if got := shapeOf(t, res, name); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	if v := res.Values["per"].Value; len(v) != 1 || v[0].String() != "90944" {
		t.Errorf("Size/N = %v, want 90944", v)
	}
	bound := b.run(t, map[string]int64{"N": 8})
	if got := shapeOf(t, bound, "y"); got != "[8,116,28,28]" {
		t.Errorf("bound: %s", got)
	}
}

func TestSliceAndSqueeze(t *testing.T) {
	b := newBuilder(13)
	b.input("x", graph.Float, "N", 10, 20)
	b.ints("st", 2, -5)
	b.ints("en", 100, -1)
	b.ints("ax", 1, 2)
	b.ints("sp", 1, 2)
	b.node("Slice", []string{"x", "st", "en", "ax", "sp"}, []string{"y"})
	b.ints("a0", 0)
	b.ints("z", 0)
	b.ints("big", 1<<62)
	b.node("Slice", []string{"x", "z", "big", "a0"}, []string{"all"})
	b.ints("one", 1)
	b.node("Unsqueeze", []string{"x", "one"}, []string{"u"})
	b.node("Squeeze", []string{"u", "one"}, []string{"sq"})
	res := b.run(t, nil)
	noErrors(t, res)
	for name, want := range map[string]string{"y": "[N,8,2]", "all": "[N,10,20]", "u": "[N,1,10,20]", "sq": "[N,10,20]"} {
		if got := shapeOf(t, res, name); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
}

func TestUnknownOpUsesDeclared(t *testing.T) {
	b := newBuilder(13)
	b.input("x", graph.Float, 2, 3)
	b.g.Nodes = append(b.g.Nodes, &graph.Node{Name: "custom", OpType: "Mystery", Domain: "com.example", Inputs: []string{"x"}, Outputs: []string{"y"}})
	b.m.Opsets["com.example"] = 1
	b.g.ValueInfo = append(b.g.ValueInfo, &graph.ValueInfo{Name: "y", Type: &graph.Type{Kind: graph.TypeTensor, Elem: graph.Float, HasShape: true,
		Shape: []graph.Dim{{Value: 7, Known: true}}}})
	b.node("Relu", []string{"y"}, []string{"z"})
	res := b.run(t, nil)
	if got := shapeOf(t, res, "z"); got != "[7]" {
		t.Errorf("z: %s, want [7] from the declared value_info", got)
	}
	if res.HasErrors() {
		t.Errorf("unexpected errors: %v", res.Diagnostics)
	}
	warned := false
	for _, d := range res.Diagnostics {
		warned = warned || d.Severity == SeverityWarning && strings.Contains(d.Message, "no shape rule")
	}
	if !warned {
		t.Error("no warning about the op without a rule")
	}
}

func TestFreshSymbols(t *testing.T) {
	b := newBuilder(13)
	b.input("x", graph.Float, 4, 5)
	b.node("NonZero", []string{"x"}, []string{"nz"})
	b.node("Transpose", []string{"nz"}, []string{"t"})
	res := b.run(t, nil)
	if got := shapeOf(t, res, "t"); got != "[nz_1,2]" {
		t.Errorf("t: %s, want [nz_1,2]", got)
	}
}

// TestLargeGraph checks inference time on a 2,000-node chain of convs and
// shape arithmetic.
func TestLargeGraph(t *testing.T) {
	b := newBuilder(13)
	b.input("x0", graph.Float, "N", 16, "H", "W")
	b.weight("w", 16, 16, 3, 3)
	b.ints("ax", 0)
	prev := "x0"
	for i := 0; i < 500; i++ {
		p := "v" + itoa(i)
		b.node("Conv", []string{prev, "w"}, []string{p + "c"}, aInts("pads", 1, 1, 1, 1))
		b.node("Relu", []string{p + "c"}, []string{p + "r"})
		b.node("Shape", []string{p + "r"}, []string{p + "s"})
		b.node("Reshape", []string{p + "r", p + "s"}, []string{p + "o"})
		prev = p + "o"
	}
	res := b.run(t, nil)
	noErrors(t, res)
	if got := shapeOf(t, res, prev); got != "[N,16,H,W]" {
		t.Errorf("last: %s", got)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func BenchmarkLargeGraph(b *testing.B) {
	bd := newBuilder(13)
	bd.input("x0", graph.Float, "N", 16, "H", "W")
	bd.weight("w", 16, 16, 3, 3)
	prev := "x0"
	for i := 0; i < 500; i++ {
		p := "v" + itoa(i)
		bd.node("Conv", []string{prev, "w"}, []string{p + "c"}, aInts("pads", 1, 1, 1, 1), aInts("strides", 1, 1))
		bd.node("Relu", []string{p + "c"}, []string{p + "r"})
		bd.node("Shape", []string{p + "r"}, []string{p + "s"})
		bd.node("Reshape", []string{p + "r", p + "s"}, []string{p + "o"})
		prev = p + "o"
	}
	for b.Loop() {
		if _, err := Run(bd.m, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLoopGrowth: a carried value that grows by one row per iteration ends
// with trip-count rows; scan outputs get the trip count as leading dim.
func TestLoopGrowth(t *testing.T) {
	body := &graph.Graph{Name: "body",
		Inputs: []*graph.ValueInfo{
			{Name: "i", Type: &graph.Type{Kind: graph.TypeTensor, Elem: graph.Int64, HasShape: true}},
			{Name: "c", Type: &graph.Type{Kind: graph.TypeTensor, Elem: graph.Bool, HasShape: true}},
			{Name: "acc", Type: &graph.Type{Kind: graph.TypeTensor, Elem: graph.Float, HasShape: true,
				Shape: []graph.Dim{{Value: 0, Known: true}, {Value: 4, Known: true}}}},
		},
		Outputs: []*graph.ValueInfo{{Name: "c_out"}, {Name: "acc_out"}, {Name: "row_out"}},
		Nodes: []*graph.Node{
			{Name: "cid", OpType: "Identity", Inputs: []string{"c"}, Outputs: []string{"c_out"}},
			{Name: "cat", OpType: "Concat", Inputs: []string{"acc", "row"}, Outputs: []string{"acc_out"}, Attrs: []*graph.Attr{aInt("axis", 0)}},
			{Name: "rid", OpType: "Identity", Inputs: []string{"row"}, Outputs: []string{"row_out"}},
		}}
	b := newBuilder(13)
	b.input("m", graph.Int64)
	b.g.Inputs[0].Type.HasShape = true
	b.input("x", graph.Float, "K", 4)
	b.weight("row", 1, 4)
	b.weight("acc0", 0, 4)
	b.node("Shape", []string{"x"}, []string{"xs"})
	b.ints("zero", 0)
	b.node("Gather", []string{"xs", "zero"}, []string{"kk"}, aInt("axis", 0))
	b.node("Squeeze", []string{"kk", "zero"}, []string{"k"})
	tr, _ := graph.NewTensor("true", nil, []bool{true})
	b.g.Initializers = append(b.g.Initializers, tr)
	b.node("Loop", []string{"k", "true", "acc0"}, []string{"acc", "rows"}, &graph.Attr{Name: "body", Type: graph.AttrGraph, G: body})
	res := b.run(t, nil)
	noErrors(t, res)
	if got := shapeOf(t, res, "acc"); got != "[K,4]" {
		t.Errorf("acc: %s, want [K,4]", got)
	}
	if got := shapeOf(t, res, "rows"); got != "[K,1,4]" {
		t.Errorf("rows: %s, want [K,1,4]", got)
	}
}

// TestLocalFunction infers a call of a model-local function through its
// body, resolving a reference to the caller's attribute.
func TestLocalFunction(t *testing.T) {
	b := newBuilder(13)
	b.m.Opsets["local"] = 1
	b.m.Functions = []*graph.Function{{
		Name: "FlatRelu", Domain: "local", Inputs: []string{"a"}, Outputs: []string{"z"},
		Attribute: []string{"ax"}, Opsets: map[string]int64{"": 13},
		Nodes: []*graph.Node{
			{OpType: "Relu", Inputs: []string{"a"}, Outputs: []string{"r"}},
			{OpType: "Flatten", Inputs: []string{"r"}, Outputs: []string{"z"},
				Attrs: []*graph.Attr{{Name: "axis", Type: graph.AttrInt, RefAttrName: "ax"}}},
		},
	}}
	b.input("x", graph.Float, "N", 3, 4, 5)
	b.g.Nodes = append(b.g.Nodes, &graph.Node{Name: "call", OpType: "FlatRelu", Domain: "local",
		Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: []*graph.Attr{aInt("ax", 2)}})
	res := b.run(t, nil)
	noErrors(t, res)
	if got := shapeOf(t, res, "y"); got != "[3*N,20]" {
		t.Errorf("y: %s, want [3*N,20]", got)
	}
}

func TestTypeMismatch(t *testing.T) {
	b := newBuilder(13)
	b.input("a", graph.Float, 2, 3)
	b.input("i", graph.Int64, 2, 3)
	b.node("Add", []string{"a", "i"}, []string{"y"})
	res := b.run(t, nil)
	if !res.HasErrors() || !strings.Contains(res.Diagnostics[0].Message, "element type int64 differs from float32") {
		t.Errorf("diagnostics %v", res.Diagnostics)
	}
}

func TestConcurrentRuns(t *testing.T) {
	b := newBuilder(13)
	b.input("x", graph.Float, "N", 16, "H", "W")
	b.weight("w", 16, 16, 3, 3)
	prev := "x"
	for i := 0; i < 20; i++ {
		p := "v" + itoa(i)
		b.node("Conv", []string{prev, "w"}, []string{p}, aInts("pads", 1, 1, 1, 1))
		prev = p
	}
	done := make(chan string)
	for g := 0; g < 4; g++ {
		go func() {
			res, err := Run(b.m, Options{Bindings: map[string]int64{"N": int64(g)}})
			if err != nil {
				done <- err.Error()
				return
			}
			done <- res.Values[prev].Shape.String()
		}()
	}
	for g := 0; g < 4; g++ {
		if s := <-done; !strings.HasSuffix(s, ",16,H,W]") {
			t.Errorf("run gave %s", s)
		}
	}
}

func TestAnonymousInputDims(t *testing.T) {
	b := newBuilder(13)
	b.input("x", graph.Float, 3, 4)
	b.g.Inputs[0].Type.Shape[0] = graph.Dim{} // neither value nor name
	b.node("Flatten", []string{"x"}, []string{"y"}, aInt("axis", 0))
	if got := shapeOf(t, b.run(t, nil), "y"); got != "[1,4*x_dim0]" {
		t.Errorf("y: %s, want [1,4*x_dim0]", got)
	}
	if got := shapeOf(t, b.run(t, map[string]int64{"x_dim0": 5}), "y"); got != "[1,20]" {
		t.Errorf("bound y: %s, want [1,20]", got)
	}
}
