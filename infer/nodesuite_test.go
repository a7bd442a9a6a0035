package infer

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/suites"
)

// verdict compares an inferred fact with the shape and type of an actual
// value: "exact", "partial" (some dims unknown or symbolic, none wrong) or
// "wrong" (a different constant dim, rank or element type).
func verdict(f Fact, dt graph.DType, dims []int64) (string, string) {
	if f.Kind != KindTensor {
		return "partial", "not inferred as a tensor: " + f.String()
	}
	// The suite stores bfloat16 expected outputs as uint16.
	if f.DType == graph.BFloat16 && dt == graph.Uint16 {
		dt = graph.BFloat16
	}
	if f.DType != graph.Undefined && f.DType != dt {
		return "wrong", fmt.Sprintf("dtype %v, actual %v", f.DType, dt)
	}
	if !f.Ranked {
		return "partial", "unknown rank"
	}
	if len(f.Shape) != len(dims) {
		return "wrong", fmt.Sprintf("shape %v, actual %v", f.Shape, dims)
	}
	res := "exact"
	if f.DType == graph.Undefined {
		res = "partial"
	}
	for i, d := range f.Shape {
		if v, ok := d.Value(); ok {
			if v != dims[i] {
				return "wrong", fmt.Sprintf("shape %v, actual %v", f.Shape, dims)
			}
		} else {
			res = "partial"
		}
	}
	if res == "partial" {
		return res, fmt.Sprintf("shape %v, actual %v", f.Shape, dims)
	}
	return res, ""
}

// stripDeclared removes the declared shapes of graph outputs and all
// value_info, so inference cannot copy them.
func stripDeclared(g *graph.Graph) {
	g.ValueInfo = nil
	for _, o := range g.Outputs {
		if o.Type != nil {
			o.Type = stripType(o.Type)
		}
	}
	for _, n := range g.Nodes {
		for _, sg := range n.Subgraphs() {
			stripDeclared(sg)
		}
	}
}

func stripType(t *graph.Type) *graph.Type {
	c := *t
	c.Shape, c.HasShape = nil, false
	if c.Inner != nil {
		c.Inner = stripType(c.Inner)
	}
	return &c
}

func TestNodeSuite(t *testing.T) {
	dir := suites.NodePath()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("node suite not available: %v", err)
	}
	counts := map[string]int{}
	var report []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		m, err := graph.Load(filepath.Join(dir, name, "model.onnx"))
		if err != nil {
			counts["unloadable"]++
			continue
		}
		if len(m.Graph.Nodes) > 0 && m.Graph.Nodes[0].Domain != "" && m.Graph.Nodes[0].Domain != "ai.onnx.preview.training" {
			m.Close()
			continue
		}
		kinds := make([]graph.TypeKind, len(m.Graph.Outputs))
		for i, o := range m.Graph.Outputs {
			if o.Type != nil {
				kinds[i] = o.Type.Kind
			}
		}
		stripDeclared(m.Graph)
		res, err := Run(m, Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			m.Close()
			continue
		}
		worst := "exact"
		var why []string
		for _, d := range res.Diagnostics {
			if d.Severity == SeverityError {
				worst = "wrong"
				why = append(why, "diagnostic: "+d.Error())
			}
		}
		for i, o := range m.Graph.Outputs {
			b, err := os.ReadFile(filepath.Join(dir, name, "test_data_set_0", fmt.Sprintf("output_%d.pb", i)))
			if err != nil {
				continue
			}
			f := res.Values[o.Name]
			var v, detail string
			switch kinds[i] {
			case graph.TypeTensor:
				tt, err := graph.DecodeTensor(b)
				if err != nil {
					continue
				}
				v, detail = verdict(f, tt.DType, tt.Dims)
			case graph.TypeSequence:
				_, dt, items, err := graph.DecodeSequence(b)
				if err != nil {
					continue
				}
				if f.Kind != KindSequence {
					v, detail = "wrong", "not inferred as a sequence: "+f.String()
					break
				}
				v = "exact"
				for _, it := range items {
					if f.Elem == nil {
						v = "partial"
						break
					}
					vv, dd := verdict(*f.Elem, dt, it.Dims)
					if vv == "wrong" || vv == "partial" && v == "exact" {
						v, detail = vv, dd
					}
				}
			default:
				continue
			}
			if rank(v) > rank(worst) {
				worst = v
			}
			if v != "exact" {
				why = append(why, fmt.Sprintf("output %d %q: %s", i, o.Name, detail))
			}
		}
		counts[worst]++
		if worst != "exact" {
			report = append(report, fmt.Sprintf("%-7s %s: %s", worst, name, strings.Join(why, "; ")))
		}
		m.Close()
	}
	sort.Strings(report)
	for _, r := range report {
		if strings.HasPrefix(r, "wrong") || testing.Verbose() {
			t.Log(r)
		}
	}
	t.Logf("node suite: exact %d, partial %d, wrong %d (unloadable %d)", counts["exact"], counts["partial"], counts["wrong"], counts["unloadable"])
	if counts["wrong"] > 0 {
		t.Errorf("%d node tests got a wrong shape or a spurious error", counts["wrong"])
	}
}

func rank(v string) int {
	switch v {
	case "partial":
		return 1
	case "wrong":
		return 2
	}
	return 0
}
