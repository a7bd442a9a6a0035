package pool

import (
	"errors"
	"math"
)

// Geometry is the window of one pooling node over one input shape: per
// spatial axis the input and output sizes, the kernel size, stride and
// dilation, and the padding before and after the input.
type Geometry struct {
	In, Out, Kernel, Strides, Dilations, PadBegin, PadEnd []int
}

// ErrTooLarge is returned by NewPlan when the windows of a plane would
// need a table larger than the limit asked for.
var ErrTooLarge = errors.New("pool: window table too large")

// Plan is a pooling node prepared for one input shape. A plane is pooled
// in two passes: the first reduces, for every output row (all output
// coordinates but the last), the input rows its window covers into one
// row, set between neutral elements (-Inf for max, 0 for sums) that stand
// for the padding; the second reduces the windows along the last axis of
// those rows, every one with all its taps. Each pass runs runs of rows
// whose taps shift by a constant as one strided kernel call.
type Plan struct {
	inSz, outSz int
	w, ow       int // last axis: input and output size
	s           int // last axis stride
	// A reduced row holds wp elements: pl neutral ones, the w reduced
	// inputs, neutral ones to the end.
	wp, pl int
	nrows  int // output rows
	// groups of output rows for the first pass; identity: the first pass
	// would copy the input (the second then reads it directly).
	groups   []rowGroup
	identity bool
	// Row r's window reads rowCnt[r] input rows, rowPad[r] counting those
	// in the padding too.
	rowCnt, rowPad []int
	// Output column o reads colCnt[o] inputs, colPad[o] counting those in
	// the padding too.
	colCnt, colPad []int
	// hoffs are the taps of output column 0 in a reduced row; column o
	// reads hoffs[j]+s*o.
	hoffs []int
}

// rowGroup is m output rows from r0 on whose windows read the input rows
// at in-plane offsets offs (for r0), shifted by delta per row; empty offs:
// the windows read no input.
type rowGroup struct {
	r0, m, delta int
	offs         []int
}

// axisTaps is one axis of a geometry: for each output position the first
// input coordinate its window reads, how many it reads, and how many of
// its taps lie within the padded extent.
type axisTaps struct{ first, cnt, pad []int }

func makeAxis(in, out, k, s, d, pb, pe int) axisTaps {
	a := axisTaps{first: make([]int, out), cnt: make([]int, out), pad: make([]int, out)}
	for o := 0; o < out; o++ {
		for j := 0; j < k; j++ {
			x := o*s - pb + j*d
			if x >= 0 && x < in {
				if a.cnt[o] == 0 {
					a.first[o] = x
				}
				a.cnt[o]++
			}
			if x >= -pb && x < in+pe {
				a.pad[o]++
			}
		}
	}
	return a
}

// NewPlan prepares g, whose sizes must be positive and consistent (as the
// ONNX shape rules make them); limit bounds the work of preparing and the
// size of the tables (the taps of the windows of one plane along each
// axis, and the input rows the windows of one plane read).
func NewPlan(g Geometry, limit int) (*Plan, error) {
	r := len(g.In)
	if r == 0 || len(g.Out) != r || len(g.Kernel) != r || len(g.Strides) != r ||
		len(g.Dilations) != r || len(g.PadBegin) != r || len(g.PadEnd) != r {
		return nil, errors.New("pool: geometry ranks differ")
	}
	p := &Plan{inSz: 1, outSz: 1}
	for a := 0; a < r; a++ {
		if g.In[a] <= 0 || g.Out[a] <= 0 || g.Kernel[a] <= 0 || g.Strides[a] <= 0 || g.Dilations[a] <= 0 ||
			g.PadBegin[a] < 0 || g.PadEnd[a] < 0 {
			return nil, errors.New("pool: geometry sizes must be positive")
		}
		if g.Out[a] > limit/g.Kernel[a] {
			return nil, ErrTooLarge
		}
		p.inSz *= g.In[a]
		p.outSz *= g.Out[a]
	}
	axes := make([]axisTaps, r)
	for a := range axes {
		axes[a] = makeAxis(g.In[a], g.Out[a], g.Kernel[a], g.Strides[a], g.Dilations[a], g.PadBegin[a], g.PadEnd[a])
	}
	last := r - 1
	p.w, p.ow, p.s = g.In[last], g.Out[last], g.Strides[last]
	p.colCnt, p.colPad = axes[last].cnt, axes[last].pad
	k, d := g.Kernel[last], g.Dilations[last]
	p.pl = g.PadBegin[last]
	p.wp = max(p.pl+p.w, (p.ow-1)*p.s+(k-1)*d+1)
	p.hoffs = make([]int, k)
	for j := range p.hoffs {
		p.hoffs[j] = j * d
	}
	// Rows: the outer axes' output coordinates in row-major order.
	inSt := make([]int, r)
	st := 1
	for a := last; a >= 0; a-- {
		inSt[a] = st
		st *= g.In[a]
	}
	p.nrows = p.outSz / p.ow
	p.rowCnt = make([]int, p.nrows)
	p.rowPad = make([]int, p.nrows)
	oc := make([]int, last)
	var offs []int
	var rec func(a, base int)
	rec = func(a, base int) {
		if a == last {
			offs = append(offs, base)
			return
		}
		ax := axes[a]
		o := oc[a]
		for j := 0; j < ax.cnt[o]; j++ {
			rec(a+1, base+(ax.first[o]+j*g.Dilations[a])*inSt[a])
		}
	}
	total := 0
	var cur *rowGroup
	for row := 0; row < p.nrows; row++ {
		cnt, pad := 1, 1
		for a := 0; a < last; a++ {
			cnt *= axes[a].cnt[oc[a]]
			pad *= axes[a].pad[oc[a]]
		}
		if total += cnt; total > limit {
			return nil, ErrTooLarge
		}
		p.rowCnt[row], p.rowPad[row] = cnt, pad
		offs = offs[:0]
		rec(0, 0)
		if cur != nil && cur.extends(row, offs) {
			cur.m++
		} else {
			p.groups = append(p.groups, rowGroup{r0: row, m: 1, offs: append([]int(nil), offs...)})
			cur = &p.groups[len(p.groups)-1]
		}
		for a := last - 1; a >= 0; a-- {
			oc[a]++
			if oc[a] < g.Out[a] {
				break
			}
			oc[a] = 0
		}
	}
	if len(p.groups) == 1 {
		gr := p.groups[0]
		p.identity = len(gr.offs) == 1 && gr.offs[0] == 0 && (gr.m == 1 || gr.delta == p.w) && p.nrows*p.w == p.inSz &&
			p.pl == 0 && p.wp == p.w
	}
	return p, nil
}

