package ops_test

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/cmplx"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/suites"
	"github.com/onnxrun/onnxrun/ops"
)

var updateManifest = flag.Bool("update-manifest", false, "rewrite testdata/node_expected_failures.txt with the node-suite tests that fail now (keeping the reasons of those already listed)")

const manifestPath = "testdata/node_expected_failures.txt"

// nodeSuiteDir is the ONNX backend node test suite (Debian package
// libonnx-testdata), overridable with ONNX_NODE_TESTS.
func nodeSuiteDir(t testing.TB) string {
	return suites.NodeDir(t)
}

// RunNodeTest runs one test directory of the ONNX backend node suite
// (model.onnx and test_data_set_*/{input,output}_N.pb): it compiles the
// model, runs every data set and compares the outputs with the expected
// ones (shapes and types exactly; floats within 1e-5 + 1e-3*|want|, NaN
// matching NaN; other types exactly). It returns the first mismatch.
func RunNodeTest(dir string) error {
	m, err := graph.Load(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return err
	}
	defer m.Close()
	p, err := ops.Compile(m, nil)
	if err != nil {
		return err
	}
	random := randomOutputs(m.Graph)
	sets, err := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if err != nil {
		return err
	}
	if len(sets) == 0 {
		return fmt.Errorf("no test_data_set_* in %s", dir)
	}
	sort.Strings(sets)
	feeds := m.Graph.FeedInputs()
	pos := map[string]int{}
	for i, in := range m.Graph.Inputs {
		pos[in.Name] = i
	}
	for _, set := range sets {
		inputs := make([]ops.Value, len(m.Graph.Inputs))
		for i, in := range feeds {
			f := filepath.Join(set, fmt.Sprintf("input_%d.pb", i))
			if _, err := os.Stat(f); err != nil {
				if errors.Is(err, os.ErrNotExist) {
					continue // an optional input the test omits
				}
				return err
			}
			v, err := readValue(f, in.Type)
			if err != nil {
				return fmt.Errorf("%s: %w", filepath.Base(f), err)
			}
			inputs[pos[in.Name]] = v
		}
		outs, err := p.Run(context.Background(), inputs)
		if err != nil {
			return err
		}
		for i, o := range m.Graph.Outputs {
			f := filepath.Join(set, fmt.Sprintf("output_%d.pb", i))
			want, err := readValue(f, o.Type)
			if err != nil {
				return fmt.Errorf("%s: %w", filepath.Base(f), err)
			}
			cmp := sameTensor
			if dom, ok := random[o.Name]; ok {
				cmp = func(got, want *ops.Tensor) error { return sameDraw(got, want, dom) }
			}
			if err := sameValue(outs[i], want, cmp); err != nil {
				return fmt.Errorf("%s output %d (%s): %w", filepath.Base(set), i, o.Name, err)
			}
		}
	}
	return nil
}

// readValue reads a .pb file as the declared type: a tensor, a sequence of
// tensors or an optional.
func readValue(path string, typ *graph.Type) (ops.Value, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	kind := graph.TypeTensor
	if typ != nil {
		kind = typ.Kind
	}
	switch kind {
	case graph.TypeSequence:
		_, elem, items, err := graph.DecodeSequence(b)
		if err != nil {
			return nil, err
		}
		if elem == graph.Undefined && typ.Inner != nil {
			elem = typ.Inner.Elem
		}
		return toSequence(elem, items)
	case graph.TypeOptional:
		o, err := graph.DecodeOptional(b)
		if err != nil {
			return nil, err
		}
		opt := &ops.Optional{Type: typ.Inner}
		switch {
		case o.Tensor != nil:
			t, err := ops.FromGraph(o.Tensor)
			if err != nil {
				return nil, err
			}
			opt.Value = t
		case o.Sequence != nil:
			s, err := toSequence(o.SeqElem, o.Sequence)
			if err != nil {
				return nil, err
			}
			opt.Value = s
		}
		return opt, nil
	}
	t, err := graph.DecodeTensor(b)
	if err != nil {
		return nil, err
	}
	if typ != nil && typ.Elem == graph.BFloat16 && t.DType == graph.Uint16 {
		// Older suites store bfloat16 data as uint16 tensors of the same bits.
		if t, err = graph.NewRawTensor(t.Name, graph.BFloat16, t.Dims, t.Raw()); err != nil {
			return nil, err
		}
	}
	return ops.FromGraph(t)
}

