package graph

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/internal/suites"
)

// nodeSuiteDir is the ONNX backend node test suite (Debian package
// libonnx-testdata), overridable with ONNX_NODE_TESTS.
func nodeSuiteDir(t testing.TB) string {
	return suites.NodeDir(t)
}

func nodeSuiteModels(t testing.TB) []string {
	dir := nodeSuiteDir(t)
	ms, err := filepath.Glob(filepath.Join(dir, "*", "model.onnx"))
	if err != nil || len(ms) == 0 {
		t.Skipf("no models under %s", dir)
	}
	sort.Strings(ms)
	return ms
}

// TestNodeSuiteDecode decodes every model of the node suite and its test
// data, and checks that Encode round-trips each model.
func TestNodeSuiteDecode(t *testing.T) {
	models := nodeSuiteModels(t)
	var decoded, valid, roundTrip, tensors int
	for _, path := range models {
		name := filepath.Base(filepath.Dir(path))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		decoded++
		if err := m.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		} else {
			valid++
		}
		enc, err := Encode(m)
		if err != nil {
			t.Errorf("%s: encode: %v", name, err)
			continue
		}
		m2, err := Decode(enc)
		if err != nil {
			t.Errorf("%s: decode after encode: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(m, m2) {
			t.Errorf("%s: Decode(Encode(m)) differs from m", name)
			continue
		}
		roundTrip++
		tensors += checkTestData(t, name, filepath.Dir(path), m)
	}
	t.Logf("%d models: %d decode, %d validate, %d round-trip; %d test data files decode", len(models), decoded, valid, roundTrip, tensors)
}

// checkTestData decodes the test_data_set_*/{input,output}_N.pb files of a
// node test, choosing the message by the model's declared value types.
func checkTestData(t *testing.T, name, dir string, m *Model) int {
	count := 0
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	for _, set := range sets {
		for _, kind := range []string{"input", "output"} {
			vis := m.Graph.FeedInputs()
			if kind == "output" {
				vis = m.Graph.Outputs
			}
			files, _ := filepath.Glob(filepath.Join(set, kind+"_*.pb"))
			for _, f := range files {
				var i int
				if _, err := fmtSscanf(filepath.Base(f), kind+"_%d.pb", &i); err != nil || i >= len(vis) {
					t.Errorf("%s: %s: no matching graph %s", name, f, kind)
					continue
				}
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				typ := vis[i].Type
				rel := strings.TrimPrefix(f, dir+"/")
				switch {
				case typ != nil && typ.Kind == TypeSequence:
					_, et, items, err := DecodeSequence(b)
					if err != nil {
						t.Errorf("%s: %s: %v", name, rel, err)
						continue
					}
					for _, it := range items {
						checkTensor(t, name+"/"+rel, it)
					}
					if len(items) > 0 && typ.Inner != nil && typ.Inner.Elem != et {
						t.Errorf("%s: %s: sequence of %s, model says %s", name, rel, et, typ.Inner.Elem)
					}
				case typ != nil && typ.Kind == TypeOptional:
					o, err := DecodeOptional(b)
					if err != nil {
						t.Errorf("%s: %s: %v", name, rel, err)
						continue
					}
					if o.Tensor != nil {
						checkTensor(t, name+"/"+rel, o.Tensor)
					}
					for _, it := range o.Sequence {
						checkTensor(t, name+"/"+rel, it)
					}
				default:
					tn, err := DecodeTensor(b)
					if err != nil {
						t.Errorf("%s: %s: %v", name, rel, err)
						continue
					}
					checkTensor(t, name+"/"+rel, tn)
					if knownDataQuirk(name, rel) {
						// The ONNX 1.12 suite stores these bfloat16 values as
						// uint16 tensors and CastLike's "like" input as [1].
					} else if typ != nil && typ.Kind == TypeTensor && typ.Elem != tn.DType {
						t.Errorf("%s: %s: tensor is %s, model says %s", name, rel, tn.DType, typ.Elem)
					}
					if typ != nil && typ.HasShape && len(typ.Shape) != len(tn.Dims) && !knownDataQuirk(name, rel) {
						t.Errorf("%s: %s: rank %d, model says %d", name, rel, len(tn.Dims), len(typ.Shape))
					}
					enc, err := EncodeTensor(tn)
					if err != nil {
						t.Errorf("%s: %s: encode: %v", name, rel, err)
						continue
					}
					tn2, err := DecodeTensor(enc)
					if err != nil || !reflect.DeepEqual(tn, tn2) {
						t.Errorf("%s: %s: tensor round trip differs (%v)", name, rel, err)
					}
				}
				count++
			}
		}
	}
	return count
}

// knownDataQuirk reports the test data files that disagree with their
// model's declared types in the suite itself.
func knownDataQuirk(test, file string) bool {
	if !strings.Contains(test, "BFLOAT16") {
		return false
	}
	return strings.HasPrefix(test, "test_cast_") || strings.HasPrefix(test, "test_castlike_")
}

// checkTensor checks that a tensor's data fits its dims.
func checkTensor(t *testing.T, where string, tn *Tensor) {
	data, err := tn.Data()
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	if n := reflect.ValueOf(data).Len(); int64(n) != tn.NumElements() {
		t.Errorf("%s: %d elements for dims %v", where, n, tn.Dims)
	}
}
