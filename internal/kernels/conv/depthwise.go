package conv

// Depthwise convolution (one input channel per group, M/C output channels
// per input channel, two spatial axes).
//
// Each input plane is copied once into per-worker scratch holding the rows
// of the zero-padded plane that the windows read, each row split into its
// sw column phases (see dwLayout). Output (oy, ox) then reads scratch
// element oy*ld + ox + off(tap) for a fixed offset per tap: an output plane
// is one branch-free 2-D loop with no border cases and no strided loads,
// whatever the kernel size, stride, dilation or padding. The scratch is
// zeroed once per run: a plane's fill writes only the positions that hold
// input, so the padding stays zero.
//
// With AVX2+FMA (float32): stride 1 fills with vector row copies, stride 2
// with a vector even/odd split of each row; planes at least 32 outputs
// wide run row by row (dwConv, or dwConv3x3s1/s2 with the 3×3 weights in
// registers), narrower ones through a list of output vectors taken four
// at a time across rows (dwConvJobs). Bias, a clamp (Relu, Clip) and the
// sigmoid or SiLU are applied in the kernels' registers; a residual and
// other activations run over each output plane right after it is made,
// while it is in cache. Elsewhere (float64, other strides, -tags noasm)
// the same layout runs through fillPlane and convPlaneGo. Work is split
// over whole planes, so every output is computed the same way whatever
// the thread count.

import (
	"math"

	"github.com/onnxrun/onnxrun/internal/gemm"
)

// dwLayout is the scratch geometry of one depthwise problem. The scratch
// holds the rows of the padded input plane that the windows read, each
// split into its sw column phases of wq elements: padded element (r, c)
// is at r*rowLen + (c%sw)*wq + c/sw.
type dwLayout struct {
	rows, wq, rowLen int
	ld               int // scratch elements from one output row to the next
	offs             []int
	boffs            []int // offs in bytes, for the assembly kernel
	length           int   // scratch elements: the rows and the kernel's overrun
	// jobs, when not nil, lists the output vectors for dwConvJobs (see
	// there); jobsDst and jobsSrc are the elements they write in y and
	// read in the scratch.
	jobs             []int32
	jobsDst, jobsSrc int
	// The fill: input rows [iy0, iy0+nrows) go to padded rows from rr0.
	iy0, rr0, nrows int
	// Stride 1: input columns [j0, j0+ncols) go to columns from c0.
	j0, c0, ncols int
	// Stride 2: input columns jA+2k (k < na) go to row offset offA+k,
	// columns jA+2k+1 (k < nb) to offB+k.
	jA, offA, offB, na, nb int
}

func (pl *Plan[T]) dwLayout() dwLayout {
	p := &pl.P
	ih, iw := p.In[0], p.In[1]
	oh, ow := p.Out[0], p.Out[1]
	kh, kw := p.Kernel[0], p.Kernel[1]
	sh, sw := p.Strides[0], p.Strides[1]
	dh, dw := p.Dilations[0], p.Dilations[1]
	ph, pw := p.Pads[0], p.Pads[1]
	var l dwLayout
	l.rows = (oh-1)*sh + (kh-1)*dh + 1
	wp := (ow-1)*sw + (kw-1)*dw + 1
	l.wq = (wp + sw - 1) / sw
	l.rowLen = sw * l.wq
	l.ld = sh * l.rowLen
	l.offs = make([]int, 0, kh*kw)
	l.boffs = make([]int, 0, kh*kw)
	maxOff := 0
	for ky := 0; ky < kh; ky++ {
		for kx := 0; kx < kw; kx++ {
			c := kx * dw
			off := ky*dh*l.rowLen + (c%sw)*l.wq + c/sw
			l.offs = append(l.offs, off)
			l.boffs = append(l.boffs, 4*off)
			maxOff = max(maxOff, off)
		}
	}
	// The kernel reads whole vectors: up to the 8-aligned end of each row.
	// The stride-1 fill writes zeros up to 7 elements past a row.
	l.length = max(l.rows*l.rowLen+8, maxOff+(oh-1)*l.ld+(ow+7)&^7)

	if hasDWAsm && ow < dwJobsWidth && 4*l.length < 1<<30 {
		l.buildJobs(oh, ow, maxOff)
	}

	// Padded row rr holds input row rr-ph (a negative pad crops).
	l.iy0 = max(0, -ph)
	l.rr0 = l.iy0 + ph
	l.nrows = max(0, min(ih, l.rows-ph)-l.iy0)
	switch sw {
	case 1:
		l.j0 = max(0, -pw)
		l.c0 = l.j0 + pw
		l.ncols = max(0, min(iw, l.wq-pw)-l.j0)
	case 2:
		// Padded column 2q+pc holds input column 2q+pc-pw: per phase pc,
		// the first q that holds input, that input column and the count.
		var q0, j, n [2]int
		for pc := 0; pc < 2; pc++ {
			q0[pc] = max(0, (pw-pc+1)/2)
			j[pc] = 2*q0[pc] + pc - pw
			n[pc] = max(0, min(l.wq-q0[pc], (iw-j[pc]+1)/2))
		}
		// The phases start at input columns j and j+1.
		a := 0
		if j[1] < j[0] {
			a = 1
		}
		l.jA = j[a]
		l.offA, l.offB = a*l.wq+q0[a], (1-a)*l.wq+q0[1-a]
		l.na, l.nb = n[a], n[1-a]
	}
	return l
}

