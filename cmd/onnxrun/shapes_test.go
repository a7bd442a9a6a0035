package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// convModel returns a Conv → Relu → Reshape model over input [N,3,H,8];
// wIn is the weight's input-channel count (3 is consistent).
func convModel(t *testing.T, wIn int64) []byte {
	t.Helper()
	w, err := graph.NewTensor("w", []int64{4, wIn, 3, 3}, make([]float32, 4*wIn*9))
	if err != nil {
		t.Fatal(err)
	}
	shape, err := graph.NewTensor("shape", []int64{2}, []int64{0, -1})
	if err != nil {
		t.Fatal(err)
	}
	in := &graph.Type{Kind: graph.TypeTensor, Elem: graph.Float, HasShape: true,
		Shape: []graph.Dim{{Param: "N"}, {Value: 3, Known: true}, {Param: "H"}, {Value: 8, Known: true}}}
	g := &graph.Graph{Name: "g",
		Inputs:       []*graph.ValueInfo{{Name: "x", Type: in}},
		Outputs:      []*graph.ValueInfo{{Name: "y", Type: &graph.Type{Kind: graph.TypeTensor, Elem: graph.Float}}},
		Initializers: []*graph.Tensor{w, shape},
		Nodes: []*graph.Node{
			{Name: "conv", OpType: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"c"},
				Attrs: []*graph.Attr{{Name: "strides", Type: graph.AttrInts, Ints: []int64{2, 2}}, {Name: "pads", Type: graph.AttrInts, Ints: []int64{1, 1, 1, 1}}}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"c"}, Outputs: []string{"r"}},
			{Name: "flat", OpType: "Reshape", Inputs: []string{"r", "shape"}, Outputs: []string{"y"}},
		}}
	m := &graph.Model{IRVersion: 8, Opsets: map[string]int64{"": 13}, Graph: g}
	b, err := graph.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeModel(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runShapesCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := dispatch(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestShapesTable(t *testing.T) {
	p := writeModel(t, convModel(t, 3))
	code, out, errs := runShapesCLI("shapes", p)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"conv", "Conv", "[N,3,H,8] [4,3,3,3] -> [N,4,floor((H+1)/2),4]", "3x3", "1/1,1/1", "TOTAL", "432*N*floor((H+1)/2)", "-> [N,16*floor((H+1)/2)]"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runShapesCLI("shapes", p, "--dim", "N=2", "--dim=H=9")
	if code != exitOK || !strings.Contains(out, "-> [2,4,5,4]") || !strings.Contains(out, "[2,80]") {
		t.Errorf("bound table (exit %d):\n%s", code, out)
	}
}

func TestShapesJSON(t *testing.T) {
	p := writeModel(t, convModel(t, 3))
	code, out, errs := runShapesCLI("shapes", "--json", p, "--dim", "N=1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Values map[string]struct {
			DType string `json:"dtype"`
			Shape []any  `json:"shape"`
		} `json:"values"`
		Nodes []struct {
			Name      string `json:"name"`
			Op        string `json:"op"`
			Inputs    []string
			Outputs   []string
			Kernel    []any   `json:"kernel"`
			Strides   []int64 `json:"strides"`
			Pads      []any   `json:"pads"`
			Dilations []int64 `json:"dilations"`
			Group     int64   `json:"group"`
			Params    *int64  `json:"params"`
			MACs      any     `json:"macs"`
		} `json:"nodes"`
		Diagnostics []map[string]any `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, name := range []string{"x", "c", "r", "y"} {
		if _, ok := doc.Values[name]; !ok {
			t.Errorf("values lack %q", name)
		}
	}
	c := doc.Values["c"]
	if c.DType != "float32" || len(c.Shape) != 4 || c.Shape[0] != 1.0 || c.Shape[2] != "floor((H+1)/2)" || c.Shape[3] != 4.0 {
		t.Errorf("c = %+v", c)
	}
	conv := doc.Nodes[0]
	if conv.Name != "conv" || conv.Op != "Conv" || len(conv.Kernel) != 2 || conv.Strides[0] != 2 || len(conv.Pads) != 4 ||
		conv.Group != 1 || conv.Params == nil || *conv.Params != 108 || conv.MACs != "432*floor((H+1)/2)" {
		t.Errorf("conv node = %+v", conv)
	}
	if len(doc.Diagnostics) != 0 {
		t.Errorf("diagnostics: %v", doc.Diagnostics)
	}
}

func TestShapesInconsistent(t *testing.T) {
	p := writeModel(t, convModel(t, 5))
	code, out, _ := runShapesCLI("shapes", p, "--json")
	if code != exitFail {
		t.Errorf("exit %d, want %d", code, exitFail)
	}
	var doc struct {
		Diagnostics []struct {
			Node, Op, Severity, Message string
			Opset                       int64
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(doc.Diagnostics) != 1 {
		t.Fatalf("diagnostics %+v", doc.Diagnostics)
	}
	d := doc.Diagnostics[0]
	if d.Node != "conv" || d.Op != "Conv" || d.Opset != 13 || d.Severity != "error" || !strings.Contains(d.Message, "channels") {
		t.Errorf("diagnostic %+v", d)
	}
}

func TestShapesErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.onnx")
	if err := os.WriteFile(bad, []byte("\xff\xff\xff not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"shapes"}, exitUsage},
		{[]string{"shapes", "a.onnx", "b.onnx"}, exitUsage},
		{[]string{"shapes", "a.onnx", "--dim", "N"}, exitUsage},
		{[]string{"shapes", "a.onnx", "--dim"}, exitUsage},
		{[]string{"shapes", "a.onnx", "--frobnicate"}, exitUsage},
		{[]string{"shapes", filepath.Join(t.TempDir(), "missing.onnx")}, exitFail},
		{[]string{"shapes", bad}, exitFail},
	} {
		code, _, errs := runShapesCLI(tt.args...)
		if code != tt.code {
			t.Errorf("%v: exit %d, want %d (%s)", tt.args, code, tt.code, errs)
		}
		if strings.Count(strings.TrimSpace(errs), "\n") != 0 || errs == "" {
			t.Errorf("%v: stderr should be one line: %q", tt.args, errs)
		}
	}
}

func TestShapesWriteBack(t *testing.T) {
	p := writeModel(t, convModel(t, 3))
	out := filepath.Join(t.TempDir(), "annotated.onnx")
	if code, _, errs := runShapesCLI("shapes", p, "-o", out); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	m, err := graph.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	got := map[string]*graph.Type{}
	for _, v := range m.Graph.ValueInfo {
		got[v.Name] = v.Type
	}
	c := got["c"]
	if c == nil || !c.HasShape || len(c.Shape) != 4 || c.Shape[0].Param != "N" || c.Shape[1].Value != 4 || c.Shape[2].Param != "floor((H+1)/2)" {
		t.Fatalf("value_info c = %+v", c)
	}
	if got["r"] == nil {
		t.Error("value_info lacks r")
	}
	y := m.Graph.Outputs[0].Type
	if y == nil || !y.HasShape || len(y.Shape) != 2 || y.Shape[0].Param != "N" {
		t.Errorf("output y = %+v", y)
	}
	// The annotated model infers the same, with no contradiction.
	if code, _, errs := runShapesCLI("shapes", out); code != exitOK {
		t.Errorf("annotated model: exit %d: %s", code, errs)
	}
}
