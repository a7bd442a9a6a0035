package infer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/suites"
)

// FuzzRun decodes arbitrary bytes as a model and infers it: Run must not
// panic, and no rule may fail with an internal error (a recovered panic).
func FuzzRun(f *testing.F) {
	for _, name := range []string{"test_conv_with_strides_padding", "test_reshape_negative_dim", "test_slice",
		"test_loop11", "test_maxpool_2d_ceil", "test_resize_upsample_scales_nearest", "test_gather_0", "test_split_equal_parts_1d"} {
		if b, err := os.ReadFile(filepath.Join(suites.NodePath(), name, "model.onnx")); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := graph.Decode(b)
		if err != nil || m.Graph == nil {
			return
		}
		res, err := Run(m, Options{Bindings: map[string]int64{"N": 2}})
		if err != nil {
			return
		}
		for _, d := range res.Diagnostics {
			if strings.Contains(d.Message, "internal error") {
				t.Fatalf("%v", d.Error())
			}
		}
	})
}

// FuzzRules takes node-suite models and lets the fuzzer rewrite their input
// dims and integer attributes: no rule may panic.
func FuzzRules(f *testing.F) {
	entries, err := os.ReadDir(suites.NodePath())
	if err != nil {
		f.Skip("node suite not available")
	}
	var models [][]byte
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join(suites.NodePath(), e.Name(), "model.onnx")); err == nil {
			models = append(models, b)
		}
	}
	f.Add(uint16(0), []byte{1, 2, 3})
	f.Add(uint16(100), []byte{0, 0, 0, 0})
	f.Add(uint16(400), []byte{255, 7, 1, 9, 3})
	f.Fuzz(func(t *testing.T, pick uint16, data []byte) {
		m, err := graph.Decode(models[int(pick)%len(models)])
		if err != nil {
			return
		}
		next := func() int64 {
			if len(data) == 0 {
				return 1
			}
			v := int64(int8(data[0]))
			data = data[1:]
			return v
		}
		for _, in := range m.Graph.Inputs {
			if in.Type != nil && in.Type.HasShape {
				for i := range in.Type.Shape {
					switch v := next(); {
					case v < -100:
						in.Type.Shape[i] = graph.Dim{Param: "N"}
					case v < -90:
						in.Type.Shape[i] = graph.Dim{}
					default:
						in.Type.Shape[i] = graph.Dim{Value: v & 15, Known: true}
					}
				}
				if next() < -120 && len(in.Type.Shape) > 0 {
					in.Type.Shape = in.Type.Shape[1:]
				}
			}
		}
		for _, n := range m.Graph.Nodes {
			for _, a := range n.Attrs {
				switch a.Type {
				case graph.AttrInt:
					a.I = next()
				case graph.AttrInts:
					for i := range a.Ints {
						a.Ints[i] = next()
					}
				}
			}
		}
		res, err := Run(m, Options{})
		if err != nil {
			return
		}
		for _, d := range res.Diagnostics {
			if strings.Contains(d.Message, "internal error") {
				t.Fatalf("%v", d.Error())
			}
		}
	})
}
