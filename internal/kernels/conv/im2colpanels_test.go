package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// fillParams draws a problem for the fill tests: rank 1 to 3, strides 1
// to 5, dilations 1 to 3, any begin and end padding, output rows from a
// few positions (several runs per panel) to several panels.
func fillParams(r *rand.Rand, rank int) Params {
	p := Params{N: 1, Group: 1, C: 1 + r.IntN(3), M: 1}
	for a := 0; a < rank; a++ {
		k := 1 + r.IntN(4)
		d := 1 + r.IntN(3)
		s := []int{1, 1, 2, 2, 3, 4, 5}[r.IntN(7)]
		pad := r.IntN(k + 1)
		padEnd := r.IntN(k + 1)
		in := 1 + r.IntN(6)
		if a == rank-1 {
			in = 1 + r.IntN(70)
		}
		in = max(in, (k-1)*d+1-pad-padEnd)
		p.In = append(p.In, in)
		p.Kernel = append(p.Kernel, k)
		p.Dilations = append(p.Dilations, d)
		p.Strides = append(p.Strides, s)
		p.Pads = append(p.Pads, pad)
		p.Out = append(p.Out, (in+pad+padEnd-((k-1)*d+1))/s+1)
	}
	return p
}

// TestFillPanelsMatchesGo checks the assembly fill against the Go fill on
// random blocks (strides 1 to 5: every kind of run, those left to the Go
// fill too): the same bits in every panel, nothing written past the
// block's buffer, and nothing read outside the input (the input sits
// between NaN bands whose bits would show in the panels).
func TestFillPanelsMatchesGo(t *testing.T) {
	if !fillAsm {
		t.Skip("no assembly fill in this build")
	}
	r := rand.New(rand.NewPCG(21, 22))
	const nr = 16
	// The runs of each kind the assembly saw: every kind must show up.
	kinds := map[int]int{}
	defer func() {
		for _, k := range []int{fillFull1, fillFull2, fillPart1, fillPart2, fillSkip, fillStrided + 3, fillStrided + 4, fillStrided + 5} {
			if kinds[k] == 0 {
				t.Errorf("no run of kind %d (runs per kind: %v)", k, kinds)
			}
		}
	}()
	for iter := 0; iter < 3000; iter++ {
		p := fillParams(r, 1+iter%3)
		cg := p.C
		vol := prod(p.In)
		out := prod(p.Out)
		xbuf := make([]float32, cg*vol+2*guard)
		for i := range xbuf {
			xbuf[i] = float32(math.NaN())
		}
		x := xbuf[guard : guard+cg*vol : guard+cg*vol]
		for i := range x {
			x[i] = float32(r.NormFloat64())
			if r.IntN(50) == 0 {
				x[i] = float32(math.Copysign(0, -1))
			}
		}
		f := newIm2colFill(&p, cg)
		f.x = x
		k := len(f.rows)
		f.o0 = r.IntN(out)
		j0 := r.IntN(out - f.o0)
		nb := 1 + r.IntN(out-f.o0-j0)
		pc := r.IntN(k)
		kb := 1 + r.IntN(k-pc)
		lastQ := (nb - 1) / nr
		left := nb - lastQ*nr
		lastW := nr
		if r.IntN(2) == 0 {
			lastW = left + r.IntN(nr-left+1)
		}
		n := kb * nr * (lastQ + 1)
		want := make([]float32, n)
		for i := range want {
			want[i] = 777
		}
		f.fillGo(want, pc, kb, j0, nb, nr, lastW)
		got, check := guarded(n)
		if !f.fillPanels(got, pc, kb, j0, nb, nr, lastW) {
			t.Fatalf("%s: fill not taken", fmtParams(p))
		}
		for _, sg := range f.psegs {
			kinds[sg.kind]++
		}
		check(t)
		what := fmt.Sprintf("%s o0=%d j0=%d nb=%d pc=%d kb=%d lastW=%d", fmtParams(p), f.o0, j0, nb, pc, kb, lastW)
		for q := 0; q <= lastQ; q++ {
			pw := nr
			if q == lastQ {
				pw = lastW
			}
			for i := q * nr * kb; i < q*nr*kb+kb*pw; i++ {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
				}
			}
		}
	}
}

