package ops

import (
	"context"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/infer"
)

// byteSource draws choices from fuzz input; past its end it gives zeros.
type byteSource struct {
	b []byte
	i int
}

func (s *byteSource) byte() byte {
	if s.i >= len(s.b) {
		return 0
	}
	s.i++
	return s.b[s.i-1]
}

// intn returns a value in [0, n).
func (s *byteSource) intn(n int) int {
	if n <= 1 {
		return 0
	}
	return int(s.byte()) % n
}

// small returns a value in [lo, hi].
func (s *byteSource) small(lo, hi int64) int64 { return lo + int64(s.intn(int(hi-lo+1))) }

// genAttrs are the attributes the generator may set, with their types: the
// names most ops read.
var genAttrs = []struct {
	name string
	typ  graph.AttrType
}{
	{"axis", graph.AttrInt}, {"axes", graph.AttrInts}, {"perm", graph.AttrInts}, {"keepdims", graph.AttrInt},
	{"kernel_shape", graph.AttrInts}, {"strides", graph.AttrInts}, {"pads", graph.AttrInts},
	{"dilations", graph.AttrInts}, {"group", graph.AttrInt}, {"to", graph.AttrInt}, {"mode", graph.AttrString},
	{"transA", graph.AttrInt}, {"transB", graph.AttrInt}, {"alpha", graph.AttrFloat}, {"beta", graph.AttrFloat},
	{"epsilon", graph.AttrFloat}, {"split", graph.AttrInts}, {"num_outputs", graph.AttrInt},
	{"blocksize", graph.AttrInt}, {"largest", graph.AttrInt}, {"sorted", graph.AttrInt}, {"starts", graph.AttrInts},
	{"ends", graph.AttrInts}, {"shape", graph.AttrInts}, {"batch_dims", graph.AttrInt}, {"reduction", graph.AttrString},
	{"auto_pad", graph.AttrString}, {"ceil_mode", graph.AttrInt}, {"select_last_index", graph.AttrInt},
	{"noop_with_empty_axes", graph.AttrInt}, {"exclusive", graph.AttrInt}, {"reverse", graph.AttrInt},
	{"dtype", graph.AttrInt}, {"count_include_pad", graph.AttrInt}, {"output_padding", graph.AttrInts},
	{"output_shape", graph.AttrInts}, {"upper", graph.AttrInt}, {"direction", graph.AttrString},
	{"hidden_size", graph.AttrInt}, {"center_point_box", graph.AttrInt}, {"spatial_scale", graph.AttrFloat},
}

var genStrings = []string{"constant", "reflect", "edge", "nearest", "linear", "cubic", "NOTSET", "SAME_UPPER", "VALID",
	"add", "mul", "none", "forward", "reverse", "bidirectional", "DCR", "CRD", "max", "avg"}

var genDTypes = []graph.DType{graph.Float, graph.Int64, graph.Int32, graph.Bool, graph.Double, graph.Uint8, graph.Float16, graph.Int8}

// genTensor makes a tensor of type dt and the given shape, filled from s:
// integers mostly small (so that they work as indices, axes and sizes),
// sometimes extreme.
func genTensor(s *byteSource, dt graph.DType, shape []int) *Tensor {
	n := Size(shape)
	vals := make([]float64, n)
	for i := range vals {
		switch b := s.byte(); {
		case b < 200:
			vals[i] = float64(int(b%16) - 4)
		case b < 230:
			vals[i] = float64(b) / 7
		case b < 240:
			vals[i] = math.Inf(1 - 2*int(b%2))
		case b < 250:
			vals[i] = math.NaN()
		default:
			vals[i] = 1e18
		}
	}
	switch dt {
	case graph.Float:
		d := make([]float32, n)
		for i, v := range vals {
			d[i] = float32(v)
		}
		return New(shape, d)
	case graph.Double:
		return New(shape, vals)
	case graph.Float16:
		f := make([]float32, n)
		for i, v := range vals {
			f[i] = float32(v)
		}
		t, _ := FromFloat32s(graph.Float16, shape, f)
		return t
	case graph.Bool:
		d := make([]bool, n)
		for i, v := range vals {
			d[i] = v > 0
		}
		return New(shape, d)
	}
	d := make([]int64, n)
	for i, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = -1
		}
		d[i] = int64(v)
	}
	t := New(shape, d)
	if dt == graph.Int64 {
		return t
	}
	out, err := Zeros(dt, shape)
	if err != nil {
		return t
	}
	ov := reflect.ValueOf(out.Data)
	for i, v := range d {
		ov.Index(i).Set(reflect.ValueOf(v).Convert(ov.Type().Elem()))
	}
	return out
}

