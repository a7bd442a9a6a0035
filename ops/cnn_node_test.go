package ops

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// nodeSuiteDir is where Debian's libonnx-testdata installs the ONNX node
// conformance tests; ONNX_NODE_TESTS overrides it.
func nodeSuiteDir() string {
	if d := os.Getenv("ONNX_NODE_TESTS"); d != "" {
		return d
	}
	return "/usr/share/libonnx-testdata/data/node"
}

// cnnNodePrefixes are the node-suite tests of the convolution, pooling,
// normalization, resampling and detection ops.
var cnnNodePrefixes = []string{
	"test_conv", "test_basic_conv", "test_convtranspose", "test_maxpool", "test_averagepool", "test_lppool",
	"test_globalaveragepool", "test_globalmaxpool", "test_globallppool", "test_batchnorm", "test_instancenorm",
	"test_layer_normalization", "test_group_normalization", "test_lrn", "test_resize", "test_upsample",
	"test_roialign", "test_nonmaxsuppression", "test_top_k", "test_depthtospace", "test_spacetodepth",
	"test_gridsample", "test_mvn", "test_dropout", "test_training_dropout", "test_maxunpool",
	"test_qlinearconv", "test_convinteger", "test_basic_convinteger", "test_col2im",
}

// TestCNNNodeSuite runs the node-suite tests of this file family's ops.
// Tests whose models need an op that is not registered (the expanded
// function bodies of other op families) are skipped, not failed.
func TestCNNNodeSuite(t *testing.T) {
	dir := nodeSuiteDir()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("node suite not found: %v", err)
	}
	var names []string
	for _, e := range ents {
		for _, p := range cnnNodePrefixes {
			if strings.HasPrefix(e.Name(), p) {
				names = append(names, e.Name())
				break
			}
		}
	}
	sort.Strings(names)
	pass, skip := 0, 0
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			err := runNodeTest(filepath.Join(dir, name))
			var ue *UnsupportedError
			switch {
			case errors.As(err, &ue) && !cnnOwnsOp(ue.Op):
				skip++
				t.Skipf("needs %s", ue.Op)
			case err != nil:
				t.Fatal(err)
			default:
				pass++
			}
		})
	}
	t.Logf("%d of %d node tests pass, %d skipped for ops of other families", pass, len(names), skip)
}

func cnnOwnsOp(op string) bool {
	switch op {
	case "Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "MaxPool", "AveragePool", "LpPool",
		"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "MaxUnpool", "MaxRoiPool",
		"BatchNormalization", "InstanceNormalization", "LayerNormalization", "GroupNormalization", "LRN",
		"MeanVarianceNormalization", "Dropout", "Resize", "Upsample", "RoiAlign", "NonMaxSuppression",
		"TopK", "DepthToSpace", "SpaceToDepth", "GridSample", "Col2Im":
		return true
	}
	return false
}

// runNodeTest runs one node-suite test directory's model on each of its
// data sets and compares the outputs.
func runNodeTest(dir string) error {
	m, err := graph.Load(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return err
	}
	plan, err := Compile(m, nil)
	if err != nil {
		return err
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		return fmt.Errorf("no test data sets")
	}
	for _, set := range sets {
		ins, err := readPBs(set, "input")
		if err != nil {
			return err
		}
		wants, err := readPBs(set, "output")
		if err != nil {
			return err
		}
		got, err := plan.Run(context.Background(), ins)
		if err != nil {
			return err
		}
		if len(got) != len(wants) {
			return fmt.Errorf("%d outputs, want %d", len(got), len(wants))
		}
		for i := range wants {
			g, ok := got[i].(*Tensor)
			if !ok {
				return fmt.Errorf("output %d is a %T", i, got[i])
			}
			if err := compareTensors(g, wants[i].(*Tensor)); err != nil {
				return fmt.Errorf("%s output %d (%s): %w", filepath.Base(set), i, plan.OutputNames()[i], err)
			}
		}
	}
	return nil
}

func readPBs(dir, prefix string) ([]Value, error) {
	var out []Value
	for i := 0; ; i++ {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%s_%d.pb", prefix, i)))
		if errors.Is(err, os.ErrNotExist) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		gt, err := graph.DecodeTensor(b)
		if err != nil {
			return nil, err
		}
		t, err := FromGraph(gt)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
}

// compareTensors checks type, shape and values: floats within
// 1e-5 + 1e-3·|want| (NaN matching NaN), everything else exactly.
func compareTensors(got, want *Tensor) error {
	if got.DType != want.DType {
		return fmt.Errorf("type %s, want %s", got.DType, want.DType)
	}
	if !equalInts(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	if got.DType.IsFloat() {
		g, err := ToFloat64s(got)
		if err != nil {
			return err
		}
		w, err := ToFloat64s(want)
		if err != nil {
			return err
		}
		for i := range w {
			if math.IsNaN(w[i]) && math.IsNaN(g[i]) {
				continue
			}
			if !(math.Abs(g[i]-w[i]) <= 1e-5+1e-3*math.Abs(w[i])) && g[i] != w[i] {
				return fmt.Errorf("element %d = %v, want %v", i, g[i], w[i])
			}
		}
		return nil
	}
	gs, ws := fmt.Sprint(got.Data), fmt.Sprint(want.Data)
	if gs != ws {
		if len(gs) > 300 {
			gs, ws = gs[:300], ws[:300]
		}
		return fmt.Errorf("values %s, want %s", gs, ws)
	}
	return nil
}
