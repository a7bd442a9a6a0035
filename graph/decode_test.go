package graph

import (
	"errors"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/x448/float16"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/onnxrun/onnxrun/internal/suites"
)

// pb builds protobuf messages by hand, to test the decoder on encodings
// Encode never writes (typed data fields, packed and unpacked, odd types).
type pb []byte

func (b pb) varint(num protowire.Number, v uint64) pb {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func (b pb) fixed32(num protowire.Number, v uint32) pb {
	b = protowire.AppendTag(b, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, v)
}

func (b pb) fixed64(num protowire.Number, v uint64) pb {
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

func (b pb) bytes(num protowire.Number, v []byte) pb {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func (b pb) str(num protowire.Number, s string) pb { return b.bytes(num, []byte(s)) }

func packedVarints(vs ...int64) []byte {
	var out []byte
	for _, v := range vs {
		out = protowire.AppendVarint(out, uint64(v))
	}
	return out
}

// tinyModel is a hand-built model: y = Relu(x) with a Constant whose
// value uses float_data, one initializer in int64_data, and an If node.
func tinyModel() []byte {
	tensorType := func(elem int, dims ...int64) []byte {
		var shape pb
		for _, d := range dims {
			shape = shape.bytes(1, pb(nil).varint(1, uint64(d)))
		}
		return pb(nil).bytes(1, pb(nil).varint(1, uint64(elem)).bytes(2, shape))
	}
	vi := func(name string, typ []byte) []byte { return pb(nil).str(1, name).bytes(2, typ) }
	constT := pb(nil).varint(1, 2).varint(2, uint64(Float)).str(8, "c").
		bytes(4, append(protowire.AppendFixed32(nil, math.Float32bits(1.5)), protowire.AppendFixed32(nil, math.Float32bits(-2))...))
	init := pb(nil).varint(1, 3).varint(2, uint64(Int64)).str(8, "shape").bytes(7, packedVarints(1, -1, 2))
	relu := pb(nil).str(1, "x").str(2, "r").str(3, "relu1").str(4, "Relu")
	cnst := pb(nil).str(2, "c").str(4, "Constant").bytes(5, pb(nil).str(1, "value").varint(20, uint64(AttrTensor)).bytes(5, constT))
	then := pb(nil).bytes(1, pb(nil).str(1, "r").str(2, "t").str(4, "Identity")).str(2, "then").
		bytes(12, vi("t", tensorType(int(Float), 2)))
	ifn := pb(nil).str(1, "cond").str(2, "y").str(3, "if1").str(4, "If").
		bytes(5, pb(nil).str(1, "then_branch").varint(20, uint64(AttrGraph)).bytes(6, then)).
		bytes(5, pb(nil).str(1, "else_branch").varint(20, uint64(AttrGraph)).bytes(6, then)).
		bytes(5, pb(nil).str(1, "axes").varint(20, uint64(AttrInts)).varint(8, 1).varint(8, math.MaxUint64)) // -1
	g := pb(nil).bytes(1, relu).bytes(1, cnst).bytes(1, ifn).str(2, "tiny").bytes(5, init).
		bytes(11, vi("x", tensorType(int(Float), 2))).bytes(11, vi("cond", tensorType(int(Bool)))).
		bytes(12, vi("y", tensorType(int(Float), 2)))
	return pb(nil).varint(1, 8).str(2, "hand").bytes(7, g).
		bytes(8, pb(nil).str(1, "ai.onnx").varint(2, 17)).bytes(8, pb(nil).str(1, "com.example").varint(2, 1)).
		bytes(14, pb(nil).str(1, "k").str(2, "v"))
}

func TestDecodeHandBuilt(t *testing.T) {
	m, err := Decode(tinyModel())
	if err != nil {
		t.Fatal(err)
	}
	if m.IRVersion != 8 || m.ProducerName != "hand" || m.Opset("") != 17 || m.Opset("ai.onnx") != 17 || m.Opset("com.example") != 1 {
		t.Errorf("model header: %+v", m)
	}
	if !reflect.DeepEqual(m.Metadata, []StringPair{{"k", "v"}}) {
		t.Errorf("metadata %v", m.Metadata)
	}
	g := m.Graph
	if len(g.Nodes) != 3 || g.Nodes[0].OpType != "Relu" || g.Nodes[2].Name != "if1" {
		t.Fatalf("nodes %+v", g.Nodes)
	}
	c, err := g.Nodes[1].AttrTensor("value")
	if err != nil || c == nil {
		t.Fatal(c, err)
	}
	if d, _ := c.Data(); !reflect.DeepEqual(d, []float32{1.5, -2}) {
		t.Errorf("constant %v", d)
	}
	if d, _ := g.Initializer("shape").Data(); !reflect.DeepEqual(d, []int64{1, -1, 2}) {
		t.Errorf("initializer %v", d)
	}
	if axes, _ := g.Nodes[2].AttrInts("axes", nil); !reflect.DeepEqual(axes, []int64{1, -1}) {
		t.Errorf("axes %v", axes)
	}
	if len(g.Nodes[2].Subgraphs()) != 2 || g.Nodes[2].Subgraphs()[0].Name != "then" {
		t.Errorf("subgraphs %v", g.Nodes[2].Subgraphs())
	}
	if in := g.Inputs[1]; in.Type.Kind != TypeTensor || in.Type.Elem != Bool || !in.Type.HasShape || len(in.Type.Shape) != 0 {
		t.Errorf("scalar input type %+v", in.Type)
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
	checkRoundTrip(t, m)
}

func checkRoundTrip(t *testing.T, m *Model) {
	t.Helper()
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	m1 := *m
	m1.closer, m1.dir = nil, ""
	if !reflect.DeepEqual(&m1, m2) {
		t.Errorf("Decode(Encode(m)) != m")
	}
}

// TestTensorTypedFields decodes each element type from its typed field,
// packed and unpacked, and from raw_data, and checks the values.
func TestTensorTypedFields(t *testing.T) {
	le32 := func(v float32) uint32 { return math.Float32bits(v) }
	tests := []struct {
		name string
		msg  pb
		want any
	}{
		{"float packed", pb(nil).varint(1, 2).varint(2, 1).bytes(4, append(protowire.AppendFixed32(nil, le32(1)), protowire.AppendFixed32(nil, le32(-0.5))...)), []float32{1, -0.5}},
		{"float unpacked", pb(nil).varint(1, 2).varint(2, 1).fixed32(4, le32(3)).fixed32(4, le32(4)), []float32{3, 4}},
		{"complex64", pb(nil).varint(1, 1).varint(2, 14).fixed32(4, le32(1)).fixed32(4, le32(2)), []complex64{1 + 2i}},
		{"double", pb(nil).varint(1, 1).varint(2, 11).fixed64(10, math.Float64bits(2.25)), []float64{2.25}},
		{"complex128 packed", pb(nil).varint(1, 1).varint(2, 15).bytes(10, append(protowire.AppendFixed64(nil, math.Float64bits(1)), protowire.AppendFixed64(nil, math.Float64bits(-1))...)), []complex128{1 - 1i}},
		{"int32", pb(nil).varint(1, 3).varint(2, 6).bytes(5, packedVarints(1, -2, math.MaxInt32)), []int32{1, -2, math.MaxInt32}},
		{"int8", pb(nil).varint(1, 2).varint(2, 3).varint(5, uint64(0xffffffffffffff80)).varint(5, 127), []int8{-128, 127}},
		{"uint8", pb(nil).varint(1, 2).varint(2, 2).bytes(5, packedVarints(0, 255)), []uint8{0, 255}},
		{"int16", pb(nil).varint(1, 2).varint(2, 5).bytes(5, packedVarints(-32768, 32767)), []int16{-32768, 32767}},
		{"uint16", pb(nil).varint(1, 1).varint(2, 4).bytes(5, packedVarints(65535)), []uint16{65535}},
		{"bool", pb(nil).varint(1, 3).varint(2, 9).bytes(5, packedVarints(1, 0, 1)), []bool{true, false, true}},
		{"float16", pb(nil).varint(1, 1).varint(2, 10).varint(5, uint64(float16.Fromfloat32(1.5).Bits())), []float16.Float16{float16.Fromfloat32(1.5)}},
		{"bfloat16", pb(nil).varint(1, 1).varint(2, 16).varint(5, 0x3fc0), []BFloat16Value{0x3fc0}},
		{"float8", pb(nil).varint(1, 2).varint(2, 17).bytes(5, packedVarints(0x38, 0x7e)), []uint8{0x38, 0x7e}},
		{"int4", pb(nil).varint(1, 3).varint(2, 22).bytes(5, packedVarints(0xf1, 0x07)), []int8{1, -1, 7}},
		{"uint4", pb(nil).varint(1, 2).varint(2, 21).varint(5, 0x3a), []uint8{10, 3}},
		{"int64", pb(nil).varint(1, 2).varint(2, 7).varint(7, math.MaxUint64).varint(7, 5), []int64{-1, 5}},
		{"uint32", pb(nil).varint(1, 1).varint(2, 12).varint(11, math.MaxUint32), []uint32{math.MaxUint32}},
		{"uint64", pb(nil).varint(1, 1).varint(2, 13).bytes(11, packedVarints(-1)), []uint64{math.MaxUint64}},
		{"string", pb(nil).varint(1, 2).varint(2, 8).str(6, "a").str(6, "bc"), []string{"a", "bc"}},
		{"scalar raw", pb(nil).varint(2, 1).bytes(9, protowire.AppendFixed32(nil, le32(7))), []float32{7}},
		{"scalar typed", pb(nil).varint(2, 7).varint(7, 9), []int64{9}},
		{"zero-sized", pb(nil).varint(1, 0).varint(1, 5).varint(2, 1), []float32{}},
		{"packed dims", pb(nil).bytes(1, packedVarints(1, 2)).varint(2, 6).bytes(9, make([]byte, 8)), []int32{0, 0}},
		{"raw wins", pb(nil).varint(1, 1).varint(2, 6).varint(5, 3).bytes(9, []byte{4, 0, 0, 0}), []int32{4}},
	}
	for _, tc := range tests {
		tn, err := DecodeTensor(tc.msg)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got, err := tn.Data()
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
		// EncodeTensor writes raw_data; the values must survive.
		b, err := EncodeTensor(tn)
		if err != nil {
			t.Errorf("%s: encode: %v", tc.name, err)
			continue
		}
		tn2, err := DecodeTensor(b)
		if err != nil || !reflect.DeepEqual(tn, tn2) {
			t.Errorf("%s: round trip: %v", tc.name, err)
		}
	}
}

// TestTensorErrors checks that bad tensors are refused with a message that
// names the tensor and the problem.
func TestTensorErrors(t *testing.T) {
	tests := []struct {
		name string
		msg  pb
		want string
	}{
		{"short raw", pb(nil).varint(1, 3).varint(2, 1).str(8, "w").bytes(9, make([]byte, 8)), `tensor "w": float32[3] needs 12 bytes of raw_data, have 8`},
		{"long raw", pb(nil).varint(1, 1).varint(2, 1).str(8, "w").bytes(9, make([]byte, 8)), `needs 4 bytes of raw_data, have 8`},
		{"few typed", pb(nil).varint(1, 3).varint(2, 1).str(8, "w").fixed32(4, 0), `needs 3 values in float_data, have 1`},
		{"wrong field", pb(nil).varint(1, 1).varint(2, 1).varint(7, 1), `int64_data in a float32 tensor`},
		{"no type", pb(nil).varint(1, 1), `unsupported data_type 0`},
		{"unknown type", pb(nil).varint(2, 99), `unsupported data_type 99`},
		{"overflow dims", pb(nil).varint(1, 1<<40).varint(1, 1<<40).varint(2, 1), `overflow`},
		{"negative dim", pb(nil).varint(1, math.MaxUint64).varint(2, 1), `overflow or are negative`},
		{"huge dims no data", pb(nil).varint(1, 1<<40).varint(2, 1).str(8, "big"), `tensor "big": float32[1099511627776] needs 1099511627776 values in float_data, have 0`},
		{"segment", pb(nil).bytes(3, pb(nil).varint(1, 0)), `segmented tensors are not supported`},
		{"strings count", pb(nil).varint(1, 2).varint(2, 8).str(6, "a"), `1 strings for dims [2]`},
		{"raw strings", pb(nil).varint(1, 1).varint(2, 8).bytes(9, []byte("a")), `must use string_data`},
		{"external", pb(nil).varint(2, 1).bytes(13, pb(nil).str(1, "location").str(2, "w.bin")).varint(14, 1), `external data needs the model's folder`},
		{"truncated length", pb(nil).varint(2, 1).str(8, "w")[:4], `name (field 8): length 1 exceeds the 0 bytes left at byte 3`},
		{"huge length", append(pb(nil).varint(2, 1), 0x4a, 0xff, 0xff, 0xff, 0xff, 0x0f), `length 4294967295 exceeds the 0 bytes left`},
		{"truncated varint", append(pb(nil).varint(2, 1), 0x08, 0x80), `truncated varint at byte 3`},
		{"bad wire type", pb(nil).fixed64(2, 1), `data_type (field 2) has fixed64 wire type, want varint`},
		{"bad packed float", pb(nil).varint(1, 1).varint(2, 1).bytes(4, []byte{1, 2, 3}), `not a multiple of 4`},
		{"truncated packed varint", pb(nil).varint(1, 1).varint(2, 7).bytes(7, []byte{0x80}), `int64_data: truncated varint`},
	}
	for _, tc := range tests {
		_, err := DecodeTensor(tc.msg)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: %T is not a *FormatError", tc.name, err)
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "graph: ") {
			t.Errorf("%s: error %q does not contain %q", tc.name, err, tc.want)
		}
	}
}

// TestErrorLocation checks that an error deep in a model names the node,
// the attribute and the byte offset.
func TestErrorLocation(t *testing.T) {
	bad := pb(nil).str(1, "kernel_shape").varint(20, uint64(AttrInts)).bytes(8, []byte{0x80})
	node := pb(nil).str(1, "x").str(2, "y").str(3, "conv1").str(4, "Conv").bytes(5, bad)
	g := pb(nil).bytes(1, pb(nil).str(2, "a").str(4, "Relu")).bytes(1, node)
	b := pb(nil).varint(1, 8).bytes(7, g)
	_, err := Decode(b)
	want := `graph: node 1 (Conv "conv1") attribute "kernel_shape": ints (field 8): truncated varint at byte `
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error %v, want prefix %q", err, want)
	}
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Offset != int64(len(b)-1) {
		t.Errorf("offset %+v, want %d", fe, len(b)-1)
	}
}

// TestDepthLimit checks that deeply nested subgraphs and types are refused
// without exhausting the stack.
func TestDepthLimit(t *testing.T) {
	nest := func(depth int) []byte {
		g := pb(nil).str(2, "leaf")
		for i := 0; i < depth; i++ {
			attr := pb(nil).str(1, "body").varint(20, uint64(AttrGraph)).bytes(6, g)
			g = pb(nil).bytes(1, pb(nil).str(4, "Loop").bytes(5, attr))
		}
		return pb(nil).bytes(7, g)
	}
	if _, err := Decode(nest(MaxGraphDepth - 1)); err != nil {
		t.Errorf("depth %d: %v", MaxGraphDepth-1, err)
	}
	if _, err := Decode(nest(MaxGraphDepth)); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("depth %d: %v", MaxGraphDepth, err)
	}
	if _, err := Decode(nest(300)); err == nil {
		t.Errorf("depth 300: no error")
	}
	typ := pb(nil).bytes(1, pb(nil).varint(1, 1))
	for i := 0; i < 300; i++ {
		typ = pb(nil).bytes(4, pb(nil).bytes(1, typ))
	}
	m := pb(nil).bytes(7, pb(nil).bytes(11, pb(nil).str(1, "x").bytes(2, typ)))
	if _, err := Decode(m); err == nil || !strings.Contains(err.Error(), "types nested deeper") {
		t.Errorf("deep type: %v", err)
	}
}

// TestTruncationsAndFlips decodes every prefix of a real model and copies
// with random bytes changed: each must give a model or an error, never a
// panic.
func TestTruncationsAndFlips(t *testing.T) {
	inputs := [][]byte{tinyModel()}
	if ms := nodeSuiteSample(); ms != nil {
		inputs = append(inputs, ms...)
	}
	rng := rand.New(rand.NewSource(1))
	for _, b := range inputs {
		for n := 0; n < len(b); n++ {
			if _, err := Decode(b[:n]); err == nil && n < len(b)-8 && n > 0 {
				// A prefix can be a valid model only if it ends on a
				// field boundary; that is fine.
				_ = err
			}
		}
		for i := 0; i < 2000; i++ {
			c := append([]byte{}, b...)
			for k := 0; k < 1+rng.Intn(4); k++ {
				c[rng.Intn(len(c))] ^= byte(1 << rng.Intn(8))
			}
			if m, err := Decode(c); err == nil {
				m.Validate()
				m.Graph.TopoOrder()
				Encode(m)
			}
		}
	}
}

// nodeSuiteSample returns a few node-suite models with subgraphs and
// typed data, or nil.
func nodeSuiteSample() [][]byte {
	dir := suites.NodePath()
	var out [][]byte
	for _, name := range []string{"test_loop11", "test_if_seq", "test_conv_with_strides_padding", "test_constant", "test_sequence_map_add_1_sequence_1_tensor_expanded"} {
		if b, err := os.ReadFile(filepath.Join(dir, name, "model.onnx")); err == nil {
			out = append(out, b)
		}
	}
	return out
}

func TestTensorByteCountOverflow(t *testing.T) {
	// 2^61 float64 elements take 2^64 bytes: the byte count wraps to 0.
	b := pb(nil).varint(1, 1<<61).varint(2, uint64(Double)).bytes(9, nil)
	if _, err := DecodeTensor(b); err == nil || !strings.Contains(err.Error(), "overflow") {
		t.Errorf("error %v", err)
	}
}
