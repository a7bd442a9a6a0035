package graph

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// TensorProto field numbers.
const (
	tfDims         = 1
	tfDataType     = 2
	tfSegment      = 3
	tfFloatData    = 4
	tfInt32Data    = 5
	tfStringData   = 6
	tfInt64Data    = 7
	tfName         = 8
	tfRawData      = 9
	tfDoubleData   = 10
	tfUint64Data   = 11
	tfDocString    = 12
	tfExternalData = 13
	tfDataLocation = 14
	tfMetadata     = 16
)

var typedFieldNames = map[protowire.Number]string{
	tfFloatData: "float_data", tfInt32Data: "int32_data", tfStringData: "string_data",
	tfInt64Data: "int64_data", tfDoubleData: "double_data", tfUint64Data: "uint64_data",
}

// extRef is a tensor whose data is to be read from an external file.
type extRef struct {
	t        *Tensor
	location string
	offset   int64
	length   int64 // -1: up to the end of the file
}

// tensor decodes a TensorProto. Errors name the tensor.
func (d *decoder) tensor(b []byte) (*Tensor, error) {
	t, err := d.tensorBody(b)
	if err != nil {
		name := ""
		if t != nil {
			name = t.Name
		}
		return nil, within(err, fmt.Sprintf("tensor %q", name))
	}
	return t, nil
}

func (d *decoder) tensorBody(b []byte) (*Tensor, error) {
	t := &Tensor{}
	start := b
	var (
		dtype    uint64
		raw      []byte
		hasRaw   bool
		location uint64
		ext      []StringPair
		counts   [tfUint64Data + 1]int64 // typed elements per field
		hasTyped bool
	)
	for len(b) > 0 {
		f, n, err := d.next(b, tensorFields)
		if err != nil {
			return t, err
		}
		b = b[n:]
		switch f.num {
		case tfDims:
			t.Dims, err = d.int64s(&f, t.Dims)
		case tfDataType:
			dtype, err = d.varint(&f)
		case tfSegment:
			return t, d.errAt(f.at, "segmented tensors are not supported")
		case tfName:
			t.Name, err = d.str(&f)
		case tfDocString:
			t.DocString, err = d.str(&f)
		case tfRawData:
			if err = d.want(&f, protowire.BytesType); err == nil {
				raw, hasRaw = f.b, true
			}
		case tfExternalData:
			ext, err = d.pairs(&f, ext, "external_data")
		case tfDataLocation:
			location, err = d.varint(&f)
		case tfMetadata:
			t.Metadata, err = d.pairs(&f, t.Metadata, "metadata_props")
		case tfStringData:
			var s []byte
			if s, err = d.bytesCopy(&f); err == nil {
				t.Strings = append(t.Strings, s)
			}
		case tfFloatData, tfInt32Data, tfInt64Data, tfDoubleData, tfUint64Data:
			var c int64
			c, err = d.countTyped(&f)
			counts[f.num] += c
			hasTyped = true
		}
		if err != nil {
			return t, err
		}
	}
	if dtype > math.MaxInt32 {
		return t, d.errAt(start, "data_type %d out of range", dtype)
	}
	t.DType = DType(dtype)
	if !t.DType.Valid() {
		return t, d.errAt(start, "unsupported data_type %d", dtype)
	}
	n := NumElements(t.Dims)
	if n < 0 || (t.DType.Size() > 0 && n > math.MaxInt64/int64(t.DType.Size())) {
		return t, d.errAt(start, "dims %v overflow or are negative", t.Dims)
	}
	if t.DType != String && t.Strings != nil {
		return t, d.errAt(start, "string_data in a %s tensor", t.DType)
	}
	switch location {
	case 0:
	case 1:
		return t, d.externalRef(t, start, n, ext, hasRaw || hasTyped || t.Strings != nil)
	default:
		return t, d.errAt(start, "unknown data_location %d", location)
	}
	if t.DType == String {
		if hasRaw || hasTyped {
			return t, d.errAt(start, "a string tensor must use string_data")
		}
		if int64(len(t.Strings)) != n {
			return t, d.errAt(start, "%d strings for dims %v (%d elements)", len(t.Strings), t.Dims, n)
		}
		return t, nil
	}
	want := t.DType.RawLen(n)
	if hasRaw {
		// raw_data wins over typed fields, as in the reference reader.
		if int64(len(raw)) != want {
			return t, d.errAt(start, "%s%v needs %d bytes of raw_data, have %d", t.DType, t.Dims, want, len(raw))
		}
		if len(raw) > 0 {
			t.raw = raw[:len(raw):len(raw)]
			d.aliased = append(d.aliased, t)
		}
		return t, nil
	}
	// Typed fields: find the one this element type uses.
	var use protowire.Number
	var per int64 = 1 // field values per element (2 for complex), or elements per value (int4: see below)
	switch t.DType {
	case Float:
		use = tfFloatData
	case Complex64:
		use, per = tfFloatData, 2
	case Double:
		use = tfDoubleData
	case Complex128:
		use, per = tfDoubleData, 2
	case Int64:
		use = tfInt64Data
	case Uint32, Uint64:
		use = tfUint64Data
	default:
		use = tfInt32Data
	}
	for num, c := range counts {
		if protowire.Number(num) != use && c > 0 {
			return t, d.errAt(start, "%s in a %s tensor", typedFieldNames[protowire.Number(num)], t.DType)
		}
	}
	have := counts[use]
	wantCount := n * per
	if t.DType == Int4 || t.DType == Uint4 {
		wantCount = (n + 1) / 2
	}
	if have != wantCount {
		return t, d.errAt(start, "%s%v needs %d values in %s, have %d", t.DType, t.Dims, wantCount, typedFieldNames[use], have)
	}
	if want == 0 {
		return t, nil
	}
	// have values were counted in the input, so want is bounded by a
	// small multiple of the input size.
	out := make([]byte, want)
	if err := d.fillTyped(start, use, t.DType, out); err != nil {
		return t, err
	}
	t.raw = out
	return t, nil
}

