package onnxrun

import (
	"fmt"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/ops"
	"github.com/x448/float16"
	"gorgonia.org/tensor"
)

func TestFromDense(t *testing.T) {
	tests := []struct {
		name  string
		d     func() *tensor.Dense
		dt    graph.DType
		shape []int
		data  string
	}{
		{"matrix", func() *tensor.Dense { return dense([]int{2, 2}, []float32{1, 2, 3, 4}) }, graph.Float, []int{2, 2}, "[1 2 3 4]"},
		{"scalar", func() *tensor.Dense { return tensor.New(tensor.FromScalar(int64(7))) }, graph.Int64, []int{}, "[7]"},
		{"scalar from backing", func() *tensor.Dense { return tensor.New(tensor.WithShape(), tensor.WithBacking([]float64{2.5})) }, graph.Double, []int{}, "[2.5]"},
		{"one element", func() *tensor.Dense { return tensor.New(tensor.WithShape(1), tensor.WithBacking([]bool{true})) }, graph.Bool, []int{1}, "[true]"},
		{"zero sized", func() *tensor.Dense { return tensor.New(tensor.WithShape(0, 3), tensor.WithBacking([]float32{})) }, graph.Float, []int{0, 3}, "[]"},
		{"strings", func() *tensor.Dense { return tensor.New(tensor.WithShape(2), tensor.WithBacking([]string{"a", "b"})) }, graph.String, []int{2}, "[a b]"},
		{"float16", func() *tensor.Dense {
			return tensor.New(tensor.WithShape(2), tensor.WithBacking([]float16.Float16{float16.Fromfloat32(1), float16.Fromfloat32(-2)}))
		}, graph.Float16, []int{2}, "[1 -2]"},
		{"column view", func() *tensor.Dense {
			d := dense([]int{2, 3}, []float32{0, 1, 2, 3, 4, 5})
			v, err := d.Slice(nil, tensor.S(1, 3))
			if err != nil {
				panic(err)
			}
			return v.(*tensor.Dense)
		}, graph.Float, []int{2, 2}, "[1 2 4 5]"},
		{"row view", func() *tensor.Dense {
			d := dense([]int{3, 2}, []float32{0, 1, 2, 3, 4, 5})
			v, err := d.Slice(tensor.S(0, 2))
			if err != nil {
				panic(err)
			}
			return v.(*tensor.Dense)
		}, graph.Float, []int{2, 2}, "[0 1 2 3]"},
		{"pending transpose", func() *tensor.Dense {
			d := dense([]int{2, 3}, []float32{0, 1, 2, 3, 4, 5})
			if err := d.T(); err != nil {
				panic(err)
			}
			return d
		}, graph.Float, []int{3, 2}, "[0 3 1 4 2 5]"},
	}
	for _, tc := range tests {
		got, err := FromDense(tc.d())
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got.DType != tc.dt || fmt.Sprint(got.Shape) != fmt.Sprint(tc.shape) || fmt.Sprint(got.Data) != tc.data || ops.Size(got.Shape) != lenOf(got.Data) {
			t.Errorf("%s: got %s %v, want %s%v %s", tc.name, got, got.Data, tc.dt, tc.shape, tc.data)
		}
	}
	if _, err := FromDense(tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{1, 2}))); err == nil {
		t.Error("FromDense accepted a Go int tensor")
	}
}

func lenOf(data any) int {
	switch d := data.(type) {
	case []float32:
		return len(d)
	case []float64:
		return len(d)
	case []int64:
		return len(d)
	case []bool:
		return len(d)
	case []string:
		return len(d)
	case []float16.Float16:
		return len(d)
	}
	return -1
}

func TestFromDenseSharesMemory(t *testing.T) {
	v := []float32{1, 2, 3}
	got, err := FromDense(dense([]int{3}, v))
	if err != nil {
		t.Fatal(err)
	}
	if &got.Data.([]float32)[0] != &v[0] {
		t.Fatal("FromDense copied a contiguous tensor")
	}
}

func TestToDense(t *testing.T) {
	v := []float32{1, 2, 3, 4, 5, 6}
	d, err := ToDense(ops.New([]int{2, 3}, v))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(d.Shape()) != "(2, 3)" || &d.Data().([]float32)[0] != &v[0] {
		t.Fatalf("got %v, want (2, 3) over the same slice", d.Shape())
	}

	d, err = ToDense(ops.Scalar(int32(5)))
	if err != nil {
		t.Fatal(err)
	}
	if !d.IsScalar() || d.Data() != int32(5) || d.Dtype() != tensor.Int32 {
		t.Fatalf("scalar: got %v %v %v", d.Shape(), d.Data(), d.Dtype())
	}

	d, err = ToDense(ops.New([]int{2, 0}, []int64{}))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(d.Shape()) != "(2, 0)" || d.Shape().TotalSize() != 0 || d.Dtype() != tensor.Int64 || len(d.Int64s()) != 0 {
		t.Fatalf("zero-sized: got %v %v", d.Shape(), d.Dtype())
	}

	h := []float16.Float16{float16.Fromfloat32(0.5)}
	d, err = ToDense(ops.New([]int{1}, h))
	if err != nil {
		t.Fatal(err)
	}
	if d.Dtype() != Float16 || d.Data().([]float16.Float16)[0].Float32() != 0.5 {
		t.Fatalf("float16: got %v %v", d.Dtype(), d.Data())
	}
	b := []graph.BFloat16Value{graph.BFloat16From(1.5)}
	d, err = ToDense(ops.New([]int{1}, b))
	if err != nil {
		t.Fatal(err)
	}
	if d.Dtype() != BFloat16 {
		t.Fatalf("bfloat16: got %v", d.Dtype())
	}
	back, err := FromDense(d)
	if err != nil || back.DType != graph.BFloat16 {
		t.Fatalf("bfloat16 round trip: %v %v", back, err)
	}

	if _, err := ToDense(&ops.Tensor{DType: graph.Float, Shape: []int{3}, Data: []float32{1}}); err == nil {
		t.Fatal("ToDense accepted 1 value for 3 elements")
	}
}
