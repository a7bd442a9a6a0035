package ops

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/x448/float16"
)

// shNaiveTranspose is the reference: out[c] = in[c permuted back], element by element.
func shNaiveTranspose(t *Tensor, perm []int) *Tensor {
	shape := make([]int, len(perm))
	for i, p := range perm {
		shape[i] = t.Shape[p]
	}
	in := reflect.ValueOf(t.Data)
	out := reflect.MakeSlice(in.Type(), Size(shape), Size(shape))
	st := Strides(t.Shape)
	coord := make([]int, len(shape))
	for k := 0; k < out.Len(); k++ {
		off := 0
		for i, c := range coord {
			off += c * st[perm[i]]
		}
		out.Index(k).Set(in.Index(off))
		for ax := len(shape) - 1; ax >= 0; ax-- {
			coord[ax]++
			if coord[ax] < shape[ax] {
				break
			}
			coord[ax] = 0
		}
	}
	return &Tensor{DType: t.DType, Shape: shape, Data: out.Interface()}
}

// shRandomTensor makes a tensor of type dt with distinct-ish values.
func shRandomTensor(rng *rand.Rand, dt graph.DType, shape []int) *Tensor {
	n := Size(shape)
	var d any
	switch dt {
	case graph.Float:
		v := make([]float32, n)
		for i := range v {
			v[i] = rng.Float32()
		}
		d = v
	case graph.Float16:
		v := make([]float16.Float16, n)
		for i := range v {
			v[i] = float16.Fromfloat32(rng.Float32())
		}
		d = v
	case graph.Int8:
		v := make([]int8, n)
		for i := range v {
			v[i] = int8(rng.Intn(256) - 128)
		}
		d = v
	case graph.Bool:
		v := make([]bool, n)
		for i := range v {
			v[i] = rng.Intn(2) == 1
		}
		d = v
	case graph.Int64:
		v := make([]int64, n)
		for i := range v {
			v[i] = rng.Int63()
		}
		d = v
	case graph.Complex64:
		v := make([]complex64, n)
		for i := range v {
			v[i] = complex(rng.Float32(), rng.Float32())
		}
		d = v
	case graph.Complex128:
		v := make([]complex128, n)
		for i := range v {
			v[i] = complex(rng.Float64(), rng.Float64())
		}
		d = v
	case graph.String:
		v := make([]string, n)
		for i := range v {
			v[i] = fmt.Sprint(rng.Intn(1000))
		}
		d = v
	default:
		panic(dt)
	}
	return &Tensor{DType: dt, Shape: shape, Data: d}
}

func TestTransposeAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	types := []graph.DType{graph.Float, graph.Float16, graph.Int8, graph.Bool, graph.Int64, graph.Complex64, graph.Complex128, graph.String}
	shapes := [][]int{{}, {7}, {3, 5}, {40, 33}, {1, 37, 65}, {2, 3, 4, 5}, {3, 1, 17, 9}, {0, 3, 2}, {2, 9, 1, 70}}
	for _, shape := range shapes {
		perms := shAllPerms(len(shape))
		for _, dt := range types {
			x := shRandomTensor(rng, dt, shape)
			for _, perm := range perms {
				got, err := TransposeTensor(x, perm)
				if err != nil {
					t.Fatal(err)
				}
				want := shNaiveTranspose(x, perm)
				if !slices.Equal(got.Shape, want.Shape) || got.DType != dt || !reflect.DeepEqual(got.Data, want.Data) {
					t.Fatalf("%s%v perm %v: got %v, want %v", dt, shape, perm, got.Data, want.Data)
				}
			}
		}
	}
}

func shAllPerms(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range shAllPerms(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func TestTransposeNode(t *testing.T) {
	x := shSeqF32(2, 3)
	shCheck(t, 13, "Transpose", nil, []Value{x}, New([]int{3, 2}, []float32{0, 3, 1, 4, 2, 5}))
	shCheck(t, 1, "Transpose", []*graph.Attr{attrInts("perm", 1, 0)}, []Value{x}, New([]int{3, 2}, []float32{0, 3, 1, 4, 2, 5}))
	// Moving only unit dims shares the data.
	y := shSeqF32(1, 3, 1, 2)
	out := shCheck(t, 13, "Transpose", []*graph.Attr{attrInts("perm", 2, 1, 0, 3)}, []Value{y}, New([]int{1, 3, 1, 2}, y.Data.([]float32)))
	if !shSameData(out[0].(*Tensor), y) {
		t.Error("a transpose of unit dims copied its input")
	}
	shErr(t, 13, "Transpose", []*graph.Attr{attrInts("perm", 0, 0)}, []Value{x}, 1, "not a permutation")
	shErr(t, 13, "Transpose", []*graph.Attr{attrInts("perm", 0, 1, 2)}, []Value{x}, 1, "3 entries for rank 2")
}

func BenchmarkTranspose(b *testing.B) {
	for _, c := range []struct {
		shape []int
		perm  []int
	}{
		{[]int{512, 512}, []int{1, 0}},
		{[]int{1, 64, 56, 56}, []int{0, 2, 3, 1}},
		{[]int{1, 56, 56, 64}, []int{0, 3, 1, 2}},
		{[]int{8, 128, 12, 64}, []int{0, 2, 1, 3}},
	} {
		x := shSeqF32(c.shape...)
		b.Run(fmt.Sprint(c.shape, c.perm), func(b *testing.B) {
			b.SetBytes(int64(4 * x.Len()))
			for i := 0; i < b.N; i++ {
				if _, err := TransposeTensor(x, c.perm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestMovementConcurrent runs one compiled node from many goroutines (run
// with -race).
func TestMovementConcurrent(t *testing.T) {
	n := &graph.Node{Name: "n", OpType: "Gather", Inputs: []string{"x", "i"}, Outputs: []string{"y"}}
	tr := &graph.Node{Name: "t", OpType: "Transpose", Inputs: []string{"y"}, Outputs: []string{"z"}}
	g := &graph.Graph{Name: "g", Nodes: []*graph.Node{n, tr},
		Inputs:  []*graph.ValueInfo{{Name: "x"}, {Name: "i"}},
		Outputs: []*graph.ValueInfo{{Name: "z"}}}
	p, err := Compile(&graph.Model{Opsets: map[string]int64{"": 13}, Graph: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := shSeqF32(4, 3)
	want := New([]int{3, 2}, []float32{9, 3, 10, 4, 11, 5})
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		go func() {
			for k := 0; k < 50; k++ {
				out, err := p.Run(context.Background(), []Value{x, shI64s(-1, 1)})
				if err != nil {
					errs <- err
					return
				}
				if got := out[0].(*Tensor); !reflect.DeepEqual(got.Data, want.Data) || !slices.Equal(got.Shape, want.Shape) {
					errs <- fmt.Errorf("got %s %v", got, got.Data)
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < 8; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
