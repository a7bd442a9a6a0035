package ops

import (
	"math"
	"math/rand"
	"runtime"
	"slices"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// Tests of the float32 fast paths of the cheap ops (arithmetic,
// activations, BatchNormalization, Concat, Transpose) against their plain
// reference loops, on the broadcast patterns CNNs use, odd sizes and sizes
// large enough to be split across threads.

// arithPatterns are operand shape pairs: same shape, scalars on either
// side, per-channel and trailing-ones broadcasts, both-ways broadcasts.
func arithPatterns() [][2][]int {
	big := parallelMin/49 + 3 // channels for [.., C, 7, 7] to pass parallelMin
	return [][2][]int{
		{{2, 3, 5, 7}, {2, 3, 5, 7}},
		{{1, 5, 97, 67}, {1, 5, 97, 67}},
		{{3, 5, 7}, {}},
		{{}, {3, 5, 7}},
		{{1, 3, 5, 7}, {1}},
		{{1}, {1, 3, 5, 7}},
		{{1, 6, 151, 151}, {}},
		{{2, 3, 5, 7}, {1, 3, 1, 1}},
		{{2, 3, 5, 7}, {3, 1, 1}},
		{{2, 3, 5, 7}, {2, 3, 1, 1}},
		{{2, 3, 1, 1}, {2, 3, 5, 7}},
		{{1, 3, 1, 1}, {2, 3, 5, 7}},
		{{1, 32, 112, 112}, {1, 32, 1, 1}},
		{{1, big, 7, 7}, {1, big, 1, 1}},
		{{1, 1, 1, 1}, {1, big, 7, 7}},
		{{2, 3, 5, 7}, {1, 1, 5, 7}},
		{{2, 3, 5, 7}, {5, 7}},
		{{2, 3, 5, 7}, {7}},
		{{2, 3, 5, 7}, {2, 1, 5, 1}},
		{{4, 1, 9}, {1, 5, 1}},
		{{3, 1}, {1, 11}},
		{{1, big * 2, 7, 7}, {1, 1, 7, 7}},
		{{1, 2, 3 * parallelMin / 2}, {1, 2, 1}},
		{{0, 3}, {1, 3}},
	}
}

func randF32(r *rand.Rand, shape []int) *Tensor {
	v := make([]float32, Size(shape))
	for i := range v {
		v[i] = float32(r.NormFloat64()*3) + 0.1
	}
	return New(slices.Clone(shape), v)
}

// TestArithF32Patterns compares arithF32 with binaryLoop (the plain
// broadcast loop) bit for bit, with 1 and 3 goroutines.
func TestArithF32Patterns(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	pairs := arithPatterns()
	for range 200 {
		sa, sb := randShapePair(r)
		pairs = append(pairs, [2][]int{sa, sb})
	}
	for _, p := range pairs {
		a, b := randF32(r, p[0]), randF32(r, p[1])
		out, err := BroadcastShapes(a.Shape, b.Shape)
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range []byte{'+', '-', '*', '/'} {
			want := binaryLoop(a.Data.([]float32), a.Shape, b.Data.([]float32), b.Shape, out, arith[float32](code))
			for _, th := range []int{1, 3} {
				got, ok := fastFloat32(code, a, b, th)
				if !ok || !slices.Equal(got.Shape, out) {
					t.Fatalf("%c %v %v: fast path ok=%v shape %v, want %v", code, p[0], p[1], ok, got, out)
				}
				g := got.Data.([]float32)
				for i := range want {
					if math.Float32bits(g[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%c %v %v threads %d: [%d] = %v, want %v", code, p[0], p[1], th, i, g[i], want[i])
					}
				}
			}
		}
	}
}

// binChainModel is x → Neg → a; y = a op b (or b op a when swap): the
// arithmetic node may write into a's buffer.
func binChainModel(op string, swap bool, b *Tensor) *graph.Model {
	in := []string{"a", "b"}
	if swap {
		in = []string{"b", "a"}
	}
	g := &graph.Graph{Name: "bin",
		Inputs: []*graph.ValueInfo{{Name: "x"}},
		Nodes: []*graph.Node{
			{Name: "neg", OpType: "Neg", Inputs: []string{"x"}, Outputs: []string{"a"}},
			{Name: "op", OpType: op, Inputs: in, Outputs: []string{"y"}},
		},
		Outputs: []*graph.ValueInfo{{Name: "y"}}}
	gt, err := b.ToGraph("b")
	if err != nil {
		panic(err)
	}
	g.Initializers = append(g.Initializers, gt)
	return &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 14}, Graph: g}
}