// TestIm2colAsmMatchesReference runs the im2col algorithm with and
// without the assembly fill on random problems of rank 1 to 3 (every
// stride, dilation and padding form, groups, batches) against the
// reference: the same bits either way, on one and two threads.
func TestIm2colAsmMatchesReference(t *testing.T) {
	if !fillAsm {
		t.Skip("no assembly fill in this build")
	}
	defer func(v bool) { fillAsm = v }(fillAsm)
	r := rand.New(rand.NewPCG(23, 24))
	for iter := 0; iter < 150; iter++ {
		p := fillParams(r, 1+iter%3)
		p.N = 1 + r.IntN(2)
		p.Group = 1 + r.IntN(2)
		p.C *= p.Group
		p.M = p.Group * (1 + r.IntN(20))
		pl, err := NewPlan[float32](p)
		if err != nil {
			t.Fatal(err)
		}
		q := pl.WithAlgo(Im2col)
		if q.Algo != Im2col {
			continue
		}
		x := randSlice(r, p.N*p.C*prod(p.In))
		w := randSlice(r, p.M*p.C/p.Group*prod(p.Kernel))
		want := make([]float32, p.N*p.M*prod(p.Out))
		Reference(&p, x, w, nil, want)
		var first []float32
		for _, asm := range []bool{true, false} {
			for _, th := range []int{1, 2} {
				fillAsm = asm
				y, check := guarded(len(want))
				if err := q.Run(x, w, nil, y, th); err != nil {
					t.Fatal(err)
				}
				check(t)
				closeAll(t, fmtParams(p), y, want)
				if first == nil {
					first = append([]float32(nil), y...)
					continue
				}
				for i := range y {
					if math.Float32bits(y[i]) != math.Float32bits(first[i]) {
						t.Fatalf("%s asm=%v threads=%d: element %d = %v, want %v", fmtParams(p), asm, th, i, y[i], first[i])
					}
				}
			}
		}
	}
}

// BenchmarkFill fills blocks of the column matrix as the GEMM asks for
// them (depth 247 or the whole depth, 320 columns) for layers of the zoo,
// with the assembly and the Go fill; the metric is the floats written per
// nanosecond.
func BenchmarkFill(b *testing.B) {
	for _, name := range []string{"r3d_18/layer1", "r3d_18/stem", "resnet18/conv1", "squeezenet/conv1", "squeezenet/expand3x3", "resnet18/layer3.0.conv1", "resnet18/layer4"} {
		var p Params
		for _, l := range zooLayers {
			if l.name == name {
				p = l.p
			}
		}
		for _, asm := range []bool{true, false} {
			if asm && !fillAsm {
				continue
			}
			b.Run(fmt.Sprintf("%s/asm=%v", name, asm), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 2))
				f := newIm2colFill(&p, p.C)
				f.x = randSlice(r, p.C*prod(p.In))
				k, out := len(f.rows), prod(p.Out)
				kb, nb := min(k, 247), min(out, 320)
				dst := make([]float32, kb*((nb+15)/16*16))
				b.ResetTimer()
				// In the GEMM's order: all the depth of a block of
				// columns, then the next block.
				nk := (k + kb - 1) / kb
				for i := 0; i < b.N; i++ {
					j0 := (i / nk * nb) % (out - nb + 1)
					pc := min(i%nk*kb, k-kb)
					if !asm || !f.fillPanels(dst, pc, kb, j0, nb, 16, 16) {
						f.fillGo(dst, pc, kb, j0, nb, 16, 16)
					}
				}
				b.ReportMetric(float64(kb*nb)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "floats/ns")
			})
		}
	}
}