// genModel builds a one-node model of a registered op, with random inputs
// (graph inputs or initializers), attributes and output count. It returns
// the model and the values of its graph inputs.
func genModel(s *byteSource) (*graph.Model, []Value, Spec) {
	specs := Registered()
	spec := specs[s.intn(len(specs))]
	if len(specs) > 256 {
		spec = specs[(int(s.byte())<<8|int(s.byte()))%len(specs)]
	}
	opset := spec.Since
	if spec.Until == 0 || spec.Until > spec.Since {
		opset += int64(s.intn(3))
		if spec.Until != 0 && opset > spec.Until {
			opset = spec.Until
		}
	}
	m := &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 18}}
	m.Opsets[spec.Domain] = opset
	g := &graph.Graph{Name: "fuzz"}
	m.Graph = g
	n := &graph.Node{Name: "n", OpType: spec.Op, Domain: spec.Domain}
	var feeds []Value
	nin := s.intn(4)
	if nin == 0 {
		nin = 1
	}
	for i := range nin {
		name := fmt.Sprintf("in%d", i)
		if s.intn(8) == 0 {
			n.Inputs = append(n.Inputs, "")
			continue
		}
		dt := genDTypes[s.intn(len(genDTypes))]
		rank := s.intn(5)
		shape := make([]int, rank)
		for j := range shape {
			shape[j] = s.intn(5)
			if s.intn(4) != 0 && shape[j] == 0 {
				shape[j] = 1 + s.intn(3)
			}
		}
		t := genTensor(s, dt, shape)
		n.Inputs = append(n.Inputs, name)
		if s.intn(2) == 0 {
			gt, err := t.ToGraph(name)
			if err == nil {
				g.Initializers = append(g.Initializers, gt)
				continue
			}
		}
		dims := make([]graph.Dim, rank)
		for j, d := range shape {
			dims[j] = graph.Dim{Value: int64(d), Known: true}
		}
		g.Inputs = append(g.Inputs, &graph.ValueInfo{Name: name, Type: &graph.Type{Kind: graph.TypeTensor, Elem: dt, Shape: dims, HasShape: true}})
		feeds = append(feeds, t)
	}
	for range s.intn(4) {
		a := genAttrs[s.intn(len(genAttrs))]
		if n.HasAttr(a.name) {
			continue
		}
		at := &graph.Attr{Name: a.name, Type: a.typ}
		switch a.typ {
		case graph.AttrInt:
			at.I = s.small(-3, 6)
			if a.name == "to" || a.name == "dtype" {
				at.I = int64(genDTypes[s.intn(len(genDTypes))])
			}
		case graph.AttrInts:
			for range s.intn(5) {
				at.Ints = append(at.Ints, s.small(-2, 5))
			}
		case graph.AttrFloat:
			at.F = float32(s.small(-2, 4)) / 2
		case graph.AttrString:
			at.S = []byte(genStrings[s.intn(len(genStrings))])
		}
		n.Attrs = append(n.Attrs, at)
	}
	nout := 1 + s.intn(3)
	for i := range nout {
		o := fmt.Sprintf("out%d", i)
		n.Outputs = append(n.Outputs, o)
		g.Outputs = append(g.Outputs, &graph.ValueInfo{Name: o})
	}
	g.Nodes = []*graph.Node{n}
	return m, feeds, spec
}

// within runs f, failing t if it does not return within d.
func within(t *testing.T, d time.Duration, what string, f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
}

var fuzzLimits = Limits{MaxTensorBytes: 64 << 20, MaxLiveBytes: 256 << 20, MaxLoopIterations: 1 << 12}

