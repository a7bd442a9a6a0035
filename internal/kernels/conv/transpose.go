package conv

import (
	"fmt"

	"github.com/onnxrun/onnxrun/internal/gemm"
)

// TransposePlan is a prepared transposed convolution (ConvTranspose). Its
// Params read as for TransposeReference: In is the input's spatial shape,
// Out the output's, Pads the padding before each output axis.
type TransposePlan[T Num] struct {
	P                       Params
	cg, mg, k, in, out, mgk int
}

// NewTransposePlan validates p.
func NewTransposePlan[T Num](p Params) (*TransposePlan[T], error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	pl := &TransposePlan[T]{P: p}
	pl.cg, pl.mg = p.C/p.Group, p.M/p.Group
	pl.k = prod(p.Kernel)
	pl.in, pl.out = prod(p.In), prod(p.Out)
	pl.mgk = pl.mg * pl.k
	return pl, nil
}

// TransposeWeights holds a transposed convolution's weights [C, M/Group,
// Kernel...] prepared by TransposePlan.PackWeights: for float32 each
// group's Wᵀ packed once for the GEMM. It is read-only: one
// TransposeWeights may serve concurrent runs.
type TransposeWeights[T Num] struct {
	c, mgk int // the problem's C and M/Group·K, to check the plan
	w      []T
	pa     []*gemm.PackedA
}

// PackWeights prepares the weights [C, M/Group, Kernel...] for RunPacked.
func (pl *TransposePlan[T]) PackWeights(w []T) (*TransposeWeights[T], error) {
	p := &pl.P
	if len(w) != p.C*pl.mgk {
		return nil, fmt.Errorf("conv: %d weights do not fit transposed %+v", len(w), *p)
	}
	tw := &TransposeWeights[T]{c: p.C, mgk: pl.mgk, w: w}
	if wv, ok := any(w).([]float32); ok {
		tw.pa = make([]*gemm.PackedA, p.Group)
		for g := range tw.pa {
			// op(A) = W_gᵀ: mg·K rows, cg columns.
			tw.pa[g] = gemm.PackA(true, pl.mgk, pl.cg, 1, wv[g*pl.cg*pl.mgk:], pl.mgk)
		}
	}
	return tw, nil
}

// Run computes the transposed convolution: per image and group, the column
// matrix col[mg·K, in] = W_gᵀ · X_g by GEMM, then col2im adds each column
// entry into the output position it reaches. Work is split over (image,
// group, block of output channels), which write disjoint output planes.
func (pl *TransposePlan[T]) Run(x, w, bias, y []T, threads int) error {
	tw, err := pl.PackWeights(w)
	if err != nil {
		return err
	}
	return pl.RunPacked(x, tw, bias, y, threads)
}