func toSequence(elem graph.DType, items []*graph.Tensor) (*ops.Sequence, error) {
	s := &ops.Sequence{Elem: elem, Items: []*ops.Tensor{}}
	for _, it := range items {
		t, err := ops.FromGraph(it)
		if err != nil {
			return nil, err
		}
		s.Items = append(s.Items, t)
	}
	return s, nil
}

// sameValue compares a value with the expected one, tensor by tensor with
// cmp.
func sameValue(got, want ops.Value, cmp func(got, want *ops.Tensor) error) error {
	switch w := want.(type) {
	case *ops.Tensor:
		g, ok := got.(*ops.Tensor)
		if !ok {
			return fmt.Errorf("got a %T, want a tensor", got)
		}
		return cmp(g, w)
	case *ops.Sequence:
		g, ok := got.(*ops.Sequence)
		if !ok {
			return fmt.Errorf("got a %T, want a sequence", got)
		}
		if len(g.Items) != len(w.Items) {
			return fmt.Errorf("sequence of %d tensors, want %d", len(g.Items), len(w.Items))
		}
		for i := range w.Items {
			if err := cmp(g.Items[i], w.Items[i]); err != nil {
				return fmt.Errorf("sequence item %d: %w", i, err)
			}
		}
		return nil
	case *ops.Optional:
		g, ok := got.(*ops.Optional)
		if !ok {
			return fmt.Errorf("got a %T, want an optional", got)
		}
		if (g.Value == nil) != (w.Value == nil) {
			return fmt.Errorf("optional holds %v, want %v", g.Value, w.Value)
		}
		if w.Value == nil {
			return nil
		}
		return sameValue(g.Value, w.Value, cmp)
	}
	return fmt.Errorf("cannot compare a %T", want)
}

