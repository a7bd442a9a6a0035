package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// TestNearestResizeMatchesGather runs random nearest Resize and Upsample
// nodes (ranks 1 to 4, up- and downsampling, integer and fractional
// scales, every nearest and coordinate mode) through the row kernel and
// compares each with the element-wise gather over the same axis maps; a
// second run must hit the cache and agree too.
func TestNearestResizeMatchesGather(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	coords := []string{"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"}
	nearest := []string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}
	for it := 0; it < 330; it++ {
		rank := 1 + it%4
		shape := make([]int, rank)
		scales := make([]float32, rank)
		for a := range shape {
			shape[a] = 1 + r.IntN(7)
			if it >= 300 {
				// Large enough for several blocks of rows on two threads.
				shape[a] = 1 + r.IntN(60)
			}
			switch r.IntN(4) {
			case 0:
				scales[a] = 1
			case 1:
				scales[a] = float32(1 + r.IntN(3))
			case 2:
				scales[a] = 0.5
			default:
				scales[a] = 0.3 + 2.5*r.Float32()
			}
		}
		op, opset := "Resize", int64(13)
		attrs := []*graph.Attr{attrStr("mode", "nearest")}
		in := []string{"x", "", "scales"}
		switch it % 5 {
		case 0:
			op, opset, in = "Upsample", 9, []string{"x", "scales"}
			for a := range scales {
				scales[a] = max(scales[a], 1)
			}
			attrs = nil
		case 1:
			opset, in = 10, []string{"x", "scales"}
		default:
			attrs = append(attrs, attrStr("coordinate_transformation_mode", coords[r.IntN(len(coords))]),
				attrStr("nearest_mode", nearest[r.IntN(len(nearest))]))
		}
		n := &graph.Node{Name: "n", OpType: op, Attrs: attrs, Inputs: in, Outputs: []string{"y"}}
		f, spec, ok := Lookup("", op, opset)
		if !ok {
			t.Fatalf("%s-%d not registered", op, opset)
		}
		k, err := f(&Build{Node: n, Opset: opset, Spec: spec})
		if err != nil {
			t.Fatal(err)
		}
		v := make([]int64, Size(shape))
		for i := range v {
			v[i] = int64(i)
		}
		for _, x := range []*Tensor{New(shape, v), New(shape, convertSlice[int64, float32](v))} {
			inputs := []Value{x, New([]int{rank}, scales)}
			if len(in) == 3 {
				inputs = []Value{x, nil, New([]int{rank}, scales)}
			}
			name := fmt.Sprintf("%s-%d %v scales %v %v", op, opset, shape, scales, attrs)
			rc := &RunContext{Options: &Options{Threads: 1 + it%2}}
			out, err := k.Run(rc, inputs)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			y := out[0].(*Tensor)
			c := k.(*resizeAttrs).last.Load()
			want, err := gatherResize(x, y.Shape, c.maps)
			if err != nil {
				t.Fatal(err)
			}
			again, err := k.Run(rc, inputs)
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range []*Tensor{y, again[0].(*Tensor)} {
				g, _ := ToFloat64s(got)
				w, _ := ToFloat64s(want)
				if !equalInts(got.Shape, want.Shape) || len(g) != len(w) {
					t.Fatalf("%s: shape %v, want %v", name, got.Shape, want.Shape)
				}
				for i := range w {
					if g[i] != w[i] {
						t.Fatalf("%s: element %d = %v, want %v", name, i, g[i], w[i])
					}
				}
			}
		}
	}
}

// TestResampleF32MatchesFloat64 runs random linear and cubic Resize nodes
// (every coordinate mode, tf_crop_and_resize with a roi, antialias,
// exclude_outside) on float32 input through the float32 resampler and on
// the same values as float64 through the float64 one: they agree to the
// rounding of float32 sums of a few taps per axis.
func TestResampleF32MatchesFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	coords := []string{"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize"}
	for it := 0; it < 200; it++ {
		rank := 1 + it%4
		shape := make([]int, rank)
		scales := make([]float32, rank)
		roi := make([]float32, 2*rank)
		for a := range shape {
			shape[a] = 1 + r.IntN(9)
			scales[a] = []float32{1, 2, 0.5, 0.3 + 2.5*r.Float32()}[r.IntN(4)]
			roi[a], roi[rank+a] = 0.3*r.Float32(), 0.7+0.3*r.Float32()
		}
		mode := []string{"linear", "cubic"}[it%2]
		coord := coords[r.IntN(len(coords))]
		attrs := []*graph.Attr{attrStr("mode", mode), attrStr("coordinate_transformation_mode", coord),
			attrInt("exclude_outside", int64(r.IntN(2))), attrInt("antialias", int64(r.IntN(2))),
			attrFloat("extrapolation_value", 0.25)}
		n := &graph.Node{Name: "n", OpType: "Resize", Attrs: attrs, Inputs: []string{"x", "roi", "scales"}, Outputs: []string{"y"}}
		f, spec, _ := Lookup("", "Resize", 19)
		k, err := f(&Build{Node: n, Opset: 19, Spec: spec})
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float32, Size(shape))
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		rc := &RunContext{Options: &Options{}}
		run := func(x *Tensor) []float64 {
			out, err := k.Run(rc, []Value{x, New([]int{2 * rank}, roi), New([]int{rank}, scales)})
			if err != nil {
				t.Fatalf("%v %v: %v", shape, attrs, err)
			}
			y, _ := ToFloat64s(out[0].(*Tensor))
			return y
		}
		got := run(New(shape, v))
		want := run(New(shape, convertSlice[float32, float64](v)))
		if len(got) != len(want) {
			t.Fatalf("%d values, want %d", len(got), len(want))
		}
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-5*(1+math.Abs(want[i])) {
				t.Fatalf("%v scales %v %s %s: element %d = %v, want %v", shape, scales, mode, coord, i, got[i], want[i])
			}
		}
	}
}
