package conv

import "github.com/onnxrun/onnxrun/internal/gemm"

// Taps: a stride-1 convolution with few output channels per group (a
// generator's last layer, a grouped layer of four channels per group) is
// computed directly, one output channel at a time, as a sum of shifted
// input rows: with the input zero-padded into a grid as wide as the padded
// row, output position (z, y, x) of the grid is Σ_t w[t]·in[off_t + i],
// i its grid index and off_t the grid offset of tap t (channel and kernel
// position). The taps kernel keeps 64 outputs in registers over all C·K
// taps, so nothing is expanded (im2col writes C·K values per output, each
// used by only M filters). The grid's positions past the output row are
// computed and dropped.

// tapsMaxM is the most output channels per group for which Taps is
// offered.
const tapsMaxM = 8

// tapsMaxGrid bounds the padded input grid of one image and group, in
// elements (the scratch Taps needs).
const tapsMaxGrid = 1 << 22

// tapsScratch bounds the padded grids Taps keeps at once, in elements
// (a variable for tests).
var tapsScratch = 2 * tapsMaxGrid

// tapsGeom is the padded grid of a Taps convolution, as three axes.
type tapsGeom struct {
	in, out, pad [3]int
	// grid: the padded extent per axis; vol its volume; length: grid
	// indexes spanned by the outputs, rounded up to 8; slack: room after
	// the channels for the reads of the last taps.
	grid          [3]int
	vol, length   int
	offs          []int
	maxOff, total int
}

func tapsGeometry(p *Params, cg int) *tapsGeom {
	g := &tapsGeom{}
	var k, d [3]int
	r := len(p.In)
	for a := 0; a < 3; a++ {
		g.in[a], g.out[a], k[a], d[a] = 1, 1, 1, 1
	}
	for a := 0; a < r; a++ {
		b := 3 - r + a
		g.in[b], g.out[b], k[b], d[b], g.pad[b] = p.In[a], p.Out[a], p.Kernel[a], p.Dilations[a], p.Pads[a]
	}
	for a := 0; a < 3; a++ {
		g.grid[a] = max(g.out[a]-1+(k[a]-1)*d[a]+1, g.pad[a]+g.in[a])
	}
	g.vol = g.grid[0] * g.grid[1] * g.grid[2]
	g.length = ((g.out[0]-1)*g.grid[1]+g.out[1]-1)*g.grid[2] + g.out[2]
	g.length = (g.length + 7) &^ 7
	for c := 0; c < cg; c++ {
		for kz := 0; kz < k[0]; kz++ {
			for ky := 0; ky < k[1]; ky++ {
				for kx := 0; kx < k[2]; kx++ {
					off := c*g.vol + ((kz*d[0])*g.grid[1]+ky*d[1])*g.grid[2] + kx*d[2]
					g.offs = append(g.offs, off)
					g.maxOff = max(g.maxOff, off)
				}
			}
		}
	}
	g.total = max(cg*g.vol, g.maxOff+g.length)
	return g
}

// tapsOK reports whether Taps computes p: stride 1, up to three spatial
// axes, few output channels per group and a grid of bounded size.
func tapsOK(p *Params) bool {
	if len(p.In) > 3 || p.M/p.Group > tapsMaxM {
		return false
	}
	for a := range p.In {
		if p.Strides[a] != 1 {
			return false
		}
	}
	g := tapsGeometry(&Params{In: p.In, Out: p.Out, Kernel: p.Kernel, Dilations: p.Dilations, Pads: p.Pads}, 1)
	return g.vol*(p.C/p.Group) <= tapsMaxGrid
}

// runTaps computes the convolution (see Taps) with the epilogue ep when
// not nil (float32 only). Work items are (image, group, output channel,
// chunk of the grid); chunk boundaries are multiples of 8 fixed by the
// shape alone, so every output is summed the same way whatever the thread
// count.
func (pl *Plan[T]) runTaps(x, w, bias []T, ep *gemm.Epilogue, y []T, threads int) {
	p := &pl.P
	g := tapsGeometry(p, pl.cg)
	per := p.N * p.Group
	// The padded grids of a batch of (image, group) pairs at a time, so
	// that the scratch stays bounded whatever the batch size.
	batch := max(1, min(per, tapsScratch/g.total))
	grids := getScratch[T](batch * g.total)
	defer putScratch(grids)
	const chunk = 1024
	chunks := (g.length + chunk - 1) / chunk
	bufs := make([][]T, threads)
	for b0 := 0; b0 < per; b0 += batch {
		nb := min(batch, per-b0)
		ParallelFor(nb, threads, func(_, bi int) {
			dst := grids[bi*g.total : (bi+1)*g.total]
			clear(dst)
			it := b0 + bi
			n, gr := it/p.Group, it%p.Group
			xg := x[(n*p.C+gr*pl.cg)*pl.in:]
			for c := 0; c < pl.cg; c++ {
				for z := 0; z < g.in[0]; z++ {
					for yy := 0; yy < g.in[1]; yy++ {
						src := xg[c*pl.in+(z*g.in[1]+yy)*g.in[2]:][:g.in[2]]
						o := c*g.vol + ((z+g.pad[0])*g.grid[1]+yy+g.pad[1])*g.grid[2] + g.pad[2]
						copy(dst[o:o+g.in[2]], src)
					}
				}
			}
		})
		ParallelFor(nb*pl.mg*chunks, threads, func(wk, it int) {
			ch := it % chunks
			m := (it / chunks) % pl.mg
			bi := it / chunks / pl.mg
			gi := b0 + bi
			n, gr := gi/p.Group, gi%p.Group
			oc := gr*pl.mg + m
			i0 := ch * chunk
			ln := min(chunk, g.length-i0)
			if bufs[wk] == nil {
				bufs[wk] = make([]T, chunk)
			}
			dst := bufs[wk][:ln]
			var b T
			if bias != nil {
				b = bias[oc]
			}
			src := grids[bi*g.total+i0 : (bi+1)*g.total]
			wm := w[oc*pl.ck : (oc+1)*pl.ck]
			if d32, ok := any(dst).([]float32); ok {
				tapsF32(d32, any(src).([]float32), g.offs, any(wm).([]float32), any(b).(float32))
			} else {
				tapsGo(dst, src, g.offs, wm, b)
			}
			// Keep the grid positions that are outputs.
			yc := y[(n*p.M+oc)*pl.out : (n*p.M+oc+1)*pl.out]
			gw, gh := g.grid[2], g.grid[1]
			for i := i0; i < i0+ln; {
				x0 := i % gw
				row := i / gw
				oy, oz := row%gh, row/gh
				run := min(gw-x0, i0+ln-i)
				if oy < g.out[1] && oz < g.out[0] && x0 < g.out[2] {
					k := min(run, g.out[2]-x0)
					o := (oz*g.out[1]+oy)*g.out[2] + x0
					copy(yc[o:o+k], dst[i-i0:i-i0+k])
					if ep != nil {
						e := *ep
						if e.Residual != nil {
							r := (n*p.M+oc)*pl.out + o
							e.Residual = e.Residual[r : r+k]
						}
						e.Apply(1, k, any(yc[o:o+k]).([]float32), k)
					}
				}
				i += run
			}
		})
	}
}
