package ops

import (
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// BenchmarkUpsampleNearest2x is DCGAN's nearest 2× upsampling.
func BenchmarkUpsampleNearest2x(b *testing.B) {
	n := &graph.Node{Name: "n", OpType: "Upsample", Attrs: []*graph.Attr{attrStr("mode", "nearest")}, Inputs: []string{"x", "s"}, Outputs: []string{"y"}}
	f, spec, _ := Lookup("", "Upsample", 9)
	k, err := f(&Build{Node: n, Opset: 9, Spec: spec})
	if err != nil {
		b.Fatal(err)
	}
	x := New([]int{4, 128, 7, 7}, make([]float32, 4*128*49))
	s := New([]int{4}, []float32{1, 1, 2, 2})
	rc := &RunContext{Options: &Options{}}
	for b.Loop() {
		if _, err := k.Run(rc, []Value{x, s}); err != nil {
			b.Fatal(err)
		}
	}
}
