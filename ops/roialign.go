package ops

import (
	"fmt"
	"math"

	"github.com/onnxrun/onnxrun/internal/kernels/conv"
)

func init() {
	Register(Spec{Op: "RoiAlign", Since: 10, Until: 15}, newRoiAlign)
	Register(Spec{Op: "RoiAlign", Since: 16}, newRoiAlign)
}

type roiAlignKernel struct {
	max       bool
	oh, ow    int
	sampling  int
	scale     float64
	halfPixel bool
}

func newRoiAlign(b *Build) (Kernel, error) {
	n := b.Node
	mode, err := n.AttrString("mode", "avg")
	if err != nil {
		return nil, err
	}
	if mode != "avg" && mode != "max" {
		return nil, b.Errorf("mode %q is not avg or max", mode)
	}
	oh, err := n.AttrInt("output_height", 1)
	if err != nil {
		return nil, err
	}
	ow, err := n.AttrInt("output_width", 1)
	if err != nil {
		return nil, err
	}
	sr, err := n.AttrInt("sampling_ratio", 0)
	if err != nil {
		return nil, err
	}
	sc, err := n.AttrFloat("spatial_scale", 1)
	if err != nil {
		return nil, err
	}
	if oh <= 0 || ow <= 0 || sr < 0 || oh > 1<<16 || ow > 1<<16 || sr*sr > maxRoiSamples {
		return nil, b.Errorf("output_height %d, output_width %d, sampling_ratio %d out of range", oh, ow, sr)
	}
	// RoiAlign-10 behaves as output_half_pixel; 16 adds the attribute
	// with default half_pixel.
	ctm := "output_half_pixel"
	if b.Opset >= 16 {
		if ctm, err = n.AttrString("coordinate_transformation_mode", "half_pixel"); err != nil {
			return nil, err
		}
	}
	if ctm != "half_pixel" && ctm != "output_half_pixel" {
		return nil, b.Errorf("coordinate_transformation_mode %q is not half_pixel or output_half_pixel", ctm)
	}
	return &roiAlignKernel{max: mode == "max", oh: int(oh), ow: int(ow), sampling: int(sr), scale: float64(sc),
		halfPixel: ctm == "half_pixel"}, nil
}

func (k *roiAlignKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	rt, err := TensorInput(in, 1)
	if err != nil {
		return nil, err
	}
	bt, err := TensorInput(in, 2)
	if err != nil {
		return nil, err
	}
	if x.Rank() != 4 {
		return nil, fmt.Errorf("input 0 (X): shape %v, want [N, C, H, W]", x.Shape)
	}
	if rt.Rank() != 2 || rt.Shape[1] != 4 {
		return nil, fmt.Errorf("input 1 (rois): shape %v, want [num_rois, 4]", rt.Shape)
	}
	if bt.Rank() != 1 || bt.Shape[0] != rt.Shape[0] {
		return nil, fmt.Errorf("input 2 (batch_indices): shape %v, want [%d]", bt.Shape, rt.Shape[0])
	}
	rois, err := ToFloat64s(rt)
	if err != nil {
		return nil, fmt.Errorf("input 1 (rois): %w", err)
	}
	bidx, err := ToInt64s(bt)
	if err != nil {
		return nil, fmt.Errorf("input 2 (batch_indices): %w", err)
	}
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	if h == 0 || w == 0 {
		return nil, fmt.Errorf("input 0 (X): empty image %v", x.Shape)
	}
	for _, b := range bidx {
		if b < 0 || b >= int64(n) {
			return nil, fmt.Errorf("input 2 (batch_indices): %d is out of range [0, %d)", b, n)
		}
	}
	nr := rt.Shape[0]
	shape := []int{nr, c, k.oh, k.ow}
	if err := checkOutputSize(shape); err != nil {
		return nil, err
	}
	if k.sampling == 0 {
		for r := 0; r < nr; r++ {
			roi := rois[r*4 : r*4+4]
			rw, rh := (roi[2]-roi[0])*k.scale, (roi[3]-roi[1])*k.scale
			if math.IsNaN(rw) || math.IsNaN(rh) || adaptiveGrid(rw, k.ow)*adaptiveGrid(rh, k.oh) > maxRoiSamples {
				return nil, fmt.Errorf("input 1 (rois): roi %d %v is too large or not a number", r, roi)
			}
		}
	}
	th := threads(rc)
	y, err := floatCompute(x, shape,
		func(v []float32) ([]float32, error) { return roiAlign(k, v, rois, bidx, c, h, w, th), nil },
		func(v []float64) ([]float64, error) { return roiAlign(k, v, rois, bidx, c, h, w, th), nil })
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}

