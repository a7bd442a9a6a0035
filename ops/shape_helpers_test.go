package ops

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// shCheck runs a node and compares its outputs with want (nil: not compared).
func shCheck(t *testing.T, opset int64, op string, attrs []*graph.Attr, inputs []Value, want ...*Tensor) []Value {
	t.Helper()
	got, err := runNode(opset, op, attrs, inputs, len(want))
	if err != nil {
		t.Fatalf("%s-%d: %v", op, opset, err)
	}
	for i, w := range want {
		if w == nil {
			continue // checked by the caller
		}
		g, ok := got[i].(*Tensor)
		if !ok {
			t.Fatalf("%s-%d output %d: got a %T", op, opset, i, got[i])
		}
		if g.DType != w.DType || !slices.Equal(g.Shape, w.Shape) || !reflect.DeepEqual(g.Data, w.Data) {
			t.Errorf("%s-%d output %d: got %s %v, want %s %v", op, opset, i, g, g.Data, w, w.Data)
		}
	}
	return got
}

// shErr runs a node and wants an error containing every fragment.
func shErr(t *testing.T, opset int64, op string, attrs []*graph.Attr, inputs []Value, nOut int, frags ...string) {
	t.Helper()
	_, err := runNode(opset, op, attrs, inputs, nOut)
	if err == nil {
		t.Fatalf("%s-%d: no error, want one containing %q", op, opset, frags)
	}
	for _, f := range frags {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("%s-%d: error %q does not contain %q", op, opset, err, f)
		}
	}
}

func shI64s(v ...int64) *Tensor   { return New([]int{len(v)}, v) }
func shF32s(v ...float32) *Tensor { return New([]int{len(v)}, v) }

// shSeqF32 returns a float32 tensor of shape holding 0, 1, 2, ...
func shSeqF32(shape ...int) *Tensor {
	d := make([]float32, Size(shape))
	for i := range d {
		d[i] = float32(i)
	}
	return New(shape, d)
}

// shSeqI64 returns an int64 tensor of shape holding 0, 1, 2, ...
func shSeqI64(shape ...int) *Tensor {
	d := make([]int64, Size(shape))
	for i := range d {
		d[i] = int64(i)
	}
	return New(shape, d)
}

func shSameData(a, b *Tensor) bool {
	return reflect.ValueOf(a.Data).Pointer() == reflect.ValueOf(b.Data).Pointer()
}