// RunPacked is Run with weights from PackWeights. It writes every element
// of y (which need not be zeroed first).
func (pl *TransposePlan[T]) RunPacked(x []T, tw *TransposeWeights[T], bias, y []T, threads int) error {
	p := &pl.P
	if tw == nil || tw.c != p.C || tw.mgk != pl.mgk {
		return fmt.Errorf("conv: weights are not prepared for transposed %+v", *p)
	}
	w := tw.w
	if len(x) != p.N*p.C*pl.in || len(w) != p.C*pl.mgk || len(y) != p.N*p.M*pl.out || (bias != nil && len(bias) != p.M) {
		return fmt.Errorf("conv: buffer sizes x %d, w %d, b %d, y %d do not fit transposed %+v", len(x), len(w), len(bias), len(y), *p)
	}
	threads = Threads(threads)
	// Output channels per work item: enough for all threads to have work.
	per := pl.mg
	if total := p.N * p.Group; total < threads*2 {
		per = max(1, pl.mg*total/(threads*2))
	}
	if tw.pa != nil && per < pl.mg {
		// A block's first row of Wᵀ (m0·K) must be a multiple of the
		// GEMM's tile height.
		align := tw.pa[0].RowAlign()
		step := align / gcd(pl.k, align)
		per = min(pl.mg, (per+step-1)/step*step)
	}
	blocks := (pl.mg + per - 1) / per
	items := p.N * p.Group * blocks
	scratch := make([][]T, min(threads, items))
	defer func() {
		for _, b := range scratch {
			if b != nil {
				putScratch(b)
			}
		}
	}()
	// Where the kernel taps tile the output exactly (each output element
	// takes one tap of one input position), the GEMM adds the bias to
	// its columns (bias + Σ, the same sum as adding Σ into the bias) and
	// col2im only places them.
	tiled := tw.pa != nil && pl.tiles()
	var biasRows []float32
	if tiled && bias != nil {
		biasRows = make([]float32, p.M*pl.k)
		bv := any(bias).([]float32)
		for i := range biasRows {
			biasRows[i] = bv[i/pl.k]
		}
	}
	ParallelFor(items, threads, func(wk, it int) {
		blk := it % blocks
		g := (it / blocks) % p.Group
		n := it / blocks / p.Group
		m0 := blk * per
		nm := min(per, pl.mg-m0)
		rows := nm * pl.k
		if scratch[wk] == nil {
			scratch[wk] = getScratch[T](per * pl.k * pl.in)
		}
		col := scratch[wk][:rows*pl.in]
		xg := x[(n*p.C+g*pl.cg)*pl.in:]
		if tiled {
			var ep gemm.Epilogue
			if biasRows != nil {
				r0 := (g*pl.mg + m0) * pl.k
				ep = gemm.Epilogue{Bias: biasRows[r0 : r0+rows], BiasPerRow: true}
			}
			gemm.SgemmPackedRows(1, tw.pa[g], m0*pl.k, m0*pl.k+rows, false, pl.in,
				any(xg).([]float32), pl.in, 0, any(col).([]float32), pl.in, ep)
			for mm := 0; mm < nm; mm++ {
				m := g*pl.mg + m0 + mm
				place(p, col[mm*pl.k*pl.in:(mm+1)*pl.k*pl.in], y[(n*p.M+m)*pl.out:(n*p.M+m+1)*pl.out])
			}
			return
		}
		if tw.pa != nil {
			gemm.SgemmPackedRows(1, tw.pa[g], m0*pl.k, m0*pl.k+rows, false, pl.in,
				any(xg).([]float32), pl.in, 0, any(col).([]float32), pl.in, gemm.Epilogue{})
		} else {
			clear(col)
			// A = W_g restricted to the block's columns: W_g is [cg,
			// mg·K]; we need op(A) = (W_g[:, m0·K : (m0+nm)·K])ᵀ, rows×cg.
			wg := w[g*pl.cg*pl.mgk+m0*pl.k:]
			gemmAcc(true, rows, pl.in, pl.cg, wg, pl.mgk, xg, pl.in, col, pl.in)
		}
		for mm := 0; mm < nm; mm++ {
			m := g*pl.mg + m0 + mm
			yo := y[(n*p.M+m)*pl.out : (n*p.M+m+1)*pl.out]
			if bias != nil {
				for i := range yo {
					yo[i] = bias[m]
				}
			} else {
				clear(yo)
			}
			col2im(p, col[mm*pl.k*pl.in:(mm+1)*pl.k*pl.in], yo)
		}
	})
	return nil
}

// tiles reports whether the kernel taps tile the output exactly: one or
// two spatial axes, each with kernel = stride, dilation 1, no padding
// and out = in·stride.
func (pl *TransposePlan[T]) tiles() bool {
	p := &pl.P
	if len(p.In) > 2 {
		return false
	}
	for a := range p.In {
		if p.Kernel[a] != p.Strides[a] || p.Dilations[a] != 1 || p.Pads[a] != 0 || p.Out[a] != p.In[a]*p.Strides[a] {
			return false
		}
	}
	return true
}