// TestArithInPlace runs arithmetic on a value that dies at the node, so the
// result may overwrite it, and checks the result, the caller's input and
// the initializer are right and untouched over repeated runs.
func TestArithInPlace(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	shapes := [][2][]int{
		{{1, 5, 67, 97}, {1, 5, 1, 1}},
		{{1, 5, 67, 97}, {1, 5, 67, 97}},
		{{1, 5, 67, 97}, {}},
		{{1, 5, 67, 97}, {1, 1, 67, 97}},
	}
	for _, s := range shapes {
		for _, op := range []string{"Add", "Sub", "Mul", "Div"} {
			for _, swap := range []bool{false, true} {
				x, b := randF32(r, s[0]), randF32(r, s[1])
				bCopy := slices.Clone(b.Data.([]float32))
				p, err := Compile(binChainModel(op, swap, b), &Options{Threads: 2})
				if err != nil {
					t.Fatal(err)
				}
				code := map[string]byte{"Add": '+', "Sub": '-', "Mul": '*', "Div": '/'}[op]
				neg := mapSlice(x.Data.([]float32), func(v float32) float32 { return -v })
				var want []float32
				if swap {
					want = binaryLoop(bCopy, s[1], neg, s[0], s[0], arith[float32](code))
				} else {
					want = binaryLoop(neg, s[0], bCopy, s[1], s[0], arith[float32](code))
				}
				xCopy := slices.Clone(x.Data.([]float32))
				for run := 0; run < 3; run++ {
					out, err := p.Run(nil, []Value{x})
					if err != nil {
						t.Fatal(err)
					}
					if g := out[0].(*Tensor).Data.([]float32); !slices.Equal(g, want) {
						t.Fatalf("%s %v swap %v run %d: result differs", op, s, swap, run)
					}
					if !slices.Equal(x.Data.([]float32), xCopy) || !slices.Equal(b.Data.([]float32), bCopy) {
						t.Fatalf("%s %v swap %v: an input was overwritten", op, s, swap)
					}
				}
				if gets, _ := p.PoolStats(); gets != 1 {
					t.Errorf("%s %v swap %v: %d buffer requests, want 1 (arithmetic in place)", op, s, swap, gets)
				}
			}
		}
	}
}

