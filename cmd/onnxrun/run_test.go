package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun"
	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/suites"
	"github.com/onnxrun/onnxrun/ops"
	"github.com/onnxrun/onnxrun/tensorio"
)

var tinyCNN = filepath.Join("..", "..", "testdata", "models", "tiny_cnn")

// cli runs the command line args as main would, returning the exit status,
// stdout and stderr.
func cli(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := dispatch(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestFlagsAnywhere(t *testing.T) {
	var o runOptions
	var out string
	f := newFlagSet()
	commonFlags(f, &o)
	f.valueFlag(func(s string) error { out = s; return nil }, "o")
	pos, help, err := f.parse([]string{"--random", "m.onnx", "-o", "dir", "x.npy", "--dim=N=4", "--threads", "2", "--dim", "T=7", "--", "-y.npy"})
	if err != nil || help {
		t.Fatal(err, help)
	}
	if fmt.Sprint(pos) != "[m.onnx x.npy -y.npy]" || !o.random || out != "dir" || o.threads != 2 || o.dims["N"] != 4 || o.dims["T"] != 7 {
		t.Fatalf("pos %v, options %+v, out %q", pos, o, out)
	}
	for _, bad := range [][]string{{"--nope"}, {"--threads"}, {"--threads", "x"}, {"--dim", "N"}, {"--random=maybe"}} {
		if _, _, err := f.parse(bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{"output": "output", "a/b:0": "a_b_0", "../x": "_x", ".hidden": "hidden", "scores.1": "scores.1"} {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQuantile(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if q := quantile(s, 0.5); q != 5.5 {
		t.Errorf("median %v", q)
	}
	if q := quantile(s, 0.9); math.Abs(q-9.1) > 1e-12 {
		t.Errorf("p90 %v", q)
	}
	if q := quantile([]float64{3}, 0.9); q != 3 {
		t.Errorf("p90 of one %v", q)
	}
}

func TestSequenceOptionalCodec(t *testing.T) {
	q := &ops.Sequence{Elem: graph.Int64, Items: []*ops.Tensor{ops.New([]int{2}, []int64{1, 2}), ops.New([]int{1, 1}, []int64{3})}}
	b, err := encodeValue("s", q)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeSequence(b, graph.Undefined)
	if err != nil {
		t.Fatal(err)
	}
	if got.Elem != graph.Int64 || len(got.Items) != 2 || fmt.Sprint(got.Items[1].Shape, got.Items[1].Data) != "[1 1] [3]" {
		t.Fatalf("got %+v", got)
	}
	for _, o := range []*ops.Optional{
		{Value: ops.New([]int{2}, []float32{1.5, 2})},
		{Value: q},
		{Type: &graph.Type{Kind: graph.TypeTensor, Elem: graph.Float}},
	} {
		b, err := encodeValue("o", o)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeOptional(b, graph.Float)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%T", back.Value) != fmt.Sprintf("%T", o.Value) {
			t.Errorf("optional %T came back as %T", o.Value, back.Value)
		}
	}
}

// Sequence files of the node suite decode (ONNX's own encoder wrote them).
func TestNodeSuiteSequenceFile(t *testing.T) {
	dir := suites.NodePath()
	b, err := os.ReadFile(filepath.Join(dir, "test_sequence_insert_at_back", "test_data_set_0", "input_0.pb"))
	if err != nil {
		t.Skip(err)
	}
	q, err := decodeSequence(b, graph.Undefined)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Items) == 0 || q.Elem == graph.Undefined {
		t.Fatalf("got %+v", q)
	}
}

func readNPY(t *testing.T, path string) *ops.Tensor {
	t.Helper()
	g, err := tensorio.ReadNPYFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ops.FromGraph(g)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func checkClose(t *testing.T, got, want *ops.Tensor) {
	t.Helper()
	if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
		t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
	}
	g, w := got.Data.([]float32), want.Data.([]float32)
	maxRef := 0.0
	for _, v := range w {
		maxRef = math.Max(maxRef, math.Abs(float64(v)))
	}
	for i := range w {
		if d := math.Abs(float64(g[i] - w[i])); !(d <= 1e-4+1e-3*maxRef) {
			t.Fatalf("element %d: %v, want %v", i, g[i], w[i])
		}
	}
}

func TestRunCLI(t *testing.T) {
	model := filepath.Join(tinyCNN, "model.onnx")
	in := filepath.Join(tinyCNN, "test_data_set_0", "input_0.npy")
	want := readNPY(t, filepath.Join(tinyCNN, "test_data_set_0", "output_0.npy"))

	dir := t.TempDir()
	code, out, errs := cli("run", "-o", dir, model, in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "output: float32[2,10]  min ") || !strings.Contains(out, " ms") {
		t.Errorf("summary:\n%s", out)
	}
	var files map[string]string
	b, err := os.ReadFile(filepath.Join(dir, "outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &files); err != nil || files["output"] != "output.npy" {
		t.Fatalf("outputs.json: %s (%v)", b, err)
	}
	checkClose(t, readNPY(t, filepath.Join(dir, "output.npy")), want)

	// The bare form, a .pb input given by name, .pb outputs.
	dir = t.TempDir()
	code, _, errs = cli(model, "input="+filepath.Join(tinyCNN, "test_data_set_0", "input_0.pb"), "--format", "pb", "-o", dir)
	if code != 0 {
		t.Fatalf("bare form: exit %d: %s", code, errs)
	}
	g, err := tensorio.ReadPBFile(filepath.Join(dir, "output_0.pb"))
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "output" {
		t.Errorf("output_0.pb is named %q", g.Name)
	}
	got, err := ops.FromGraph(g)
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, got, want)

	// An .npz keyed by input name.
	npz := filepath.Join(t.TempDir(), "in.npz")
	x, err := tensorio.ReadNPYFile(in)
	if err != nil {
		t.Fatal(err)
	}
	x.Name = "input"
	if err := tensorio.WriteNPZ(npz, []*graph.Tensor{x}, false); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := cli("run", model, npz); code != 0 {
		t.Fatalf("npz: exit %d: %s", code, errs)
	}

	// --random with a bound batch of 1: a classifier output, so top-5.
	code, out, errs = cli("run", model, "--random", "--dim", "N=1")
	if code != 0 || !strings.Contains(out, "output: float32[1,10]") || !strings.Contains(out, "top-5: ") {
		t.Fatalf("--random: exit %d\n%s%s", code, out, errs)
	}
}

func TestRunCLIErrors(t *testing.T) {
	model := filepath.Join(tinyCNN, "model.onnx")
	tmp := t.TempDir()
	ints := filepath.Join(tmp, "ints.npy")
	g, err := graph.NewTensor("x", []int64{2, 3}, make([]int64, 6))
	if err != nil {
		t.Fatal(err)
	}
	if err := tensorio.WriteNPY(ints, g); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(tmp, "corrupt.npy")
	os.WriteFile(corrupt, []byte("\x93NUMPY\x01\x00garbage"), 0o644)
	rank := filepath.Join(tmp, "rank.npy")
	g, _ = graph.NewTensor("x", []int64{3, 16, 16}, make([]float32, 3*16*16))
	tensorio.WriteNPY(rank, g)
	in := filepath.Join(tinyCNN, "test_data_set_0", "input_0.npy")

	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"run", model}, 1, `onnxrun run: input "input" is missing: want float32[N,3,16,16]`},
		{[]string{"run", model, ints}, 1, `onnxrun run: input "input": want float32[N,3,16,16], got int64[2,3]`},
		{[]string{"run", model, rank}, 1, `onnxrun run: input "input": want float32[N,3,16,16], got float32[3,16,16] (rank 3, want rank 4)`},
		{[]string{"run", model, corrupt}, 1, `onnxrun run: input "input": want float32[N,3,16,16], got ` + corrupt},
		{[]string{"run", model, "nosuch=" + in}, 1, `onnxrun run: unknown input "nosuch" (the model's inputs are "input")`},
		{[]string{"run", model, in, in}, 2, `2 input files for a model with 1 inputs`},
		{[]string{"run", model, in, "--dim", "N=3"}, 1, `dim 0 is 2, but --dim N=3`},
		{[]string{"run", model, "--random"}, 2, `dim 0 (N) is unknown: bind it with --dim N=VALUE`},
		{[]string{"run", filepath.Join(tmp, "none.onnx"), in}, 1, `onnxrun run: `},
		{[]string{"run", in, in}, 1, `onnxrun run: `},
		{[]string{"run", "--bogus", model}, 2, `unknown flag --bogus`},
		{[]string{"run"}, 2, `no model given`},
		{[]string{"run", model, in, "--format", "csv"}, 2, `want npy or pb`},
	}
	for _, tc := range tests {
		code, _, errs := cli(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) || strings.Contains(errs, "goroutine ") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with %q", tc.args, code, errs, tc.code, tc.msg)
		}
	}
}

