package ops

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// TestCNNOpsNeverPanic feeds the ops random small shapes, values and
// attributes, and requires every outcome to be a result or an error: a
// panic (reported by the plan as an internal error) fails the test.
func TestCNNOpsNeverPanic(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	randTensor := func(dt graph.DType) *Tensor {
		rank := r.IntN(5)
		shape := make([]int, rank)
		for i := range shape {
			shape[i] = r.IntN(4)
		}
		n := Size(shape)
		switch dt {
		case graph.Int64:
			v := make([]int64, n)
			for i := range v {
				v[i] = int64(r.IntN(9) - 3)
			}
			return New(shape, v)
		case graph.Uint8:
			v := make([]uint8, n)
			for i := range v {
				v[i] = uint8(r.IntN(256))
			}
			return New(shape, v)
		case graph.Bool:
			v := make([]bool, n)
			return New(shape, v)
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64() * 3)
		}
		return New(shape, v)
	}
	intsAttr := func(name string) *graph.Attr {
		n := r.IntN(5)
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(r.IntN(4))
		}
		return attrInts(name, v...)
	}
	type opCase struct {
		op     string
		opset  int64
		inputs []graph.DType
		attrs  func() []*graph.Attr
		nOut   int
	}
	window := func() []*graph.Attr {
		return []*graph.Attr{intsAttr("kernel_shape"), intsAttr("strides"), intsAttr("pads"), intsAttr("dilations"),
			attrStr("auto_pad", []string{"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"}[r.IntN(4)]),
			attrInt("ceil_mode", int64(r.IntN(2)))}
	}
	none := func() []*graph.Attr { return nil }
	F, I, U, B := graph.Float, graph.Int64, graph.Uint8, graph.Bool
	cases := []opCase{
		{"Conv", 11, []graph.DType{F, F, F}, func() []*graph.Attr { return append(window()[:5], attrInt("group", int64(1+r.IntN(2)))) }, 1},
		{"ConvTranspose", 11, []graph.DType{F, F}, func() []*graph.Attr {
			return append(window()[:5], intsAttr("output_padding"), intsAttr("output_shape"), attrInt("group", int64(1+r.IntN(2))))
		}, 1},
		{"ConvInteger", 10, []graph.DType{U, U}, func() []*graph.Attr { return window()[:5] }, 1},
		{"MaxPool", 12, []graph.DType{F}, window, 2},
		{"AveragePool", 19, []graph.DType{F}, window, 1},
		{"LpPool", 18, []graph.DType{F}, window, 1},
		{"GlobalAveragePool", 1, []graph.DType{F}, none, 1},
		{"MaxUnpool", 11, []graph.DType{F, I, I}, window, 1},
		{"MaxRoiPool", 1, []graph.DType{F, F}, func() []*graph.Attr { return []*graph.Attr{intsAttr("pooled_shape")} }, 1},
		{"BatchNormalization", 15, []graph.DType{F, F, F, F, F}, none, 1},
		{"InstanceNormalization", 6, []graph.DType{F, F, F}, none, 1},
		{"LayerNormalization", 17, []graph.DType{F, F, F}, func() []*graph.Attr { return []*graph.Attr{attrInt("axis", int64(r.IntN(7)-3))} }, 3},
		{"GroupNormalization", 21, []graph.DType{F, F, F}, func() []*graph.Attr { return []*graph.Attr{attrInt("num_groups", int64(r.IntN(3)))} }, 1},
		{"LRN", 13, []graph.DType{F}, func() []*graph.Attr { return []*graph.Attr{attrInt("size", int64(r.IntN(4)))} }, 1},
		{"MeanVarianceNormalization", 13, []graph.DType{F}, func() []*graph.Attr { return []*graph.Attr{intsAttr("axes")} }, 1},
		{"Dropout", 13, []graph.DType{F, F, B}, none, 2},
		{"Resize", 19, []graph.DType{F, F, F}, func() []*graph.Attr {
			return []*graph.Attr{attrStr("mode", []string{"nearest", "linear", "cubic"}[r.IntN(3)]),
				attrStr("coordinate_transformation_mode", []string{"half_pixel", "tf_crop_and_resize", "align_corners", "pytorch_half_pixel"}[r.IntN(4)])}
		}, 1},
		{"Resize", 19, []graph.DType{F, F, F, I}, none, 1},
		{"RoiAlign", 16, []graph.DType{F, F, I}, none, 1},
		{"NonMaxSuppression", 11, []graph.DType{F, F, I, F, F}, none, 1},
		{"TopK", 11, []graph.DType{F, I}, func() []*graph.Attr { return []*graph.Attr{attrInt("axis", int64(r.IntN(7)-3))} }, 2},
		{"DepthToSpace", 13, []graph.DType{F}, func() []*graph.Attr { return []*graph.Attr{attrInt("blocksize", int64(r.IntN(3)))} }, 1},
		{"SpaceToDepth", 13, []graph.DType{F}, func() []*graph.Attr { return []*graph.Attr{attrInt("blocksize", int64(r.IntN(3)))} }, 1},
		{"GridSample", 20, []graph.DType{F, F}, none, 1},
		{"Col2Im", 18, []graph.DType{F, I, I}, none, 1},
	}
	for _, c := range cases {
		for iter := 0; iter < 1500; iter++ {
			in := make([]*Tensor, len(c.inputs))
			for i, dt := range c.inputs {
				in[i] = randTensor(dt)
			}
			_, err := cnnRunOp(c.op, c.opset, c.attrs(), in, c.nOut)
			if err != nil && (strings.Contains(err.Error(), "internal error") || strings.Contains(err.Error(), "panic")) {
				t.Fatalf("%s: %v (inputs %v)", c.op, err, in)
			}
		}
	}
}
