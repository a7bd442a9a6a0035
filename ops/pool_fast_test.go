package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/x448/float16"
)

// poolCase is one pooling node with an input.
type poolCase struct {
	op    string
	opset int64
	attrs []*graph.Attr
	x     *Tensor
}

func (c poolCase) String() string {
	s := fmt.Sprintf("%s-%d x%v", c.op, c.opset, c.x.Shape)
	for _, a := range c.attrs {
		switch a.Type {
		case graph.AttrInt:
			s += fmt.Sprintf(" %s=%d", a.Name, a.I)
		case graph.AttrInts:
			s += fmt.Sprintf(" %s=%v", a.Name, a.Ints)
		case graph.AttrString:
			s += fmt.Sprintf(" %s=%s", a.Name, a.S)
		}
	}
	return s
}

// kernel prepares the case's node; general keeps it on the general path.
func (c poolCase) kernel(t *testing.T, general bool, outputs int) Kernel {
	t.Helper()
	n := &graph.Node{Name: "n", OpType: c.op, Attrs: c.attrs, Inputs: []string{"x"}}
	for i := range outputs {
		n.Outputs = append(n.Outputs, fmt.Sprintf("y%d", i))
	}
	f, spec, ok := Lookup("", c.op, c.opset)
	if !ok {
		t.Fatalf("%s-%d not registered", c.op, c.opset)
	}
	k, err := f(&Build{Node: n, Opset: c.opset, Spec: spec})
	if err != nil {
		t.Fatalf("%s: %v", c, err)
	}
	if pk, ok := k.(*poolKernel); ok {
		pk.general = general
	} else {
		t.Fatalf("%s: kernel %T", c, k)
	}
	return k
}

