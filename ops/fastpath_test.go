package ops

import (
	"math"
	"math/rand"
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