// roiSample is one bilinear sample: four input offsets and weights.
type roiSample struct {
	pos [4]int
	w   [4]float64
}

// roiGeometry returns an ROI's top-left corner, its bin sizes and its
// sampling grid, as the reference loop and the fast path both see them.
func (k *roiAlignKernel) roiGeometry(roi []float64) (y1, x1, bh, bw float64, gh, gw int) {
	off := 0.0
	if k.halfPixel {
		off = 0.5
	}
	x1, y1 = roi[0]*k.scale-off, roi[1]*k.scale-off
	x2, y2 := roi[2]*k.scale-off, roi[3]*k.scale-off
	rw, rh := x2-x1, y2-y1
	if !k.halfPixel {
		rw, rh = math.Max(rw, 1), math.Max(rh, 1)
	}
	bh, bw = rh/float64(k.oh), rw/float64(k.ow)
	gh, gw = k.sampling, k.sampling
	if gh == 0 {
		gh, gw = adaptiveGrid(rh, k.oh), adaptiveGrid(rw, k.ow)
	}
	return y1, x1, bh, bw, gh, gw
}

func roiAlign[T floatT](k *roiAlignKernel, x []T, rois []float64, bidx []int64, c, h, w, th int) []T {
	if !k.max {
		return roiAlignAvg(k, x, rois, bidx, c, h, w, th)
	}
	return roiAlignRef(k, x, rois, bidx, c, h, w, th)
}

// roiAlignRef is the plain loop: every bilinear sample of every bin read
// with its four weights. It is the reference for the avg fast path and
// computes max mode.
func roiAlignRef[T floatT](k *roiAlignKernel, x []T, rois []float64, bidx []int64, c, h, w, th int) []T {
	nr := len(bidx)
	y := make([]T, nr*c*k.oh*k.ow)
	conv.ParallelFor(nr, th, func(_, r int) {
		y1, x1, bh, bw, gh, gw := k.roiGeometry(rois[r*4 : r*4+4])
		cnt := float64(max(gh*gw, 1))
		// Samples of every output bin, shared by all channels.
		samples := make([]roiSample, 0, k.oh*k.ow*gh*gw)
		for ph := 0; ph < k.oh; ph++ {
			for pw := 0; pw < k.ow; pw++ {
				for iy := 0; iy < gh; iy++ {
					yy := y1 + float64(ph)*bh + (float64(iy)+0.5)*bh/float64(gh)
					for ix := 0; ix < gw; ix++ {
						xx := x1 + float64(pw)*bw + (float64(ix)+0.5)*bw/float64(gw)
						samples = append(samples, bilinearSample(yy, xx, h, w))
					}
				}
			}
		}
		per := gh * gw
		for ch := 0; ch < c; ch++ {
			plane := x[(int(bidx[r])*c+ch)*h*w : (int(bidx[r])*c+ch+1)*h*w]
			out := y[(r*c+ch)*k.oh*k.ow : (r*c+ch+1)*k.oh*k.ow]
			for bin := range out {
				var acc float64
				for si, s := range samples[bin*per : (bin+1)*per] {
					if k.max {
						v := math.Max(math.Max(s.w[0]*float64(plane[s.pos[0]]), s.w[1]*float64(plane[s.pos[1]])),
							math.Max(s.w[2]*float64(plane[s.pos[2]]), s.w[3]*float64(plane[s.pos[3]])))
						if si == 0 || v > acc {
							acc = v
						}
					} else {
						acc += s.w[0]*float64(plane[s.pos[0]]) + s.w[1]*float64(plane[s.pos[1]]) +
							s.w[2]*float64(plane[s.pos[2]]) + s.w[3]*float64(plane[s.pos[3]])
					}
				}
				if !k.max {
					acc /= cnt
				}
				out[bin] = T(acc)
			}
		}
	})
	return y
}

