package conv

// fillPanelSeg is a run of n output positions that lie in one B panel
// and one output row, as the assembly fill (im2colPanels) reads it: the
// panel starts at dst[off] with rows pw apart, the run takes its lanes
// within..within+n, its patch corner is input (z0, y0, x0) at offset base
// in a channel (possibly outside the input: padding), and kind says how
// its rows are read (see the fill kinds). lim is (id, ih, iw-span, 0),
// span the input elements the run's loads reach past its first, so that
// a row's tap lies inside the input when 0 <= (z0, y0, x0)+(dz, dy, dx) <
// lim.
type fillPanelSeg struct {
	off, pw, within, n int
	z0, y0, x0, base   int
	kind               int
	lim                [4]int
}

// The kinds of fillPanelSeg: a whole 16-wide panel row from one input
// run of stride 1 or 2 (plain loads where the run lies inside the input
// row), or part of a row of stride 1 or 2 (masked loads).
const (
	fillFull1 = 1
	fillFull2 = 2
	fillPart1 = 3
	fillPart2 = 4
	// fillSkip is a run the assembly leaves to the Go fill (fillSegs)
	// but for the zeros of the other lanes when it is the first of its
	// panel.
	fillSkip = 7
	// fillStrided+s is a run of stride s in 3..fillMaxStride: any part
	// of a panel row, gathered from whole-vector loads by permutes.
	fillStrided   = 8
	fillMaxStride = 8
)

// stridedReach returns how many input elements past a run's first lane
// the loads of a stride-s run (s in 3..fillMaxStride) reach, exclusive:
// the second half of the panel row starts 8s elements on, and each half
// loads the 8-float vectors that cover its 7s+1 elements.
func stridedReach(s int) int { return 8*s + 8*(7*s/8+1) }

// panelSegs lists the runs of a fill call (see im2colFill.fill) for the
// assembly fill: the runs of each panel in order, the first at lane 0.
// It returns false when the fill is not one the assembly does (panels
// other than 16 wide, strides past fillMaxStride along the row, sizes
// past int32). Runs of stride 3 and more whose loads would leave x are
// marked fillSkip (and skipped set) for fillSkipped.
func (f *im2colFill) panelSegs(dst []float32, pc, kb, j0, nb, nr, lastW int) bool {
	if nr != 16 || lastW > 16 || kb < 1 {
		return false
	}
	const lim = 1 << 30
	if f.in[0]*f.in[1]*f.in[2] >= lim || f.s[2] > fillMaxStride {
		return false
	}
	oh, ow := f.out[1], f.out[2]
	ih, iw := f.in[1], f.in[2]
	sd, sh, sw := f.s[0], f.s[1], f.s[2]
	lastQ := (nb - 1) / nr
	// Every panel row is stored as 16 floats.
	if len(dst) < lastQ*nr*kb+(kb-1)*lastW+16 {
		return false
	}
	// The least and greatest offsets of the block's rows.
	offLo, offHi := 0, 0
	if sw > 2 {
		offLo, offHi = f.rows[pc].off, f.rows[pc].off
		for _, rw := range f.rows[pc : pc+kb] {
			offLo, offHi = min(offLo, rw.off), max(offHi, rw.off)
		}
	}
	skipped := false
	segs := f.psegs[:0]
	pos := f.o0 + j0
	oz, oy, ox := pos/(oh*ow), (pos/ow)%oh, pos%ow
	for j := 0; j < nb; {
		q, within := j/nr, j%nr
		pw := nr
		if q == lastQ {
			pw = lastW
		}
		n := min(nr-within, nb-j, ow-ox)
		z0, y0, x0 := oz*sd-f.pad[0], oy*sh-f.pad[1], ox*sw-f.pad[2]
		kind := fillPart2
		switch {
		case within == 0 && n == 16 && pw == 16 && sw == 1:
			kind = fillFull1
		case within == 0 && n == 16 && pw == 16 && sw == 2:
			kind = fillFull2
		case sw == 1:
			kind = fillPart1
		}
		span := (n - 1) * sw
		switch kind {
		case fillFull1:
			span = 15
		case fillFull2:
			span = 31
		}
		base := (z0*ih+y0)*iw + x0
		if sw > 2 {
			// The loads start within lanes back and must stay inside x
			// for every row of the block (whichever rows read).
			kind = fillStrided + sw
			lo := base - within*sw
			if lo+offLo < 0 || lo+offHi+stridedReach(sw) > len(f.x) {
				kind = fillSkip
				skipped = true
			}
		}
		segs = append(segs, fillPanelSeg{off: q * nr * kb, pw: pw, within: within, n: n,
			z0: z0, y0: y0, x0: x0, base: base, kind: kind,
			lim: [4]int{f.in[0], ih, iw - span, 0}})
		j += n
		ox += n
		if ox == ow {
			ox = 0
			oy++
			if oy == oh {
				oy = 0
				oz++
			}
		}
	}
	f.psegs = segs
	f.skipped = skipped
	return true
}

// fillSkipped writes, after the assembly, the runs it left to Go (kind
// fillSkip).
func (f *im2colFill) fillSkipped(dst []float32, pc, kb int) {
	segs := f.segs[:0]
	for i := range f.psegs {
		sg := &f.psegs[i]
		if sg.kind != fillSkip {
			continue
		}
		segs = append(segs, fillSeg{off: sg.off + sg.within, pw: sg.pw, n: sg.n,
			z0: sg.z0, y0: sg.y0, x0: sg.x0, base: sg.base})
	}
	f.segs = segs
	f.fillSegs(dst, f.rows[pc:pc+kb], segs)
}
