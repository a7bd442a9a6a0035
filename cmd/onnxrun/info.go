package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	register(command{name: "info", summary: "print what a model holds: opsets, inputs, outputs, ops (--json)", run: runInfo})
}

const infoUsage = "usage: onnxrun info MODEL [--json]"

// modelInfo is what `onnxrun info` reports; its JSON form is the output of
// --json.
type modelInfo struct {
	IRVersion    int64            `json:"ir_version"`
	Producer     producerInfo     `json:"producer"`
	Domain       string           `json:"domain,omitempty"`
	ModelVersion int64            `json:"model_version,omitempty"`
	Opsets       map[string]int64 `json:"opsets"`
	Inputs       []valueInfo      `json:"inputs"`
	Outputs      []valueInfo      `json:"outputs"`
	Initializers initInfo         `json:"initializers"`
	Nodes        int              `json:"nodes"`
	Ops          map[string]int   `json:"ops"`
	// Subgraphs counts the bodies of If, Loop, Scan... at every depth;
	// SubgraphNodes the nodes they hold.
	Subgraphs     int `json:"subgraphs"`
	SubgraphNodes int `json:"subgraph_nodes"`
	Functions     int `json:"functions"`
}

type producerInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type initInfo struct {
	Count  int   `json:"count"`
	Bytes  int64 `json:"bytes"`
	Sparse int   `json:"sparse"`
}

// valueInfo is one graph input or output. Shape holds an integer for a
// known dim, a string for a symbolic one and null for an unknown one; it is
// null itself when the rank is unknown or the value is not a tensor.
type valueInfo struct {
	Name  string `json:"name"`
	DType string `json:"dtype"`
	Shape []any  `json:"shape"`
}

func runInfo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("info", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, infoUsage)
		fmt.Fprintln(stdout, "  --json  print one JSON object instead of text")
		return exitOK
	}
	if err == nil && len(pos) != 1 {
		if len(pos) == 0 {
			err = usagef("missing MODEL (%s)", infoUsage)
		} else {
			err = usagef("want one MODEL, got %d arguments (%s)", len(pos), infoUsage)
		}
	}
	if err != nil {
		return fail(stderr, "info", err)
	}
	m, err := graph.Load(pos[0])
	if err != nil {
		return fail(stderr, "info", err)
	}
	defer m.Close()
	info, err := describe(m)
	if err != nil {
		return fail(stderr, "info", fmt.Errorf("%s: %w", pos[0], err))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(info); err != nil {
			return fail(stderr, "info", err)
		}
		return exitOK
	}
	if err := info.writeText(stdout, pos[0]); err != nil {
		return fail(stderr, "info", err)
	}
	return exitOK
}

// describe gathers the facts info reports.
func describe(m *graph.Model) (*modelInfo, error) {
	g := m.Graph
	if g == nil {
		return nil, errors.New("model has no graph")
	}
	info := &modelInfo{
		IRVersion:    m.IRVersion,
		Producer:     producerInfo{m.ProducerName, m.ProducerVersion},
		Domain:       m.Domain,
		ModelVersion: m.ModelVersion,
		Opsets:       map[string]int64{},
		Inputs:       []valueInfo{},
		Outputs:      []valueInfo{},
		Nodes:        len(g.Nodes),
		Ops:          map[string]int{},
		Functions:    len(m.Functions),
	}
	maps.Copy(info.Opsets, m.Opsets)
	for _, v := range g.FeedInputs() {
		info.Inputs = append(info.Inputs, describeValue(v))
	}
	for _, v := range g.Outputs {
		info.Outputs = append(info.Outputs, describeValue(v))
	}
	info.Initializers.Count = len(g.Initializers)
	info.Initializers.Sparse = len(g.SparseInitializers)
	for _, t := range g.Initializers {
		info.Initializers.Bytes += tensorBytes(t)
	}
	for _, s := range g.SparseInitializers {
		info.Initializers.Bytes += tensorBytes(s.Values) + tensorBytes(s.Indices)
	}
	for _, n := range g.Nodes {
		info.Ops[opName(n)]++
		walkSubgraphs(n, 0, func(sg *graph.Graph) {
			info.Subgraphs++
			info.SubgraphNodes += len(sg.Nodes)
		})
	}
	return info, nil
}

// maxGraphDepth bounds the recursion into nested subgraphs.
const maxGraphDepth = 64

// walkSubgraphs calls f for every graph attribute of n and, recursively,
// of the nodes inside it.
func walkSubgraphs(n *graph.Node, depth int, f func(*graph.Graph)) {
	if depth > maxGraphDepth {
		return
	}
	for _, a := range n.Attrs {
		gs := a.Graphs
		if a.G != nil {
			gs = append([]*graph.Graph{a.G}, gs...)
		}
		for _, sg := range gs {
			if sg == nil {
				continue
			}
			f(sg)
			for _, inner := range sg.Nodes {
				walkSubgraphs(inner, depth+1, f)
			}
		}
	}
}