// countTyped counts the values of one occurrence of a typed data field
// without decoding them.
func (d *decoder) countTyped(f *field) (int64, error) {
	fixed := 0
	switch f.num {
	case tfFloatData:
		fixed = 4
	case tfDoubleData:
		fixed = 8
	}
	switch f.typ {
	case protowire.BytesType:
		if fixed > 0 {
			if len(f.b)%fixed != 0 {
				return 0, d.errAt(f.at, "%s: packed length %d is not a multiple of %d", typedFieldNames[f.num], len(f.b), fixed)
			}
			return int64(len(f.b) / fixed), nil
		}
		var c int64
		for _, x := range f.b {
			if x < 0x80 {
				c++
			}
		}
		if len(f.b) > 0 && f.b[len(f.b)-1] >= 0x80 {
			return 0, d.errAt(f.at, "%s: truncated varint", typedFieldNames[f.num])
		}
		return c, nil
	case protowire.VarintType:
		if fixed == 0 {
			return 1, nil
		}
	case protowire.Fixed32Type:
		if fixed == 4 {
			return 1, nil
		}
	case protowire.Fixed64Type:
		if fixed == 8 {
			return 1, nil
		}
	}
	return 0, d.errAt(f.at, "%s has %s wire type", typedFieldNames[f.num], wireName(f.typ))
}