// runFed runs op on x (through a Neg first when neg, so that the op may
// overwrite the dying value), the second of two runs so that its output
// buffer is a recycled one (checked when wantReuse), and params, the params as initializers when
// asConst or else as graph inputs, with the given thread budget.
func runFed(t *testing.T, op string, opset int64, attrs []*graph.Attr, x *Tensor, params []*Tensor, asConst, neg bool, threads int, wantReuse bool) *Tensor {
	t.Helper()
	n := &graph.Node{Name: "n", OpType: op, Attrs: attrs, Inputs: []string{"x"}, Outputs: []string{"y"}}
	// z = y + y after the node makes y an inner value, whose buffer the pool
	// recycles (graph outputs are never recycled; the Add cannot work in
	// place on an operand it reads twice).
	post := &graph.Node{Name: "post", OpType: "Add", Inputs: []string{"y", "y"}, Outputs: []string{"z"}}
	g := &graph.Graph{Name: "g", Inputs: []*graph.ValueInfo{{Name: "x"}}, Outputs: []*graph.ValueInfo{{Name: "z"}}}
	if neg {
		g.Nodes = append(g.Nodes, &graph.Node{Name: "neg", OpType: "Neg", Inputs: []string{"x"}, Outputs: []string{"nx"}})
		n.Inputs[0] = "nx"
	}
	g.Nodes = append(g.Nodes, n, post)
	feeds := []Value{x}
	for i, p := range params {
		name := "p" + string(rune('0'+i))
		if p == nil {
			n.Inputs = append(n.Inputs, "")
			continue
		}
		n.Inputs = append(n.Inputs, name)
		if asConst {
			gt, err := p.ToGraph(name)
			if err != nil {
				t.Fatal(err)
			}
			g.Initializers = append(g.Initializers, gt)
		} else {
			g.Inputs = append(g.Inputs, &graph.ValueInfo{Name: name})
			feeds = append(feeds, p)
		}
	}
	p, err := Compile(&graph.Model{IRVersion: 8, Opsets: map[string]int64{"": opset}, Graph: g}, &Options{Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	// A first run on NaNs leaves its buffers for the second: a value the
	// second run fails to write shows as a stale NaN.
	nan := make([]float32, x.Len())
	for i := range nan {
		nan[i] = float32(math.NaN())
	}
	first := slices.Clone(feeds)
	first[0] = New(slices.Clone(x.Shape), nan)
	// The plan keeps its free lists in a sync.Pool, which a garbage
	// collection may empty between the runs: reuse is required only when
	// none ran.
	gcBefore := numGC()
	if _, err = p.Run(nil, first); err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(nil, feeds)
	if err != nil {
		t.Fatal(err)
	}
	if gets, reuses := p.PoolStats(); wantReuse && !raceEnabled && reuses == 0 && x.Len() > 0 && numGC() == gcBefore {
		t.Fatalf("%s: no buffer reused in the second run (%d requests)", op, gets)
	}
	z := out[0].(*Tensor)
	return New(z.Shape, mapSlice(z.Data.([]float32), func(v float32) float32 { return v / 2 }))
}

// sameF32 compares float32 results: equal (zeros of either sign alike) or
// both NaN.
func sameF32(t *testing.T, what string, got *Tensor, want []float32, shape []int) {
	t.Helper()
	if !slices.Equal(got.Shape, shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, shape)
	}
	g := got.Data.([]float32)
	if len(g) != len(want) {
		t.Fatalf("%s: %d elements, want %d", what, len(g), len(want))
	}
	for i := range want {
		if g[i] != want[i] && !(g[i] != g[i] && want[i] != want[i]) {
			t.Fatalf("%s: [%d] = %v, want %v", what, i, g[i], want[i])
		}
	}
}

// TestBatchNormF32 compares the float32 inference pass with the per-channel
// formula in plain float32 arithmetic, for constant and fed parameters, in
// place and not, with 1 and 3 goroutines.
func TestBatchNormF32(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	shapes := [][]int{{2, 3, 5, 7}, {1, 1, 1, 1}, {3, 5}, {4, 17}, {2, 3, 11}, {1, 7, 3, 5, 2}, {1, 37, 41, 23}, {0, 3, 2, 2}}
	for _, sh := range shapes {
		c := sh[1]
		x := randF32(r, sh)
		scale, bias, mean := randF32(r, []int{c}), randF32(r, []int{c}), randF32(r, []int{c})
		vr := randF32(r, []int{c})
		for i, v := range vr.Data.([]float32) {
			vr.Data.([]float32)[i] = v * v
		}
		const eps = 1e-3
		var p [4][]float64
		for i, tt := range []*Tensor{scale, bias, mean, vr} {
			p[i], _ = ToFloat64s(tt)
		}
		a, b := bnAffine(p, c, 1, eps)
		sp := Size(sh[2:])
		attrs := []*graph.Attr{{Name: "epsilon", Type: graph.AttrFloat, F: eps}}
		for _, neg := range []bool{false, true} {
			xs := x.Data.([]float32)
			want := make([]float32, len(xs))
			for i, v := range xs {
				if neg {
					v = -v
				}
				ch := (i / sp) % c
				want[i] = float32(v*float32(a[ch])) + float32(b[ch])
			}
			for _, asConst := range []bool{false, true} {
				for _, th := range []int{1, 3} {
					got := runFed(t, "BatchNormalization", 15, attrs, x, []*Tensor{scale, bias, mean, vr}, asConst, neg, th, true)
					sameF32(t, "BatchNormalization", got, want, sh)
				}
			}
		}
	}
}

// TestClampActivations compares Relu and Clip (attribute and input forms)
// with the float64 reference, special values included.
func TestClampActivations(t *testing.T) {
	r := rand.New(rand.NewSource(14))
	for _, sh := range [][]int{{7}, {2, 3, 5, 7}, {1, 3, 97, 131}, {0, 4}} {
		x := randF32(r, sh)
		xs := x.Data.([]float32)
		for i := range xs {
			switch r.Intn(16) {
			case 0:
				xs[i] = float32(math.NaN())
			case 1:
				xs[i] = float32(math.Inf(-1))
			case 2:
				xs[i] = 0
			}
		}
		ref := func(lo, hi float64, neg bool) []float32 {
			out := make([]float32, len(xs))
			for i, v := range xs {
				if neg {
					v = -v
				}
				out[i] = float32(clampNaN(float64(v), lo, hi))
			}
			return out
		}
		for _, neg := range []bool{false, true} {
			for _, th := range []int{1, 3} {
				got := runFed(t, "Relu", 14, nil, x, nil, false, neg, th, true)
				sameF32(t, "Relu", got, ref(0, math.Inf(1), neg), sh)
				attrs := []*graph.Attr{{Name: "min", Type: graph.AttrFloat, F: -0.5}, {Name: "max", Type: graph.AttrFloat, F: 1.25}}
				got = runFed(t, "Clip", 6, attrs, x, nil, false, neg, th, true)
				sameF32(t, "Clip-6", got, ref(-0.5, 1.25, neg), sh)
				lo, hi := New([]int{}, []float32{-2}), New([]int{}, []float32{0.75})
				got = runFed(t, "Clip", 13, nil, x, []*Tensor{lo, hi}, true, neg, th, true)
				sameF32(t, "Clip-13", got, ref(-2, 0.75, neg), sh)
				got = runFed(t, "Clip", 13, nil, x, []*Tensor{nil, hi}, false, neg, th, true)
				sameF32(t, "Clip-13 max only", got, ref(math.Inf(-1), 0.75, neg), sh)
				got = runFed(t, "Clip", 13, nil, x, []*Tensor{New([]int{}, []float32{float32(math.NaN())})}, false, neg, th, false)
				sameF32(t, "Clip-13 NaN min", got, ref(math.NaN(), math.Inf(1), neg), sh)
			}
		}
	}
}

// TestConcatTransposePooled runs Concat and Transpose into recycled
// buffers and compares them with the reference strided copy.
func TestConcatTransposePooled(t *testing.T) {
	r := rand.New(rand.NewSource(15))
	for _, sh := range [][]int{{2, 3, 5, 7}, {1, 58, 2, 28, 28}, {1, 13, 1, 9}, {3, 0, 2}, {2, 3, 3*concatPiece + 5}, {67, 129}, {3, 37, 45}, {2, 16, 24, 8}} {
		x := randF32(r, sh)
		for ax := range sh {
			other := slices.Clone(sh)
			other[ax] = 3
			b := randF32(r, other)
			for _, neg := range []bool{false, true} {
				xin := x
				if neg {
					xin = New(slices.Clone(sh), mapSlice(x.Data.([]float32), func(v float32) float32 { return -v }))
				}
				want, err := concatRef(xin, b, ax)
				if err != nil {
					t.Fatal(err)
				}
				attrs := []*graph.Attr{{Name: "axis", Type: graph.AttrInt, I: int64(ax)}}
				for _, th := range []int{1, 3} {
					got := runFed(t, "Concat", 13, attrs, x, []*Tensor{b}, true, neg, th, true)
					sameF32(t, "Concat", got, want.Data.([]float32), want.Shape)
				}
			}
		}
		perms := [][]int64{nil}
		p := make([]int64, len(sh))
		for i := range p {
			p[i] = int64(i)
		}
		for range 4 {
			r.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
			perms = append(perms, slices.Clone(p))
		}
		if len(sh) == 5 {
			perms = append(perms, []int64{0, 2, 1, 3, 4}) // channel shuffle
		}
		for _, perm := range perms {
			var attrs []*graph.Attr
			ip := make([]int, len(sh))
			for i := range ip {
				ip[i] = len(sh) - 1 - i
			}
			if perm != nil {
				attrs = []*graph.Attr{{Name: "perm", Type: graph.AttrInts, Ints: perm}}
				for i, v := range perm {
					ip[i] = int(v)
				}
			}
			want := transposeRef(x, ip)
			shared, err := TransposeTensor(x, ip)
			if err != nil {
				t.Fatal(err)
			}
			moved := x.Len() > 0 && &shared.Data.([]float32)[0] != &x.Data.([]float32)[0]
			got := runFed(t, "Transpose", 13, attrs, x, nil, false, false, 2, moved)
			sameF32(t, "Transpose", got, want.Data.([]float32), want.Shape)
		}
	}
}

// concatRef joins a and b along ax element by element.
func concatRef(a, b *Tensor, ax int) (*Tensor, error) {
	shape := slices.Clone(a.Shape)
	shape[ax] += b.Shape[ax]
	out := make([]float32, Size(shape))
	for i := range out {
		c := unravel(i, shape)
		if c[ax] < a.Shape[ax] {
			out[i] = a.Data.([]float32)[ravel(c, a.Shape)]
		} else {
			c[ax] -= a.Shape[ax]
			out[i] = b.Data.([]float32)[ravel(c, b.Shape)]
		}
	}
	return New(shape, out), nil
}

// transposeRef permutes x's dims element by element.
func transposeRef(x *Tensor, perm []int) *Tensor {
	shape := make([]int, len(perm))
	for i, p := range perm {
		shape[i] = x.Shape[p]
	}
	out := make([]float32, Size(shape))
	src := make([]int, len(perm))
	for i := range out {
		c := unravel(i, shape)
		for k, p := range perm {
			src[p] = c[k]
		}
		out[i] = x.Data.([]float32)[ravel(src, x.Shape)]
	}
	return New(shape, out)
}

func unravel(i int, shape []int) []int {
	c := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		c[k] = i % shape[k]
		i /= shape[k]
	}
	return c
}

