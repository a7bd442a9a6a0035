//go:build amd64 && !noasm

package conv

// The float32 depthwise loop with the assembly kernels: the bounds of
// every fill and kernel call are checked once per run (all planes share
// one geometry), so that the loop over small planes (7×7, 14×14) spends
// its time in the kernels rather than in dispatch and checks.

// dwFast is the per-run state of the float32 assembly path.
type dwFast struct {
	p                  *Params
	l                  *dwLayout
	ihw, ohw, kk, mult int
	// The fill: stride 1 (dwFill) or 2 (dwSplitRows), from input element
	// srcOff of a plane to scratch element dstOff (and dstOffB).
	stride                  int
	srcOff, dstOff, dstOffB int
	np, ca, cb, nlo, nhi    int
	fillRows                int
	// k3 selects the 3×3 kernels (dwConv3x3s1/s2, dwConvJobs3x3s1/s2)
	// for a 3×3 kernel with dilation 1, k5 the 5×5 ones
	// (dwConvJobs5x5s1/s2).
	k3, k5 bool
}

// newDWFast returns the fast path for pl and l, or nil when pl is not a
// float32 plan, the CPU lacks the kernels, or the fill is not one the
// kernels do.
func newDWFast[T Num](pl *Plan[T], l *dwLayout) *dwFast {
	if _, ok := any(pl).(*Plan[float32]); !ok || !hasDWAsm {
		return nil
	}
	p := &pl.P
	f := &dwFast{p: p, l: l, ihw: p.In[0] * p.In[1], ohw: p.Out[0] * p.Out[1], kk: p.Kernel[0] * p.Kernel[1],
		mult: pl.mg, stride: p.Strides[1], fillRows: l.nrows}
	iw := p.In[1]
	base := l.rr0 * l.rowLen
	f.srcOff = l.iy0 * iw
	switch f.stride {
	case 1:
		if l.ncols > 0 && l.nrows > 0 {
			f.srcOff += l.j0
			f.dstOff = base + l.c0
			// dwFill writes up to the 8-aligned end of each row.
			if f.dstOff+(l.nrows-1)*l.rowLen+(l.ncols+7)&^7 > l.length ||
				f.srcOff+(l.nrows-1)*iw+l.ncols > f.ihw {
				return nil
			}
		} else {
			f.fillRows = 0
		}
	case 2:
		if (l.na > 0 || l.nb > 0) && l.nrows > 0 {
			f.np = min(l.na, l.nb) &^ 7
			f.ca, f.cb = l.na-f.np, l.nb-f.np
			if f.ca > 7 || f.cb > 7 {
				return nil
			}
			n := max(2*f.ca-1, 2*f.cb, 0)
			f.nlo, f.nhi = min(n, 8), max(n-8, 0)
			f.srcOff += l.jA
			f.dstOff, f.dstOffB = base+l.offA, base+l.offB
			last := (l.nrows - 1) * l.rowLen
			if f.dstOff+last+l.na > l.length || f.dstOffB+last+l.nb > l.length ||
				f.srcOff+(l.nrows-1)*iw+2*f.np+n > f.ihw {
				return nil
			}
		} else {
			f.fillRows = 0
		}
	default:
		return nil
	}
	if len(l.boffs) == 0 || f.ohw == 0 {
		return nil
	}
	dil1 := p.Dilations[0] == 1 && p.Dilations[1] == 1
	f.k3 = p.Kernel[0] == 3 && p.Kernel[1] == 3 && dil1
	f.k5 = p.Kernel[0] == 5 && p.Kernel[1] == 5 && dil1
	if l.jobs != nil {
		if l.jobsSrc > l.length || l.jobsDst > f.ohw {
			return nil
		}
	} else {
		maxOff := 0
		for _, o := range l.boffs {
			maxOff = max(maxOff, o/4)
		}
		if maxOff+(p.Out[0]-1)*l.ld+(p.Out[1]+7)&^7 > l.length {
			return nil
		}
	}
	return f
}

