package tensorio

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzReadNPY feeds arbitrary bytes to the .npy decoders: they must never
// panic or allocate what a header merely claims, must agree with each
// other, and whatever they accept must survive an encode/decode round trip.
func FuzzReadNPY(f *testing.F) {
	f4x2 := []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}
	for _, seed := range [][]byte{
		nil,
		[]byte(npyMagic),
		npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4x2),
		npyFile(2, "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 2), }", f4x2),
		npyFile(3, "{'descr': '<i2', 'fortran_order': True, 'shape': (2, 2), }", f4x2),
		npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", []byte{0, 1}),
		npyFile(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (), }", f4x2),
		npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }", f4x2),
		npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", f4x2),
		npyFile(1, "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2,)}", f4x2),
		npyFile(1, "{'descr': '<U3', 'fortran_order': False, 'shape': (2,)}", f4x2),
		npyFile(4, "{}", nil),
		[]byte(npyMagic + "\x02\x00\xff\xff\xff\x7f"),
	} {
		f.Add(seed)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.npy"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := DecodeNPY(b)
		y, rerr := ReadNPY(bytes.NewReader(b))
		if err != nil {
			return
		}
		if rerr != nil {
			t.Fatalf("DecodeNPY accepts what ReadNPY refuses: %v", rerr)
		}
		if x.DType != y.DType || !reflect.DeepEqual(x.Dims, y.Dims) || !bytes.Equal(x.Raw(), y.Raw()) {
			t.Fatalf("DecodeNPY and ReadNPY disagree: %s%v vs %s%v", x.DType, x.Dims, y.DType, y.Dims)
		}
		var buf bytes.Buffer
		if err := EncodeNPY(&buf, x); err != nil {
			t.Fatalf("encoding a decoded tensor: %v", err)
		}
		z, err := DecodeNPY(buf.Bytes())
		if err != nil {
			t.Fatalf("decoding an encoded tensor: %v", err)
		}
		if z.DType != x.DType || !reflect.DeepEqual(z.Dims, x.Dims) || !bytes.Equal(z.Raw(), x.Raw()) {
			t.Fatalf("round trip changed %s%v into %s%v", x.DType, x.Dims, z.DType, z.Dims)
		}
	})
}

// FuzzDecodeNPZ feeds arbitrary bytes to the .npz decoder, seeded with
// numpy's archives and small hand-made ones.
func FuzzDecodeNPZ(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.npz"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := DecodeNPZ(b)
		if err != nil {
			return
		}
		for _, x := range ts {
			if _, err := x.Data(); err != nil {
				t.Fatalf("array %q: %v", x.Name, err)
			}
		}
	})
}