// dwJobsWidth is the output width below which the float32 kernel works
// through a list of output vectors (four at a time, across rows) rather
// than row by row.
const dwJobsWidth = 32

// buildJobs lists the output vectors of an oh×ow plane for dwConvJobs:
// {srcOff, dstOff, n, 0} with offsets in bytes. A row's last vector
// stores whole (its overrun is rewritten by the rows after) unless it
// would pass the plane's end.
func (l *dwLayout) buildJobs(oh, ow, maxOff int) {
	l.jobs = make([]int32, 0, 4*oh*((ow+7)/8))
	for r := 0; r < oh; r++ {
		for c := 0; c < ow; c += 8 {
			n := min(8, ow-c)
			d := r*ow + c
			if d+8 <= oh*ow {
				n = 8
			}
			src := r*l.ld + c
			l.jobs = append(l.jobs, int32(4*src), int32(4*d), int32(n), 0)
			l.jobsDst = max(l.jobsDst, d+n)
			l.jobsSrc = max(l.jobsSrc, src+maxOff+8)
		}
	}
}

// fillPlane writes input plane xc (ih×iw) into the scratch buf at the
// positions that hold input; the others are left as they are (zero).
func fillPlane[T Num](p *Params, l *dwLayout, xc, buf []T) {
	if l.nrows == 0 {
		return
	}
	iw := p.In[1]
	sw, pw := p.Strides[1], p.Pads[1]
	dst := buf[l.rr0*l.rowLen:]
	src := xc[l.iy0*iw:]
	switch sw {
	case 1:
		if l.ncols > 0 {
			copyRows(dst[l.c0:], src[l.j0:], l.nrows, l.ncols, l.rowLen, iw)
		}
	case 2:
		if l.na > 0 || l.nb > 0 {
			splitRows(dst[l.offA:], dst[l.offB:], src[l.jA:], l.nrows, l.na, l.nb, l.rowLen, iw)
		}
	default:
		for r := 0; r < l.nrows; r++ {
			xr := src[r*iw : (r+1)*iw]
			for pc := 0; pc < sw; pc++ {
				d := dst[r*l.rowLen+pc*l.wq : r*l.rowLen+(pc+1)*l.wq]
				// Phase columns [lo, hi) map to input columns
				// q*sw+pc-pw in [0, iw).
				lo := min(max(0, (pw-pc+sw-1)/sw), l.wq)
				hi := min(max(lo, (iw+pw-pc+sw-1)/sw), l.wq)
				for q := lo; q < hi; q++ {
					d[q] = xr[q*sw+pc-pw]
				}
			}
		}
	}
}

// copyRows copies rows rows of cols elements from src (row stride lds)
// to dst (row stride ldd), in order. The assembly kernel writes zeros
// after each row up to a multiple of 8 elements: dst must have room for
// them, and they must land on padding or on rows written after.
func copyRows[T Num](dst, src []T, rows, cols, ldd, lds int) {
	if df, ok := any(dst).([]float32); ok && hasDWAsm {
		dwFillF32(df, any(src).([]float32), rows, cols, ldd, lds)
		return
	}
	for r := 0; r < rows; r++ {
		copy(dst[r*ldd:r*ldd+cols], src[r*lds:r*lds+cols])
	}
}