func ravel(c, shape []int) int {
	i := 0
	for k := range shape {
		i = i*shape[k] + c[k]
	}
	return i
}

// TestTanhF32 checks tanhF32 against math.Tanh after rounding to float32:
// equal or one ulp apart, the special values exact.
func TestTanhF32(t *testing.T) {
	r := rand.New(rand.NewSource(16))
	check := func(x float32) {
		got := float32(tanhF32(float64(x)))
		want := float32(math.Tanh(float64(x)))
		if got == want && math.Signbit(float64(got)) == math.Signbit(float64(want)) || (got != got && want != want) {
			return
		}
		ulp := math.Abs(float64(math.Nextafter32(want, float32(math.Inf(1))) - want))
		if want == 0 || math.Abs(float64(want)) == 1 || math.Abs(float64(got-want)) > ulp {
			t.Fatalf("tanhF32(%v) = %v, want %v", x, got, want)
		}
	}
	for _, x := range []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e-4, 0x1p-13, 0.25, 0.2499, 0.2501, 9.5, 10, 10.01, 20,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.SmallestNonzeroFloat32} {
		check(x)
		check(-x)
	}
	for i := 0; i < 1000000; i++ {
		check(float32(r.Float64()*24 - 12))
		check(float32(math.Exp(r.Float64()*40 - 35))) // small magnitudes
	}
}

