package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/infer"
)

func init() {
	register(command{name: "shapes", summary: "infer every value's shape; the CNN model record", run: runShapesCmd})
}

// shapesOpts are the flags of `onnxrun shapes`.
type shapesOpts struct {
	model    string
	bindings map[string]int64
	json     bool
	out      string
}

const shapesUsage = "usage: onnxrun shapes MODEL [--dim NAME=VALUE ...] [--json] [-o annotated.onnx]"

func parseShapesArgs(args []string) (*shapesOpts, error) {
	o := &shapesOpts{bindings: map[string]int64{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		if !strings.HasPrefix(a, "-") || a == "-" {
			if o.model != "" {
				return nil, fmt.Errorf("%w: more than one model (%q, %q); %s", errUsage, o.model, a, shapesUsage)
			}
			o.model = a
			continue
		}
		next := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("%w: %s needs a value; %s", errUsage, name, shapesUsage)
			}
			i++
			return args[i], nil
		}
		switch strings.TrimLeft(name, "-") {
		case "dim", "d":
			v, err := next()
			if err != nil {
				return nil, err
			}
			sym, num, ok := strings.Cut(v, "=")
			n, err := strconv.ParseInt(num, 10, 64)
			if !ok || sym == "" || err != nil || n < 0 {
				return nil, fmt.Errorf("%w: --dim wants NAME=VALUE with a non-negative integer, got %q", errUsage, v)
			}
			o.bindings[sym] = n
		case "json":
			if hasVal {
				return nil, fmt.Errorf("%w: --json takes no value", errUsage)
			}
			o.json = true
		case "o", "out":
			v, err := next()
			if err != nil {
				return nil, err
			}
			o.out = v
		case "h", "help":
			return nil, fmt.Errorf("%w: %s", errUsage, shapesUsage)
		default:
			return nil, fmt.Errorf("%w: unknown flag %s; %s", errUsage, a, shapesUsage)
		}
	}
	if o.model == "" {
		return nil, fmt.Errorf("%w: no model; %s", errUsage, shapesUsage)
	}
	return o, nil
}

func runShapesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseShapesArgs(args)
	if err != nil {
		return fail(stderr, "shapes", err)
	}
	code, err := runShapes(ctx, o, stdout)
	if err != nil {
		return fail(stderr, "shapes", err)
	}
	return code
}

// runShapes infers the model's shapes and prints the record; the exit
// status is exitFail when a diagnostic is an error.
func runShapes(_ context.Context, o *shapesOpts, stdout io.Writer) (int, error) {
	m, err := graph.Load(o.model)
	if err != nil {
		return exitFail, err
	}
	defer m.Close()
	res, err := infer.Run(m, infer.Options{Bindings: o.bindings})
	if err != nil {
		return exitFail, err
	}
	if o.json {
		if err := writeShapesJSON(stdout, m, res); err != nil {
			return exitFail, err
		}
	} else if err := writeShapesTable(stdout, res); err != nil {
		return exitFail, err
	}
	if o.out != "" {
		annotate(m, res)
		b, err := graph.Encode(m)
		if err != nil {
			return exitFail, err
		}
		if err := os.WriteFile(o.out, b, 0o644); err != nil {
			return exitFail, err
		}
	}
	if res.HasErrors() {
		return exitFail, nil
	}
	return exitOK, nil
}

// ---- table ----

func factsText(fs []infer.Fact, names []string) string {
	parts := make([]string, 0, len(fs))
	for i, f := range fs {
		if i < len(names) && names[i] == "" {
			continue
		}
		parts = append(parts, factText(f))
	}
	return strings.Join(parts, " ")
}

func factText(f infer.Fact) string {
	if f.Kind == infer.KindTensor && f.Ranked {
		return f.Shape.String()
	}
	return f.String()
}

func intsText(v []int64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatInt(x, 10)
	}
	return strings.Join(parts, "x")
}