// splitRows sets, for each of rows rows, a[k] = src[2k] (k < na) and
// b[k] = src[2k+1] (k < nb); a and b advance by ldd a row, src by lds.
func splitRows[T Num](a, b, src []T, rows, na, nb, ldd, lds int) {
	if af, ok := any(a).([]float32); ok && hasDWAsm {
		if dwSplitRowsF32(af, any(b).([]float32), any(src).([]float32), rows, na, nb, ldd, lds) {
			return
		}
	}
	for r := 0; r < rows; r++ {
		s := src[r*lds:]
		ar, br := a[r*ldd:r*ldd+na], b[r*ldd:r*ldd+nb]
		for k := range ar {
			ar[k] = s[2*k]
		}
		for k := range br {
			br[k] = s[2*k+1]
		}
	}
}

// convPlaneGo is the portable form of the dwConv kernel: y[r*ow+c] =
// clamp(bias + Σ_t w[t]·src[r*ld+c+offs[t]], lo, hi).
func convPlaneGo[T Num](y, src []T, offs []int, w []T, oh, ow, ld int, bias, lo, hi T, clamp bool) {
	for r := 0; r < oh; r++ {
		yr := y[r*ow : (r+1)*ow]
		for i := range yr {
			yr[i] = bias
		}
		for t, off := range offs {
			wv := w[t]
			s := src[r*ld+off : r*ld+off+ow]
			for i, v := range s {
				yr[i] += wv * v
			}
		}
		if clamp {
			for i, v := range yr {
				// Written so that NaN stays NaN.
				if v < lo {
					yr[i] = lo
				} else if v > hi {
					yr[i] = hi
				}
			}
		}
	}
}

// dwEpilogue is what the depthwise kernel applies to each output plane:
// a clamp to [lo, hi] (when clamp) and the sigmoid (sig 1) or SiLU (sig
// 2, float32 only), both in the kernel's registers where it can; then,
// when act is not nil, act over the plane (after adding the residual
// plane, when res is not nil; the activation is then all in act).
type dwEpilogue[T Num] struct {
	clamp  bool
	lo, hi T
	sig    int
	res    []T // same layout as y, or nil
	act    func(y []T)
}

// runDepthwise computes the convolution, splitting the work over (image,
// input channel) planes. bias may be nil. ep, when not nil (float32
// only), is the epilogue of RunEpilogue: Act(conv + bias + Residual).
func (pl *Plan[T]) runDepthwise(x, w, bias, y []T, threads int, ep *gemm.Epilogue) {
	if ep == nil {
		pl.runDepthwiseEp(x, w, bias, y, threads, nil)
		return
	}
	e := dwEpilogueOf(ep)
	any(pl).(*Plan[float32]).runDepthwiseEp(any(x).([]float32), any(w).([]float32), any(bias).([]float32),
		any(y).([]float32), threads, e)
}

// dwEpilogueOf returns the depthwise form of ep: without a residual, a
// clamp (Relu, Clip) or the sigmoid or SiLU in the kernel; else, and for
// the other activations, a pass over each plane.
func dwEpilogueOf(ep *gemm.Epilogue) *dwEpilogue[float32] {
	e := &dwEpilogue[float32]{res: ep.Residual}
	if ep.Residual == nil {
		switch ep.Act {
		case gemm.ActNone:
			return e
		case gemm.ActRelu:
			e.clamp, e.lo, e.hi = true, 0, float32(math.Inf(1))
			return e
		case gemm.ActClip:
			e.clamp, e.lo, e.hi = true, ep.Min, ep.Max
			return e
		case gemm.ActSigmoid:
			e.sig = 1
			return e
		case gemm.ActSiLU:
			e.sig = 2
			return e
		}
	}
	act := *ep
	e.act = func(y []float32) { activate(&act, y) }
	return e
}

// activate applies ep's activation to y in place, with the formulas of
// the GEMM epilogue.
func activate(ep *gemm.Epilogue, y []float32) {
	switch ep.Act {
	case gemm.ActRelu:
		for i, v := range y {
			y[i] = max(v, 0)
		}
	case gemm.ActClip:
		lo, hi := ep.Min, ep.Max
		for i, v := range y {
			y[i] = min(max(v, lo), hi)
		}
	case gemm.ActLeakyRelu:
		a := ep.Alpha
		for i, v := range y {
			if v < 0 {
				y[i] = a * v
			}
		}
	case gemm.ActSigmoid, gemm.ActSiLU:
		gemm.Sigmoid(y, ep.Act == gemm.ActSiLU)
	case gemm.ActHardSigmoid:
		a, b := ep.Alpha, ep.Beta
		for i, v := range y {
			y[i] = max(0, min(1, a*v+b))
		}
	case gemm.ActHardSwish:
		for i, v := range y {
			y[i] = v * max(0, min(1, v*(1.0/6)+0.5))
		}
	case gemm.ActTanh:
		for i, v := range y {
			y[i] = float32(math.Tanh(float64(v)))
		}
	}
}