// planes computes the output planes of input planes [pi0, pi1) with the
// scratch buf (l.length elements, zero where the fill does not write).
func (f *dwFast) planes(x, w, bias, y, buf []float32, pi0, pi1 int, e *dwEpilogue[float32]) {
	p, l := f.p, f.l
	// Lengths only (no element reads: y is shared with other workers).
	if len(buf) < l.length || len(x) < pi1*f.ihw || len(w) < p.M*f.kk || len(y) < p.N*p.M*f.ohw ||
		(bias != nil && len(bias) < p.M) {
		panic("conv: depthwise operands out of range")
	}
	oh, ow := p.Out[0], p.Out[1]
	for pi := pi0; pi < pi1; pi++ {
		n, c := pi/p.C, pi%p.C
		if f.fillRows > 0 {
			src := &x[pi*f.ihw+f.srcOff]
			if f.stride == 1 {
				dwFill(&buf[f.dstOff], src, f.fillRows, l.ncols, 4*l.rowLen, 4*p.In[1])
			} else {
				dwSplitRows(&buf[f.dstOff], &buf[f.dstOffB], src, f.fillRows, f.np, f.ca, f.cb, f.nlo, f.nhi,
					4*l.rowLen, 4*p.In[1])
			}
		}
		for j := 0; j < f.mult; j++ {
			m := c*f.mult + j
			var b float32
			if bias != nil {
				b = bias[m]
			}
			o := (n*p.M + m) * f.ohw
			if l.jobs != nil && f.k3 && f.stride == 1 {
				dwConvJobs3x3s1(&y[o], &buf[0], &l.jobs[0], len(l.jobs)/4, &w[m*f.kk], 4*l.rowLen, 4*l.wq,
					b, e.lo, e.hi, e.sig)
			} else if l.jobs != nil && f.k3 {
				dwConvJobs3x3s2(&y[o], &buf[0], &l.jobs[0], len(l.jobs)/4, &w[m*f.kk], 4*l.rowLen, 4*l.wq,
					b, e.lo, e.hi, e.sig)
			} else if l.jobs != nil && f.k5 && f.stride == 1 {
				dwConvJobs5x5s1(&y[o], &buf[0], &l.jobs[0], len(l.jobs)/4, &w[m*f.kk], 4*l.rowLen, 4*l.wq,
					b, e.lo, e.hi, e.sig)
			} else if l.jobs != nil && f.k5 {
				dwConvJobs5x5s2(&y[o], &buf[0], &l.jobs[0], len(l.jobs)/4, &w[m*f.kk], 4*l.rowLen, 4*l.wq,
					b, e.lo, e.hi, e.sig)
			} else if l.jobs != nil {
				dwConvJobs(&y[o], &buf[0], &l.jobs[0], len(l.jobs)/4, &l.boffs[0], &w[m*f.kk], len(l.boffs),
					b, e.lo, e.hi, e.sig)
			} else if f.k3 && f.stride == 1 {
				dwConv3x3s1(&y[o], &buf[0], &w[m*f.kk], oh, ow, 4*l.ld, 4*l.rowLen, 4*l.wq, b, e.lo, e.hi, e.sig)
			} else if f.k3 {
				dwConv3x3s2(&y[o], &buf[0], &w[m*f.kk], oh, ow, 4*l.ld, 4*l.rowLen, 4*l.wq, b, e.lo, e.hi, e.sig)
			} else {
				dwConv(&y[o], &buf[0], &l.boffs[0], &w[m*f.kk], len(l.boffs), oh, ow, 4*l.ld, b, e.lo, e.hi, e.sig)
			}
			if e.act != nil {
				yo := y[o : o+f.ohw]
				if e.res != nil {
					r := e.res[o : o+f.ohw]
					for i := range yo {
						yo[i] += r[i]
					}
				}
				e.act(yo)
			}
		}
	}
}