// FuzzGeneratedNode builds a one-node graph of a registered op with random
// inputs and attributes, infers its shapes, compiles it and runs it. None
// of this may panic (a recovered kernel panic shows as "internal error")
// or hang. With ONNXRUN_FUZZ_SHAPES=1 it also checks that where inference
// knows an output shape and the run succeeds, the two agree (invalid nodes,
// such as an Add given three inputs, still make them differ).
func FuzzGeneratedNode(f *testing.F) {
	for _, seed := range []string{"", "\x00\x01\x02\x03", "MatMul seed \x05\x02\x02", "\xff\xfe\x10\x20\x30\x40\x50\x60\x70\x80\x90",
		"\x12\x34\x56\x78\x9a\xbc\xde\xf0\x01\x23\x45\x67\x89\xab\xcd\xef\x11\x22\x33\x44"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, feeds, spec := genModel(&byteSource{b: data})
		what := fmt.Sprintf("%s %s-%d", spec.Domain, spec.Op, m.Opsets[spec.Domain])
		var res *infer.Result
		within(t, 5*time.Second, what+" inference", func() {
			r, err := infer.Run(m, infer.Options{})
			if err != nil {
				t.Fatalf("%s: infer: %v", what, err)
			}
			res = r
		})
		var outs []Value
		var runErr error
		within(t, 10*time.Second, what+" compile and run", func() {
			p, err := Compile(m, &Options{Threads: 2, Limits: fuzzLimits})
			if err != nil {
				if strings.Contains(err.Error(), "panic") {
					t.Fatalf("%s: compile: %v", what, err)
				}
				return
			}
			outs, runErr = p.Run(context.Background(), feeds)
			if runErr != nil && strings.Contains(runErr.Error(), "internal error") {
				t.Fatalf("%s: run: %v", what, runErr)
			}
		})
		if runErr != nil || outs == nil || os.Getenv("ONNXRUN_FUZZ_SHAPES") == "" {
			return
		}
		for i, o := range m.Graph.Outputs {
			ot, ok := outs[i].(*Tensor)
			if !ok {
				continue
			}
			fact, ok := res.Values[o.Name]
			if !ok || fact.Kind != infer.KindTensor || !fact.Ranked {
				continue
			}
			dims, ok := fact.Shape.Consts()
			if !ok {
				continue
			}
			if len(dims) != len(ot.Shape) {
				t.Fatalf("%s: output %d: inferred %v, ran %v", what, i, dims, ot.Shape)
			}
			for j, d := range dims {
				if int(d) != ot.Shape[j] {
					t.Fatalf("%s: output %d: inferred %v, ran %v", what, i, dims, ot.Shape)
				}
			}
		}
	})
}