// extends reports whether output row row, whose window reads the input
// rows at offs, continues the group.
func (gr *rowGroup) extends(row int, offs []int) bool {
	if gr.r0+gr.m != row || len(offs) != len(gr.offs) || len(offs) == 0 {
		return false
	}
	delta := offs[0] - gr.offs[0] - (gr.m-1)*gr.delta
	if gr.m == 1 {
		if offs[0] < gr.offs[0] {
			return false
		}
		delta = offs[0] - gr.offs[0]
	} else if delta != gr.delta {
		return false
	}
	for j, o := range offs {
		if o != gr.offs[j]+gr.m*delta {
			return false
		}
	}
	gr.delta = delta
	return true
}

// InSize returns the number of elements of an input plane.
func (p *Plan) InSize() int { return p.inSz }

// OutSize returns the number of elements of an output plane.
func (p *Plan) OutSize() int { return p.outSz }

// Scratch is one goroutine's working memory for a plan.
type Scratch[T Float] struct {
	v []T // reduced input rows, one per output row of a block
	// invRows: per output row, the reciprocals of its windows' sizes
	invRows [][]T
	offs    []int // taps of a group shifted to a block's first row
	// padded: the neutral elements of v are set (a Scratch serves one
	// kind of pooling).
	padded bool
}

// blockElems bounds the reduced input rows the first pass writes before
// the second reads them, so that they stay in the nearest cache.
const blockElems = 4096

// blockRows returns how many output rows of a large plane p pools at a
// time.
func (p *Plan) blockRows() int {
	return max(1, min(p.nrows, blockElems/p.wp))
}

// Batch returns how many planes MaxPlanes and AvgPlanes pool per call at
// most: small planes go several at a time.
func (p *Plan) Batch() int {
	return max(1, blockElems/(p.nrows*p.wp))
}

// NewScratch returns working memory for p.
func NewScratch[T Float](p *Plan) *Scratch[T] {
	sc := &Scratch[T]{}
	if !p.identity {
		if b := p.Batch(); b > 1 {
			sc.v = make([]T, b*p.nrows*p.wp)
		} else {
			sc.v = make([]T, p.blockRows()*p.wp)
		}
	}
	return sc
}