// roiAxis holds, for one ROI and one axis, each output bin's interpolation
// weights over input rows (or columns): bin b's are wt[start[b]:start[b+1]]
// at positions pos[...], one entry per distinct pixel its samples touch.
// Bilinear interpolation is separable, so a bin's average is
// sum over rows r, columns q of wy(r)*wx(q)*x[r][q] divided by the sample count.
type roiAxis struct {
	start []int
	pos   []int
	wt    []float64
}

// build fills a with the weights of bins bins of size bin from lo, with
// grid samples each, over an axis of size pixels. A sample outside
// [-1, size] has no weight; one in [-1, 0) is read at 0; one past the last
// pixel is read there.
func (a *roiAxis) build(lo, bin float64, bins, grid, size int) {
	a.start, a.pos, a.wt = a.start[:0], a.pos[:0], a.wt[:0]
	for b := range bins {
		first := len(a.pos)
		a.start = append(a.start, first)
		for s := range grid {
			v := lo + float64(b)*bin + (float64(s)+0.5)*bin/float64(grid)
			if v < -1 || v > float64(size) {
				continue
			}
			v = math.Max(v, 0)
			l := int(v)
			if l >= size-1 {
				a.add(first, size-1, 1)
				continue
			}
			f := v - float64(l)
			a.add(first, l, 1-f)
			a.add(first, l+1, f)
		}
	}
	a.start = append(a.start, len(a.pos))
}

// add adds weight w at pixel p to the bin whose entries begin at first.
// Samples come in increasing order, so p is one of the bin's last two
// pixels or a new one after them.
func (a *roiAxis) add(first, p int, w float64) {
	for i := len(a.pos) - 1; i >= max(first, len(a.pos)-2); i-- {
		if a.pos[i] == p {
			a.wt[i] += w
			return
		}
	}
	a.pos = append(a.pos, p)
	a.wt = append(a.wt, w)
}

// roiPlan is one ROI's separable weights and the distinct input rows they
// read: entry e of ys reads row rows[rowOf[e]].
type roiPlan struct {
	ys, xs roiAxis
	rows   []int
	rowOff []int // rows[i]*w
	rowOf  []int
	cnt    float64
}

// plan fills p for roi over an h x w image. slot has h entries, all -1;
// plan uses it and leaves it so.
func (k *roiAlignKernel) plan(p *roiPlan, roi []float64, h, w int, slot []int) {
	y1, x1, bh, bw, gh, gw := k.roiGeometry(roi)
	p.cnt = float64(max(gh*gw, 1))
	p.ys.build(y1, bh, k.oh, gh, h)
	p.xs.build(x1, bw, k.ow, gw, w)
	p.rows, p.rowOf = p.rows[:0], p.rowOf[:0]
	for _, r := range p.ys.pos {
		if slot[r] < 0 {
			slot[r] = len(p.rows)
			p.rows = append(p.rows, r)
		}
		p.rowOf = append(p.rowOf, slot[r])
	}
	p.rowOff = p.rowOff[:0]
	for _, r := range p.rows {
		slot[r] = -1
		p.rowOff = append(p.rowOff, r*w)
	}
}

// roiChannelBlock is how many channels of one ROI make one unit of
// parallel work.
const roiChannelBlock = 16

