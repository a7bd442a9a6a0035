package tensorio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/onnxrun/onnxrun/graph"
)

// npyMagic opens every .npy file.
const npyMagic = "\x93NUMPY"

// maxHeaderLen bounds the header dictionary of a .npy file. numpy itself
// refuses headers over 10000 bytes by default; a much larger bound still
// keeps a hostile length field from allocating gigabytes.
const maxHeaderLen = 1 << 20

// maxRank bounds the number of dims a header may declare (numpy's own
// limit is 64).
const maxRank = 64

// npyHeader is the parsed header dictionary of a .npy file.
type npyHeader struct {
	dtype     graph.DType
	bigEndian bool // the data is stored big-endian and must be swapped
	fortran   bool
	dims      []int64
	n         int64 // number of elements
	dataLen   int64 // bytes of array data that follow the header
}

// npyDescrs maps the type part of a descr string ("f4" in "<f4") to its
// element type.
var npyDescrs = map[string]graph.DType{
	"f2": graph.Float16, "f4": graph.Float, "f8": graph.Double,
	"i1": graph.Int8, "i2": graph.Int16, "i4": graph.Int32, "i8": graph.Int64,
	"u1": graph.Uint8, "u2": graph.Uint16, "u4": graph.Uint32, "u8": graph.Uint64,
	"b1": graph.Bool, "c8": graph.Complex64, "c16": graph.Complex128,
}

// parseDescr maps a numpy type descriptor ("<f4", "|u1", ">i8") to an
// element type and whether its bytes are big-endian.
func parseDescr(s string) (graph.DType, bool, error) {
	if s == "" {
		return 0, false, fmt.Errorf("empty descr")
	}
	order, code := s[0], s[1:]
	switch order {
	case '<', '>', '|':
	case '=':
		return 0, false, fmt.Errorf("descr %q: native byte order '=' does not say which order the data has", s)
	default:
		order, code = '|', s // a bare code such as "f4" or "?"
	}
	if code == "?" {
		code = "b1"
	}
	dt, ok := npyDescrs[code]
	if !ok {
		switch {
		case len(code) > 0 && (code[0] == 'U' || code[0] == 'S' || code[0] == 'a'):
			return 0, false, fmt.Errorf("descr %q: string arrays are not supported", s)
		case len(code) > 0 && code[0] == 'O':
			return 0, false, fmt.Errorf("descr %q: object arrays (pickled) are not supported", s)
		case len(code) > 0 && (code[0] == 'M' || code[0] == 'm'):
			return 0, false, fmt.Errorf("descr %q: datetime and timedelta arrays are not supported", s)
		case len(code) > 0 && code[0] == 'V':
			return 0, false, fmt.Errorf("descr %q: void (raw record) arrays are not supported", s)
		case code == "f16" || code == "f12" || code == "c32" || code == "c24":
			return 0, false, fmt.Errorf("descr %q: extended-precision floats are not supported", s)
		}
		return 0, false, fmt.Errorf("descr %q: unknown or unsupported element type", s)
	}
	if dt.Size() > 1 && order == '|' {
		return 0, false, fmt.Errorf("descr %q: a multi-byte type needs a byte order ('<' or '>')", s)
	}
	return dt, order == '>' && dt.Size() > 1, nil
}

// descrOf is the little-endian numpy descr of an element type, or "" when
// numpy has no such type.
func descrOf(dt graph.DType) string {
	for code, d := range npyDescrs {
		if d == dt {
			if dt.Size() == 1 {
				return "|" + code
			}
			return "<" + code
		}
	}
	return ""
}

