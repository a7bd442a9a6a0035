package conv

import "sync"

// im2col fills col (rows cg·K, nt columns) with the input patches of output
// positions [o0, o0+nt) of one image and group: row c·K+κ, column j holds the
// input value kernel tap κ of channel c reads for output position o0+j, or 0
// where the tap falls in the padding. x holds the group's cg channels.
func im2col[T Num](p *Params, x []T, cg, o0, nt int, col []T) {
	switch len(p.In) {
	case 1:
		im2col2d(x, cg, 1, p.In[0], 1, p.Kernel[0], 1, p.Out[0], 1, p.Strides[0], 1, p.Dilations[0], 0, p.Pads[0], o0, nt, col)
	case 2:
		im2col2d(x, cg, p.In[0], p.In[1], p.Kernel[0], p.Kernel[1], p.Out[0], p.Out[1],
			p.Strides[0], p.Strides[1], p.Dilations[0], p.Dilations[1], p.Pads[0], p.Pads[1], o0, nt, col)
	case 3:
		im2col3d(p, x, cg, o0, nt, col)
	default:
		im2colND(p, x, cg, o0, nt, col)
	}
}

// im2col3d is im2col for three spatial axes, copying runs along the
// innermost output axis.
func im2col3d[T Num](p *Params, x []T, cg, o0, nt int, col []T) {
	id, ih, iw := p.In[0], p.In[1], p.In[2]
	kd, kh, kw := p.Kernel[0], p.Kernel[1], p.Kernel[2]
	oh, ow := p.Out[1], p.Out[2]
	sd, sh, sw := p.Strides[0], p.Strides[1], p.Strides[2]
	dd, dh, dw := p.Dilations[0], p.Dilations[1], p.Dilations[2]
	pd, ph, pw := p.Pads[0], p.Pads[1], p.Pads[2]
	vol := id * ih * iw
	r := 0
	for c := 0; c < cg; c++ {
		xc := x[c*vol : (c+1)*vol]
		for kz := 0; kz < kd; kz++ {
			for ky := 0; ky < kh; ky++ {
				for kx := 0; kx < kw; kx++ {
					dst := col[r*nt : (r+1)*nt]
					r++
					oz, oy, ox := o0/(oh*ow), (o0/ow)%oh, o0%ow
					for j := 0; j < nt; {
						run := min(ow-ox, nt-j)
						seg := dst[j : j+run]
						z := oz*sd - pd + kz*dd
						y := oy*sh - ph + ky*dh
						if z < 0 || z >= id || y < 0 || y >= ih {
							clear(seg)
						} else {
							row := xc[(z*ih+y)*iw : (z*ih+y+1)*iw]
							x0 := ox*sw - pw + kx*dw
							if sw == 1 && x0 >= 0 && x0+run <= iw {
								copy(seg, row[x0:x0+run])
							} else {
								for i := range seg {
									if xi := x0 + i*sw; xi >= 0 && xi < iw {
										seg[i] = row[xi]
									} else {
										seg[i] = 0
									}
								}
							}
						}
						j += run
						ox = 0
						oy++
						if oy == oh {
							oy = 0
							oz++
						}
					}
				}
			}
		}
	}
}

func im2col2d[T Num](x []T, cg, ih, iw, kh, kw, oh, ow, sh, sw, dh, dw, ph, pw, o0, nt int, col []T) {
	plane := ih * iw
	r := 0
	for c := 0; c < cg; c++ {
		xc := x[c*plane : (c+1)*plane]
		for ky := 0; ky < kh; ky++ {
			for kx := 0; kx < kw; kx++ {
				dst := col[r*nt : (r+1)*nt]
				r++
				oy, ox := o0/ow, o0%ow
				for j := 0; j < nt; {
					// One run along the output row.
					run := min(ow-ox, nt-j)
					seg := dst[j : j+run]
					y := oy*sh - ph + ky*dh
					if y < 0 || y >= ih {
						clear(seg)
					} else {
						row := xc[y*iw : (y+1)*iw]
						x0 := ox*sw - pw + kx*dw
						if sw == 1 && x0 >= 0 && x0+run <= iw {
							copy(seg, row[x0:x0+run])
						} else {
							for i := range seg {
								xi := x0 + i*sw
								if xi >= 0 && xi < iw {
									seg[i] = row[xi]
								} else {
									seg[i] = 0
								}
							}
						}
					}
					j += run
					ox = 0
					oy++
				}
			}
		}
	}
}