func TestBenchJSON(t *testing.T) {
	code, out, errs := cli("bench", filepath.Join(tinyCNN, "model.onnx"), "--random", "--dim", "N=2", "--runs", "3", "--warmup", "1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, k := range []string{"load_ms", "prepare_ms", "median_ms", "p90_ms", "min_ms", "runs", "threads", "peak_rss_bytes"} {
		if _, ok := r[k]; !ok {
			t.Errorf("no %q in %s", k, out)
		}
	}
	if r["runs"].(float64) != 3 || r["min_ms"].(float64) > r["median_ms"].(float64) || r["peak_rss_bytes"].(float64) <= 0 {
		t.Errorf("implausible: %s", out)
	}
	if code, _, _ := cli("bench", filepath.Join(tinyCNN, "model.onnx"), "--runs", "0"); code != 2 {
		t.Errorf("--runs 0: exit %d, want 2", code)
	}
}

func TestBFloat16FromUint16(t *testing.T) {
	in := onnxrun.Info{Name: "x", Kind: onnxrun.KindTensor, DType: graph.BFloat16}
	u := ops.New([]int{2}, []uint16{0x3f80, 0xc000}) // 1, -2
	got := asBFloat16(in, u)
	b, ok := got.Data.([]graph.BFloat16Value)
	if !ok || got.DType != graph.BFloat16 || b[0].Float32() != 1 || b[1].Float32() != -2 {
		t.Fatalf("got %s %v", got, got.Data)
	}
	in.DType = graph.Uint16
	if asBFloat16(in, u) != u {
		t.Fatal("a uint16 input was converted")
	}
}

