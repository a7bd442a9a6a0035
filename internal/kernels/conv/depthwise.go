package conv

// runDepthwise computes a 2-d convolution with one input channel per group
// (and M/C output channels per input channel) by a direct loop, splitting
// the work over (image, output channel) planes.
func (pl *Plan[T]) runDepthwise(x, w, y []T, threads int) {
	p := &pl.P
	ih, iw := p.In[0], p.In[1]
	kh, kw := p.Kernel[0], p.Kernel[1]
	oh, ow := p.Out[0], p.Out[1]
	sh, sw := p.Strides[0], p.Strides[1]
	dh, dw := p.Dilations[0], p.Dilations[1]
	ph, pw := p.Pads[0], p.Pads[1]
	mult := pl.mg
	// Output columns [lo, hi) read only in-bounds input for every tap.
	lo := 0
	for lo < ow && lo*sw-pw < 0 {
		lo++
	}
	hi := ow
	for hi > lo && (hi-1)*sw-pw+(kw-1)*dw >= iw {
		hi--
	}
	ParallelFor(p.N*p.M, threads, func(_, it int) {
		n, m := it/p.M, it%p.M
		c := m / mult
		xc := x[(n*p.C+c)*ih*iw : (n*p.C+c+1)*ih*iw]
		wm := w[m*kh*kw : (m+1)*kh*kw]
		yo := y[it*oh*ow : (it+1)*oh*ow]
		for oy := 0; oy < oh; oy++ {
			yr := yo[oy*ow : (oy+1)*ow]
			clear(yr)
			for ky := 0; ky < kh; ky++ {
				iy := oy*sh - ph + ky*dh
				if iy < 0 || iy >= ih {
					continue
				}
				xr := xc[iy*iw : (iy+1)*iw]
				if kw == 3 && sw == 1 && hi > lo {
					// Three taps per pass over the interior, then the edges.
					w0, w1, w2 := wm[ky*3], wm[ky*3+1], wm[ky*3+2]
					o0, o1, o2 := -pw, dw-pw, 2*dw-pw
					a := xr[lo+o0 : hi+o0]
					b := xr[lo+o1 : hi+o1]
					c := xr[lo+o2 : hi+o2]
					dst := yr[lo:hi]
					b = b[:len(a)]
					c = c[:len(a)]
					dst = dst[:len(a)]
					for i, v := range a {
						dst[i] += w0*v + w1*b[i] + w2*c[i]
					}
					for kx := 0; kx < 3; kx++ {
						wv, off := wm[ky*3+kx], kx*dw-pw
						for ox := 0; ox < lo; ox++ {
							if ix := ox + off; ix >= 0 && ix < iw {
								yr[ox] += wv * xr[ix]
							}
						}
						for ox := hi; ox < ow; ox++ {
							if ix := ox + off; ix >= 0 && ix < iw {
								yr[ox] += wv * xr[ix]
							}
						}
					}
					continue
				}
				for kx := 0; kx < kw; kx++ {
					wv := wm[ky*kw+kx]
					off := kx*dw - pw
					for ox := 0; ox < lo; ox++ {
						if ix := ox*sw + off; ix >= 0 && ix < iw {
							yr[ox] += wv * xr[ix]
						}
					}
					if hi <= lo {
						// no interior
					} else if sw == 1 {
						src := xr[lo+off : hi+off]
						dst := yr[lo:hi]
						for i, v := range src {
							dst[i] += wv * v
						}
					} else {
						for ox := lo; ox < hi; ox++ {
							yr[ox] += wv * xr[ox*sw+off]
						}
					}
					for ox := hi; ox < ow; ox++ {
						if ix := ox*sw + off; ix >= 0 && ix < iw {
							yr[ox] += wv * xr[ix]
						}
					}
				}
			}
		}
	})
}