// sameBits reports whether two values hold the same shapes and bits.
func sameBits(a, b Value) bool {
	at, ok1 := a.(*Tensor)
	bt, ok2 := b.(*Tensor)
	if !ok1 || !ok2 {
		return reflect.DeepEqual(a, b)
	}
	if at.DType != bt.DType || !reflect.DeepEqual(at.Shape, bt.Shape) {
		return false
	}
	switch x := at.Data.(type) {
	case []float32:
		y := bt.Data.([]float32)
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
		return true
	case []float64:
		y := bt.Data.([]float64)
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(at.Data, bt.Data)
}

// FuzzThreadsAndReference runs generated one-node graphs with 1 and with 4
// threads per op: the outputs must be bit-identical. For MatMul, Gemm-free
// float32 Add and ReduceSum it also compares with a plain reference loop.
func FuzzThreadsAndReference(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x03"), uint8(0), uint8(3), uint8(4), uint8(5))
	f.Add([]byte("\x10\x20\x30"), uint8(1), uint8(7), uint8(1), uint8(9))
	f.Add([]byte("\x01"), uint8(2), uint8(2), uint8(33), uint8(17))
	f.Fuzz(func(t *testing.T, data []byte, op, m, k, n uint8) {
		s := &byteSource{b: data}
		var model *graph.Model
		var feeds []Value
		var ref func() *Tensor
		// absSum[i] is the sum of the magnitudes of the terms that make
		// output i: a float32 sum of terms that cancel can be off by up to
		// K·2⁻²⁴ times that, whatever the order (the standard bound for
		// recursive summation), so the check scales with it.
		var absSum []float64
		M, K, N := 1+int(m)%48, 1+int(k)%48, 1+int(n)%48
		switch op % 3 {
		case 0: // MatMul [M,K] x [K,N]
			a, b := genTensor(s, graph.Float, []int{M, K}), genTensor(s, graph.Float, []int{K, N})
			model = oneNode("MatMul", []string{"a", "b"}, []*Tensor{a, b})
			feeds = []Value{a, b}
			ref = func() *Tensor {
				av, bv := a.Data.([]float32), b.Data.([]float32)
				out := make([]float32, M*N)
				absSum = make([]float64, M*N)
				for i := range M {
					for j := range N {
						var acc, mag float64
						for p := range K {
							term := float64(av[i*K+p]) * float64(bv[p*N+j])
							acc += term
							mag += math.Abs(term)
						}
						out[i*N+j] = float32(acc)
						absSum[i*N+j] = mag
					}
				}
				return New([]int{M, N}, out)
			}
		case 1: // Add [M,1,K] + [N,K]: broadcasting
			a, b := genTensor(s, graph.Float, []int{M, 1, K}), genTensor(s, graph.Float, []int{N, K})
			model = oneNode("Add", []string{"a", "b"}, []*Tensor{a, b})
			feeds = []Value{a, b}
			ref = func() *Tensor {
				av, bv := a.Data.([]float32), b.Data.([]float32)
				out := make([]float32, M*N*K)
				for i := range M {
					for j := range N {
						for p := range K {
							out[(i*N+j)*K+p] = av[i*K+p] + bv[j*K+p]
						}
					}
				}
				return New([]int{M, N, K}, out)
			}
		default: // ReduceSum over axis 1 of [M,K,N], keepdims 0
			a := genTensor(s, graph.Float, []int{M, K, N})
			model = oneNode("ReduceSum", []string{"a", "axes"}, []*Tensor{a, New([]int{1}, []int64{1})})
			model.Graph.Inputs = model.Graph.Inputs[:1]
			model.Graph.Nodes[0].Attrs = []*graph.Attr{{Name: "keepdims", Type: graph.AttrInt, I: 0}}
			feeds = []Value{a}
			ref = func() *Tensor {
				av := a.Data.([]float32)
				out := make([]float64, M*N)
				absSum = make([]float64, M*N)
				for i := range M {
					for p := range K {
						for j := range N {
							out[i*N+j] += float64(av[(i*K+p)*N+j])
							absSum[i*N+j] += math.Abs(float64(av[(i*K+p)*N+j]))
						}
					}
				}
				o := make([]float32, len(out))
				for i, v := range out {
					o[i] = float32(v)
				}
				return New([]int{M, N}, o)
			}
		}
		var res [2][]Value
		for i, th := range []int{1, 4} {
			p, err := Compile(model, &Options{Threads: th, Limits: fuzzLimits})
			if err != nil {
				t.Fatal(err)
			}
			if res[i], err = p.Run(context.Background(), feeds); err != nil {
				t.Fatal(err)
			}
		}
		if !sameBits(res[0][0], res[1][0]) {
			t.Fatalf("%s: 1 and 4 threads differ", model.Graph.Nodes[0].OpType)
		}
		want := ref()
		got := res[0][0].(*Tensor)
		if !reflect.DeepEqual(got.Shape, want.Shape) {
			t.Fatalf("shape %v, reference %v", got.Shape, want.Shape)
		}
		gv, wv := got.Data.([]float32), want.Data.([]float32)
		for i := range wv {
			g, w := float64(gv[i]), float64(wv[i])
			if math.IsNaN(w) || math.IsInf(w, 0) || math.Abs(w) > 1e15 {
				continue // an overflowing or NaN sum: summation order decides which
			}
			tol := 1e-4 + 1e-5*math.Abs(w)*float64(K)
			if absSum != nil {
				tol += float64(K) * 0x1p-24 * absSum[i]
			}
			if math.Abs(g-w) > tol {
				t.Fatalf("%s element %d: %v, reference %v", model.Graph.Nodes[0].OpType, i, g, w)
			}
		}
	})
}

// oneNode builds a model whose single node applies op to graph inputs
// named names, typed like ts; its output is "y".
func oneNode(op string, names []string, ts []*Tensor) *graph.Model {
	g := &graph.Graph{Name: "diff"}
	for i, name := range names {
		dims := make([]graph.Dim, len(ts[i].Shape))
		for j, d := range ts[i].Shape {
			dims[j] = graph.Dim{Value: int64(d), Known: true}
		}
		g.Inputs = append(g.Inputs, &graph.ValueInfo{Name: name, Type: &graph.Type{Kind: graph.TypeTensor, Elem: ts[i].DType, Shape: dims, HasShape: true}})
		if i > 0 && ts[i].DType == graph.Int64 {
			gt, _ := ts[i].ToGraph(name)
			g.Initializers = append(g.Initializers, gt)
		}
	}
	g.Nodes = []*graph.Node{{Name: "n", OpType: op, Inputs: names, Outputs: []string{"y"}}}
	g.Outputs = []*graph.ValueInfo{{Name: "y"}}
	return &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 18}, Graph: g}
}