// readPreamble reads the magic string, the version and the header length
// from the first bytes of a .npy file, and returns the header length and
// the size of the preamble.
func readPreamble(p []byte) (hlen int64, pre int, err error) {
	if len(p) < 10 {
		return 0, 0, fmt.Errorf("%w: %d bytes, shorter than a header", ErrTruncated, len(p))
	}
	if string(p[:6]) != npyMagic {
		return 0, 0, fmt.Errorf("%w: no \\x93NUMPY magic string", ErrFormat)
	}
	major, minor := p[6], p[7]
	switch major {
	case 1:
		return int64(binary.LittleEndian.Uint16(p[8:10])), 10, nil
	case 2, 3:
		if len(p) < 12 {
			return 0, 0, fmt.Errorf("%w: %d bytes, shorter than a version %d.%d header", ErrTruncated, len(p), major, minor)
		}
		hlen = int64(binary.LittleEndian.Uint32(p[8:12]))
		if hlen > maxHeaderLen {
			return 0, 0, fmt.Errorf("%w: header length %d is over the limit of %d bytes", ErrFormat, hlen, maxHeaderLen)
		}
		return hlen, 12, nil
	}
	return 0, 0, fmt.Errorf("%w: unsupported format version %d.%d", ErrFormat, major, minor)
}

// parseHeader parses the header dictionary, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
func parseHeader(text []byte) (*npyHeader, error) {
	p := &pyParser{s: text}
	v, err := p.value(0)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("%w: header: unexpected %q after the dictionary", ErrFormat, clip(p.s[p.i:]))
	}
	d, ok := v.(pyDict)
	if !ok {
		return nil, fmt.Errorf("%w: header is not a dictionary", ErrFormat)
	}
	for k := range d {
		switch k {
		case "descr", "fortran_order", "shape":
		default:
			return nil, fmt.Errorf("%w: header has unexpected key %q", ErrFormat, k)
		}
	}
	h := &npyHeader{}
	switch descr := d["descr"].(type) {
	case string:
		dt, be, err := parseDescr(descr)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
		h.dtype, h.bigEndian = dt, be
	case nil:
		return nil, fmt.Errorf("%w: header has no 'descr'", ErrFormat)
	case pyList:
		return nil, fmt.Errorf("%w: structured (record) arrays are not supported", ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w: header 'descr' is not a string", ErrFormat)
	}
	switch fo := d["fortran_order"].(type) {
	case bool:
		h.fortran = fo
	case nil:
		return nil, fmt.Errorf("%w: header has no 'fortran_order'", ErrFormat)
	default:
		return nil, fmt.Errorf("%w: header 'fortran_order' is not True or False", ErrFormat)
	}
	shape, ok := d["shape"].(pyTuple)
	if !ok {
		if d["shape"] == nil {
			return nil, fmt.Errorf("%w: header has no 'shape'", ErrFormat)
		}
		return nil, fmt.Errorf("%w: header 'shape' is not a tuple", ErrFormat)
	}
	if len(shape) > maxRank {
		return nil, fmt.Errorf("%w: shape has %d dims, more than %d", ErrFormat, len(shape), maxRank)
	}
	h.dims = make([]int64, len(shape))
	for i, e := range shape {
		n, ok := e.(int64)
		if !ok || n < 0 {
			return nil, fmt.Errorf("%w: shape dim %d is not a non-negative integer", ErrFormat, i)
		}
		h.dims[i] = n
	}
	h.n = graph.NumElements(h.dims)
	if h.n < 0 || h.n > math.MaxInt64/int64(h.dtype.Size()) {
		return nil, fmt.Errorf("%w: shape %v overflows", ErrFormat, h.dims)
	}
	h.dataLen = h.n * int64(h.dtype.Size())
	return h, nil
}

// DecodeNPY decodes a whole .npy file held in b. The array data must fill
// the rest of b exactly. The tensor may share memory with b. Name is left
// empty.
func DecodeNPY(b []byte) (*graph.Tensor, error) {
	t, err := decodeNPY(b)
	if err != nil {
		return nil, fmt.Errorf("tensorio: npy: %w", err)
	}
	return t, nil
}

func decodeNPY(b []byte) (*graph.Tensor, error) {
	h, off, err := decodeNPYHeader(b)
	if err != nil {
		return nil, err
	}
	rest := int64(len(b) - off)
	if rest < h.dataLen {
		return nil, fmt.Errorf("%w: %s%v needs %d bytes of data, the file has %d", ErrTruncated, h.dtype, h.dims, h.dataLen, rest)
	}
	if rest > h.dataLen {
		return nil, fmt.Errorf("%w: %d bytes after the array data (several arrays in one file?)", ErrFormat, rest-h.dataLen)
	}
	return h.tensor(b[off:])
}

