package graph

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/onnxrun/onnxrun/internal/suites"
)

// fuzzSeeds are small models and tensors built in code, plus a few tiny
// node-suite models when the suite is installed.
func fuzzModelSeeds(f *testing.F) {
	f.Add(tinyModel())
	f.Add(extModel("w.bin", 4, 12))
	f.Add([]byte{})
	for _, b := range nodeSuiteSample() {
		if len(b) <= 4096 {
			f.Add(b)
		}
	}
}

// FuzzDecode feeds arbitrary bytes to the model decoder: it must return a
// model or an error, never panic, and a model it returns must survive
// Validate, TopoOrder and an Encode round trip unchanged.
func FuzzDecode(f *testing.F) {
	fuzzModelSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		m.Validate()
		m.Graph.TopoOrder()
		enc, err := Encode(m)
		if err != nil {
			t.Fatalf("decoded model does not encode: %v", err)
		}
		m2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-decode of encoded model: %v", err)
		}
		// Compared as bytes: NaN attributes are not DeepEqual to themselves.
		if enc2, err := Encode(m2); err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("Encode(Decode(Encode(m))) != Encode(m) (%v)", err)
		}
		// Load's path moves tensor data in its own buffer to align it: the
		// model must come out the same.
		m3, err := loadBytes(append([]byte{}, b...), "/nonexistent")
		if err != nil {
			t.Fatalf("Decode accepts what Load's decoder refuses: %v", err)
		}
		if enc3, err := Encode(m3); err != nil || !bytes.Equal(enc, enc3) {
			t.Fatalf("aligned model differs (%v)", err)
		}
	})
}

// FuzzDecodeTensor feeds arbitrary bytes to the tensor, sequence and
// optional decoders.
func FuzzDecodeTensor(f *testing.F) {
	f.Add([]byte(pb(nil).varint(1, 2).varint(2, 1).fixed32(4, 0).fixed32(4, 1)))
	f.Add([]byte(pb(nil).varint(1, 2).varint(2, 8).str(6, "a").str(6, "b")))
	f.Add([]byte(pb(nil).varint(1, 3).varint(2, 22).bytes(5, packedVarints(0xf1, 0x07))))
	f.Add([]byte(pb(nil).varint(2, 7).bytes(9, make([]byte, 8))))
	t1, _ := EncodeTensor(mustTensor(NewTensor("t", []int64{2}, []float32{1, 2})))
	seq, _ := EncodeSequence("s", []*Tensor{mustTensor(NewTensor("", []int64{1}, []int64{3}))})
	opt, _ := EncodeOptional(&OptionalValue{Name: "o", Sequence: []*Tensor{}})
	f.Add(t1)
	f.Add(seq)
	f.Add(opt)
	dir := suites.NodePath()
	for _, name := range []string{"test_sequence_insert_at_back/test_data_set_0/input_0.pb", "test_optional_get_element_sequence/test_data_set_0/input_0.pb", "test_cast_FLOAT_to_STRING/test_data_set_0/output_0.pb"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil && len(b) <= 4096 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if tn, err := DecodeTensor(b); err == nil {
			if _, err := tn.Data(); err != nil {
				t.Fatalf("decoded tensor has bad data: %v", err)
			}
			if _, err := EncodeTensor(tn); err != nil {
				t.Fatalf("decoded tensor does not encode: %v", err)
			}
		}
		DecodeSequence(b)
		DecodeOptional(b)
	})
}

func mustTensor(t *Tensor, err error) *Tensor {
	if err != nil {
		panic(err)
	}
	return t
}
