package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// pb builds protobuf messages field by field (field numbers of onnx.proto),
// so the tests do not depend on the encoder under test.
type pb []byte

func (b pb) varint(num protowire.Number, v uint64) pb {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func (b pb) bytes(num protowire.Number, v []byte) pb {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func (b pb) str(num protowire.Number, s string) pb { return b.bytes(num, []byte(s)) }

// Builders for the onnx.proto messages the tests use.

func opset(domain string, v uint64) pb { return pb{}.str(1, domain).varint(2, v) }

// dim is a TensorShapeProto.Dimension: an int64 value, a string param, or
// nil for an unknown dim.
func dim(d any) pb {
	switch d := d.(type) {
	case int:
		return pb{}.varint(1, uint64(d))
	case string:
		return pb{}.str(2, d)
	}
	return pb{}
}

// tensorType is a TypeProto of a tensor; dims nil means unknown rank.
func tensorType(elem uint64, dims []any) pb {
	t := pb{}.varint(1, elem)
	if dims != nil {
		shape := pb{}
		for _, d := range dims {
			shape = shape.bytes(1, dim(d))
		}
		t = t.bytes(2, shape)
	}
	return pb{}.bytes(1, t)
}

func valueInfoPB(name string, typ pb) pb { return pb{}.str(1, name).bytes(2, typ) }

func node(op string, in, out []string, attrs ...pb) pb {
	n := pb{}
	for _, s := range in {
		n = n.str(1, s)
	}
	for _, s := range out {
		n = n.str(2, s)
	}
	n = n.str(4, op)
	for _, a := range attrs {
		n = n.bytes(5, a)
	}
	return n
}

func graphAttr(name string, g pb) pb {
	return pb{}.str(1, name).bytes(6, g).varint(20, 5) // type GRAPH
}

// floatInit is a float TensorProto initializer with raw data.
func floatInit(name string, vals ...float32) pb {
	raw := make([]byte, 0, 4*len(vals))
	for _, v := range vals {
		raw = protowire.AppendFixed32(raw, math.Float32bits(v))
	}
	return pb{}.varint(1, uint64(len(vals))).varint(2, 1).str(8, name).bytes(9, raw)
}

// testModel is a small model: y = Relu(Relu(x * w)) with an If whose
// branches hold three subgraphs in all, w an initializer that is also
// declared as an input.
func testModel() []byte {
	inner := pb{}.str(2, "inner").bytes(1, node("Identity", []string{"c"}, []string{"r"})).
		bytes(12, valueInfoPB("r", tensorType(9, []any{})))
	then := pb{}.str(2, "then").
		bytes(1, node("If", []string{"c"}, []string{"r"}, graphAttr("then_branch", inner), graphAttr("else_branch", inner))).
		bytes(12, valueInfoPB("r", tensorType(9, []any{})))
	els := pb{}.str(2, "else").bytes(1, node("Not", []string{"c"}, []string{"r"})).
		bytes(12, valueInfoPB("r", tensorType(9, []any{})))
	g := pb{}.str(2, "main").
		bytes(1, node("Mul", []string{"x", "w"}, []string{"t"})).
		bytes(1, node("Relu", []string{"t"}, []string{"u"})).
		bytes(1, node("Relu", []string{"u"}, []string{"y"})).
		bytes(1, node("If", []string{"c"}, []string{"z"}, graphAttr("then_branch", then), graphAttr("else_branch", els))).
		bytes(1, node("FusedThing", []string{"y"}, []string{"v"}).str(7, "com.example")).
		bytes(5, floatInit("w", 1, 2, 3)).
		bytes(11, valueInfoPB("x", tensorType(1, []any{"N", 3, nil}))).
		bytes(11, valueInfoPB("w", tensorType(1, []any{3}))).
		bytes(11, valueInfoPB("c", tensorType(9, []any{}))).
		bytes(12, valueInfoPB("y", tensorType(1, []any{"N", 3, nil}))).
		bytes(12, valueInfoPB("z", tensorType(9, nil))).
		bytes(12, valueInfoPB("v", tensorType(1, nil)))
	return pb{}.varint(1, 8).
		str(2, "pbtest").str(3, "1.2").
		bytes(7, g).
		bytes(8, opset("", 13)).
		bytes(8, opset("com.example", 1))
}

// runCLI runs the command line in-process.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = dispatch(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

// checkOneLine checks that stderr is one error line of the command.
func checkOneLine(t *testing.T, what, stderr string) {
	t.Helper()
	if !strings.HasPrefix(stderr, "onnxrun info: ") || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("%s: stderr is not one error line: %q", what, stderr)
	}
	if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
		t.Errorf("%s: stderr shows a crash: %q", what, stderr)
	}
}