func im2colND[T Num](p *Params, x []T, cg, o0, nt int, col []T) {
	r := len(p.In)
	inVol := prod(p.In)
	kVol := prod(p.Kernel)
	kc := make([]int, r)
	oc := make([]int, r)
	for c := 0; c < cg; c++ {
		xc := x[c*inVol : (c+1)*inVol]
		for kk := 0; kk < kVol; kk++ {
			// Kernel tap coordinates.
			rem := kk
			for a := r - 1; a >= 0; a-- {
				kc[a] = rem % p.Kernel[a]
				rem /= p.Kernel[a]
			}
			dst := col[(c*kVol+kk)*nt : (c*kVol+kk+1)*nt]
			rem = o0
			for a := r - 1; a >= 0; a-- {
				oc[a] = rem % p.Out[a]
				rem /= p.Out[a]
			}
			for j := range dst {
				idx, ok := 0, true
				for a := 0; a < r; a++ {
					v := oc[a]*p.Strides[a] - p.Pads[a] + kc[a]*p.Dilations[a]
					if v < 0 || v >= p.In[a] {
						ok = false
						break
					}
					idx = idx*p.In[a] + v
				}
				if ok {
					dst[j] = xc[idx]
				} else {
					dst[j] = 0
				}
				for a := r - 1; a >= 0; a-- {
					oc[a]++
					if oc[a] < p.Out[a] {
						break
					}
					oc[a] = 0
				}
			}
		}
	}
}

// im2colFill packs the input patches of one image and group straight into
// the GEMM's B panels (a gemm.FillB): the column matrix of im2col is never
// stored whole. Convolutions of one to three spatial axes are handled as
// three-axis ones.
type im2colFill struct {
	in, out, s, pad [3]int
	// rows holds, for each row c·K+κ of the column matrix, where kernel
	// tap κ of channel c reads relative to a patch's corner.
	rows []fillRow
	// x holds the group's input channels of one image; o0 is the output
	// position of the product's column 0.
	x  []float32
	o0 int
	// cg is the number of channels of x.
	cg int
	// segs and psegs are the scratch lists of runs of one fill call (of
	// the Go and the assembly fill).
	segs  []fillSeg
	psegs []fillPanelSeg
	// skipped says that psegs holds runs left to the Go fill.
	skipped bool
}

// fillRow is one row of the column matrix: the tap's offsets along the
// three axes (dilated) and its offset in x (channel and taps).
type fillRow struct{ dz, dy, dx, off int }

// fillSeg is a run of n output positions that lie in one B panel and one
// output row, whose patch corner is input (z0, y0, x0) at offset base in a
// channel (possibly outside the input: padding). Row p of the block is
// written at off + p·pw. zero marks the padding of the last panel.
type fillSeg struct {
	off, pw, n int
	z0, y0, x0 int
	base       int
	zero       bool
}

// fillCache holds what the fills of a plan share: the rows (made once)
// and a pool of fills (their scratch).
type fillCache struct {
	once sync.Once
	base im2colFill
	pool sync.Pool
}

// get returns a fill for the plan's problem p with cg channels per group.
func (fc *fillCache) get(p *Params, cg int) *im2colFill {
	if fc == nil {
		return newIm2colFill(p, cg)
	}
	fc.once.Do(func() { fc.base = *newIm2colFill(p, cg) })
	if f, ok := fc.pool.Get().(*im2colFill); ok {
		return f
	}
	f := fc.base
	f.segs, f.psegs = nil, nil
	return &f
}

func (fc *fillCache) put(f *im2colFill) {
	if fc == nil {
		return
	}
	f.x = nil
	fc.pool.Put(f)
}

func newIm2colFill(p *Params, cg int) *im2colFill {
	f := &im2colFill{cg: cg}
	var k, d [3]int
	r := len(p.In)
	for a := 0; a < 3; a++ {
		f.in[a], k[a], f.out[a], f.s[a], d[a] = 1, 1, 1, 1, 1
	}
	for a := 0; a < r; a++ {
		b := 3 - r + a
		f.in[b], k[b], f.out[b] = p.In[a], p.Kernel[a], p.Out[a]
		f.s[b], d[b], f.pad[b] = p.Strides[a], p.Dilations[a], p.Pads[a]
	}
	vol := f.in[0] * f.in[1] * f.in[2]
	f.rows = make([]fillRow, 0, cg*k[0]*k[1]*k[2])
	for c := 0; c < cg; c++ {
		for kz := 0; kz < k[0]; kz++ {
			for ky := 0; ky < k[1]; ky++ {
				for kx := 0; kx < k[2]; kx++ {
					dz, dy, dx := kz*d[0], ky*d[1], kx*d[2]
					f.rows = append(f.rows, fillRow{dz, dy, dx, c*vol + (dz*f.in[1]+dy)*f.in[2] + dx})
				}
			}
		}
	}
	return f
}