// TestSigmoidTanhOps runs Sigmoid and Tanh on sizes that are split across
// threads at odd lengths: the same bits for 1 and 3 goroutines, close to
// the float64 function, NaN kept.
func TestSigmoidTanhOps(t *testing.T) {
	r := rand.New(rand.NewSource(17))
	for _, sh := range [][]int{{0}, {5}, {3, 7, 11}, {1, 3, parallelMin/3 + 5}} {
		x := randF32(r, sh)
		xs := x.Data.([]float32)
		for i := range xs {
			xs[i] *= 8
			if i%97 == 3 {
				xs[i] = float32(math.NaN())
			}
		}
		for _, c := range []struct {
			op  string
			f   func(float64) float64
			tol float64
		}{{"Sigmoid", sigmoid, 4e-7}, {"Tanh", math.Tanh, 1.2e-7}} {
			one := runFed(t, c.op, 13, nil, x, nil, false, false, 1, true)
			three := runFed(t, c.op, 13, nil, x, nil, false, false, 3, true)
			sameF32(t, c.op+" threads", three, one.Data.([]float32), sh)
			for i, v := range one.Data.([]float32) {
				w := c.f(float64(xs[i]))
				if w != w {
					if v == v {
						t.Fatalf("%s(%v) = %v, want NaN", c.op, xs[i], v)
					}
					continue
				}
				if d := math.Abs(float64(v) - w); d > c.tol*math.Abs(w)+1e-30 {
					t.Fatalf("%s(%v) = %v, want %v", c.op, xs[i], v, w)
				}
			}
		}
	}
}