// pass reduces src (nplanes input planes, at most p.Batch()) into dst
// (as many output planes) with taps (maxRows or sumRows); neutral is the
// element that changes no result.
func pass[T Float](p *Plan, dst, src []T, nplanes int, sc *Scratch[T], taps func(dst, src []T, offs []int, g rows), neutral T) {
	if nplanes < 1 || nplanes > p.Batch() {
		panic("pool: planes out of range")
	}
	src, dst = src[:nplanes*p.inSz], dst[:nplanes*p.outSz]
	if p.identity {
		taps(dst, src, p.hoffs, rows{n: p.ow, stride: p.s, m: nplanes * p.nrows, dstStride: p.ow, srcStride: p.w})
		return
	}
	if !sc.padded {
		// Only the inputs of each row are written from now on.
		for i := range sc.v {
			sc.v[i] = neutral
		}
		sc.padded = true
	}
	if p.Batch() > 1 {
		// Whole planes: each group's rows in every plane at once.
		v := sc.v[:nplanes*p.nrows*p.wp]
		vPlane := p.nrows * p.wp
		for _, gr := range p.groups {
			if len(gr.offs) == 0 {
				for q := 0; q < nplanes; q++ {
					for r := gr.r0; r < gr.r0+gr.m; r++ {
						row := v[q*vPlane+r*p.wp+p.pl:][:p.w]
						for i := range row {
							row[i] = neutral
						}
					}
				}
				continue
			}
			taps(v[gr.r0*p.wp+p.pl:], src, gr.offs, rows{n: p.w, stride: 1, m: gr.m, dstStride: p.wp, srcStride: gr.delta,
				planes: nplanes, dstPlane: vPlane, srcPlane: p.inSz})
		}
		taps(dst, v, p.hoffs, rows{n: p.ow, stride: p.s, m: nplanes * p.nrows, dstStride: p.ow, srcStride: p.wp})
		return
	}
	b := p.blockRows()
	gi := 0
	for r0 := 0; r0 < p.nrows; r0 += b {
		r1 := min(r0+b, p.nrows)
		v := sc.v[:(r1-r0)*p.wp]
		// The groups overlapping rows [r0, r1), clipped to them.
		for ; gi < len(p.groups) && p.groups[gi].r0+p.groups[gi].m <= r0; gi++ {
		}
		for g := gi; g < len(p.groups) && p.groups[g].r0 < r1; g++ {
			gr := p.groups[g]
			a, z := max(gr.r0, r0), min(gr.r0+gr.m, r1)
			if len(gr.offs) == 0 {
				for r := a; r < z; r++ {
					row := v[(r-r0)*p.wp+p.pl:][:p.w]
					for i := range row {
						row[i] = neutral
					}
				}
				continue
			}
			offs := gr.offs
			if shift := (a - gr.r0) * gr.delta; shift != 0 {
				sc.offs = sc.offs[:0]
				for _, o := range gr.offs {
					sc.offs = append(sc.offs, o+shift)
				}
				offs = sc.offs
			}
			taps(v[(a-r0)*p.wp+p.pl:], src, offs, rows{n: p.w, stride: 1, m: z - a, dstStride: p.wp, srcStride: gr.delta})
		}
		taps(dst[r0*p.ow:r1*p.ow], v, p.hoffs, rows{n: p.ow, stride: p.s, m: r1 - r0, dstStride: p.ow, srcStride: p.wp})
	}
}

// MaxPlanes sets dst (nplanes output planes, at most p.Batch()) to the
// window maxima of src (as many input planes): a NaN for a window holding
// one, -Inf for a window that reads no input.
func MaxPlanes[T Float](p *Plan, dst, src []T, nplanes int, sc *Scratch[T]) {
	pass(p, dst, src, nplanes, sc, maxRows[T], T(math.Inf(-1)))
}

// AvgPlanes sets dst (nplanes output planes, at most p.Batch()) to the
// window means of src (as many input planes), dividing by the number of
// taps inside the input, or with includePad by those inside the padded
// input; a window that reads no input gives 0. A Scratch serves one kind
// of pooling.
func AvgPlanes[T Float](p *Plan, dst, src []T, nplanes int, includePad bool, sc *Scratch[T]) {
	pass(p, dst, src, nplanes, sc, sumRows[T], 0)
	rowDiv, colDiv := p.rowCnt, p.colCnt
	if includePad {
		rowDiv, colDiv = p.rowPad, p.colPad
	}
	if sc.invRows == nil {
		// Per output row, the reciprocals of its windows' sizes (rows of
		// equal window row counts share them).
		byDiv := map[int][]T{}
		sc.invRows = make([][]T, len(rowDiv))
		for r, rd := range rowDiv {
			inv := byDiv[rd]
			if inv == nil {
				inv = make([]T, p.ow)
				for o, cd := range colDiv {
					if n := rd * cd; n > 0 {
						inv[o] = T(1 / float64(n))
					}
				}
				byDiv[rd] = inv
			}
			sc.invRows[r] = inv
		}
	}
	for q := 0; q < nplanes; q++ {
		for r, inv := range sc.invRows {
			out := dst[q*p.outSz+r*p.ow:][:p.ow]
			inv = inv[:len(out)]
			for o := range out {
				out[o] *= inv[o]
			}
		}
	}
}
