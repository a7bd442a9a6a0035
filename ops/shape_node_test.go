package ops

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// The ONNX backend node tests of the data-movement and indexing ops.
var shapeNodePrefixes = []string{
	"test_reshape", "test_flatten", "test_squeeze", "test_unsqueeze", "test_transpose", "test_concat",
	"test_split", "test_slice", "test_gather", "test_scatter", "test_pad", "test_constant_pad",
	"test_edge_pad", "test_reflect_pad", "test_tile", "test_expand", "test_shape", "test_size",
	"test_constant", "test_constantofshape", "test_range", "test_onehot", "test_nonzero",
	"test_identity", "test_unique", "test_compress", "test_reversesequence", "test_tril",
	"test_triu", "test_eyelike",
}

// shapeNodeDir is the folder of the node suite (Debian's libonnx-testdata),
// overridable with ONNX_NODE_TESTS.
func shapeNodeDir() string {
	if d := os.Getenv("ONNX_NODE_TESTS"); d != "" {
		return d
	}
	return "/usr/share/libonnx-testdata/data/node"
}

func TestShapeNodeSuite(t *testing.T) {
	dir := shapeNodeDir()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("node suite not available: %v", err)
	}
	var names []string
	for _, e := range ents {
		for _, p := range shapeNodePrefixes {
			if strings.HasPrefix(e.Name(), p) {
				names = append(names, e.Name())
				break
			}
		}
	}
	sort.Strings(names)
	pass := 0
	for _, name := range names {
		ok := t.Run(name, func(t *testing.T) {
			err := runShapeNodeTest(filepath.Join(dir, name))
			var ue *UnsupportedError
			if errors.As(err, &ue) && !shapeOwnsOp(ue.Op) {
				t.Skipf("needs op %s from another file: %v", ue.Op, err)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
		if ok {
			pass++
		}
	}
	t.Logf("%d of %d node tests passed or skipped", pass, len(names))
}

// shapeOwnsOp reports whether op is implemented by the data-movement files.
func shapeOwnsOp(op string) bool {
	switch op {
	case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice", "Gather",
		"GatherElements", "GatherND", "Scatter", "ScatterElements", "ScatterND", "Pad", "Tile", "Expand",
		"Shape", "Size", "Constant", "ConstantOfShape", "Range", "OneHot", "NonZero", "Identity", "Unique",
		"Compress", "ReverseSequence", "Trilu", "EyeLike":
		return true
	}
	return false
}

func runShapeNodeTest(dir string) error {
	m, err := graph.Load(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return err
	}
	defer m.Close()
	p, err := Compile(m, nil)
	if err != nil {
		return err
	}
	feeds := m.Graph.FeedInputs()
	var inputs []Value
	data := filepath.Join(dir, "test_data_set_0")
	for i, in := range m.Graph.Inputs {
		fed := false
		for _, f := range feeds {
			fed = fed || f == in
		}
		if !fed {
			inputs = append(inputs, nil)
			continue
		}
		v, err := readShapeNodeValue(filepath.Join(data, fmt.Sprintf("input_%d.pb", i)), in.Type)
		if err != nil {
			return err
		}
		inputs = append(inputs, v)
	}
	got, err := p.Run(context.Background(), inputs)
	if err != nil {
		return err
	}
	for i, out := range m.Graph.Outputs {
		want, err := readShapeNodeValue(filepath.Join(data, fmt.Sprintf("output_%d.pb", i)), out.Type)
		if err != nil {
			return err
		}
		if err := shapeCompareValues(got[i], want); err != nil {
			return fmt.Errorf("output %d (%s): %w", i, out.Name, err)
		}
	}
	return nil
}

func readShapeNodeValue(path string, typ *graph.Type) (Value, error) {
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
		return shapeSequence(elem, items)
	case graph.TypeOptional:
		o, err := graph.DecodeOptional(b)
		if err != nil {
			return nil, err
		}
		opt := &Optional{Type: typ.Inner}
		switch {
		case o.Tensor != nil:
			if opt.Value, err = FromGraph(o.Tensor); err != nil {
				return nil, err
			}
		case o.Sequence != nil:
			if opt.Value, err = shapeSequence(o.SeqElem, o.Sequence); err != nil {
				return nil, err
			}
		}
		return opt, nil
	}
	g, err := graph.DecodeTensor(b)
	if err != nil {
		return nil, err
	}
	return FromGraph(g)
}

func shapeSequence(elem graph.DType, items []*graph.Tensor) (*Sequence, error) {
	s := &Sequence{Elem: elem}
	for _, it := range items {
		t, err := FromGraph(it)
		if err != nil {
			return nil, err
		}
		s.Items = append(s.Items, t)
	}
	return s, nil
}

func shapeCompareValues(got, want Value) error {
	switch w := want.(type) {
	case *Tensor:
		g, ok := got.(*Tensor)
		if !ok {
			return fmt.Errorf("got a %T, want a tensor", got)
		}
		return shapeCompareTensors(g, w)
	case *Sequence:
		g, ok := got.(*Sequence)
		if !ok {
			return fmt.Errorf("got a %T, want a sequence", got)
		}
		if len(g.Items) != len(w.Items) {
			return fmt.Errorf("got %d sequence items, want %d", len(g.Items), len(w.Items))
		}
		for i := range w.Items {
			if err := shapeCompareTensors(g.Items[i], w.Items[i]); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
		}
		return nil
	case *Optional:
		g, ok := got.(*Optional)
		if !ok {
			return fmt.Errorf("got a %T, want an optional", got)
		}
		if (g.Value == nil) != (w.Value == nil) {
			return fmt.Errorf("got optional %v, want %v", g.Value, w.Value)
		}
		if w.Value == nil {
			return nil
		}
		return shapeCompareValues(g.Value, w.Value)
	}
	return fmt.Errorf("cannot compare a %T", want)
}

// shapeCompareTensors compares exactly, except floats: |a-b| <= 1e-5 + 1e-3*|b|.
func shapeCompareTensors(got, want *Tensor) error {
	if got.DType != want.DType || !mvSameShape(got.Shape, want.Shape) {
		return fmt.Errorf("got %s, want %s", got, want)
	}
	if got.Len() != reflect.ValueOf(got.Data).Len() {
		return fmt.Errorf("got %s with %d elements", got, reflect.ValueOf(got.Data).Len())
	}
	if want.DType.IsFloat() {
		g, err := ToFloat64s(got)
		if err != nil {
			return err
		}
		w, err := ToFloat64s(want)
		if err != nil {
			return err
		}
		for i := range w {
			if g[i] == w[i] || math.IsNaN(w[i]) && math.IsNaN(g[i]) {
				continue
			}
			if !(math.Abs(g[i]-w[i]) <= 1e-5+1e-3*math.Abs(w[i])) {
				return fmt.Errorf("element %d: got %v, want %v", i, g[i], w[i])
			}
		}
		return nil
	}
	if want.DType == graph.Complex64 || want.DType == graph.Complex128 {
		g, w := reflect.ValueOf(got.Data), reflect.ValueOf(want.Data)
		for i := 0; i < w.Len(); i++ {
			a, b := g.Index(i).Complex(), w.Index(i).Complex()
			if cmplx.Abs(a-b) > 1e-5+1e-3*cmplx.Abs(b) {
				return fmt.Errorf("element %d: got %v, want %v", i, a, b)
			}
		}
		return nil
	}
	if !reflect.DeepEqual(got.Data, want.Data) {
		if got.Len() == 0 {
			return nil
		}
		return fmt.Errorf("got %v, want %v", got.Data, want.Data)
	}
	return nil
}