// TestPReluLeakyReluF32 compares PRelu (every slope broadcast, the legacy
// per-channel [C] slope) and LeakyRelu with the element formula.
func TestPReluLeakyReluF32(t *testing.T) {
	r := rand.New(rand.NewSource(18))
	for _, c := range []struct {
		x, slope []int
		opset    int64
	}{
		{[]int{2, 3, 5, 7}, []int{3, 1, 1}, 16},
		{[]int{2, 3, 5, 7}, []int{1}, 16},
		{[]int{2, 3, 5, 7}, []int{7}, 16},
		{[]int{2, 3, 5, 7}, []int{1, 3, 1, 1}, 16},
		{[]int{2, 3, 5, 7}, []int{2, 3, 5, 7}, 16},
		{[]int{2, 3, 5, 7}, []int{5, 1}, 16},
		{[]int{1, 13, 67, 61}, []int{13, 1, 1}, 16},
		{[]int{2, 3, 5, 7}, []int{3}, 6},
		{[]int{0, 3}, []int{3}, 16},
	} {
		x, slope := randF32(r, c.x), randF32(r, c.slope)
		sshape := c.slope
		if c.opset < 7 {
			sshape = []int{1, 3, 1, 1}
		}
		idx := BroadcastIndex(sshape, c.x)
		for _, neg := range []bool{false, true} {
			xs, ss := x.Data.([]float32), slope.Data.([]float32)
			want := make([]float32, len(xs))
			for i, v := range xs {
				if neg {
					v = -v
				}
				if v < 0 {
					v = ss[idx[i]] * v
				}
				want[i] = v
			}
			for _, th := range []int{1, 3} {
				got := runFed(t, "PRelu", c.opset, nil, x, []*Tensor{slope}, true, neg, th, true)
				sameF32(t, "PRelu", got, want, c.x)
			}
		}
		attrs := []*graph.Attr{{Name: "alpha", Type: graph.AttrFloat, F: 0.3}}
		want := make([]float32, x.Len())
		for i, v := range x.Data.([]float32) {
			w := float64(v)
			if w < 0 {
				w *= float64(float32(0.3))
			}
			want[i] = float32(w)
		}
		got := runFed(t, "LeakyRelu", 16, attrs, x, nil, false, false, 2, true)
		sameF32(t, "LeakyRelu", got, want, c.x)
	}
}

// TestPowF32 compares powF32 with binaryLoop over powf on the broadcast
// patterns, scalar exponents 2 (the vector square), 0.5, 3 and -1
// included, with 1 and 3 goroutines.
func TestPowF32(t *testing.T) {
	r := rand.New(rand.NewSource(19))
	for _, p := range arithPatterns() {
		a, b := randF32(r, p[0]), randF32(r, p[1])
		var exps []*Tensor
		if b.Len() == 1 {
			for _, e := range []float32{2, 0.5, 3, -1} {
				exps = append(exps, New(slices.Clone(p[1]), []float32{e}))
			}
		}
		exps = append(exps, b)
		for _, e := range exps {
			out, _ := BroadcastShapes(a.Shape, e.Shape)
			want := binaryLoop(a.Data.([]float32), a.Shape, e.Data.([]float32), e.Shape, out, powf)
			for _, th := range []int{1, 3} {
				got, ok := powF32(&RunContext{Options: &Options{Threads: th}}, a, e)
				if !ok {
					t.Fatalf("%v %v: no fast path", p[0], p[1])
				}
				sameF32(t, "Pow", got, want, out)
			}
		}
	}
	if _, ok := powF32(nil, randF32(r, []int{2, 3}), randF32(r, []int{4})); ok {
		t.Fatal("shapes that do not broadcast took the fast path")
	}
}

// TestDirectUnaryF32 checks the float32 loops of Neg, Abs, Sqrt,
// Reciprocal, Floor, Ceil, HardSwish and HardSigmoid (default attributes)
// against their float64 functions rounded,
// special values included, bit for bit (NaN as NaN).
func TestDirectUnaryF32(t *testing.T) {
	r := rand.New(rand.NewSource(20))
	x := randF32(r, []int{3, 7, 41})
	xs := x.Data.([]float32)
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-45, -2.5, 2.5, 1e30}
	copy(xs, special)
	for i := len(special); i < len(xs); i++ {
		xs[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.Intn(12)-6)))
	}
	for _, c := range []struct {
		op string
		f  func(float64) float64
	}{{"Neg", func(v float64) float64 { return -v }}, {"Abs", math.Abs}, {"Sqrt", math.Sqrt},
		{"Reciprocal", func(v float64) float64 { return 1 / v }}, {"Floor", math.Floor}, {"Ceil", math.Ceil},
		{"HardSwish", func(v float64) float64 { return v * math.Max(0, math.Min(1, v/6+0.5)) }},
		{"HardSigmoid", func(v float64) float64 { return math.Max(0, math.Min(1, float64(float32(0.2))*v+0.5)) }}} {
		opset := int64(13)
		if c.op == "HardSwish" {
			opset = 14
		}
		got := runFed(t, c.op, opset, nil, x, nil, false, false, 1, true).Data.([]float32)
		for i, v := range xs {
			w := float32(c.f(float64(v)))
			if g := got[i]; math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
				t.Fatalf("%s(%v) = %v, want %v", c.op, v, g, w)
			}
		}
	}
}

// numGC is the number of garbage collections completed so far.
func numGC() uint32 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.NumGC
}