// fillTyped decodes every value of field use in the TensorProto b into out,
// converting to the raw little-endian layout of dt.
func (d *decoder) fillTyped(b []byte, use protowire.Number, dt DType, out []byte) error {
	le := binary.LittleEndian
	i := 0 // value index
	put := func(v uint64) error {
		switch dt {
		case Float, Complex64:
			if 4*i+4 > len(out) {
				return errOverfill
			}
			le.PutUint32(out[4*i:], uint32(v))
		case Double, Complex128, Int64, Uint64:
			if 8*i+8 > len(out) {
				return errOverfill
			}
			le.PutUint64(out[8*i:], v)
		case Uint32:
			if 4*i+4 > len(out) {
				return errOverfill
			}
			le.PutUint32(out[4*i:], uint32(v))
		case Int32:
			if 4*i+4 > len(out) {
				return errOverfill
			}
			le.PutUint32(out[4*i:], uint32(v))
		case Int16, Uint16, Float16, BFloat16:
			if 2*i+2 > len(out) {
				return errOverfill
			}
			le.PutUint16(out[2*i:], uint16(v))
		case Bool:
			if i >= len(out) {
				return errOverfill
			}
			if v != 0 {
				out[i] = 1
			}
		default: // 8-bit types, and 4-bit types two to a value
			if i >= len(out) {
				return errOverfill
			}
			out[i] = byte(v)
		}
		i++
		return nil
	}
	for len(b) > 0 {
		f, n, err := d.next(b, tensorFields)
		if err != nil {
			return err
		}
		b = b[n:]
		if f.num != use {
			continue
		}
		if f.typ != protowire.BytesType {
			if err := put(f.v); err != nil {
				return d.errAt(f.at, "%s: %v", typedFieldNames[use], err)
			}
			continue
		}
		p := f.b
		for len(p) > 0 {
			var v uint64
			var k int
			switch use {
			case tfFloatData:
				v, k = uint64(le.Uint32(p)), 4
			case tfDoubleData:
				v, k = le.Uint64(p), 8
			default:
				v, k = protowire.ConsumeVarint(p)
				if k < 0 {
					return d.errAt(p, "%s: %s", typedFieldNames[use], parseErr(k, "varint"))
				}
			}
			if err := put(v); err != nil {
				return d.errAt(p, "%s: %v", typedFieldNames[use], err)
			}
			p = p[k:]
		}
	}
	return nil
}

var errOverfill = fmt.Errorf("more values than the dims hold")

// externalRef records a tensor whose data is in an external file, after
// checking its external_data entries.
func (d *decoder) externalRef(t *Tensor, at []byte, n int64, ext []StringPair, hasData bool) error {
	if t.DType == String {
		return d.errAt(at, "string tensors cannot use external data")
	}
	if hasData {
		return d.errAt(at, "external tensor also holds data in the file")
	}
	r := extRef{t: t, length: -1}
	for _, p := range ext {
		switch p.Key {
		case "location":
			r.location = p.Value
		case "offset", "length":
			v, err := strconv.ParseInt(p.Value, 10, 64)
			if err != nil || v < 0 {
				return d.errAt(at, "external_data %s %q is not a non-negative integer", p.Key, p.Value)
			}
			if p.Key == "offset" {
				r.offset = v
			} else {
				r.length = v
			}
		}
	}
	if r.location == "" {
		return d.errAt(at, "external data without a location")
	}
	want := t.DType.RawLen(n)
	if r.length >= 0 && r.length != want {
		return d.errAt(at, "%s%v needs %d bytes, external_data length is %d", t.DType, t.Dims, want, r.length)
	}
	d.external = append(d.external, r)
	return nil
}

// sparse decodes a SparseTensorProto.
func (d *decoder) sparse(b []byte) (*SparseTensor, error) {
	s := &SparseTensor{}
	for len(b) > 0 {
		f, n, err := d.next(b, sparseFields)
		if err != nil {
			return nil, err
		}
		b = b[n:]
		switch f.num {
		case 1, 2:
			var mb []byte
			if mb, err = d.msg(&f); err != nil {
				return nil, err
			}
			var t *Tensor
			if t, err = d.tensor(mb); err != nil {
				if f.num == 1 {
					return nil, within(err, "values")
				}
				return nil, within(err, "indices")
			}
			if f.num == 1 {
				s.Values = t
			} else {
				s.Indices = t
			}
		case 3:
			s.Dims, err = d.int64s(&f, s.Dims)
		}
		if err != nil {
			return nil, err
		}
	}
	if NumElements(s.Dims) < 0 {
		return nil, &FormatError{Offset: -1, Msg: fmt.Sprintf("sparse tensor dims %v overflow or are negative", s.Dims)}
	}
	return s, nil
}
