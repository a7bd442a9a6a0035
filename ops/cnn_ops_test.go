package ops

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/x448/float16"
)

// cnnRunOp runs a one-node model of op at opset on inputs (nil for an
// omitted optional input), returning nOut outputs.
func cnnRunOp(op string, opset int64, attrs []*graph.Attr, inputs []*Tensor, nOut int) ([]Value, error) {
	return runNode(opset, op, attrs, values(inputs), nOut)
}

func cnnF32(shape []int, v ...float32) *Tensor { return New(shape, v) }

func cnnWantFloats(t *testing.T, got Value, shape []int, want ...float64) {
	t.Helper()
	g, ok := got.(*Tensor)
	if !ok {
		t.Fatalf("got %T, want a tensor", got)
	}
	if !equalInts(g.Shape, shape) {
		t.Fatalf("shape %v, want %v", g.Shape, shape)
	}
	v, err := ToFloat64s(g)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(v[i]-want[i]) > 1e-5+1e-4*math.Abs(want[i]) {
			t.Fatalf("element %d = %v, want %v (all %v)", i, v[i], want[i], v)
		}
	}
}

func TestCNNOpsTable(t *testing.T) {
	gn := func(v, mean, inv, s, b float64) float64 { return (v-mean)*inv*s + b }
	inv := 1 / math.Sqrt(1.25+1e-5)
	tests := []struct {
		name  string
		op    string
		opset int64
		attrs []*graph.Attr
		in    []*Tensor
		out   int // which output to check
		nOut  int
		shape []int
		want  []float64
	}{
		{"LpPool p=2", "LpPool", 18, []*graph.Attr{attrInts("kernel_shape", 2), attrInts("strides", 2)},
			[]*Tensor{cnnF32([]int{1, 1, 4}, 3, 4, 0, 5)}, 0, 1, []int{1, 1, 2}, []float64{5, 5}},
		{"GlobalLpPool p=1", "GlobalLpPool", 2, []*graph.Attr{attrInt("p", 1)},
			[]*Tensor{cnnF32([]int{1, 1, 2, 2}, 1, -2, 3, -4)}, 0, 1, []int{1, 1, 1, 1}, []float64{10}},
		{"MaxPool ceil drops window starting in end pad", "MaxPool", 12,
			[]*graph.Attr{attrInts("kernel_shape", 2), attrInts("strides", 2), attrInts("pads", 0, 1), attrInt("ceil_mode", 1)},
			[]*Tensor{cnnF32([]int{1, 1, 4}, 1, 2, 3, 4)}, 0, 1, []int{1, 1, 2}, []float64{2, 4}},
		{"MaxPool ceil keeps window over the last input", "MaxPool", 12,
			[]*graph.Attr{attrInts("kernel_shape", 2), attrInts("strides", 2), attrInts("pads", 0, 1), attrInt("ceil_mode", 1)},
			[]*Tensor{cnnF32([]int{1, 1, 5}, 1, 2, 3, 4, 5)}, 0, 1, []int{1, 1, 3}, []float64{2, 4, 5}},
		{"MaxPool indices column-major", "MaxPool", 12,
			[]*graph.Attr{attrInts("kernel_shape", 2, 2), attrInt("storage_order", 1)},
			[]*Tensor{cnnF32([]int{1, 1, 2, 3}, 1, 5, 2, 7, 0, 3)}, 1, 2, []int{1, 1, 1, 2}, []float64{1, 2}},
		{"MaxPool indices row-major", "MaxPool", 12,
			[]*graph.Attr{attrInts("kernel_shape", 2, 2)},
			[]*Tensor{cnnF32([]int{1, 1, 2, 3}, 1, 5, 2, 7, 0, 3)}, 1, 2, []int{1, 1, 1, 2}, []float64{3, 1}},
		{"MaxPool int8", "MaxPool", 12, []*graph.Attr{attrInts("kernel_shape", 2)},
			[]*Tensor{New([]int{1, 1, 3}, []int8{-5, -7, 3})}, 0, 1, []int{1, 1, 2}, []float64{-5, 3}},
		{"AveragePool include pad", "AveragePool", 11,
			[]*graph.Attr{attrInts("kernel_shape", 2), attrInts("pads", 1, 1), attrInt("count_include_pad", 1)},
			[]*Tensor{cnnF32([]int{1, 1, 3}, 1, 2, 3)}, 0, 1, []int{1, 1, 4}, []float64{0.5, 1.5, 2.5, 1.5}},
		{"AveragePool exclude pad", "AveragePool", 11,
			[]*graph.Attr{attrInts("kernel_shape", 2), attrInts("pads", 1, 1)},
			[]*Tensor{cnnF32([]int{1, 1, 3}, 1, 2, 3)}, 0, 1, []int{1, 1, 4}, []float64{1, 1.5, 2.5, 3}},
		{"AveragePool dilations (opset 19)", "AveragePool", 19,
			[]*graph.Attr{attrInts("kernel_shape", 2), attrInts("dilations", 2)},
			[]*Tensor{cnnF32([]int{1, 1, 5}, 1, 2, 3, 4, 5)}, 0, 1, []int{1, 1, 3}, []float64{2, 3, 4}},
		{"AveragePool float64 SAME_LOWER", "AveragePool", 11,
			[]*graph.Attr{attrInts("kernel_shape", 2), attrStr("auto_pad", "SAME_LOWER")},
			[]*Tensor{New([]int{1, 1, 3}, []float64{1, 2, 3})}, 0, 1, []int{1, 1, 3}, []float64{1, 1.5, 2.5}},
		{"MaxRoiPool", "MaxRoiPool", 1, []*graph.Attr{attrInts("pooled_shape", 2, 2)},
			[]*Tensor{cnnF32([]int{1, 1, 4, 4}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
				cnnF32([]int{1, 5}, 0, 0, 0, 3, 3)}, 0, 1, []int{1, 1, 2, 2}, []float64{5, 7, 13, 15}},
		{"GroupNormalization-18 per group", "GroupNormalization", 18, []*graph.Attr{attrInt("num_groups", 1)},
			[]*Tensor{cnnF32([]int{1, 2, 2}, 1, 2, 3, 4), cnnF32([]int{1}, 2), cnnF32([]int{1}, 1)}, 0, 1, []int{1, 2, 2},
			[]float64{gn(1, 2.5, inv, 2, 1), gn(2, 2.5, inv, 2, 1), gn(3, 2.5, inv, 2, 1), gn(4, 2.5, inv, 2, 1)}},
		{"GroupNormalization-21 per channel", "GroupNormalization", 21, []*graph.Attr{attrInt("num_groups", 1)},
			[]*Tensor{cnnF32([]int{1, 2, 2}, 1, 2, 3, 4), cnnF32([]int{2}, 1, 2), cnnF32([]int{2}, 0, 1)}, 0, 1, []int{1, 2, 2},
			[]float64{gn(1, 2.5, inv, 1, 0), gn(2, 2.5, inv, 1, 0), gn(3, 2.5, inv, 2, 1), gn(4, 2.5, inv, 2, 1)}},
		{"BatchNormalization-7 per activation", "BatchNormalization", 7,
			[]*graph.Attr{attrInt("spatial", 0), attrFloat("epsilon", 0)},
			[]*Tensor{cnnF32([]int{1, 1, 2}, 3, 5), cnnF32([]int{1, 2}, 1, 2), cnnF32([]int{1, 2}, 0, 1),
				cnnF32([]int{1, 2}, 1, 1), cnnF32([]int{1, 2}, 4, 16)}, 0, 1, []int{1, 1, 2}, []float64{1, 3}},
		{"TopK ties keep lower index", "TopK", 11, []*graph.Attr{},
			[]*Tensor{cnnF32([]int{4}, 1, 3, 3, 2), New([]int{1}, []int64{2})}, 1, 2, []int{2}, []float64{1, 2}},
		{"TopK smallest", "TopK", 11, []*graph.Attr{attrInt("largest", 0)},
			[]*Tensor{cnnF32([]int{4}, 1, 3, 3, 2), New([]int{1}, []int64{3})}, 0, 2, []int{3}, []float64{1, 2, 3}},
		{"TopK-1 attribute k on axis 0", "TopK", 1, []*graph.Attr{attrInt("k", 1), attrInt("axis", 0)},
			[]*Tensor{cnnF32([]int{2, 2}, 1, 4, 3, 2)}, 0, 2, []int{1, 2}, []float64{3, 4}},
		{"Resize-18 antialias linear", "Resize", 18, []*graph.Attr{attrStr("mode", "linear"), attrInt("antialias", 1)},
			[]*Tensor{cnnF32([]int{4}, 0, 1, 2, 3), nil, nil, New([]int{1}, []int64{2})}, 0, 1, []int{2},
			[]float64{0.625, 2.375}},
		{"Resize-18 not_larger with axes", "Resize", 18,
			[]*graph.Attr{attrInts("axes", 2, 3), attrStr("keep_aspect_ratio_policy", "not_larger")},
			[]*Tensor{cnnF32([]int{1, 1, 2, 4}, 0, 1, 2, 3, 4, 5, 6, 7), nil, nil, New([]int{2}, []int64{2, 2})},
			0, 1, []int{1, 1, 1, 2}, []float64{0, 2}},
		{"Resize-10 nearest downsample", "Resize", 10, []*graph.Attr{},
			[]*Tensor{cnnF32([]int{1, 1, 2, 4}, 1, 2, 3, 4, 5, 6, 7, 8), cnnF32([]int{4}, 1, 1, 0.6, 0.6)},
			0, 1, []int{1, 1, 1, 2}, []float64{1, 3}},
		{"Resize uint8 linear rounds", "Resize", 13, []*graph.Attr{attrStr("mode", "linear"), attrStr("coordinate_transformation_mode", "align_corners")},
			[]*Tensor{New([]int{2}, []uint8{0, 3}), nil, cnnF32([]int{1}, 2)},
			0, 1, []int{4}, []float64{0, 1, 2, 3}},
		{"Upsample-7 nearest", "Upsample", 7, []*graph.Attr{&graph.Attr{Name: "scales", Type: graph.AttrFloats, Floats: []float32{1, 2}}},
			[]*Tensor{cnnF32([]int{1, 2}, 1, 2)}, 0, 1, []int{1, 4}, []float64{1, 1, 2, 2}},
		{"GridSample-20 1-d linear", "GridSample", 20, []*graph.Attr{attrInt("align_corners", 1)},
			[]*Tensor{cnnF32([]int{1, 1, 3}, 0, 10, 20), cnnF32([]int{1, 3, 1}, -1, 0.25, 1)}, 0, 1, []int{1, 1, 3},
			[]float64{0, 12.5, 20}},
		{"Conv float16", "Conv", 11, []*graph.Attr{},
			[]*Tensor{cnnHalfs([]int{1, 1, 3, 3}, 1, 1, 1, 1, 1, 1, 1, 1, 1), cnnHalfs([]int{1, 1, 2, 2}, 1, 1, 1, 1)},
			0, 1, []int{1, 1, 2, 2}, []float64{4, 4, 4, 4}},
		{"Conv float64 depthwise with bias", "Conv", 11, []*graph.Attr{attrInt("group", 2), attrInts("pads", 1, 0)},
			[]*Tensor{New([]int{1, 2, 2}, []float64{1, 2, 3, 4}), New([]int{2, 1, 2}, []float64{1, 1, 1, -1}),
				New([]int{2}, []float64{0, 10})}, 0, 1, []int{1, 2, 2}, []float64{1, 3, 7, 9}},
		{"ConvTranspose group, stride, output_padding", "ConvTranspose", 11,
			[]*graph.Attr{attrInt("group", 2), attrInts("strides", 2), attrInts("output_padding", 1)},
			[]*Tensor{cnnF32([]int{1, 2, 2}, 1, 2, 3, 4), cnnF32([]int{2, 1, 2}, 1, 1, 1, -1)}, 0, 1, []int{1, 2, 5},
			[]float64{1, 1, 2, 2, 0, 3, -3, 4, -4, 0}},
		{"QLinearConv per-channel weights", "QLinearConv", 10, []*graph.Attr{},
			[]*Tensor{New([]int{1, 1, 1, 2}, []uint8{10, 20}), cnnF32([]int{}, 0.5), Scalar(uint8(10)),
				New([]int{2, 1, 1, 1}, []int8{2, -3}), cnnF32([]int{2}, 1, 2), New([]int{2}, []int8{0, 0}),
				cnnF32([]int{}, 1), Scalar(uint8(100))}, 0, 1, []int{1, 2, 1, 2}, []float64{100, 110, 100, 70}},
		{"DepthToSpace-1 DCR", "DepthToSpace", 1, []*graph.Attr{attrInt("blocksize", 2)},
			[]*Tensor{cnnF32([]int{1, 4, 1, 1}, 1, 2, 3, 4)}, 0, 1, []int{1, 1, 2, 2}, []float64{1, 2, 3, 4}},
		{"Col2Im spec example", "Col2Im", 18, nil,
			[]*Tensor{cnnF32([]int{1, 5, 5}, 1, 6, 11, 16, 21, 2, 7, 12, 17, 22, 3, 8, 13, 18, 23, 4, 9, 14, 19, 24, 5, 0, 15, 20, 25),
				New([]int{2}, []int64{5, 5}), New([]int{2}, []int64{1, 5})}, 0, 1, []int{1, 1, 5, 5},
			[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25}},
		{"Col2Im overlapping blocks add", "Col2Im", 18, nil,
			[]*Tensor{cnnF32([]int{1, 2, 2}, 1, 2, 3, 4), New([]int{1}, []int64{3}), New([]int{1}, []int64{2})},
			0, 1, []int{1, 1, 3}, []float64{1, 2 + 3, 4}},
		{"Dropout-7 inference mask", "Dropout", 7, []*graph.Attr{attrFloat("ratio", 0.3)},
			[]*Tensor{cnnF32([]int{2}, 1, 2)}, 1, 2, []int{2}, []float64{1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			outs, err := cnnRunOp(tc.op, tc.opset, tc.attrs, tc.in, tc.nOut)
			if err != nil {
				t.Fatal(err)
			}
			cnnWantFloats(t, outs[tc.out], tc.shape, tc.want...)
		})
	}
}

func cnnHalfs(shape []int, v ...float32) *Tensor {
	h := make([]float16.Float16, len(v))
	for i, x := range v {
		h[i] = float16.Fromfloat32(x)
	}
	return New(shape, h)
}

// TestCNNOpsRejectBadInput checks that malformed inputs give errors, not
// panics or wrong answers.
func TestCNNOpsRejectBadInput(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		opset int64
		attrs []*graph.Attr
		in    []*Tensor
		nOut  int
		want  string
	}{
		{"Conv group mismatch", "Conv", 11, []*graph.Attr{attrInt("group", 2)},
			[]*Tensor{cnnF32([]int{1, 3, 2}, 1, 2, 3, 4, 5, 6), cnnF32([]int{2, 1, 1}, 1, 1)}, 1, "group"},
		{"Conv kernel larger than input", "Conv", 11, nil,
			[]*Tensor{cnnF32([]int{1, 1, 1}, 1), cnnF32([]int{1, 1, 2}, 1, 1)}, 1, "kernel"},
		{"MaxUnpool index out of range", "MaxUnpool", 11, []*graph.Attr{attrInts("kernel_shape", 2), attrInts("strides", 2)},
			[]*Tensor{cnnF32([]int{1, 1, 1}, 5), New([]int{1, 1, 1}, []int64{9})}, 1, "out of range"},
		{"TopK k too large", "TopK", 11, nil,
			[]*Tensor{cnnF32([]int{2}, 1, 2), New([]int{1}, []int64{3})}, 2, "out of range"},
		{"Resize without scales or sizes", "Resize", 13, nil,
			[]*Tensor{cnnF32([]int{2}, 1, 2)}, 1, "scales"},
		{"RoiAlign bad batch index", "RoiAlign", 16, nil,
			[]*Tensor{cnnF32([]int{1, 1, 1, 1}, 1), cnnF32([]int{1, 4}, 0, 0, 1, 1), New([]int{1}, []int64{3})}, 1, "batch_indices"},
		{"ConvTranspose huge output_shape", "ConvTranspose", 11, []*graph.Attr{attrInts("output_shape", 1<<20, 1<<20)},
			[]*Tensor{cnnF32([]int{1, 1, 1, 1}, 1), cnnF32([]int{1, 1, 1, 1}, 1)}, 1, "too large"},
		{"RoiAlign NaN roi", "RoiAlign", 16, nil,
			[]*Tensor{cnnF32([]int{1, 1, 2, 2}, 1, 2, 3, 4), cnnF32([]int{1, 4}, 0, 0, float32(math.NaN()), 1), New([]int{1}, []int64{0})}, 1, "not a number"},
		{"Conv huge pads", "Conv", 11, []*graph.Attr{attrInts("pads", 1<<30, 1<<30)},
			[]*Tensor{cnnF32([]int{1, 1, 1}, 1), cnnF32([]int{1, 1, 1}, 1)}, 1, "too large"},
		{"MaxPool huge pads", "MaxPool", 12, []*graph.Attr{attrInts("kernel_shape", 1), attrInts("pads", 1<<30, 1<<30)},
			[]*Tensor{cnnF32([]int{1, 1, 1}, 1)}, 1, "too large"},
		{"AveragePool window bomb", "AveragePool", 11, []*graph.Attr{attrInts("kernel_shape", 6000), attrInts("pads", 5999, 5999)},
			[]*Tensor{New([]int{1, 1, 6000}, make([]float32, 6000))}, 1, "read more than"},
		{"MaxPool pads with SAME", "MaxPool", 12, []*graph.Attr{attrInts("kernel_shape", 2), attrInts("pads", 1, 1), attrStr("auto_pad", "SAME_UPPER")},
			[]*Tensor{cnnF32([]int{1, 1, 2}, 1, 2)}, 1, "auto_pad"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cnnRunOp(tc.op, tc.opset, tc.attrs, tc.in, tc.nOut)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestMT19937MatchesReference checks the generator against the first
// outputs of the reference MT19937 with init_genrand(5489) and the 53-bit
// double of seed 0 that numpy's RandomState(0).random_sample() gives.
func TestMT19937MatchesReference(t *testing.T) {
	m := newMT19937(5489)
	for i, want := range []uint32{3499211612, 581869302, 3890346734, 3586334585} {
		if got := m.next(); got != want {
			t.Fatalf("output %d = %d, want %d", i, got, want)
		}
	}
	if got := newMT19937(0).float64(); got != 0.5488135039273248 {
		t.Fatalf("first double for seed 0 = %v, want 0.5488135039273248", got)
	}
}

// TestConvConcurrentRuns runs one plan with constant weights from several
// goroutines at once (run with -race): the lazily cached plan and packed
// weights must be shared safely and every run must agree.
func TestConvConcurrentRuns(t *testing.T) {
	const c, m, hw = 8, 8, 10
	w := make([]float32, m*c*9)
	for i := range w {
		w[i] = float32(i%7) - 3
	}
	wt, err := graph.NewTensor("W", []int64{m, c, 3, 3}, w)
	if err != nil {
		t.Fatal(err)
	}
	g := &graph.Graph{Name: "g",
		Inputs:       []*graph.ValueInfo{{Name: "X"}},
		Outputs:      []*graph.ValueInfo{{Name: "Y"}},
		Initializers: []*graph.Tensor{wt},
		Nodes: []*graph.Node{{Name: "conv", OpType: "Conv", Inputs: []string{"X", "W"}, Outputs: []string{"Y"},
			Attrs: []*graph.Attr{attrInts("pads", 1, 1, 1, 1)}}}}
	p, err := Compile(&graph.Model{Opsets: map[string]int64{"": 13}, Graph: g}, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, c*hw*hw)
	for i := range x {
		x[i] = float32(i%5) - 2
	}
	// Direct sums as the expected output.
	want := make([]float64, m*hw*hw)
	for o := 0; o < m; o++ {
		for yy := 0; yy < hw; yy++ {
			for xx := 0; xx < hw; xx++ {
				var s float64
				for ci := 0; ci < c; ci++ {
					for ky := 0; ky < 3; ky++ {
						for kx := 0; kx < 3; kx++ {
							iy, ix := yy-1+ky, xx-1+kx
							if iy >= 0 && iy < hw && ix >= 0 && ix < hw {
								s += float64(w[((o*c+ci)*3+ky)*3+kx]) * float64(x[(ci*hw+iy)*hw+ix])
							}
						}
					}
				}
				want[(o*hw+yy)*hw+xx] = s
			}
		}
	}
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			out, err := p.Run(context.Background(), []Value{New([]int{1, c, hw, hw}, x)})
			if err == nil {
				got := out[0].(*Tensor).Data.([]float32)
				for j := range want {
					if math.Abs(float64(got[j])-want[j]) > 1e-3 {
						err = fmt.Errorf("element %d = %v, want %v", j, got[j], want[j])
						break
					}
				}
			}
			errs <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