// decodeNPYHeader parses the header at the start of b and returns it with
// the offset of the array data.
func decodeNPYHeader(b []byte) (*npyHeader, int, error) {
	hlen, pre, err := readPreamble(b)
	if err != nil {
		return nil, 0, err
	}
	if int64(len(b)-pre) < hlen {
		return nil, 0, fmt.Errorf("%w: header says %d bytes, the file has %d after the preamble", ErrTruncated, hlen, len(b)-pre)
	}
	h, err := parseHeader(b[pre : pre+int(hlen)])
	if err != nil {
		return nil, 0, err
	}
	return h, pre + int(hlen), nil
}

// ReadNPY reads one .npy array from r, which is left just after its data
// (so several arrays written one after another can be read in turn). The
// data is read in growing steps, so a header that claims more data than r
// holds fails with ErrTruncated without allocating what it claims.
func ReadNPY(r io.Reader) (*graph.Tensor, error) {
	t, err := readNPY(r, -1)
	if err != nil {
		return nil, fmt.Errorf("tensorio: npy: %w", err)
	}
	return t, nil
}

// readNPY is ReadNPY for a reader known to hold at most limit bytes
// (limit < 0: unknown).
func readNPY(r io.Reader, limit int64) (*graph.Tensor, error) {
	var pre [12]byte
	if _, err := io.ReadFull(r, pre[:10]); err != nil {
		return nil, readErr(err, "preamble")
	}
	n := 10
	if pre[6] == 2 || pre[6] == 3 {
		if _, err := io.ReadFull(r, pre[10:12]); err != nil {
			return nil, readErr(err, "preamble")
		}
		n = 12
	}
	hlen, _, err := readPreamble(pre[:n])
	if err != nil {
		return nil, err
	}
	if limit >= 0 && hlen > limit-int64(n) {
		return nil, fmt.Errorf("%w: header says %d bytes, only %d remain", ErrTruncated, hlen, limit-int64(n))
	}
	text, err := readN(r, hlen)
	if err != nil {
		return nil, readErr(err, "header")
	}
	h, err := parseHeader(text)
	if err != nil {
		return nil, err
	}
	if limit >= 0 && h.dataLen > limit-int64(n)-hlen {
		return nil, fmt.Errorf("%w: %s%v needs %d bytes of data, only %d remain", ErrTruncated, h.dtype, h.dims, h.dataLen, limit-int64(n)-hlen)
	}
	data, err := readN(r, h.dataLen)
	if err != nil {
		return nil, fmt.Errorf("%s%v: %w", h.dtype, h.dims, readErr(err, "data"))
	}
	return h.tensor(data)
}

// readErr turns a short read into ErrTruncated.
func readErr(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: file ends inside the %s", ErrTruncated, what)
	}
	return err
}

