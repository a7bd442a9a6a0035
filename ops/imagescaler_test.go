package ops

import (
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

func TestImageScaler(t *testing.T) {
	x := shSeqF32(1, 2, 1, 2) // channel 0: 0 1, channel 1: 2 3
	attrs := []*graph.Attr{attrFloat("scale", 2), {Name: "bias", Type: graph.AttrFloats, Floats: []float32{10, -1}}}
	shCheck(t, 8, "ImageScaler", attrs, []Value{x}, New([]int{1, 2, 1, 2}, []float32{10, 12, 3, 5}))
	shCheck(t, 1, "ImageScaler", nil, []Value{x}, x)
	shErr(t, 8, "ImageScaler", attrs, []Value{shSeqF32(1, 3, 1, 1)}, 1, "2 values for the 3 channels")
	shErr(t, 10, "ImageScaler", attrs, []Value{x}, 1, "not supported")
}