// fill is the gemm.FillB of the column matrix: row c·K+κ, column j holds
// the input value kernel tap κ of channel c reads for output position
// o0+j, or 0 where the tap falls in the padding. It runs in assembly where
// there is one (fillPanels), else in Go (fillGo).
func (f *im2colFill) fill(dst []float32, pc, kb, j0, nb, nr, lastW int) {
	if fillAsm && f.fillPanels(dst, pc, kb, j0, nb, nr, lastW) {
		return
	}
	f.fillGo(dst, pc, kb, j0, nb, nr, lastW)
}

// fillGo is fill in Go. It goes run by run, each run down the rows of the
// block, so that the panels are written in order.
func (f *im2colFill) fillGo(dst []float32, pc, kb, j0, nb, nr, lastW int) {
	oh, ow := f.out[1], f.out[2]
	ih, iw := f.in[1], f.in[2]
	sd, sh, sw := f.s[0], f.s[1], f.s[2]
	segs := f.segs[:0]
	lastQ := (nb - 1) / nr
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
		segs = append(segs, fillSeg{off: q*nr*kb + within, pw: pw, n: n, z0: z0, y0: y0, x0: x0, base: (z0*ih+y0)*iw + x0})
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
	if v := nb - lastQ*nr; v < lastW {
		segs = append(segs, fillSeg{off: lastQ*nr*kb + v, pw: lastW, n: lastW - v, zero: true})
	}
	f.segs = segs
	f.fillSegs(dst, f.rows[pc:pc+kb], segs)
}

// fillSegs writes the lanes of each run of segs down the rows of the
// block (see fillGo).
func (f *im2colFill) fillSegs(dst []float32, rows []fillRow, segs []fillSeg) {
	kb := len(rows)
	id, ih, iw := f.in[0], f.in[1], f.in[2]
	sw := f.s[2]
	x := f.x
	for i := range segs {
		sg := &segs[i]
		n, pw := sg.n, sg.pw
		d := dst[sg.off : sg.off+(kb-1)*pw+n]
		if sg.zero {
			for p := range rows {
				clear(d[p*pw : p*pw+n])
			}
			continue
		}
		span := (n - 1) * sw
		for p := range rows {
			rw := &rows[p]
			dp := d[p*pw : p*pw+n]
			z, y, xx := sg.z0+rw.dz, sg.y0+rw.dy, sg.x0+rw.dx
			if uint(z) >= uint(id) || uint(y) >= uint(ih) {
				clear(dp)
				continue
			}
			if xx >= 0 && xx+span < iw {
				src := x[sg.base+rw.off:]
				switch {
				case sw == 1 && n == 16:
					*(*[16]float32)(dp) = *(*[16]float32)(src)
				case sw == 1:
					copy(dp, src[:n])
				case sw == 2 && n == 16:
					s := (*[31]float32)(src)
					dd := (*[16]float32)(dp)
					dd[0], dd[1], dd[2], dd[3] = s[0], s[2], s[4], s[6]
					dd[4], dd[5], dd[6], dd[7] = s[8], s[10], s[12], s[14]
					dd[8], dd[9], dd[10], dd[11] = s[16], s[18], s[20], s[22]
					dd[12], dd[13], dd[14], dd[15] = s[24], s[26], s[28], s[30]
				case sw == 4 && n == 16:
					s := (*[61]float32)(src)
					dd := (*[16]float32)(dp)
					dd[0], dd[1], dd[2], dd[3] = s[0], s[4], s[8], s[12]
					dd[4], dd[5], dd[6], dd[7] = s[16], s[20], s[24], s[28]
					dd[8], dd[9], dd[10], dd[11] = s[32], s[36], s[40], s[44]
					dd[12], dd[13], dd[14], dd[15] = s[48], s[52], s[56], s[60]
				default:
					src = src[:span+1]
					for i := range dp {
						dp[i] = src[i*sw]
					}
				}
				continue
			}
			// The run crosses the left or right padding: positions lo..hi
			// read the row, the others are 0.
			row := x[sg.base+rw.off-xx:]
			row = row[:iw]
			lo, hi := 0, n
			if xx < 0 {
				lo = min(n, (-xx+sw-1)/sw)
			}
			if xx+span >= iw {
				hi = max(lo, min(n, (iw-xx+sw-1)/sw))
			}
			clear(dp[:lo])
			clear(dp[hi:])
			if sw == 1 && lo < hi {
				copy(dp[lo:hi], row[xx+lo:])
			} else {
				for i := lo; i < hi; i++ {
					dp[i] = row[xx+i*sw]
				}
			}
		}
	}
}