// place is col2im where the taps tile the output (see tiles): it stores
// each column entry at the one output position it reaches.
func place[T Num](p *Params, col, y []T) {
	ih, iw, kh, kw := 1, p.In[0], 1, p.Kernel[0]
	if len(p.In) == 2 {
		ih, iw, kh, kw = p.In[0], p.In[1], p.Kernel[0], p.Kernel[1]
	}
	in, ow := ih*iw, iw*kw
	for ky := 0; ky < kh; ky++ {
		for kx := 0; kx < kw; kx++ {
			src := col[(ky*kw+kx)*in : (ky*kw+kx+1)*in]
			for iy := 0; iy < ih; iy++ {
				sr := src[iy*iw : (iy+1)*iw]
				yr := y[(iy*kh+ky)*ow+kx : (iy*kh+ky)*ow+kx+kw*(iw-1)+1]
				for i, v := range sr {
					yr[kw*i] = v
				}
			}
		}
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// col2im adds col (rows: kernel taps, columns: input positions) into the
// output plane y of one channel.
func col2im[T Num](p *Params, col, y []T) {
	r := len(p.In)
	in := prod(p.In)
	kVol := prod(p.Kernel)
	if r <= 2 {
		ih, iw, kh, kw, oh, ow, sh, sw, dh, dw, ph, pw := 1, p.In[0], 1, p.Kernel[0], 1, p.Out[0], 1, p.Strides[0], 1, p.Dilations[0], 0, p.Pads[0]
		if r == 2 {
			ih, iw, kh, kw, oh, ow = p.In[0], p.In[1], p.Kernel[0], p.Kernel[1], p.Out[0], p.Out[1]
			sh, sw, dh, dw, ph, pw = p.Strides[0], p.Strides[1], p.Dilations[0], p.Dilations[1], p.Pads[0], p.Pads[1]
		}
		for ky := 0; ky < kh; ky++ {
			// The input rows whose tap ky lands inside the output.
			iy0, iy1 := landing(ih, oh, sh, ky*dh-ph)
			for kx := 0; kx < kw; kx++ {
				src := col[(ky*kw+kx)*in : (ky*kw+kx+1)*in]
				ix0, ix1 := landing(iw, ow, sw, kx*dw-pw)
				if ix0 >= ix1 {
					continue
				}
				ox0 := ix0*sw - pw + kx*dw
				for iy := iy0; iy < iy1; iy++ {
					oy := iy*sh - ph + ky*dh
					sr := src[iy*iw+ix0 : iy*iw+ix1]
					switch sw {
					case 1:
						yr := y[oy*ow+ox0 : oy*ow+ox0+len(sr)]
						for len(sr) >= 4 {
							s4, y4 := (*[4]T)(sr), (*[4]T)(yr)
							y4[0] += s4[0]
							y4[1] += s4[1]
							y4[2] += s4[2]
							y4[3] += s4[3]
							sr, yr = sr[4:], yr[4:]
						}
						for i, v := range sr {
							yr[i] += v
						}
					case 2:
						yr := y[oy*ow+ox0 : oy*ow+ox0+2*len(sr)-1]
						for len(sr) > 4 {
							s4, y4 := (*[4]T)(sr), (*[8]T)(yr)
							y4[0] += s4[0]
							y4[2] += s4[1]
							y4[4] += s4[2]
							y4[6] += s4[3]
							sr, yr = sr[4:], yr[8:]
						}
						for i, v := range sr {
							yr[2*i] += v
						}
					default:
						yr := y[oy*ow+ox0 : oy*ow+ox0+sw*(len(sr)-1)+1]
						for i, v := range sr {
							yr[sw*i] += v
						}
					}
				}
			}
		}
		return
	}
	ic := make([]int, r)
	kc := make([]int, r)
	for k := 0; k < kVol; k++ {
		unravel(k, p.Kernel, kc)
		src := col[k*in : (k+1)*in]
		for i := range ic {
			ic[i] = 0
		}
		for i, v := range src {
			idx, ok := 0, true
			for a := 0; a < r; a++ {
				o := ic[a]*p.Strides[a] - p.Pads[a] + kc[a]*p.Dilations[a]
				if o < 0 || o >= p.Out[a] {
					ok = false
					break
				}
				idx = idx*p.Out[a] + o
			}
			if ok {
				y[idx] += v
			}
			_ = i
			for a := r - 1; a >= 0; a-- {
				ic[a]++
				if ic[a] < p.In[a] {
					break
				}
				ic[a] = 0
			}
		}
	}
}

// landing returns the range [i0, i1) of the n input positions i whose
// output position i·s + off lies in [0, out).
func landing(n, out, s, off int) (i0, i1 int) {
	// i·s + off >= 0  ⇔  i >= ceil(-off/s); i·s + off < out ⇔ i <= floor((out-1-off)/s).
	i0 = max(0, ceilDiv(-off, s))
	i1 = min(n, floorDivInt(out-1-off, s)+1)
	return i0, max(i0, i1)
}

// floorDivInt divides rounding toward negative infinity (b > 0).
func floorDivInt(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// ceilDiv divides rounding toward positive infinity (b > 0).
func ceilDiv(a, b int) int { return -floorDivInt(-a, b) }

// Col2Im adds one channel's column matrix col (rows: kernel taps in
// row-major order, columns: the p.In grid of sliding-block positions) into
// the image y of shape p.Out: tap κ of block i lands on i·s − pad + κ·d
// where that is inside the image. It is the adjoint of im2col.
func Col2Im[T Num](p *Params, col, y []T) error {
	if len(col) != prod(p.Kernel)*prod(p.In) || len(y) != prod(p.Out) {
		return fmt.Errorf("conv: col2im sizes col %d, y %d do not fit %+v", len(col), len(y), *p)
	}
	col2im(p, col, y)
	return nil
}
