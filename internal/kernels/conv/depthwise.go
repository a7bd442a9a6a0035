package conv

// Depthwise convolution (one input channel per group, M/C output channels
// per input channel, two spatial axes).
//
// Each input plane is copied once into per-worker scratch, zero-padded to
// exactly the rows and columns the windows read, and split into stride
// phases: padded element (r, c) goes to phase plane (r%sh, c%sw) at
// (r/sh, c/sw). Every plane has the same width wq, so output (oy, ox) at
// flat index oy*wq+ox reads phase-plane element j+off(tap) for a fixed
// offset per tap. One output plane is then a single run of oh*wq outputs
// (the columns ox >= ow are computed and dropped) over kh*kw taps: long
// vectors even for 7×7 planes, no border cases, and no strided loads. The
// run is the tapsF32 kernel (AVX2+FMA assembly where available) or tapsGo.

// dwLayout is the scratch geometry of one depthwise problem.
type dwLayout struct {
	hp, wp int // padded rows and columns read by the windows
	hq, wq int // phase-plane rows and columns
	plane  int // hq*wq
	offs   []int
	length int // scratch elements for the phase planes and the tail of the last run
	run    int // oh*wq outputs per output plane
}

func (pl *Plan[T]) dwLayout() dwLayout {
	p := &pl.P
	oh, ow := p.Out[0], p.Out[1]
	kh, kw := p.Kernel[0], p.Kernel[1]
	sh, sw := p.Strides[0], p.Strides[1]
	dh, dw := p.Dilations[0], p.Dilations[1]
	var l dwLayout
	l.hp = (oh-1)*sh + (kh-1)*dh + 1
	l.wp = (ow-1)*sw + (kw-1)*dw + 1
	l.hq = (l.hp + sh - 1) / sh
	l.wq = (l.wp + sw - 1) / sw
	l.plane = l.hq * l.wq
	l.run = oh * l.wq
	l.offs = make([]int, 0, kh*kw)
	maxOff := 0
	for ky := 0; ky < kh; ky++ {
		r := ky * dh
		for kx := 0; kx < kw; kx++ {
			c := kx * dw
			off := ((r%sh)*sw+c%sw)*l.plane + (r/sh)*l.wq + c/sw
			l.offs = append(l.offs, off)
			maxOff = max(maxOff, off)
		}
	}
	l.length = max(sh*sw*l.plane, maxOff+l.run)
	return l
}

// fillPhases writes input plane xc (ih×iw) into the zero-padded phase
// planes of buf.
func fillPhases[T Num](p *Params, l *dwLayout, xc, buf []T) {
	ih, iw := p.In[0], p.In[1]
	sh, sw := p.Strides[0], p.Strides[1]
	ph, pw := p.Pads[0], p.Pads[1]
	for rr := 0; rr < l.hq*sh; rr++ {
		iy := rr - ph
		in := iy >= 0 && iy < ih
		if sw == 2 && in && pw >= 0 {
			start := (rr%sh)*2*l.plane + (rr/sh)*l.wq
			splitEvenOdd(buf[start:start+l.wq], buf[start+l.plane:start+l.plane+l.wq], xc[iy*iw:(iy+1)*iw], pw)
			continue
		}
		for pc := 0; pc < sw; pc++ {
			start := ((rr%sh)*sw+pc)*l.plane + (rr/sh)*l.wq
			dst := buf[start : start+l.wq]
			if !in {
				clear(dst)
				continue
			}
			xr := xc[iy*iw : (iy+1)*iw]
			if sw == 1 {
				// Columns [pw, pw+iw) of the padded row hold the input
				// (a negative pw, possible through the package API, crops).
				a := min(max(pw, 0), l.wq)
				clear(dst[:a])
				n := copy(dst[a:], xr[min(max(-pw, 0), iw):])
				clear(dst[a+n:])
				continue
			}
			// Phase columns [lo, hi) map to input columns
			// qc*sw+pc-pw in [0, iw); the rest are padding.
			lo := min(max(0, (pw-pc+sw-1)/sw), l.wq)
			hi := min(max(lo, (iw+pw-pc+sw-1)/sw), l.wq)
			clear(dst[:lo])
			clear(dst[hi:])
			if hi > lo {
				src := xr[lo*sw+pc-pw : (hi-1)*sw+pc-pw+1]
				mid := dst[lo:hi]
				for i := range mid {
					mid[i] = src[i*sw]
				}
			}
		}
	}
	clear(buf[sh*sw*l.plane : l.length])
}

