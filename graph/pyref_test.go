package graph

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// pyDump is run by python3 with the onnx package to summarize every model
// of the node suite, and its tensor test data, as JSON lines.
const pyDump = `
import sys, glob, os, json, hashlib, onnx
from onnx import numpy_helper
root = sys.argv[1]
for path in sorted(glob.glob(os.path.join(root, '*', 'model.onnx'))):
    m = onnx.load(path)
    g = m.graph
    d = {
        'name': os.path.basename(os.path.dirname(path)),
        'ir': m.ir_version,
        'producer': m.producer_name,
        'opsets': {('' if o.domain == 'ai.onnx' else o.domain): o.version for o in m.opset_import},
        'ops': [n.op_type for n in g.node],
        'attrs': [[a.name for a in n.attribute] for n in g.node],
        'inits': [[t.name, t.data_type, list(t.dims)] for t in g.initializer],
        'inputs': [i.name for i in g.input],
        'outputs': [o.name for o in g.output],
        'functions': [f.name for f in m.functions],
        'data': {},
    }
    tensor_inputs = [i.type.HasField('tensor_type') for i in g.input if i.name not in {t.name for t in g.initializer}]
    tensor_outputs = [o.type.HasField('tensor_type') for o in g.output]
    for f in sorted(glob.glob(os.path.join(os.path.dirname(path), 'test_data_set_*', '*.pb'))):
        base = os.path.basename(f)
        kind, idx = base[:-3].split('_')
        flags = tensor_inputs if kind == 'input' else tensor_outputs
        if int(idx) >= len(flags) or not flags[int(idx)]:
            continue
        t = onnx.TensorProto()
        t.ParseFromString(open(f, 'rb').read())
        a = numpy_helper.to_array(t)
        rel = os.path.relpath(f, os.path.dirname(path))
        if t.data_type == 8:
            h = hashlib.sha1(b''.join(x if isinstance(x, bytes) else x.encode() for x in a.flatten())).hexdigest()
        elif t.data_type == 16:
            h = ''
        else:
            h = hashlib.sha1(a.astype(a.dtype.newbyteorder('<')).tobytes()).hexdigest()
        d['data'][rel] = [t.data_type, list(t.dims), int(a.size), h]
    print(json.dumps(d))
`

type pyModel struct {
	Name      string
	IR        int64
	Producer  string
	Opsets    map[string]int64
	Ops       []string
	Attrs     [][]string
	Inits     [][3]any
	Inputs    []string
	Outputs   []string
	Functions []string
	Data      map[string][4]any
}

// TestNodeSuiteAgainstPython compares what Decode reads from each model of
// the node suite with what the onnx Python package reads.
func TestNodeSuiteAgainstPython(t *testing.T) {
	dir := nodeSuiteDir(t)
	if testing.Short() {
		t.Skip("slow: runs python over the node suite")
	}
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import onnx, numpy").Run(); err != nil {
		t.Skipf("python3 with onnx not available: %v", err)
	}
	out, err := exec.Command(py, "-c", pyDump, dir).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	dec := json.NewDecoder(bytesReader(out))
	checked, files := 0, 0
	for dec.More() {
		var want pyModel
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		mdir := filepath.Join(dir, want.Name)
		b, err := os.ReadFile(filepath.Join(mdir, "model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(b)
		if err != nil {
			t.Errorf("%s: %v", want.Name, err)
			continue
		}
		got := pyModel{Name: want.Name, IR: m.IRVersion, Producer: m.ProducerName, Opsets: m.Opsets,
			Ops: []string{}, Attrs: [][]string{}, Inits: [][3]any{}, Inputs: []string{}, Outputs: []string{},
			Functions: []string{}, Data: want.Data}
		for _, n := range m.Graph.Nodes {
			got.Ops = append(got.Ops, n.OpType)
			names := []string{}
			for _, a := range n.Attrs {
				names = append(names, a.Name)
			}
			got.Attrs = append(got.Attrs, names)
		}
		for _, init := range m.Graph.Initializers {
			dims := []any{}
			for _, d := range init.Dims {
				dims = append(dims, float64(d))
			}
			got.Inits = append(got.Inits, [3]any{init.Name, float64(init.DType), dims})
		}
		for _, v := range m.Graph.Inputs {
			got.Inputs = append(got.Inputs, v.Name)
		}
		for _, v := range m.Graph.Outputs {
			got.Outputs = append(got.Outputs, v.Name)
		}
		for _, f := range m.Functions {
			got.Functions = append(got.Functions, f.Name)
		}
		if !reflect.DeepEqual(normJSON(t, got), normJSON(t, want)) {
			t.Errorf("%s: decoded\n%+v\npython reads\n%+v", want.Name, got, want)
		}
		for rel, w := range want.Data {
			b, err := os.ReadFile(filepath.Join(mdir, rel))
			if err != nil {
				t.Fatal(err)
			}
			tn, err := DecodeTensor(b)
			if err != nil {
				t.Errorf("%s: %s: %v", want.Name, rel, err)
				continue
			}
			dims := []any{}
			for _, d := range tn.Dims {
				dims = append(dims, float64(d))
			}
			h := sha1.New()
			if tn.DType == String {
				for _, s := range tn.Strings {
					h.Write(s)
				}
			} else {
				h.Write(tn.Raw())
			}
			sum := hex.EncodeToString(h.Sum(nil))
			if tn.DType == BFloat16 {
				sum = "" // numpy has no bfloat16
			}
			g := [4]any{float64(tn.DType), dims, float64(tn.NumElements()), sum}
			if !reflect.DeepEqual(normJSON(t, g), normJSON(t, w)) {
				t.Errorf("%s: %s: decoded %v, python reads %v", want.Name, rel, g, w)
			}
			files++
		}
		checked++
	}
	t.Logf("%d models and %d tensor files agree with the onnx Python package", checked, files)
}

// normJSON round-trips v through JSON so that values compare by content.
func normJSON(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
