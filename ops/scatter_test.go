package ops

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// scatterElementsRef is ScatterElements without reduction as the plain
// loop: every index's offset listed, then written in order.
func scatterElementsRef(data, idx, upd *Tensor, axis int64) (*Tensor, error) {
	pos, err := elementsOffsets(data, idx, axis, "input 1 (indices)")
	if err != nil {
		return nil, err
	}
	return scatterApply(data, upd, pos, 1, "none")
}

// randomScatterCase draws data, indices and updates: indices of a shape no
// larger than data's off the axis, rows along the last axis that are
// broadcast (all equal) or not, and, with bad, one index out of range.
func randomScatterCase(r *rand.Rand, dt graph.DType, bad bool) (data, idx, upd *Tensor, axis int64) {
	rank := 1 + r.IntN(4)
	dshape := make([]int, rank)
	for i := range dshape {
		dshape[i] = 1 + r.IntN(5)
	}
	ax := r.IntN(rank)
	ishape := make([]int, rank)
	for i := range ishape {
		if i == ax {
			ishape[i] = r.IntN(6)
		} else {
			ishape[i] = r.IntN(dshape[i] + 1)
		}
	}
	n := Size(ishape)
	ind := make([]int64, n)
	last := ishape[rank-1]
	dim := int64(dshape[ax])
	for row := 0; row*last < n; row++ {
		v := r.Int64N(2*dim) - dim
		broadcast := r.IntN(2) == 0
		for j := range last {
			if !broadcast {
				v = r.Int64N(2*dim) - dim
			}
			ind[row*last+j] = v
		}
	}
	if bad && n > 0 {
		ind[r.IntN(n)] = dim + r.Int64N(3)
	}
	mk := func(shape []int, base int) *Tensor {
		v := make([]float64, Size(shape))
		for i := range v {
			v[i] = float64(base + i%97)
		}
		if dt == graph.String {
			s := make([]string, len(v))
			for i, x := range v {
				s[i] = fmt.Sprint(x)
			}
			return New(slices.Clone(shape), s)
		}
		t, err := fromFloat64s(dt, slices.Clone(shape), v)
		if err != nil {
			panic(err)
		}
		return t
	}
	axis = int64(ax)
	if r.IntN(2) == 0 {
		axis -= int64(rank)
	}
	return mk(dshape, 0), New(ishape, ind), mk(ishape, 100), axis
}

func TestScatterElementsMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for it := range 2000 {
		dt := []graph.DType{graph.Float, graph.Double, graph.Int64, graph.Uint8, graph.Int16, graph.String}[it%6]
		data, idx, upd, axis := randomScatterCase(r, dt, it%7 == 0)
		name := fmt.Sprintf("case %d: data %s axis %d indices %v %v", it, data, axis, idx.Shape, idx.Data)
		keep := copyOfTensor(data)
		want, werr := scatterElementsRef(data, idx, upd, axis)
		got, gerr := scatterElementsNone(nil, data, idx, upd, axis)
		if (werr != nil) != (gerr != nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Fatalf("%s: error %v, want %v", name, gerr, werr)
		}
		if werr != nil {
			continue
		}
		if got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) || !reflect.DeepEqual(got.Data, want.Data) {
			t.Fatalf("%s: got %v, want %v", name, got.Data, want.Data)
		}
		if !reflect.DeepEqual(data.Data, keep.Data) {
			t.Fatalf("%s: data was written to", name)
		}
	}
}

// TestScatterElementsInPlace runs a chain of ScatterElements in which the
// second writes into the first's output (a run buffer that dies there).
func TestScatterElementsInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for it := range 200 {
		data, idx, upd, axis := randomScatterCase(r, graph.Float, false)
		idx2 := New(slices.Clone(idx.Shape), slices.Clone(idx.Data.([]int64)))
		upd2 := New(slices.Clone(upd.Shape), slices.Clone(upd.Data.([]float32)))
		for i := range upd2.Data.([]float32) {
			upd2.Data.([]float32)[i] += 1000
		}
		slices.Reverse(idx2.Data.([]int64))
		g := &graph.Graph{Name: "g",
			Inputs:  []*graph.ValueInfo{{Name: "x"}, {Name: "i"}, {Name: "u"}, {Name: "i2"}, {Name: "u2"}},
			Outputs: []*graph.ValueInfo{{Name: "z"}},
			Nodes: []*graph.Node{
				{Name: "s1", OpType: "ScatterElements", Inputs: []string{"x", "i", "u"}, Outputs: []string{"y"}, Attrs: []*graph.Attr{attrInt("axis", axis)}},
				{Name: "s2", OpType: "ScatterElements", Inputs: []string{"y", "i2", "u2"}, Outputs: []string{"z"}, Attrs: []*graph.Attr{attrInt("axis", axis)}},
			}}
		p, err := Compile(&graph.Model{Opsets: map[string]int64{"": 18}, Graph: g}, nil)
		if err != nil {
			t.Fatal(err)
		}
		keep := copyOfTensor(data)
		y, err := scatterElementsRef(data, idx, upd, axis)
		if err != nil {
			t.Fatal(err)
		}
		want, err := scatterElementsRef(y, idx2, upd2, axis)
		if err != nil {
			t.Fatal(err)
		}
		for run := range 2 {
			out, err := p.Run(context.Background(), []Value{data, idx, upd, idx2, upd2})
			if err != nil {
				t.Fatal(err)
			}
			if got := out[0].(*Tensor); !slices.Equal(got.Shape, want.Shape) || !reflect.DeepEqual(got.Data, want.Data) {
				t.Fatalf("case %d run %d: got %v, want %v", it, run, got.Data, want.Data)
			}
		}
		if !reflect.DeepEqual(data.Data, keep.Data) {
			t.Fatalf("case %d: the graph input was written to", it)
		}
	}
}

func BenchmarkScatterElementsBroadcast(b *testing.B) {
	// Mask R-CNN's level merge: 41 of 50 ROIs' 256x14x14 features.
	data := New([]int{50, 256, 14, 14}, make([]float32, 50*256*14*14))
	ind := make([]int64, 41*256*14*14)
	for i := range ind {
		ind[i] = int64(i / (256 * 14 * 14))
	}
	idx := New([]int{41, 256, 14, 14}, ind)
	upd := New([]int{41, 256, 14, 14}, make([]float32, len(ind)))
	b.Run("ref", func(b *testing.B) {
		for b.Loop() {
			scatterElementsRef(data, idx, upd, 0)
		}
	})
	b.Run("rows", func(b *testing.B) {
		for b.Loop() {
			scatterElementsNone(nil, data, idx, upd, 0)
		}
	})
}

// copyOfTensor returns a copy of t with its own data.
func copyOfTensor(t *Tensor) *Tensor {
	d := reflect.MakeSlice(reflect.TypeOf(t.Data), t.Len(), t.Len())
	reflect.Copy(d, reflect.ValueOf(t.Data))
	return &Tensor{DType: t.DType, Shape: slices.Clone(t.Shape), Data: d.Interface()}
}