// opName is the op type, qualified by its domain outside the default one
// ("com.microsoft:FusedConv").
func opName(n *graph.Node) string {
	if n.Domain == "" || n.Domain == "ai.onnx" {
		return n.OpType
	}
	return n.Domain + ":" + n.OpType
}

// tensorBytes is the size of a tensor's data.
func tensorBytes(t *graph.Tensor) int64 {
	if t == nil {
		return 0
	}
	if t.DType == graph.String {
		var n int64
		for _, s := range t.Strings {
			n += int64(len(s))
		}
		return n
	}
	n := t.NumElements()
	if n < 0 {
		return 0
	}
	return t.DType.RawLen(n)
}

func describeValue(v *graph.ValueInfo) valueInfo {
	out := valueInfo{Name: v.Name, DType: typeName(v.Type)}
	if t := v.Type; t != nil && (t.Kind == graph.TypeTensor || t.Kind == graph.TypeSparseTensor) && t.HasShape {
		out.Shape = make([]any, len(t.Shape))
		for i, d := range t.Shape {
			switch {
			case d.Known:
				out.Shape[i] = d.Value
			case d.Param != "":
				out.Shape[i] = d.Param
			}
		}
	}
	return out
}

// typeName names a value's type: the element type of a tensor
// ("float32"), or seq(...), map(K,V), optional(...), sparse(...).
func typeName(t *graph.Type) string {
	if t == nil {
		return "unknown"
	}
	switch t.Kind {
	case graph.TypeTensor:
		return t.Elem.String()
	case graph.TypeSparseTensor:
		return "sparse(" + t.Elem.String() + ")"
	case graph.TypeSequence:
		return "seq(" + typeName(t.Inner) + ")"
	case graph.TypeMap:
		return "map(" + t.Key.String() + "," + typeName(t.Inner) + ")"
	case graph.TypeOptional:
		return "optional(" + typeName(t.Inner) + ")"
	}
	return "unknown"
}

// shapeText writes a shape as [N,3,?], or "?" when the rank is unknown.
func shapeText(s []any) string {
	if s == nil {
		return "?"
	}
	parts := make([]string, len(s))
	for i, d := range s {
		switch d := d.(type) {
		case int64:
			parts[i] = strconv.FormatInt(d, 10)
		case string:
			parts[i] = d
		default:
			parts[i] = "?"
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func (info *modelInfo) writeText(w io.Writer, path string) error {
	// Each block aligns its own columns, so one long name does not widen
	// the whole report.
	block := func(rows [][2]string) {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
		}
		tw.Flush()
	}
	producer := strings.TrimSpace(info.Producer.Name + " " + info.Producer.Version)
	if producer == "" {
		producer = "-"
	}
	var opsets []string
	for _, d := range slices.Sorted(maps.Keys(info.Opsets)) {
		name := d
		if name == "" {
			name = "ai.onnx"
		}
		opsets = append(opsets, fmt.Sprintf("%s %d", name, info.Opsets[d]))
	}
	head := [][2]string{
		{"model", path},
		{"ir_version", strconv.FormatInt(info.IRVersion, 10)},
		{"producer", producer},
		{"opsets", strings.Join(opsets, ", ")},
		{"initializers", fmt.Sprintf("%d (%s)", info.Initializers.Count, byteSize(info.Initializers.Bytes))},
	}
	if info.Initializers.Sparse > 0 {
		head = append(head, [2]string{"sparse", strconv.Itoa(info.Initializers.Sparse)})
	}
	head = append(head, [2]string{"subgraphs", fmt.Sprintf("%d (%d nodes)", info.Subgraphs, info.SubgraphNodes)})
	if info.Functions > 0 {
		head = append(head, [2]string{"functions", strconv.Itoa(info.Functions)})
	}
	block(head)
	for _, sec := range []struct {
		title string
		vs    []valueInfo
	}{{"inputs", info.Inputs}, {"outputs", info.Outputs}} {
		fmt.Fprintf(w, "%s %d\n", sec.title, len(sec.vs))
		var rows [][2]string
		for _, v := range sec.vs {
			rows = append(rows, [2]string{"  " + v.Name, v.DType + " " + shapeText(v.Shape)})
		}
		block(rows)
	}
	fmt.Fprintf(w, "nodes %d\n", info.Nodes)
	type opCount struct {
		op string
		n  int
	}
	var ops []opCount
	for op, n := range info.Ops {
		ops = append(ops, opCount{op, n})
	}
	slices.SortFunc(ops, func(a, b opCount) int {
		return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.op, b.op))
	})
	var rows [][2]string
	for _, o := range ops {
		rows = append(rows, [2]string{"  " + o.op, strconv.Itoa(o.n)})
	}
	block(rows)
	return nil
}

// byteSize formats n bytes for people: "12 B", "3.4 KiB", "97.5 MiB".
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n), ""
	for _, s := range []string{"KiB", "MiB", "GiB", "TiB"} {
		v /= unit
		suffix = s
		if v < unit {
			break
		}
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}