// roiAlignAvg is avg mode, computed separably: for each distinct input
// row an ROI reads, the bins' column sums; then each bin's weighted sum
// of those rows. Every output is the same sum in the same order whatever
// the thread count.
func roiAlignAvg[T floatT](k *roiAlignKernel, x []T, rois []float64, bidx []int64, c, h, w, th int) []T {
	nr := len(bidx)
	oh, ow := k.oh, k.ow
	y := make([]T, nr*c*oh*ow)
	plans := make([]roiPlan, nr)
	slot := make([]int, h)
	for i := range slot {
		slot[i] = -1
	}
	for r := range plans {
		k.plan(&plans[r], rois[r*4:r*4+4], h, w, slot)
	}
	blocks := (c + roiChannelBlock - 1) / roiChannelBlock
	th = min(conv.Threads(th), nr*blocks)
	rowSums := make([][]float64, th)
	accs := make([][]float64, th)
	conv.ParallelFor(nr*blocks, th, func(wk, u int) {
		r, blk := u/blocks, u%blocks
		p := &plans[r]
		need := len(p.rows) * ow
		if cap(rowSums[wk]) < need {
			rowSums[wk] = make([]float64, need)
		}
		if accs[wk] == nil {
			accs[wk] = make([]float64, ow)
		}
		sums, acc := rowSums[wk][:need], accs[wk]
		xs, ys := &p.xs, &p.ys
		inv := 1 / p.cnt
		for ch := blk * roiChannelBlock; ch < min(c, (blk+1)*roiChannelBlock); ch++ {
			plane := x[(int(bidx[r])*c+ch)*h*w : (int(bidx[r])*c+ch+1)*h*w]
			// sums[i*ow+pw]: row p.rows[i] interpolated over bin pw's columns.
			for pw := range ow {
				ps := xs.pos[xs.start[pw]:xs.start[pw+1]]
				ws := xs.wt[xs.start[pw]:xs.start[pw+1]]
				ws = ws[:len(ps)]
				switch len(ps) {
				case 0:
					for i := range p.rowOff {
						sums[i*ow+pw] = 0
					}
				case 1:
					p0, w0 := ps[0], ws[0]
					for i, off := range p.rowOff {
						sums[i*ow+pw] = w0 * float64(plane[off+p0])
					}
				case 2:
					p0, p1, w0, w1 := ps[0], ps[1], ws[0], ws[1]
					for i, off := range p.rowOff {
						sums[i*ow+pw] = w0*float64(plane[off+p0]) + w1*float64(plane[off+p1])
					}
				case 3:
					p0, p1, p2, w0, w1, w2 := ps[0], ps[1], ps[2], ws[0], ws[1], ws[2]
					for i, off := range p.rowOff {
						sums[i*ow+pw] = w0*float64(plane[off+p0]) + w1*float64(plane[off+p1]) + w2*float64(plane[off+p2])
					}
				default:
					for i, off := range p.rowOff {
						line := plane[off:]
						s := ws[0] * float64(line[ps[0]])
						for j := 1; j < len(ps); j++ {
							s += ws[j] * float64(line[ps[j]])
						}
						sums[i*ow+pw] = s
					}
				}
			}
			dst := y[(r*c+ch)*oh*ow : (r*c+ch+1)*oh*ow]
			for ph := range oh {
				o := dst[ph*ow : (ph+1)*ow]
				a, b := ys.start[ph], ys.start[ph+1]
				if a == b {
					clear(o)
					continue
				}
				wy, src := ys.wt[a], sums[p.rowOf[a]*ow:(p.rowOf[a]+1)*ow]
				src = src[:len(acc)]
				for pw, v := range src {
					acc[pw] = wy * v
				}
				for e := a + 1; e < b; e++ {
					wy, src := ys.wt[e], sums[p.rowOf[e]*ow:(p.rowOf[e]+1)*ow]
					src = src[:len(acc)]
					for pw, v := range src {
						acc[pw] += wy * v
					}
				}
				for pw, v := range acc {
					o[pw] = T(v * inv)
				}
			}
		}
	})
	return y
}

// bilinearSample returns the four neighbours and weights of point (y, x);
// a point more than one pixel outside the image has zero weights.
func bilinearSample(y, x float64, h, w int) roiSample {
	var s roiSample
	if y < -1 || y > float64(h) || x < -1 || x > float64(w) {
		return s
	}
	y, x = math.Max(y, 0), math.Max(x, 0)
	yl, xl := int(y), int(x)
	var yh, xh int
	if yl >= h-1 {
		yl, yh, y = h-1, h-1, float64(h-1)
	} else {
		yh = yl + 1
	}
	if xl >= w-1 {
		xl, xh, x = w-1, w-1, float64(w-1)
	} else {
		xh = xl + 1
	}
	ly, lx := y-float64(yl), x-float64(xl)
	hy, hx := 1-ly, 1-lx
	s.pos = [4]int{yl*w + xl, yl*w + xh, yh*w + xl, yh*w + xh}
	s.w = [4]float64{hy * hx, hy * lx, ly * hx, ly * lx}
	return s
}

// maxRoiSamples bounds the bilinear samples of one output bin: an adaptive
// grid from a huge (or NaN) ROI is rejected rather than computed.
const maxRoiSamples = 1 << 16

// adaptiveGrid is sampling_ratio 0's grid size ceil(extent / bins), at
// least 0 (a negative extent samples nothing).
func adaptiveGrid(extent float64, bins int) int {
	g := math.Ceil(extent / float64(bins))
	if !(g > 0) {
		return 0
	}
	if g > maxRoiSamples {
		return maxRoiSamples + 1
	}
	return int(g)
}