// runDepthwiseEp is runDepthwise with the epilogue in its own form (nil
// for none).
func (pl *Plan[T]) runDepthwiseEp(x, w, bias, y []T, threads int, ep *dwEpilogue[T]) {
	p := &pl.P
	ihw := p.In[0] * p.In[1]
	oh, ow := p.Out[0], p.Out[1]
	ohw := oh * ow
	kk := p.Kernel[0] * p.Kernel[1]
	mult := pl.mg
	l := pl.dwLayout()
	var e dwEpilogue[T]
	if ep != nil {
		e = *ep
	}
	if !e.clamp {
		// The assembly kernel always clamps: to ±Inf, which keeps every
		// value (NaN too).
		if lo, ok := any(&e.lo).(*float32); ok {
			*lo = float32(math.Inf(-1))
			*any(&e.hi).(*float32) = float32(math.Inf(1))
		}
	}
	fast := newDWFast(pl, &l)
	planes := p.N * p.C
	// Items of whole planes, at least ~8k outputs each: small planes
	// (7×7) would otherwise cost more in scheduling than in arithmetic.
	per := max(1, min(8192/max(ohw*mult, 1), planes/max(4*threads, 1)))
	items := (planes + per - 1) / per
	scratch := make([][]T, min(threads, items))
	defer func() {
		for _, b := range scratch {
			if b != nil {
				putScratch(b)
			}
		}
	}()
	ParallelFor(items, threads, func(wk, it int) {
		if scratch[wk] == nil {
			scratch[wk] = getScratch[T](l.length)
			clear(scratch[wk])
		}
		buf := scratch[wk]
		if fast != nil {
			fast.planes(any(x).([]float32), any(w).([]float32), any(bias).([]float32), any(y).([]float32),
				any(buf).([]float32), it*per, min(planes, (it+1)*per), any(&e).(*dwEpilogue[float32]))
			return
		}
		for pi := it * per; pi < min(planes, (it+1)*per); pi++ {
			n, c := pi/p.C, pi%p.C
			fillPlane(p, &l, x[pi*ihw:(pi+1)*ihw], buf)
			for j := 0; j < mult; j++ {
				m := c*mult + j
				var b T
				if bias != nil {
					b = bias[m]
				}
				wm := w[m*kk : (m+1)*kk]
				o := (n*p.M + m) * ohw
				yo := y[o : o+ohw]
				convPlane(yo, buf, &l, wm, oh, ow, b, &e)
				if e.act != nil {
					if e.res != nil {
						r := e.res[o : o+ohw]
						for i := range yo {
							yo[i] += r[i]
						}
					}
					e.act(yo)
				}
			}
		}
	})
}

// convPlane computes one output plane from the scratch buf, with the
// clamp and sigmoid of e.
func convPlane[T Num](y, buf []T, l *dwLayout, w []T, oh, ow int, bias T, e *dwEpilogue[T]) {
	if yf, ok := any(y).([]float32); ok && hasDWAsm && l.jobs != nil {
		dwConvJobsF32(yf, any(buf).([]float32), l, any(w).([]float32), any(bias).(float32),
			any(e.lo).(float32), any(e.hi).(float32), e.sig)
		return
	}
	if yf, ok := any(y).([]float32); ok && hasDWAsm {
		dwConvF32(yf, any(buf).([]float32), l.boffs, any(w).([]float32), oh, ow, l.ld,
			any(bias).(float32), any(e.lo).(float32), any(e.hi).(float32), e.sig)
		return
	}
	convPlaneGo(y, buf, l.offs, w, oh, ow, l.ld, bias, e.lo, e.hi, e.clamp)
	if yf, ok := any(y).([]float32); ok && e.sig != 0 {
		gemm.Sigmoid(yf, e.sig == 2)
	}
}
