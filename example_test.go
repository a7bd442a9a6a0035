package onnxrun_test

import (
	"context"
	"fmt"
	"log"

	"github.com/onnxrun/onnxrun"
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
