package ops

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// shFuzzCase describes random nodes of one op: attrs and inputs are drawn
// afresh on each call.
type shFuzzCase struct {
	op     string
	opset  int64
	nOut   int
	attrs  func() []*graph.Attr
	inputs func() []Value
}

// shFuzzCases returns random-node generators for every data-movement op.
func shFuzzCases(rng *rand.Rand) []shFuzzCase {
	types := []graph.DType{graph.Float, graph.Int64, graph.String, graph.Bool, graph.Int8, graph.Complex128}
	shape := func() []int {
		s := make([]int, rng.Intn(4))
		for i := range s {
			s[i] = rng.Intn(4)
		}
		return s
	}
	ival := func() int64 {
		switch rng.Intn(12) {
		case 0:
			return math.MaxInt64
		case 1:
			return math.MinInt64
		case 2:
			return 1 << 40
		}
		return int64(rng.Intn(9) - 4)
	}
	ints := func() *Tensor {
		v := make([]int64, rng.Intn(5))
		for i := range v {
			v[i] = ival()
		}
		return New([]int{len(v)}, v)
	}
	scalarInt := func() *Tensor { return Scalar(ival()) }
	data := func() *Tensor { return shRandomTensor(rng, types[rng.Intn(len(types))], shape()) }
	idx := func() *Tensor {
		s := shape()
		v := make([]int64, Size(s))
		for i := range v {
			v[i] = ival()
		}
		return New(s, v)
	}
	attr := func(names ...string) []*graph.Attr {
		var as []*graph.Attr
		for _, n := range names {
			if rng.Intn(3) > 0 {
				as = append(as, attrInt(n, ival()))
			}
		}
		return as
	}
	// Generators biased towards valid arguments, to reach the kernels' main paths.
	small := func(lo, hi int) int64 { return int64(lo + rng.Intn(hi-lo+1)) }
	vecOf := func(n, lo, hi int) *Tensor {
		v := make([]int64, n)
		for i := range v {
			v[i] = small(lo, hi)
		}
		return New([]int{n}, v)
	}
	within := func(d *Tensor, axis int) *Tensor { // indices of d's rank, in range along axis
		s := make([]int, d.Rank())
		for i := range s {
			s[i] = rng.Intn(d.Shape[i] + 1)
		}
		v := make([]int64, Size(s))
		for i := range v {
			v[i] = small(-d.Shape[axis], d.Shape[axis]-1)
		}
		return New(s, v)
	}
	nonEmpty := func() *Tensor {
		s := make([]int, 1+rng.Intn(3))
		for i := range s {
			s[i] = 1 + rng.Intn(3)
		}
		return shRandomTensor(rng, types[rng.Intn(len(types))], s)
	}
	return []shFuzzCase{
		{"Transpose", 13, 1, func() []*graph.Attr {
			p := rng.Perm(3)
			return []*graph.Attr{attrInts("perm", int64(p[0]), int64(p[1]), int64(p[2]))}
		}, func() []Value {
			return []Value{shRandomTensor(rng, graph.Float, []int{rng.Intn(3), 1 + rng.Intn(3), rng.Intn(4)})}
		}},
		{"Pad", 19, 1, func() []*graph.Attr {
			return []*graph.Attr{attrStr("mode", []string{"constant", "reflect", "edge", "wrap"}[rng.Intn(4)])}
		}, func() []Value { d := nonEmpty(); return []Value{d, vecOf(2*d.Rank(), -1, 3)} }},
		{"Tile", 13, 1, nil, func() []Value { d := data(); return []Value{d, vecOf(d.Rank(), 0, 2)} }},
		{"Expand", 13, 1, nil, func() []Value {
			d := data()
			s := make([]int64, rng.Intn(2))
			for i := range s {
				s[i] = small(1, 3)
			}
			for _, x := range d.Shape {
				if rng.Intn(2) == 0 {
					s = append(s, 1)
				} else {
					s = append(s, int64(x))
				}
			}
			return []Value{d, New([]int{len(s)}, s)}
		}},
		{"GatherElements", 13, 1, func() []*graph.Attr { return []*graph.Attr{attrInt("axis", 0)} }, func() []Value { d := nonEmpty(); return []Value{d, within(d, 0)} }},
		{"ScatterElements", 13, 1, func() []*graph.Attr { return []*graph.Attr{attrInt("axis", 0)} }, func() []Value {
			d := nonEmpty()
			i := within(d, 0)
			return []Value{d, i, shRandomTensor(rng, d.DType, i.Shape)}
		}},
		{"Gather", 13, 1, func() []*graph.Attr { return []*graph.Attr{attrInt("axis", 0)} }, func() []Value { d := nonEmpty(); return []Value{d, within(d, 0)} }},
		{"OneHot", 11, 1, func() []*graph.Attr { return attr("axis") }, func() []Value {
			return []Value{idx(), Scalar(small(1, 4)), shRandomTensor(rng, types[rng.Intn(len(types))], []int{2})}
		}},
		{"Reshape", 14, 1, func() []*graph.Attr { return attr("allowzero") }, func() []Value { return []Value{data(), ints()} }},
		{"Flatten", 13, 1, func() []*graph.Attr { return attr("axis") }, func() []Value { return []Value{data()} }},
		{"Squeeze", 13, 1, nil, func() []Value { return []Value{data(), ints()} }},
		{"Unsqueeze", 13, 1, nil, func() []Value { return []Value{data(), ints()} }},
		{"Transpose", 13, 1, func() []*graph.Attr { return []*graph.Attr{attrInts("perm", ints().Data.([]int64)...)} }, func() []Value { return []Value{data()} }},
		{"Concat", 13, 1, func() []*graph.Attr { return []*graph.Attr{attrInt("axis", ival())} }, func() []Value {
			a := data()
			s := append([]int{}, a.Shape...)
			if len(s) > 0 {
				s[rng.Intn(len(s))] = rng.Intn(3)
			}
			return []Value{a, shRandomTensor(rng, a.DType, s)}
		}},
		{"Split", 18, 2, func() []*graph.Attr { return attr("axis") }, func() []Value { return []Value{data(), ints()} }},
		{"Split", 13, 2, func() []*graph.Attr { return attr("axis") }, func() []Value { return []Value{data()} }},
		{"Slice", 13, 1, nil, func() []Value {
			k := rng.Intn(3)
			vec := func() *Tensor {
				v := make([]int64, k)
				for i := range v {
					v[i] = ival()
				}
				return New([]int{k}, v)
			}
			return []Value{data(), vec(), vec(), vec(), vec()}
		}},
		{"Gather", 13, 1, func() []*graph.Attr { return attr("axis") }, func() []Value { return []Value{data(), idx()} }},
		{"GatherElements", 13, 1, func() []*graph.Attr { return attr("axis") }, func() []Value { return []Value{data(), idx()} }},
		{"GatherND", 13, 1, func() []*graph.Attr { return attr("batch_dims") }, func() []Value { return []Value{data(), idx()} }},
		{"ScatterElements", 18, 1, func() []*graph.Attr { return attr("axis") }, func() []Value { d, i := data(), idx(); return []Value{d, i, shRandomTensor(rng, d.DType, i.Shape)} }},
		{"ScatterND", 18, 1, func() []*graph.Attr { return []*graph.Attr{attrStr("reduction", "max")} }, func() []Value { d, i := data(), idx(); return []Value{d, i, shRandomTensor(rng, d.DType, shape())} }},
		{"Pad", 19, 1, func() []*graph.Attr {
			return []*graph.Attr{attrStr("mode", []string{"constant", "reflect", "edge", "wrap"}[rng.Intn(4)])}
		}, func() []Value { return []Value{data(), ints(), nil, ints()} }},
		{"Tile", 13, 1, nil, func() []Value { return []Value{data(), ints()} }},
		{"Expand", 13, 1, nil, func() []Value { return []Value{data(), ints()} }},
		{"Shape", 15, 1, func() []*graph.Attr { return attr("start", "end") }, func() []Value { return []Value{data()} }},
		{"ConstantOfShape", 9, 1, nil, func() []Value { return []Value{ints()} }},
		{"Range", 11, 1, nil, func() []Value { return []Value{scalarInt(), scalarInt(), scalarInt()} }},
		{"OneHot", 11, 1, func() []*graph.Attr { return attr("axis") }, func() []Value { return []Value{idx(), scalarInt(), data()} }},
		{"NonZero", 13, 1, nil, func() []Value { return []Value{data()} }},
		{"Unique", 11, 4, func() []*graph.Attr { return attr("axis", "sorted") }, func() []Value { return []Value{data()} }},
		{"Compress", 11, 1, func() []*graph.Attr { return attr("axis") }, func() []Value { return []Value{data(), shRandomTensor(rng, graph.Bool, []int{rng.Intn(5)})} }},
		{"ReverseSequence", 10, 1, func() []*graph.Attr { return []*graph.Attr{attrInt("batch_axis", 1), attrInt("time_axis", 0)} }, func() []Value {
			d := data()
			n := 1
			if d.Rank() > 1 {
				n = d.Shape[1]
			}
			v := make([]int64, n)
			for i := range v {
				v[i] = ival()
			}
			return []Value{d, New([]int{n}, v)}
		}},
		{"Trilu", 14, 1, func() []*graph.Attr { return attr("upper") }, func() []Value { return []Value{data(), scalarInt()} }},
		{"EyeLike", 9, 1, func() []*graph.Attr { return attr("k") }, func() []Value { return []Value{data()} }},
	}
}

// TestMovementNoPanics feeds random shapes, indices and attributes to every
// data-movement op: each must return a result or an error, never panic.
func TestMovementNoPanics(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	cases := shFuzzCases(rng)
	okCount := map[string]int{}
	defer func() { t.Log(okCount) }()
	for _, c := range cases {
		for iter := 0; iter < 150; iter++ {
			var attrs []*graph.Attr
			if c.attrs != nil {
				attrs = c.attrs()
			}
			in := c.inputs()
			_, err := runNode(c.opset, c.op, attrs, in, c.nOut)
			if err == nil {
				okCount[c.op]++
			}
			if err != nil && (strings.Contains(err.Error(), "internal error") || strings.Contains(err.Error(), "panic")) {
				t.Fatalf("%s-%d: %v", c.op, c.opset, err)
			}
		}
	}
}
