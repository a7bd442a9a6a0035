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
	if oh <= 0 || ow <= 0 || sr < 0 || oh > 1<<16 || ow > 1<<16 {
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

func roiAlign[T floatT](k *roiAlignKernel, x []T, rois []float64, bidx []int64, c, h, w, th int) []T {
	nr := len(bidx)
	y := make([]T, nr*c*k.oh*k.ow)
	off := 0.0
	if k.halfPixel {
		off = 0.5
	}
	conv.ParallelFor(nr, th, func(_, r int) {
		roi := rois[r*4 : r*4+4]
		x1, y1 := roi[0]*k.scale-off, roi[1]*k.scale-off
		x2, y2 := roi[2]*k.scale-off, roi[3]*k.scale-off
		rw, rh := x2-x1, y2-y1
		if !k.halfPixel {
			rw, rh = math.Max(rw, 1), math.Max(rh, 1)
		}
		bh, bw := rh/float64(k.oh), rw/float64(k.ow)
		gh, gw := k.sampling, k.sampling
		if gh == 0 {
			gh, gw = adaptiveGrid(rh, k.oh), adaptiveGrid(rw, k.ow)
		}
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