func padsText(ci *infer.ConvInfo) string {
	parts := make([]string, len(ci.PadsBegin))
	for i := range ci.PadsBegin {
		p := ci.PadsBegin[i].String() + "/" + ci.PadsEnd[i].String()
		if ci.OddPad[i] != "" {
			p += "(" + ci.OddPad[i] + "+1)"
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

func writeShapesTable(w io.Writer, res *infer.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tOP\tINPUTS -> OUTPUTS\tKERNEL\tSTRIDES\tPADS(begin/end)\tDILATIONS\tGROUP\tPARAMS\tMACS")
	totalParams := int64(0)
	totalMACs := infer.Const(0)
	for _, r := range res.Nodes {
		n := r.Node
		name := n.Name
		if r.Graph != "" {
			name = r.Graph + "/" + name
		}
		op := n.OpType
		if n.Domain != "" {
			op = n.Domain + ":" + op
		}
		kernel, strides, pads, dil, group := "", "", "", "", ""
		if ci := r.Conv; ci != nil {
			kernel = strings.ReplaceAll(strings.Trim(ci.Kernel.String(), "[]"), ",", "x")
			strides = intsText(ci.Strides)
			pads = padsText(ci)
			dil = intsText(ci.Dilations)
			group = strconv.FormatInt(ci.Group, 10)
		}
		params, macs := "", ""
		if r.HasMACs {
			params = strconv.FormatInt(r.Params, 10)
			macs = r.MACs.String()
			if r.Graph == "" {
				totalParams += r.Params
				totalMACs = totalMACs.Add(r.MACs)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s -> %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, op,
			factsText(r.Inputs, n.Inputs), factsText(r.Outputs, n.Outputs), kernel, strides, pads, dil, group, params, macs)
	}
	fmt.Fprintf(tw, "TOTAL\t\t%d nodes\t\t\t\t\t\t%d\t%s\n", len(res.Nodes), totalParams, totalMACs)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, d := range res.Diagnostics {
		fmt.Fprintf(w, "%s: %s\n", d.Severity, d.Error())
	}
	return nil
}

// ---- JSON ----

// jsonDim is a dim as JSON: an integer, a symbolic expression as a string,
// or null.
type jsonDim struct{ d infer.Dim }

// MarshalJSON writes the dim as an integer, a string or null.
func (j jsonDim) MarshalJSON() ([]byte, error) {
	if v, ok := j.d.Value(); ok {
		return []byte(strconv.FormatInt(v, 10)), nil
	}
	if j.d.IsUnknown() {
		return []byte("null"), nil
	}
	return json.Marshal(j.d.String())
}

func jsonDims(ds []infer.Dim) []jsonDim {
	out := make([]jsonDim, len(ds))
	for i, d := range ds {
		out[i] = jsonDim{d}
	}
	return out
}

type jsonValue struct {
	Kind  string    `json:"kind,omitempty"`
	DType *string   `json:"dtype"`
	Shape []jsonDim `json:"shape"`
}

func valueJSON(f infer.Fact) jsonValue {
	var v jsonValue
	switch f.Kind {
	case infer.KindSequence, infer.KindOptional, infer.KindMap:
		v.Kind = map[infer.Kind]string{infer.KindSequence: "sequence", infer.KindOptional: "optional", infer.KindMap: "map"}[f.Kind]
		if f.Elem != nil {
			e := valueJSON(*f.Elem)
			v.DType, v.Shape = e.DType, e.Shape
		}
		return v
	case infer.KindUnknown:
		return v
	}
	if f.DType != graph.Undefined {
		s := f.DType.String()
		v.DType = &s
	}
	if f.Ranked {
		v.Shape = jsonDims(f.Shape)
		if v.Shape == nil {
			v.Shape = []jsonDim{}
		}
	}
	return v
}

type jsonNode struct {
	Name      string      `json:"name"`
	Op        string      `json:"op"`
	Domain    string      `json:"domain,omitempty"`
	Graph     string      `json:"graph,omitempty"`
	Opset     int64       `json:"opset"`
	Inputs    []string    `json:"inputs"`
	Outputs   []string    `json:"outputs"`
	InShapes  []jsonValue `json:"input_shapes"`
	OutShapes []jsonValue `json:"output_shapes"`
	Kernel    []jsonDim   `json:"kernel,omitempty"`
	Strides   []int64     `json:"strides,omitempty"`
	Pads      []jsonDim   `json:"pads,omitempty"`
	OddPad    []string    `json:"odd_pad,omitempty"`
	Dilations []int64     `json:"dilations,omitempty"`
	Group     int64       `json:"group,omitempty"`
	AutoPad   string      `json:"auto_pad,omitempty"`
	Params    *int64      `json:"params,omitempty"`
	MACs      *jsonDim    `json:"macs,omitempty"`
}

type jsonDiag struct {
	Node     string `json:"node"`
	Op       string `json:"op"`
	Opset    int64  `json:"opset"`
	Graph    string `json:"graph,omitempty"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

type jsonShapes struct {
	Values      map[string]jsonValue `json:"values"`
	Nodes       []jsonNode           `json:"nodes"`
	Diagnostics []jsonDiag           `json:"diagnostics"`
	Totals      struct {
		Params int64   `json:"params"`
		MACs   jsonDim `json:"macs"`
	} `json:"totals"`
	Bindings map[string]jsonDim `json:"bindings,omitempty"`
}

func writeShapesJSON(w io.Writer, m *graph.Model, res *infer.Result) error {
	out := jsonShapes{Values: map[string]jsonValue{}, Nodes: []jsonNode{}, Diagnostics: []jsonDiag{}}
	for name, f := range res.Values {
		out.Values[name] = valueJSON(f)
	}
	total := infer.Const(0)
	for _, r := range res.Nodes {
		n := r.Node
		jn := jsonNode{Name: n.Name, Op: n.OpType, Domain: n.Domain, Graph: r.Graph, Opset: r.Opset,
			Inputs: nonNil(n.Inputs), Outputs: nonNil(n.Outputs), InShapes: []jsonValue{}, OutShapes: []jsonValue{}}
		for _, f := range r.Inputs {
			jn.InShapes = append(jn.InShapes, valueJSON(f))
		}
		for _, f := range r.Outputs {
			jn.OutShapes = append(jn.OutShapes, valueJSON(f))
		}
		if ci := r.Conv; ci != nil {
			jn.Kernel = jsonDims(ci.Kernel)
			jn.Strides = ci.Strides
			jn.Pads = append(jsonDims(ci.PadsBegin), jsonDims(ci.PadsEnd)...)
			jn.OddPad = ci.OddPad
			jn.Dilations = ci.Dilations
			jn.Group = ci.Group
			jn.AutoPad = ci.AutoPad
		}
		if r.HasMACs {
			p := r.Params
			mc := jsonDim{r.MACs}
			jn.Params, jn.MACs = &p, &mc
			if r.Graph == "" {
				out.Totals.Params += r.Params
				total = total.Add(r.MACs)
			}
		}
		out.Nodes = append(out.Nodes, jn)
	}
	out.Totals.MACs = jsonDim{total}
	for _, d := range res.Diagnostics {
		out.Diagnostics = append(out.Diagnostics, jsonDiag{Node: d.Node, Op: d.Op, Opset: d.Opset, Graph: d.Graph,
			Severity: d.Severity.String(), Message: d.Message})
	}
	if len(res.Bindings) > 0 {
		out.Bindings = map[string]jsonDim{}
		for k, v := range res.Bindings {
			out.Bindings[k] = jsonDim{v}
		}
	}
	return writeCompactJSON(w, out)
}

// writeCompactJSON prints the document with one value, node or diagnostic
// per line: readable, and still one JSON object.
func writeCompactJSON(w io.Writer, out jsonShapes) error {
	var sb strings.Builder
	line := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		sb.Write(b)
		return nil
	}
	sb.WriteString("{\n  \"values\": {")
	names := make([]string, 0, len(out.Values))
	for k := range out.Values {
		names = append(names, k)
	}
	sort.Strings(names)
	for i, k := range names {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("\n    ")
		if err := line(k); err != nil {
			return err
		}
		sb.WriteString(": ")
		if err := line(out.Values[k]); err != nil {
			return err
		}
	}
	sb.WriteString("\n  },\n  \"nodes\": [")
	for i, n := range out.Nodes {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("\n    ")
		if err := line(n); err != nil {
			return err
		}
	}
	sb.WriteString("\n  ],\n  \"diagnostics\": [")
	for i, d := range out.Diagnostics {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("\n    ")
		if err := line(d); err != nil {
			return err
		}
	}
	sb.WriteString("\n  ],\n  \"totals\": ")
	if err := line(out.Totals); err != nil {
		return err
	}
	if out.Bindings != nil {
		sb.WriteString(",\n  \"bindings\": ")
		if err := line(out.Bindings); err != nil {
			return err
		}
	}
	sb.WriteString("\n}\n")
	_, err := io.WriteString(w, sb.String())
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ---- write-back ----

// annotate records every inferred value of the model's graphs in their
// value_info (symbolic dims as dim_param), and gives graph outputs that
// declare no shape the inferred one.
func annotate(m *graph.Model, res *infer.Result) {
	annotateGraph(m.Graph, res.Values, false)
	for g, vals := range res.SubValues {
		annotateGraph(g, vals, true)
	}
}

// annotateGraph writes vals into g. In a body, the inputs take the inferred
// types too: what a traced model declares for a loop-carried value is often
// the shape of the first iteration only.
func annotateGraph(g *graph.Graph, vals map[string]infer.Fact, body bool) {
	skip := map[string]bool{}
	for _, in := range g.Inputs {
		skip[in.Name] = true
		if f, ok := vals[in.Name]; ok && body {
			if t := infer.TypeOf(f); t != nil {
				in.Type = t
			}
		}
	}
	for _, t := range g.Initializers {
		skip[t.Name] = true
	}
	for _, o := range g.Outputs {
		skip[o.Name] = true
		if f, ok := vals[o.Name]; ok && (o.Type == nil || o.Type.Kind == graph.TypeTensor && !o.Type.HasShape) {
			if t := infer.TypeOf(f); t != nil {
				o.Type = t
			}
		}
	}
	byName := map[string]*graph.ValueInfo{}
	for _, v := range g.ValueInfo {
		byName[v.Name] = v
	}
	names := make([]string, 0, len(vals))
	for name := range vals {
		if !skip[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		t := infer.TypeOf(vals[name])
		if t == nil {
			continue
		}
		if v, ok := byName[name]; ok {
			v.Type = t
			continue
		}
		g.ValueInfo = append(g.ValueInfo, &graph.ValueInfo{Name: name, Type: t})
	}
}