// readN reads exactly n bytes from r, growing its buffer as data arrives
// so that the allocation never runs far ahead of the bytes present.
func readN(r io.Reader, n int64) ([]byte, error) {
	const step = 1 << 20
	if uint64(n) > math.MaxInt {
		return nil, fmt.Errorf("%w: %d bytes do not fit in memory on this platform", ErrUnsupported, n)
	}
	if n <= step {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	b := make([]byte, 0, step)
	for int64(len(b)) < n {
		if len(b) == cap(b) {
			c := min(int64(2*cap(b)), n)
			nb := make([]byte, len(b), c)
			copy(nb, b)
			b = nb
		}
		m, err := io.ReadFull(r, b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// tensor makes the tensor from exactly h.dataLen bytes of data, converting
// big-endian data and Fortran order.
func (h *npyHeader) tensor(data []byte) (*graph.Tensor, error) {
	data = data[:h.dataLen:h.dataLen]
	size := h.dtype.Size()
	if h.bigEndian {
		data = swapBytes(data, size, h.dtype)
	}
	if h.dtype == graph.Bool {
		for _, c := range data {
			if c > 1 {
				return nil, fmt.Errorf("%w: bool array holds byte %d", ErrFormat, c)
			}
		}
	}
	if h.fortran && len(h.dims) > 1 && h.n > 0 {
		data = fortranToC(data, h.dims, size)
	}
	return graph.NewRawTensor("", h.dtype, h.dims, data)
}

// swapBytes returns a little-endian copy of big-endian data. Complex
// numbers swap each of their two halves.
func swapBytes(data []byte, size int, dt graph.DType) []byte {
	if dt == graph.Complex64 || dt == graph.Complex128 {
		size /= 2
	}
	out := make([]byte, len(data))
	for i := 0; i+size <= len(data); i += size {
		for j := range size {
			out[i+j] = data[i+size-1-j]
		}
	}
	return out
}

// fortranToC reorders column-major data of the given dims into row-major
// order.
func fortranToC(data []byte, dims []int64, size int) []byte {
	out := make([]byte, len(data))
	rank := len(dims)
	// fstride[k] is the Fortran-order stride of dim k, in elements.
	fstride := make([]int64, rank)
	s := int64(1)
	for k := range rank {
		fstride[k] = s
		s *= dims[k]
	}
	idx := make([]int64, rank)
	var src int64
	n := int64(len(data) / size)
	for dst := range n {
		copy(out[dst*int64(size):(dst+1)*int64(size)], data[src*int64(size):(src+1)*int64(size)])
		// Advance the C-order index, keeping src in step.
		for k := rank - 1; k >= 0; k-- {
			idx[k]++
			src += fstride[k]
			if idx[k] < dims[k] {
				break
			}
			src -= fstride[k] * idx[k]
			idx[k] = 0
		}
	}
	return out
}

// EncodeNPY writes t to w as a .npy file (format version 1.0, or 2.0 when
// the header needs it), little-endian and in C order. Element types numpy
// lacks (bfloat16, float8, 4-bit, string) are refused.
func EncodeNPY(w io.Writer, t *graph.Tensor) error {
	if err := encodeNPY(w, t); err != nil {
		return fmt.Errorf("tensorio: npy: %w", err)
	}
	return nil
}

func encodeNPY(w io.Writer, t *graph.Tensor) error {
	descr := descrOf(t.DType)
	if descr == "" {
		return fmt.Errorf("%w: tensor %q: numpy has no %s type", ErrUnsupported, t.Name, t.DType)
	}
	n := t.NumElements()
	if n < 0 {
		return fmt.Errorf("tensor %q: dims %v overflow or are negative", t.Name, t.Dims)
	}
	raw := t.Raw()
	if int64(len(raw)) != t.DType.RawLen(n) {
		return fmt.Errorf("tensor %q: %s%v needs %d bytes, has %d", t.Name, t.DType, t.Dims, t.DType.RawLen(n), len(raw))
	}
	if t.DType == graph.Bool {
		norm := make([]byte, len(raw))
		for i, c := range raw {
			if c != 0 {
				norm[i] = 1
			}
		}
		raw = norm
	}
	var d bytes.Buffer
	fmt.Fprintf(&d, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr)
	for i, x := range t.Dims {
		if i > 0 {
			d.WriteString(", ")
		}
		d.WriteString(strconv.FormatInt(x, 10))
	}
	if len(t.Dims) == 1 {
		d.WriteString(",")
	}
	d.WriteString("), }")
	// Pad with spaces so that preamble + header is a multiple of 64 bytes,
	// and end with a newline, as numpy does.
	pre := 10
	pad := (64 - (pre+d.Len()+1)%64) % 64
	if d.Len()+pad+1 > math.MaxUint16 {
		pre = 12
		pad = (64 - (pre+d.Len()+1)%64) % 64
	}
	hdr := make([]byte, 0, pre+d.Len()+pad+1)
	hdr = append(hdr, npyMagic...)
	if pre == 10 {
		hdr = append(hdr, 1, 0)
		hdr = binary.LittleEndian.AppendUint16(hdr, uint16(d.Len()+pad+1))
	} else {
		hdr = append(hdr, 2, 0)
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(d.Len()+pad+1))
	}
	hdr = append(hdr, d.Bytes()...)
	hdr = append(hdr, bytes.Repeat([]byte{' '}, pad)...)
	hdr = append(hdr, '\n')
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(raw)
	return err
}

// clip shortens b for an error message.
func clip(b []byte) []byte {
	if len(b) > 20 {
		return b[:20]
	}
	return b
}