func runPool(t *testing.T, k Kernel, x *Tensor, threads int) []Value {
	t.Helper()
	out, err := k.Run(&RunContext{Options: &Options{Threads: threads}}, []Value{x})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// randPoolCase makes a MaxPool or AveragePool node over rank spatial axes
// with random attributes the spec allows, and a float32 input.
func randPoolCase(r *rand.Rand, op string, rank int) poolCase {
	c := poolCase{op: op, opset: 19}
	if r.IntN(3) == 0 {
		c.opset = 11 + int64(r.IntN(7)) // no dilations for AveragePool before 19
	}
	shape := []int{1 + r.IntN(2), 1 + r.IntN(5)}
	var kern, strides, dil, pads []int64
	for a := 0; a < rank; a++ {
		in := 1 + r.IntN(16)
		if a == rank-1 {
			in = 1 + r.IntN(40)
		}
		shape = append(shape, in)
		k := 1 + r.IntN(min(in, 4))
		kern = append(kern, int64(k))
		strides = append(strides, int64(1+r.IntN(3)))
		d := 1
		if (op == "MaxPool" || c.opset >= 19) && r.IntN(4) == 0 && (k-1)*2+1 <= in {
			d = 2
		}
		dil = append(dil, int64(d))
	}
	for a := 0; a < 2*rank; a++ {
		pads = append(pads, int64(r.IntN(int(kern[a%rank]))))
	}
	c.attrs = []*graph.Attr{attrInts("kernel_shape", kern...)}
	if r.IntN(4) > 0 {
		c.attrs = append(c.attrs, attrInts("strides", strides...))
	}
	if r.IntN(3) > 0 {
		c.attrs = append(c.attrs, attrInts("dilations", dil...))
	}
	switch r.IntN(5) {
	case 0:
		c.attrs = append(c.attrs, attrStr("auto_pad", "SAME_UPPER"))
	case 1:
		c.attrs = append(c.attrs, attrStr("auto_pad", "SAME_LOWER"))
	case 2:
		c.attrs = append(c.attrs, attrStr("auto_pad", "VALID"))
	default:
		c.attrs = append(c.attrs, attrInts("pads", pads...))
	}
	if r.IntN(2) == 0 {
		c.attrs = append(c.attrs, attrInt("ceil_mode", 1))
	}
	if op == "AveragePool" && r.IntN(2) == 0 {
		c.attrs = append(c.attrs, attrInt("count_include_pad", 1))
	}
	if op == "MaxPool" && r.IntN(3) == 0 {
		c.attrs = append(c.attrs, attrInt("storage_order", 1))
	}
	v := make([]float32, Size(shape))
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	c.x = New(shape, v)
	return c
}

// poolClose compares a fast result with the general path's: max exactly
// (NaN with NaN), means within the rounding of summing windows of ktaps
// values in float32.
func poolClose(t *testing.T, c poolCase, got, want *Tensor, ktaps int) {
	t.Helper()
	if !equalInts(got.Shape, want.Shape) || got.DType != want.DType {
		t.Fatalf("%s: %s %v, want %s %v", c, got.DType, got.Shape, want.DType, want.Shape)
	}
	g, err := ToFloat64s(got)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := ToFloat64s(want)
	tol := 0.0
	if c.op == "AveragePool" || c.op == "GlobalAveragePool" {
		eps := 0x1p-24
		switch got.DType {
		case graph.Double:
			eps = 0x1p-53
		case graph.Float16:
			eps = 0x1p-11
		}
		tol = float64(ktaps+2) * eps * 4
	}
	for i := range w {
		if g[i] == w[i] || g[i] != g[i] && w[i] != w[i] {
			continue
		}
		if math.Abs(g[i]-w[i]) > tol*(1+math.Abs(w[i])) {
			t.Fatalf("%s: element %d = %v, want %v", c, i, g[i], w[i])
		}
	}
}

func attrProduct(c poolCase) int {
	for _, a := range c.attrs {
		if a.Name == "kernel_shape" {
			p := 1
			for _, k := range a.Ints {
				p *= int(k)
			}
			return p
		}
	}
	return Size(c.x.Shape[2:])
}

// TestPoolFastMatchesGeneral runs random MaxPool and AveragePool nodes of
// one to three spatial axes through the float kernels and the general
// path: the same values, and the same bits for one and two threads.
func TestPoolFastMatchesGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for it := 0; it < 600; it++ {
		op := "MaxPool"
		if it%2 == 1 {
			op = "AveragePool"
		}
		c := randPoolCase(r, op, 1+(it/2)%3)
		fast, general := c.kernel(t, false, 1), c.kernel(t, true, 1)
		_, err := fast.Run(nil, []Value{c.x})
		if err != nil {
			// Attribute combinations the shape rules refuse: both paths
			// must refuse them.
			if _, err2 := general.Run(nil, []Value{c.x}); err2 == nil {
				t.Fatalf("%s: fast path error %v, general path none", c, err)
			}
			continue
		}
		want := runPool(t, general, c.x, 1)[0].(*Tensor)
		got1 := runPool(t, fast, c.x, 1)[0].(*Tensor)
		got2 := runPool(t, fast, c.x, 2)[0].(*Tensor)
		poolClose(t, c, got1, want, attrProduct(c))
		a, b := got1.Data.([]float32), got2.Data.([]float32)
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s: element %d differs for 1 and 2 threads: %v, %v", c, i, a[i], b[i])
			}
		}
		// A second shape through the same kernel re-prepares it.
		if it%7 == 0 {
			c2 := c
			sh := append([]int{}, c.x.Shape...)
			sh[len(sh)-1] += 3
			c2.x = New(sh, make([]float32, Size(sh)))
			if _, err := fast.Run(nil, []Value{c2.x}); err == nil {
				w2 := runPool(t, general, c2.x, 1)[0].(*Tensor)
				poolClose(t, c2, runPool(t, fast, c2.x, 1)[0].(*Tensor), w2, attrProduct(c))
			}
			poolClose(t, c, runPool(t, fast, c.x, 1)[0].(*Tensor), want, attrProduct(c))
		}
	}
}

