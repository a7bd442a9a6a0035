package ops

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// constBCase is one Gemm, MatMul, FusedGemm or FusedMatMul node whose B is
// an initializer (the path that prepares B once) and, as the reference,
// the same product in float64.
type constBCase struct {
	op          string // Gemm, MatMul, FusedGemm or FusedMatMul
	aShape      []int
	bShape      []int
	cShape      []int // Gemm's C, nil when omitted
	ta, tb      bool
	alpha, beta float32
	relu, resid bool // fused: Relu activation, residual input
	threads     int
}

// run compiles the node with B constant and returns its output and the
// float64 reference.
func (tc constBCase) run(t *testing.T, r *rand.Rand) (got *Tensor, want []float64, mag []float64) {
	t.Helper()
	rnd := func(shape []int) *Tensor {
		v := make([]float32, Size(shape))
		for i := range v {
			v[i] = r.Float32()*2 - 1
		}
		return New(shape, v)
	}
	a, b := rnd(tc.aShape), rnd(tc.bShape)
	dims := make([]int64, len(tc.bShape))
	for i, d := range tc.bShape {
		dims[i] = int64(d)
	}
	bt, err := graph.NewTensor("B", dims, b.Data.([]float32))
	if err != nil {
		t.Fatal(err)
	}
	node := &graph.Node{Name: "n", OpType: tc.op, Inputs: []string{"A", "B"}, Outputs: []string{"Y"}}
	g := &graph.Graph{Name: "g", Inputs: []*graph.ValueInfo{{Name: "A"}}, Outputs: []*graph.ValueInfo{{Name: "Y"}},
		Initializers: []*graph.Tensor{bt}, Nodes: []*graph.Node{node}}
	if tc.op == "FusedGemm" || tc.op == "FusedMatMul" {
		node.Domain = FusedDomain
	}
	feeds := []Value{a}
	gemmLike := tc.op == "Gemm" || tc.op == "FusedGemm"
	// The reference: op(A)·op(B) per batch element.
	var m, n, k int
	var batch int
	if gemmLike {
		m, k = tc.aShape[0], tc.aShape[1]
		if tc.ta {
			m, k = k, m
		}
		n = tc.bShape[1]
		if tc.tb {
			n = tc.bShape[0]
		}
		batch = 1
		node.Attrs = append(node.Attrs, attrFloat("alpha", tc.alpha), attrFloat("beta", tc.beta),
			attrInt("transA", b2i(tc.ta)), attrInt("transB", b2i(tc.tb)))
	} else {
		k, n = tc.bShape[0], tc.bShape[1]
		m = 1
		if len(tc.aShape) > 1 {
			m = tc.aShape[len(tc.aShape)-2]
		}
		batch = Size(tc.aShape) / (m * k)
	}
	av, bv := a.Data.([]float32), b.Data.([]float32)
	want = make([]float64, batch*m*n)
	mag = make([]float64, batch*m*n)
	for e := 0; e < batch; e++ {
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s, sm float64
				for p := 0; p < k; p++ {
					ai, bi := e*m*k+i*k+p, p*n+j
					if tc.ta {
						ai = p*m + i
					}
					if tc.tb {
						bi = j*k + p
					}
					s += float64(av[ai]) * float64(bv[bi])
					sm += math.Abs(float64(av[ai]) * float64(bv[bi]))
				}
				if gemmLike {
					s *= float64(tc.alpha)
					sm *= math.Abs(float64(tc.alpha))
				}
				want[(e*m+i)*n+j], mag[(e*m+i)*n+j] = s, sm
			}
		}
	}
	if tc.cShape != nil {
		c := rnd(tc.cShape)
		node.Inputs = append(node.Inputs, "C")
		g.Inputs = append(g.Inputs, &graph.ValueInfo{Name: "C"})
		feeds = append(feeds, c)
		idx := BroadcastIndex(tc.cShape, []int{m, n})
		for i := range want {
			want[i] += float64(tc.beta) * float64(c.Data.([]float32)[idx[i]])
		}
	} else if tc.op == "FusedGemm" && tc.resid {
		node.Inputs = append(node.Inputs, "")
	}
	if tc.op == "FusedGemm" || tc.op == "FusedMatMul" {
		if tc.relu {
			node.Attrs = append(node.Attrs, attrStr("activation", "Relu"))
		}
		if tc.resid {
			node.Attrs = append(node.Attrs, attrInt("residual", 1))
			shape := append(append([]int(nil), tc.aShape[:len(tc.aShape)-1]...), n)
			if gemmLike {
				shape = []int{m, n}
			}
			z := rnd(shape)
			node.Inputs = append(node.Inputs, "Z")
			g.Inputs = append(g.Inputs, &graph.ValueInfo{Name: "Z"})
			feeds = append(feeds, z)
			for i, v := range z.Data.([]float32) {
				want[i] += float64(v)
			}
		}
		if tc.relu {
			for i := range want {
				want[i] = math.Max(want[i], 0)
			}
		}
	}
	model := &graph.Model{Opsets: map[string]int64{"": 13, FusedDomain: 1}, Graph: g}
	p, err := Compile(model, &Options{Threads: tc.threads})
	if err != nil {
		t.Fatal(err)
	}
	// Twice: the second run uses what the first prepared.
	for range 2 {
		out, err := p.Run(context.Background(), feeds)
		if err != nil {
			t.Fatal(err)
		}
		got = out[0].(*Tensor)
	}
	return got, want, mag
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// TestConstantB checks Gemm, MatMul, FusedGemm and FusedMatMul with a
// constant B (prepared once for products with few rows, and the general
// product beyond) against float64 references, over the transposes, alpha
// and beta, the broadcasts of C, batched MatMul, the fused epilogue, and
// one and two threads giving the same bits.
func TestConstantB(t *testing.T) {
	var cases []constBCase
	for _, m := range []int{1, 3, 4, 17, 64, 70} {
		for _, k := range []int{1, 9, 37, 64} {
			n := 5 + (m*k)%23
			for v := 0; v < 4; v++ {
				ta, tb := v&1 != 0, v&2 != 0
				aShape, bShape := []int{m, k}, []int{k, n}
				if ta {
					aShape = []int{k, m}
				}
				if tb {
					bShape = []int{n, k}
				}
				cShapes := [][]int{nil, {n}, {1, n}, {m, n}, {m, 1}, {}}
				cs := cShapes[(m+k+v)%len(cShapes)]
				beta := []float32{1, 0.5, 0}[(m+v)%3]
				cases = append(cases,
					constBCase{op: "Gemm", aShape: aShape, bShape: bShape, cShape: cs, ta: ta, tb: tb, alpha: []float32{1, 0.75}[v%2], beta: beta},
					constBCase{op: "FusedGemm", aShape: aShape, bShape: bShape, cShape: []int{n}, ta: ta, tb: tb, alpha: 1.5, beta: 1, relu: v%2 == 0, resid: v >= 2})
			}
			cases = append(cases,
				constBCase{op: "MatMul", aShape: []int{m, k}, bShape: []int{k, n}},
				constBCase{op: "MatMul", aShape: []int{2, m, k}, bShape: []int{k, n}},
				constBCase{op: "FusedMatMul", aShape: []int{m, k}, bShape: []int{k, n}, relu: true, resid: m%2 == 0})
		}
	}
	cases = append(cases, constBCase{op: "MatMul", aShape: []int{7}, bShape: []int{7, 300}},
		constBCase{op: "Gemm", aShape: []int{2, 300}, bShape: []int{900, 300}, tb: true, cShape: []int{900}, alpha: 1, beta: 1})
	for i, tc := range cases {
		name := fmt.Sprintf("%d/%s/a%v_b%v_c%v_ta%v_tb%v", i, tc.op, tc.aShape, tc.bShape, tc.cShape, tc.ta, tc.tb)
		var first *Tensor
		for _, threads := range []int{1, 2} {
			tc.threads = threads
			got, want, mag := tc.run(t, rand.New(rand.NewSource(int64(i))))
			gv := got.Data.([]float32)
			if len(gv) != len(want) {
				t.Fatalf("%s: %d outputs, want %d", name, len(gv), len(want))
			}
			for j, w := range want {
				if math.Abs(float64(gv[j])-w) > 1e-6*(mag[j]+math.Abs(w)+1) {
					t.Fatalf("%s/t%d: y[%d] = %v, want %v", name, threads, j, gv[j], w)
				}
			}
			if first == nil {
				first = got
				continue
			}
			for j, v := range gv {
				if math.Float32bits(v) != math.Float32bits(first.Data.([]float32)[j]) {
					t.Fatalf("%s: y[%d] = %v with 2 threads, %v with 1", name, j, v, first.Data.([]float32)[j])
				}
			}
		}
	}
}