func TestWriteOutputsOrderAndNames(t *testing.T) {
	dir := t.TempDir()
	infos := []onnxrun.Info{{Name: "scores"}, {Name: "boxes/0"}, {Name: "boxes:0"}, {Name: "seq"}}
	out := map[string]ops.Value{
		"scores":  ops.New([]int{2}, []float32{1, 2}),
		"boxes/0": ops.New([]int{1, 4}, []float32{0, 0, 1, 1}),
		"boxes:0": ops.Scalar(int64(3)),
		"seq":     &ops.Sequence{Elem: graph.Int64, Items: []*ops.Tensor{ops.New([]int{1}, []int64{5})}},
	}
	if err := writeOutputs(dir, "npy", infos, out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"scores\": \"scores.npy\",\n  \"boxes/0\": \"boxes_0.npy\",\n  \"boxes:0\": \"boxes_0_1.npy\",\n  \"seq\": \"output_3.pb\"\n}\n"
	if string(b) != want {
		t.Fatalf("outputs.json:\n%s\nwant:\n%s", b, want)
	}
	for _, f := range []string{"scores.npy", "boxes_0.npy", "boxes_0_1.npy", "output_3.pb"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if s := readNPY(t, filepath.Join(dir, "boxes_0_1.npy")); len(s.Shape) != 0 || s.Data.([]int64)[0] != 3 {
		t.Errorf("scalar output came back as %s %v", s, s.Data)
	}
	pb, _ := os.ReadFile(filepath.Join(dir, "output_3.pb"))
	q, err := decodeSequence(pb, graph.Undefined)
	if err != nil || len(q.Items) != 1 {
		t.Errorf("sequence output: %v %v", q, err)
	}
}

// A node-suite model with a sequence input and output, through the CLI:
// a SequenceProto file in, a SequenceProto file out matching the expected one.
func TestRunCLISequence(t *testing.T) {
	dir := suites.NodePath()
	test := filepath.Join(dir, "test_sequence_map_add_1_sequence_1_tensor")
	if _, err := os.Stat(test); err != nil {
		t.Skip(err)
	}
	out := t.TempDir()
	ds := filepath.Join(test, "test_data_set_0")
	code, _, errs := cli("run", filepath.Join(test, "model.onnx"), filepath.Join(ds, "input_0.pb"), filepath.Join(ds, "input_1.pb"), "-o", out, "--format", "pb")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	read := func(path string) *ops.Sequence {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		q, err := decodeSequence(b, graph.Undefined)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	got, want := read(filepath.Join(out, "output_0.pb")), read(filepath.Join(ds, "output_0.pb"))
	if len(got.Items) != len(want.Items) || got.Elem != want.Elem {
		t.Fatalf("got %d %s items, want %d %s", len(got.Items), got.Elem, len(want.Items), want.Elem)
	}
	for i := range want.Items {
		checkClose(t, got.Items[i], want.Items[i])
	}
}
