package ops

import (
	"context"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// FuzzEinsum feeds arbitrary equations and operand shapes to Einsum: it must
// answer or refuse, never panic (the plan reports a recovered panic as an
// "internal error").
func FuzzEinsum(f *testing.F) {
	for _, s := range []string{"ij,jk->ik", "...ii->...i", "ii", "a...,...b", "i,i", "->", "ab,,c", "...", "ij->jj", "A.b"} {
		f.Add(s, uint8(2), uint8(3), uint8(3))
	}
	f.Fuzz(func(t *testing.T, eq string, r0, d0, d1 uint8) {
		if len(eq) > 40 {
			return
		}
		nOps := strings.Count(strings.Split(eq, "->")[0], ",") + 1
		if nOps > 3 {
			return
		}
		var ins []string
		var vals []Value
		for i := range nOps {
			rank := int(r0+uint8(i)) % 4
			shape := make([]int, rank)
			for j := range shape {
				shape[j] = 1 + int(d0+uint8(j)*d1)%3
			}
			ins = append(ins, string(rune('a'+i)))
			vals = append(vals, New(shape, make([]float32, Size(shape))))
		}
		n := mNode("Einsum", ins, []string{"y"}, &graph.Attr{Name: "equation", Type: graph.AttrString, S: []byte(eq)})
		p, err := Compile(mOneNodeModel(n, 12), nil)
		if err != nil {
			if strings.Contains(err.Error(), "panic") {
				t.Fatal(err)
			}
			return
		}
		if _, err := p.Run(context.Background(), vals); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatal(err)
		}
	})
}