// TestConstantBConcurrentRuns runs plans whose MatMul or Gemm makes a
// layout of its constant B at the first run (the columns of a MatMul's B
// for few rows, the rows of a transposed Gemm B for many) from several
// goroutines at once (run with -race): every run must give the same bits.
func TestConstantBConcurrentRuns(t *testing.T) {
	const k, n = 70, 45
	for _, tc := range []struct {
		op     string
		m      int
		bShape []int64
	}{{"MatMul", 3, []int64{k, n}}, {"Gemm", 80, []int64{n, k}}} {
		r := rand.New(rand.NewSource(4))
		w := make([]float32, k*n)
		for i := range w {
			w[i] = r.Float32()*2 - 1
		}
		bt, err := graph.NewTensor("B", tc.bShape, w)
		if err != nil {
			t.Fatal(err)
		}
		node := &graph.Node{Name: "mm", OpType: tc.op, Inputs: []string{"A", "B"}, Outputs: []string{"Y"}}
		if tc.op == "Gemm" {
			node.Attrs = []*graph.Attr{attrInt("transB", 1)}
		}
		g := &graph.Graph{Name: "g", Inputs: []*graph.ValueInfo{{Name: "A"}}, Outputs: []*graph.ValueInfo{{Name: "Y"}},
			Initializers: []*graph.Tensor{bt}, Nodes: []*graph.Node{node}}
		p, err := Compile(&graph.Model{Opsets: map[string]int64{"": 13}, Graph: g}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a := make([]float32, tc.m*k)
		for i := range a {
			a[i] = r.Float32()*2 - 1
		}
		outs := make(chan []float32, 8)
		errs := make(chan error, 8)
		for range 8 {
			go func() {
				out, err := p.Run(context.Background(), []Value{New([]int{tc.m, k}, a)})
				if err != nil {
					errs <- err
					return
				}
				outs <- out[0].(*Tensor).Data.([]float32)
			}()
		}
		var first []float32
		for range 8 {
			select {
			case err := <-errs:
				t.Fatal(err)
			case y := <-outs:
				if first == nil {
					first = y
					continue
				}
				for i, v := range y {
					if math.Float32bits(v) != math.Float32bits(first[i]) {
						t.Fatalf("%s: y[%d] = %v in one run, %v in another", tc.op, i, v, first[i])
					}
				}
			}
		}
	}
}