// tapsGo is the portable form of tapsF32.
func tapsGo[T Num](dst, src []T, offs []int, w []T, bias T) {
	n := len(dst)
	for i := range dst {
		dst[i] = bias
	}
	for t, off := range offs {
		wv := w[t]
		s := src[off : off+n]
		for i, v := range s {
			dst[i] += wv * v
		}
	}
}

// runDepthwise computes the convolution, splitting the work over (image,
// input channel) planes. bias may be nil.
func (pl *Plan[T]) runDepthwise(x, w, bias, y []T, threads int) {
	p := &pl.P
	ih, iw := p.In[0], p.In[1]
	oh, ow := p.Out[0], p.Out[1]
	kk := p.Kernel[0] * p.Kernel[1]
	mult := pl.mg
	l := pl.dwLayout()
	direct := l.wq == ow
	need := l.length
	if !direct {
		need += l.run
	}
	planes := p.N * p.C
	scratch := make([][]T, min(threads, max(planes, 1)))
	defer func() {
		for _, b := range scratch {
			if b != nil {
				putScratch(b)
			}
		}
	}()
	ParallelFor(planes, threads, func(wk, it int) {
		if scratch[wk] == nil {
			scratch[wk] = getScratch[T](need)
		}
		buf := scratch[wk][:l.length]
		n, c := it/p.C, it%p.C
		fillPhases(p, &l, x[it*ih*iw:(it+1)*ih*iw], buf)
		for j := 0; j < mult; j++ {
			m := c*mult + j
			var b T
			if bias != nil {
				b = bias[m]
			}
			wm := w[m*kk : (m+1)*kk]
			yo := y[(n*p.M+m)*oh*ow : (n*p.M+m+1)*oh*ow]
			if direct {
				runTaps(yo, buf, l.offs, wm, b)
				continue
			}
			tmp := scratch[wk][l.length : l.length+l.run]
			runTaps(tmp, buf, l.offs, wm, b)
			for oy := 0; oy < oh; oy++ {
				copy(yo[oy*ow:(oy+1)*ow], tmp[oy*l.wq:])
			}
		}
	})
}

// runTaps dispatches to the float32 kernel when T is float32.
func runTaps[T Num](dst, src []T, offs []int, w []T, bias T) {
	if d, ok := any(dst).([]float32); ok {
		tapsF32(d, any(src).([]float32), offs, any(w).([]float32), any(bias).(float32))
		return
	}
	tapsGo(dst, src, offs, w, bias)
}

// splitEvenOdd writes the padded row (pw zeros, xr, zeros) split into its
// even columns (ev) and odd columns (od), len(ev) == len(od) each.
func splitEvenOdd[T Num](ev, od, xr []T, pw int) {
	// Padded column c = 2q+par holds xr[c-pw].
	var i int // next input column
	q := 0
	if pw%2 == 1 {
		// Odd padding: even columns start at xr[1], odd ones at xr[0].
		a := min((pw+1)/2, len(ev))
		clear(ev[:a])
		b := min(pw/2, len(od))
		clear(od[:b])
		// ev[a+k] = xr[2k+1], od[b+k] = xr[2k].
		n := min(len(ev)-a, len(od)-b, len(xr)/2)
		e, o, src := ev[a:a+n], od[b:b+n], xr[:2*n]
		for k := range e {
			o[k] = src[2*k]
			e[k] = src[2*k+1]
		}
		tailEvenOdd(ev[a+n:], xr, 2*n+1)
		tailEvenOdd(od[b+n:], xr, 2*n)
		return
	}
	q = min(pw/2, len(ev))
	clear(ev[:q])
	clear(od[:q])
	n := min(len(ev)-q, len(xr)/2)
	e, o, src := ev[q:q+n], od[q:q+n], xr[i:i+2*n]
	for k := range e {
		e[k] = src[2*k]
		o[k] = src[2*k+1]
	}
	tailEvenOdd(ev[q+n:], xr, 2*n)
	tailEvenOdd(od[q+n:], xr, 2*n+1)
}

// tailEvenOdd sets dst[k] = xr[from+2k] where in range, else 0.
func tailEvenOdd[T Num](dst, xr []T, from int) {
	for k := range dst {
		if j := from + 2*k; j < len(xr) {
			dst[k] = xr[j]
		} else {
			dst[k] = 0
		}
	}
}