func TestInfo(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	model := write("model.onnx", testModel())
	full := testModel()
	rnd := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	rnd[0] = 0x07 // field 0, wire type 7: invalid in any protobuf
	random := write("random.onnx", rnd)
	empty := write("empty.onnx", nil)
	truncated := write("truncated.onnx", full[:len(full)/2])
	// A graph field whose length prefix claims 2^62 bytes.
	hugeModel := protowire.AppendTag(pb{}.varint(1, 8).bytes(8, opset("", 13)), 7, protowire.BytesType)
	huge := write("huge.onnx", protowire.AppendVarint(hugeModel, 1<<62))
	missing := filepath.Join(dir, "missing.onnx")

	for _, tc := range []struct {
		name string
		args []string
		code int
		json bool
	}{
		{"json after", []string{"info", model, "--json"}, exitOK, true},
		{"json before", []string{"info", "--json", model}, exitOK, true},
		{"single dash", []string{"info", "-json", model}, exitOK, true},
		{"dash dash", []string{"info", "--json", "--", model}, exitOK, true},
		{"text", []string{"info", model}, exitOK, false},
		{"no model", []string{"info"}, exitUsage, false},
		{"only flags", []string{"info", "--json"}, exitUsage, false},
		{"unknown flag", []string{"info", model, "--bogus"}, exitUsage, false},
		{"extra args", []string{"info", model, model}, exitUsage, false},
		{"flag value", []string{"info", "--json=maybe", model}, exitUsage, false},
		{"missing file", []string{"info", missing}, exitFail, false},
		{"directory", []string{"info", dir}, exitFail, false},
		{"empty file", []string{"info", empty}, exitFail, false},
		{"random bytes", []string{"info", random}, exitFail, false},
		{"truncated", []string{"info", truncated}, exitFail, false},
		{"huge length", []string{"info", huge, "--json"}, exitFail, false},
	} {
		code, stdout, stderr := runCLI(tc.args...)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", tc.name, code, tc.code, stderr)
			continue
		}
		if code != exitOK {
			checkOneLine(t, tc.name, stderr)
			if stdout != "" {
				t.Errorf("%s: stdout %q on failure", tc.name, stdout)
			}
			continue
		}
		if stderr != "" {
			t.Errorf("%s: stderr %q", tc.name, stderr)
		}
		if tc.json {
			checkTestModelJSON(t, tc.name, stdout)
			continue
		}
		text := "\n" + strings.Join(strings.Fields(strings.ReplaceAll(stdout, "\n", " | ")), " ")
		for _, want := range []string{
			"| ir_version 8 |", "| producer pbtest 1.2 |", "| opsets ai.onnx 13, com.example 1 |",
			"| inputs 2 | x float32 [N,3,?] | c bool [] |",
			"| outputs 3 | y float32 [N,3,?] | z bool ? | v float32 ? |", "| initializers 1 (12 B) |",
			"| nodes 5 | Relu 2 | If 1 | Mul 1 | com.example:FusedThing 1 |", "| subgraphs 4 (4 nodes) |",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: output lacks %q:\n%s", tc.name, want, stdout)
			}
		}
	}
	if code, stdout, _ := runCLI("info", "-h"); code != exitOK || !strings.Contains(stdout, "usage: onnxrun info") {
		t.Errorf("info -h: exit %d, %q", code, stdout)
	}
}

func checkTestModelJSON(t *testing.T, name, out string) {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	want := map[string]any{
		"ir_version": 8.0,
		"producer":   map[string]any{"name": "pbtest", "version": "1.2"},
		"opsets":     map[string]any{"": 13.0, "com.example": 1.0},
		"inputs": []any{
			map[string]any{"name": "x", "dtype": "float32", "shape": []any{"N", 3.0, nil}},
			map[string]any{"name": "c", "dtype": "bool", "shape": []any{}},
		},
		"outputs": []any{
			map[string]any{"name": "y", "dtype": "float32", "shape": []any{"N", 3.0, nil}},
			map[string]any{"name": "z", "dtype": "bool", "shape": nil},
			map[string]any{"name": "v", "dtype": "float32", "shape": nil},
		},
		"initializers":   map[string]any{"count": 1.0, "bytes": 12.0, "sparse": 0.0},
		"nodes":          5.0,
		"ops":            map[string]any{"Mul": 1.0, "Relu": 2.0, "If": 1.0, "com.example:FusedThing": 1.0},
		"subgraphs":      4.0,
		"subgraph_nodes": 4.0,
		"functions":      0.0,
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("%s: JSON\n got %s\nwant %s", name, g, w)
	}
}
