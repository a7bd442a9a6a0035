package onnxrun_test

import (
	"context"
	"fmt"
	"log"

	"github.com/onnxrun/onnxrun"
	"github.com/onnxrun/onnxrun/graph"
	"gorgonia.org/tensor"
)

// Run the small classifier of testdata/models on a batch of two 16x16 RGB
// images and pick each image's most likely class.
func Example() {
	s, err := onnxrun.Open("testdata/models/tiny_cnn/model.onnx", onnxrun.WithThreads(1))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	for _, in := range s.Inputs() {
		fmt.Println("input", in.Name, in)
	}
	for _, out := range s.Outputs() {
		fmt.Println("output", out.Name, out)
	}

	pixels := make([]float32, 2*3*16*16)
	for i := range pixels {
		pixels[i] = float32(i*7%23) / 23
	}
	x := tensor.New(tensor.WithShape(2, 3, 16, 16), tensor.WithBacking(pixels))
	out, err := s.Run(context.Background(), map[string]*tensor.Dense{"input": x})
	if err != nil {
		log.Fatal(err)
	}
	y := out["output"]
	best, err := y.Argmax(1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("scores", y.Shape(), "classes", best.Data())

	// Inputs are checked against the declared type before anything runs.
	_, err = s.Run(context.Background(), map[string]*tensor.Dense{
		"input": tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(make([]int64, 6))),
	})
	fmt.Println(err)
	// Output:
	// input input float32[N,3,16,16]
	// output output float32[N,10]
	// scores (2, 10) classes [3 3]
	// onnxrun: input "input": want float32[N,3,16,16], got int64[2,3]
}

// Build a model in Go and run it. Both inputs name their first dim N, so a
// run must give them the same batch size.
func ExampleFromModel() {
	f32 := func(dims ...graph.Dim) *graph.Type {
		return &graph.Type{Kind: graph.TypeTensor, Elem: graph.Float, HasShape: true, Shape: dims}
	}
	n, two := graph.Dim{Param: "N"}, graph.Dim{Value: 2, Known: true}
	m := &graph.Model{
		IRVersion: 8,
		Opsets:    map[string]int64{"": 13},
		Graph: &graph.Graph{
			Name:    "add",
			Inputs:  []*graph.ValueInfo{{Name: "a", Type: f32(n, two)}, {Name: "b", Type: f32(n, two)}},
			Outputs: []*graph.ValueInfo{{Name: "c", Type: f32(n, two)}},
			Nodes:   []*graph.Node{{Name: "add", OpType: "Add", Inputs: []string{"a", "b"}, Outputs: []string{"c"}}},
		},
	}
	s, err := onnxrun.FromModel(m)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	a := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))
	b := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{10, 20, 30, 40}))
	out, err := s.Run(context.Background(), map[string]*tensor.Dense{"a": a, "b": b})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out["c"].Data())

	b3 := tensor.New(tensor.WithShape(3, 2), tensor.WithBacking(make([]float32, 6)))
	_, err = s.Run(context.Background(), map[string]*tensor.Dense{"a": a, "b": b3})
	fmt.Println(err)
	// Output:
	// [11 22 33 44]
	// onnxrun: input "b": want float32[N,2], got float32[3,2] (dim 0 is 3, but N is 2 in input "a")
}