// sameHeader checks a tensor's type, shape and element count.
func sameHeader(got, want *ops.Tensor) error {
	if got.DType != want.DType {
		return fmt.Errorf("type %s, want %s", got.DType, want.DType)
	}
	if !slices.Equal(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	if n := reflect.ValueOf(got.Data).Len(); n != got.Len() {
		return fmt.Errorf("%s holds %d elements", got, n)
	}
	return nil
}

// sameTensor compares type and shape exactly, floats and complex numbers
// within 1e-5 + 1e-3*|want| (NaN matching NaN), other types exactly.
func sameTensor(got, want *ops.Tensor) error {
	if err := sameHeader(got, want); err != nil {
		return err
	}
	if got.Len() == 0 {
		return nil
	}
	if want.DType == graph.Complex64 || want.DType == graph.Complex128 {
		g, w := reflect.ValueOf(got.Data), reflect.ValueOf(want.Data)
		for i := range w.Len() {
			a, b := g.Index(i).Complex(), w.Index(i).Complex()
			if !(cmplx.Abs(a-b) <= 1e-5+1e-3*cmplx.Abs(b)) {
				return fmt.Errorf("element %d is %v, want %v", i, a, b)
			}
		}
		return nil
	}
	if want.DType.IsFloat() {
		g, err := ops.ToFloat64s(got)
		if err != nil {
			return err
		}
		w, err := ops.ToFloat64s(want)
		if err != nil {
			return err
		}
		for i := range w {
			a, b := g[i], w[i]
			if math.IsNaN(b) {
				if !math.IsNaN(a) {
					return fmt.Errorf("element %d is %v, want NaN", i, a)
				}
				continue
			}
			if math.IsInf(b, 0) || math.IsNaN(a) {
				if a != b {
					return fmt.Errorf("element %d is %v, want %v", i, a, b)
				}
				continue
			}
			if math.Abs(a-b) > 1e-5+1e-3*math.Abs(b) {
				return fmt.Errorf("element %d is %v, want %v", i, a, b)
			}
		}
		return nil
	}
	if !reflect.DeepEqual(got.Data, want.Data) {
		return fmt.Errorf("values %v, want %v", abbrev(got.Data), abbrev(want.Data))
	}
	return nil
}

// Outputs of the random ops (RandomUniform, RandomNormal, their -Like forms,
// Bernoulli, Multinomial) cannot be compared with the suite's expected
// values: those are numpy's draws, which no other generator reproduces. For
// such outputs, and for outputs computed from them, the runner checks the
// type and shape exactly and the values against the draw's domain (see
// sameDraw) instead of listing the tests as expected failures.

// randomOps are the op types whose outputs are random draws.
var randomOps = []string{"RandomUniform", "RandomUniformLike", "RandomNormal", "RandomNormalLike", "Bernoulli", "Multinomial"}

// drawDomain is the value domain of a random output.
type drawDomain struct {
	lo, hi float64 // closed range of a uniform draw
	bits   bool    // values are 0 or 1 (Bernoulli, or computed from a draw like a comparison cast)
}

// randomOutputs maps each graph output that depends on a random op to its
// value domain. Outputs produced directly by RandomUniform(Like) lie in
// [low, high], by Bernoulli in {0, 1}; other outputs depending on a draw
// only need to be finite, or 0/1 where the expected values are (sameDraw).
func randomOutputs(g *graph.Graph) map[string]drawDomain {
	random := map[string]bool{} // values computed from a draw
	direct := map[string]drawDomain{}
	nodes, err := g.TopoOrder()
	if err != nil {
		nodes = g.Nodes // the run reports the cycle
	}
	for _, n := range nodes {
		r := false
		switch n.OpType {
		case "RandomUniform", "RandomUniformLike":
			r = true
			lo, _ := n.AttrFloat("low", 0)
			hi, _ := n.AttrFloat("high", 1)
			direct[n.Outputs[0]] = drawDomain{lo: float64(lo), hi: float64(hi)}
		case "Bernoulli":
			r = true
			direct[n.Outputs[0]] = drawDomain{bits: true}
		case "RandomNormal", "RandomNormalLike", "Multinomial":
			r = true
		}
		for _, sg := range n.Subgraphs() {
			used := map[[2]string]bool{}
			opsOf(sg, used)
			for op := range used {
				r = r || slices.Contains(randomOps, op[1])
			}
		}
		for _, in := range n.Inputs {
			r = r || random[in]
		}
		if r {
			for _, o := range n.Outputs {
				random[o] = true
			}
		}
	}
	out := map[string]drawDomain{}
	for _, o := range g.Outputs {
		if random[o.Name] {
			d, ok := direct[o.Name]
			if !ok {
				d = drawDomain{lo: math.Inf(-1), hi: math.Inf(1)}
			}
			out[o.Name] = d
		}
	}
	return out
}

// sameDraw checks a random output: type and shape exactly, and every value
// in the domain; where all the expected values are 0 or 1 (a Bernoulli
// draw however computed), the values must be 0 or 1 too.
func sameDraw(got, want *ops.Tensor, dom drawDomain) error {
	if err := sameHeader(got, want); err != nil {
		return err
	}
	if got.DType == graph.Bool {
		return nil
	}
	g, err := ops.ToFloat64s(got)
	if err != nil {
		return err
	}
	w, err := ops.ToFloat64s(want)
	if err != nil {
		return err
	}
	bits := dom.bits || len(w) > 0 && !slices.ContainsFunc(w, func(v float64) bool { return v != 0 && v != 1 })
	for i, v := range g {
		switch {
		case bits && v != 0 && v != 1:
			return fmt.Errorf("element %d is %v, want 0 or 1", i, v)
		case !bits && !(v >= dom.lo && v <= dom.hi):
			return fmt.Errorf("element %d is %v, want a value in [%v, %v]", i, v, dom.lo, dom.hi)
		}
	}
	return nil
}

func abbrev(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// opsOf lists the (domain, op) pairs a graph and its subgraphs use.
func opsOf(g *graph.Graph, into map[[2]string]bool) {
	for _, n := range g.Nodes {
		into[[2]string{n.Domain, n.OpType}] = true
		for _, sg := range n.Subgraphs() {
			opsOf(sg, into)
		}
	}
}

// readManifest returns the expected failures: test name → reason.
func readManifest(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason := line, ""
		if i := strings.IndexAny(line, "\t"); i >= 0 {
			name, reason = line[:i], strings.TrimSpace(line[i+1:])
		} else if i := strings.Index(line, " # "); i >= 0 {
			name, reason = line[:i], strings.TrimSpace(line[i+3:])
		}
		out[strings.TrimSpace(name)] = reason
	}
	return out, sc.Err()
}

func writeManifest(path string, fails map[string]string) error {
	names := make([]string, 0, len(fails))
	for n := range fails {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("# ONNX node-suite tests expected to fail, one per line: name<TAB>reason.\n")
	b.WriteString("# Only tests whose ops are all registered are run. Regenerate with\n")
	b.WriteString("#   go test ./ops -run TestNodeSuite -update-manifest\n")
	for _, n := range names {
		reason := strings.Join(strings.Fields(fails[n]), " ")
		if len(reason) > 300 {
			reason = reason[:300] + "..."
		}
		fmt.Fprintf(&b, "%s\t%s\n", n, reason)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// TestNodeSuite runs every node-suite test whose ops are all registered
// (at any version) and checks the failures against the manifest of expected
// failures: a failure not listed, or a listed test that now passes, fails
// the test.
func TestNodeSuite(t *testing.T) {
	dir := nodeSuiteDir(t)
	models, err := filepath.Glob(filepath.Join(dir, "*", "model.onnx"))
	if err != nil || len(models) == 0 {
		t.Skipf("no models under %s", dir)
	}
	sort.Strings(models)
	registered := map[[2]string]bool{}
	for _, s := range ops.Registered() {
		registered[[2]string{s.Domain, s.Op}] = true
	}
	var tests []string
	skipped := 0
	for _, path := range models {
		m, err := graph.Load(path)
		if err != nil {
			tests = append(tests, filepath.Dir(path)) // decoding failures count as failures
			continue
		}
		used := map[[2]string]bool{}
		opsOf(m.Graph, used)
		m.Close()
		ok := true
		for op := range used {
			if !registered[op] {
				ok = false
				break
			}
		}
		if ok {
			tests = append(tests, filepath.Dir(path))
		} else {
			skipped++
		}
	}
	expected, err := readManifest(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	// One parallel subtest per node test (so that -run TestNodeSuite/node/test_add
	// selects tests); the group returns when they have all finished.
	var mu sync.Mutex
	fails := map[string]string{}
	ran := map[string]bool{}
	t.Run("node", func(t *testing.T) {
		for _, d := range tests {
			name := filepath.Base(d)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				err := runGuarded(d)
				mu.Lock()
				ran[name] = true
				if err != nil {
					fails[name] = err.Error()
				}
				mu.Unlock()
				_, listed := expected[name]
				switch {
				case *updateManifest:
				case err != nil && !listed:
					t.Error(err)
				case err != nil:
					t.Logf("expected failure: %v", err)
				case listed:
					t.Errorf("passes now but is listed in %s: remove it (or run with -update-manifest)", manifestPath)
				}
			})
		}
	})
	t.Logf("node suite: %d run, %d passed, %d failed, %d skipped (ops not registered)", len(ran), len(ran)-len(fails), len(fails), skipped)
	if *updateManifest {
		// Tests that did not run (filtered out, or their ops are not
		// registered) keep their entries; a test that still fails keeps its
		// reviewed reason; new failures get their error text.
		out := map[string]string{}
		for n, r := range expected {
			if !ran[n] {
				out[n] = r
			}
		}
		for n, e := range fails {
			if r := expected[n]; r != "" {
				e = r
			}
			out[n] = e
		}
		if err := writeManifest(manifestPath, out); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d entries)", manifestPath, len(out))
	}
}

// runGuarded runs a node test, turning a panic into an error.
func runGuarded(dir string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return RunNodeTest(dir)
}