// TestPoolFastTypes runs the float kernels on float64 and the half types
// against the general path, and MaxPool's NaN propagation.
func TestPoolFastTypes(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for it := 0; it < 60; it++ {
		op := []string{"MaxPool", "AveragePool"}[it%2]
		c := randPoolCase(r, op, 2)
		v := c.x.Data.([]float32)
		for _, dt := range []graph.DType{graph.Double, graph.Float16, graph.BFloat16} {
			cc := c
			switch dt {
			case graph.Double:
				cc.x = New(c.x.Shape, convertSlice[float32, float64](v))
			case graph.Float16:
				h := make([]float16.Float16, len(v))
				for i, x := range v {
					h[i] = float16.Fromfloat32(x)
				}
				cc.x = New(c.x.Shape, h)
			case graph.BFloat16:
				h := make([]graph.BFloat16Value, len(v))
				for i, x := range v {
					h[i] = graph.BFloat16From(x)
				}
				cc.x = New(c.x.Shape, h)
			}
			fast, general := cc.kernel(t, false, 1), cc.kernel(t, true, 1)
			if _, err := general.Run(nil, []Value{cc.x}); err != nil {
				continue
			}
			poolClose(t, cc, runPool(t, fast, cc.x, 2)[0].(*Tensor), runPool(t, general, cc.x, 1)[0].(*Tensor), attrProduct(cc))
		}
	}
	// A NaN anywhere in a window wins, on both paths.
	x := New([]int{1, 1, 2, 9}, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 1, float32(math.NaN()), 3, 4, 5, 6, 7, 8, 9})
	c := poolCase{op: "MaxPool", opset: 12, attrs: []*graph.Attr{attrInts("kernel_shape", 2, 3)}, x: x}
	for _, general := range []bool{false, true} {
		y := runPool(t, c.kernel(t, general, 1), x, 1)[0].(*Tensor).Data.([]float32)
		for i, v := range y {
			if (i < 2) != (v != v) {
				t.Fatalf("general=%v: %v, want NaN in the first two windows only", general, y)
			}
		}
	}
}

// TestPoolIndicesStayGeneral checks that a MaxPool whose Indices output is
// named still gets it.
func TestPoolIndicesStayGeneral(t *testing.T) {
	x := New([]int{1, 1, 2, 2}, []float32{1, 4, 3, 2})
	c := poolCase{op: "MaxPool", opset: 12, attrs: []*graph.Attr{attrInts("kernel_shape", 2, 2)}, x: x}
	out := runPool(t, c.kernel(t, false, 2), x, 1)
	if len(out) != 2 || out[1] == nil {
		t.Fatalf("outputs %v, want values and indices", out)
	}
	if idx := out[1].(*Tensor).Data.([]int64); idx[0] != 1 {
		t.Fatalf("index %v, want 1", idx)
	}
}

// TestGlobalPoolFast compares GlobalAveragePool and GlobalMaxPool on the
// float kernels with the general path.
func TestGlobalPoolFast(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for it := 0; it < 80; it++ {
		op := []string{"GlobalAveragePool", "GlobalMaxPool"}[it%2]
		shape := []int{1 + r.IntN(2), 1 + r.IntN(40)}
		for a := 0; a < 1+it%3; a++ {
			shape = append(shape, 1+r.IntN(30))
		}
		v := make([]float32, Size(shape))
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		if it%5 == 0 {
			v[r.IntN(len(v))] = float32(math.NaN())
		}
		for _, x := range []*Tensor{New(shape, v), New(shape, convertSlice[float32, float64](v))} {
			c := poolCase{op: op, opset: 1, x: x}
			fast, general := c.kernel(t, false, 1), c.kernel(t, true, 1)
			got1 := runPool(t, fast, x, 1)[0].(*Tensor)
			got2 := runPool(t, fast, x, 2)[0].(*Tensor)
			poolClose(t, c, got1, runPool(t, general, x, 1)[0].(*Tensor), Size(shape[2:])/32+6)
			g1, _ := ToFloat64s(got1)
			g2, _ := ToFloat64s(got2)
			for i := range g1 {
				if math.Float64bits(g1[i]) != math.Float64bits(g2[i]) {
					t.Fatalf("%s: element %d differs for 1 and 2 threads", c, i)
				}
			}
		}
	}
}
