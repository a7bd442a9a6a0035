package ops

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register(Spec{Op: "Resize", Since: 10, Until: 10}, newResize)
	Register(Spec{Op: "Resize", Since: 11}, newResize)
	Register(Spec{Op: "Upsample", Since: 7, Until: 9}, newUpsample)
}

// resizeAttrs are Resize's attributes (defaults per opset) and the input
// layout of its version.
type resizeAttrs struct {
	mode, coord, nearest, policy string
	cubicA, extrapolation        float64
	excludeOutside, antialias    bool
	axes                         []int64
	// Input indices of roi, scales and sizes (-1: absent in this version);
	// scalesAttr holds Upsample-7's scales.
	roiIn, scalesIn, sizesIn int
	scalesAttr               []float32
	// simpleNearest is the nearest rule of Resize-10 and Upsample: floor
	// when upsampling, ceil when downsampling.
	simpleNearest bool
	// last holds the axis maps made for the shapes, scales and roi seen
	// last.
	last atomic.Pointer[resizeCache]
}

// resizeKey is what the axis maps of a run depend on.
type resizeKey struct {
	in, out     []int
	scales, roi []float64
}

func (k *resizeKey) equal(o *resizeKey) bool {
	return slices.Equal(k.in, o.in) && slices.Equal(k.out, o.out) && slices.Equal(k.scales, o.scales) && slices.Equal(k.roi, o.roi)
}

// resizeCache is the axis maps made for one key.
type resizeCache struct {
	key  resizeKey
	maps []*axisMap
}

func newResize(b *Build) (Kernel, error) {
	n := b.Node
	a := &resizeAttrs{roiIn: 1, scalesIn: 2, sizesIn: 3}
	var err error
	if a.mode, err = n.AttrString("mode", "nearest"); err != nil {
		return nil, err
	}
	if b.Opset < 11 {
		a.coord, a.roiIn, a.scalesIn, a.sizesIn, a.simpleNearest = "asymmetric", -1, 1, -1, true
	} else {
		if a.coord, err = n.AttrString("coordinate_transformation_mode", "half_pixel"); err != nil {
			return nil, err
		}
		if a.nearest, err = n.AttrString("nearest_mode", "round_prefer_floor"); err != nil {
			return nil, err
		}
		ca, err := n.AttrFloat("cubic_coeff_a", -0.75)
		if err != nil {
			return nil, err
		}
		a.cubicA = float64(ca)
		ex, err := n.AttrInt("exclude_outside", 0)
		if err != nil {
			return nil, err
		}
		a.excludeOutside = ex != 0
		ev, err := n.AttrFloat("extrapolation_value", 0)
		if err != nil {
			return nil, err
		}
		a.extrapolation = float64(ev)
	}
	if b.Opset >= 18 {
		aa, err := n.AttrInt("antialias", 0)
		if err != nil {
			return nil, err
		}
		a.antialias = aa != 0
		if a.axes, err = n.AttrInts("axes", nil); err != nil {
			return nil, err
		}
		if a.policy, err = n.AttrString("keep_aspect_ratio_policy", "stretch"); err != nil {
			return nil, err
		}
	}
	return a.check(b)
}

func newUpsample(b *Build) (Kernel, error) {
	a := &resizeAttrs{coord: "asymmetric", roiIn: -1, scalesIn: 1, sizesIn: -1, simpleNearest: true}
	var err error
	if a.mode, err = b.Node.AttrString("mode", "nearest"); err != nil {
		return nil, err
	}
	if b.Opset < 9 {
		a.scalesIn = -1
		if a.scalesAttr, err = b.Node.AttrFloats("scales", nil); err != nil {
			return nil, err
		}
		if a.scalesAttr == nil {
			return nil, b.Errorf("scales attribute is required")
		}
	}
	// Upsample-7 calls bilinear "linear" too; accept both spellings.
	if a.mode == "bilinear" {
		a.mode = "linear"
	}
	return a.check(b)
}

func (a *resizeAttrs) check(b *Build) (Kernel, error) {
	switch a.mode {
	case "nearest", "linear", "cubic":
	default:
		return nil, b.Errorf("mode %q is not nearest, linear or cubic", a.mode)
	}
	switch a.coord {
	case "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
		"tf_half_pixel_for_nn", "tf_crop_and_resize":
	default:
		return nil, b.Errorf("coordinate_transformation_mode %q is not supported", a.coord)
	}
	if a.coord == "half_pixel_symmetric" && b.Opset < 19 {
		return nil, b.Errorf("coordinate_transformation_mode half_pixel_symmetric needs opset 19")
	}
	switch a.nearest {
	case "", "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
	default:
		return nil, b.Errorf("nearest_mode %q is not supported", a.nearest)
	}
	switch a.policy {
	case "", "stretch", "not_larger", "not_smaller":
	default:
		return nil, b.Errorf("keep_aspect_ratio_policy %q is not supported", a.policy)
	}
	if a.antialias && a.mode == "nearest" {
		return nil, b.Errorf("antialias is not defined for mode nearest")
	}
	return a, nil
}

// axisMap is the 1-d resampling of one axis: output position o reads
// input positions idx[o*n:(o+1)*n] with weights w[o*n:(o+1)*n], or the
// extrapolation value where extra[o].
type axisMap struct {
	in, out, n int
	idx        []int
	w          []float64
	extra      []bool
}

func (a *resizeAttrs) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	r := x.Rank()
	axes := make([]int, 0, r)
	if a.axes != nil {
		seen := make([]bool, r)
		for _, v := range a.axes {
			ax, err := NormAxis(v, r)
			if err != nil {
				return nil, err
			}
			if seen[ax] {
				return nil, fmt.Errorf("axes %v repeat axis %d", a.axes, ax)
			}
			seen[ax] = true
			axes = append(axes, ax)
		}
	} else {
		for i := 0; i < r; i++ {
			axes = append(axes, i)
		}
	}
	na := len(axes)
	// roi: starts then ends, for the resized axes.
	roi := make([]float64, 2*r)
	for i := 0; i < r; i++ {
		roi[r+i] = 1
	}
	if a.roiIn >= 0 && a.coord == "tf_crop_and_resize" {
		t, err := OptTensor(in, a.roiIn)
		if err != nil {
			return nil, err
		}
		if t != nil && t.Len() > 0 {
			v, err := ToFloat64s(t)
			if err != nil || len(v) != 2*na {
				return nil, fmt.Errorf("input %d (roi): %s, want %d values", a.roiIn, t, 2*na)
			}
			for i, ax := range axes {
				roi[ax], roi[r+ax] = v[i], v[na+i]
			}
		}
	}
	scales := make([]float64, r)
	outShape := append([]int{}, x.Shape...)
	for i := range scales {
		scales[i] = 1
	}
	var sizes []int64
	if a.sizesIn >= 0 {
		t, err := OptTensor(in, a.sizesIn)
		if err != nil {
			return nil, err
		}
		if t != nil && t.Len() > 0 {
			if sizes, err = ToInt64s(t); err != nil || len(sizes) != na {
				return nil, fmt.Errorf("input %d (sizes): %s, want %d integers", a.sizesIn, t, na)
			}
		}
	}
	var sc []float64
	if a.scalesAttr != nil {
		sc = convertSlice[float32, float64](a.scalesAttr)
	} else if a.scalesIn >= 0 {
		t, err := OptTensor(in, a.scalesIn)
		if err != nil {
			return nil, err
		}
		if t != nil && t.Len() > 0 {
			if sc, err = ToFloat64s(t); err != nil {
				return nil, fmt.Errorf("input %d (scales): %w", a.scalesIn, err)
			}
		}
	}
	switch {
	case sizes != nil && sc != nil:
		return nil, fmt.Errorf("only one of scales and sizes may be given")
	case sizes != nil:
		for i, ax := range axes {
			if sizes[i] < 0 || sizes[i] > 1<<31 {
				return nil, fmt.Errorf("input %d (sizes): bad size %d", a.sizesIn, sizes[i])
			}
			if x.Shape[ax] == 0 {
				if sizes[i] != 0 {
					return nil, fmt.Errorf("input 0 (X): axis %d is empty and cannot be resized to %d", ax, sizes[i])
				}
				// An empty axis (an empty batch, say) asked to stay empty.
				outShape[ax], scales[ax] = 0, 1
				continue
			}
			outShape[ax] = int(sizes[i])
			scales[ax] = float64(sizes[i]) / float64(x.Shape[ax])
		}
		if a.policy == "not_larger" || a.policy == "not_smaller" {
			s := scales[axes[0]]
			for _, ax := range axes {
				if a.policy == "not_larger" {
					s = math.Min(s, scales[ax])
				} else {
					s = math.Max(s, scales[ax])
				}
			}
			for _, ax := range axes {
				scales[ax] = s
				outShape[ax] = int(s*float64(x.Shape[ax]) + 0.5)
			}
		}
	case sc != nil:
		if len(sc) != na {
			return nil, fmt.Errorf("scales %v: want %d values", sc, na)
		}
		for i, ax := range axes {
			if !(sc[i] > 0) || sc[i] > 1<<20 {
				return nil, fmt.Errorf("scales %v must be positive", sc)
			}
			scales[ax] = sc[i]
			extent := 1.0
			if a.coord == "tf_crop_and_resize" {
				extent = roi[r+ax] - roi[ax]
			}
			outShape[ax] = int(float64(x.Shape[ax]) * extent * sc[i])
		}
	default:
		return nil, fmt.Errorf("one of scales and sizes must be given")
	}
	if err := rc.CheckAlloc(x.DType, outShape); err != nil {
		return nil, err
	}
	if err := checkOutputSize(outShape); err != nil {
		return nil, err
	}
	key := resizeKey{in: x.Shape, out: outShape, scales: scales, roi: roi}
	if c := a.last.Load(); c != nil && c.key.equal(&key) {
		return a.resample(rc, x, outShape, c.maps)
	}
	maps := make([]*axisMap, r)
	for _, ax := range axes {
		identity := scales[ax] == 1 && outShape[ax] == x.Shape[ax] &&
			(a.coord != "tf_crop_and_resize" || (roi[ax] == 0 && roi[r+ax] == 1))
		if identity {
			continue
		}
		if x.Shape[ax] == 0 {
			return nil, fmt.Errorf("input 0 (X): cannot resize empty axis %d", ax)
		}
		maps[ax] = a.axisMap(x.Shape[ax], outShape[ax], scales[ax], roi[ax], roi[r+ax])
	}
	key.in, key.out = slices.Clone(key.in), slices.Clone(key.out)
	a.last.Store(&resizeCache{key: key, maps: maps})
	return a.resample(rc, x, outShape, maps)
}

// resample resizes x to outShape with the axis maps (nil: an axis kept).
func (a *resizeAttrs) resample(rc *RunContext, x *Tensor, outShape []int, maps []*axisMap) ([]Value, error) {
	if a.mode == "nearest" && a.coord != "tf_crop_and_resize" {
		if y, ok := nearestResize(rc, x, outShape, maps); ok {
			return []Value{y}, nil
		}
		y, err := gatherResize(x, outShape, maps)
		if err != nil {
			return nil, err
		}
		return []Value{y}, nil
	}
	if y, ok := resampleF32(rc, x, outShape, maps, a.extrapolation); ok {
		return []Value{y}, nil
	}
	xv, err := ToFloat64s(x)
	if err != nil {
		return nil, fmt.Errorf("input 0 (X): %w", err)
	}
	shape := append([]int{}, x.Shape...)
	for ax, m := range maps {
		if m == nil {
			continue
		}
		xv = resampleAxis(xv, shape, ax, m, a.extrapolation)
		shape[ax] = m.out
	}
	y, err := narrowFloat64s(x.DType, outShape, xv)
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}

// axisMap computes the taps of one axis.
func (a *resizeAttrs) axisMap(in, out int, scale, roiStart, roiEnd float64) *axisMap {
	outW := scale * float64(in)
	var n int
	var kernel func(t float64) float64
	support := 0.0
	switch a.mode {
	case "nearest":
		n = 1
	case "linear":
		n, support = 2, 1
		kernel = func(t float64) float64 { return math.Max(0, 1-math.Abs(t)) }
	default:
		n, support = 4, 2
		A := a.cubicA
		kernel = func(t float64) float64 {
			t = math.Abs(t)
			switch {
			case t <= 1:
				return ((A+2)*t-(A+3))*t*t + 1
			case t < 2:
				return ((A*t-5*A)*t+8*A)*t - 4*A
			}
			return 0
		}
	}
	aaScale := 1.0
	if a.antialias && scale < 1 {
		aaScale = scale
		start := int(math.Floor(-support/scale)) + 1
		n = 2 - 2*start
	}
	m := &axisMap{in: in, out: out, n: n, idx: make([]int, out*n), w: make([]float64, out*n), extra: make([]bool, out)}
	for o := 0; o < out; o++ {
		xo := float64(o)
		var xi float64
		switch a.coord {
		case "half_pixel":
			xi = (xo+0.5)/scale - 0.5
		case "half_pixel_symmetric":
			adj := float64(out) / outW
			center := float64(in) / 2
			xi = center*(1-adj) + (xo+0.5)/scale - 0.5
		case "pytorch_half_pixel":
			if outW == 1 || out == 1 {
				xi = -0.5
			} else {
				xi = (xo+0.5)/scale - 0.5
			}
		case "align_corners":
			if outW == 1 {
				xi = 0
			} else {
				xi = xo * float64(in-1) / (outW - 1)
			}
		case "asymmetric":
			xi = xo / scale
		case "tf_half_pixel_for_nn":
			xi = (xo + 0.5) / scale
		case "tf_crop_and_resize":
			if outW == 1 {
				xi = (roiEnd - roiStart) * float64(in-1) / 2
			} else {
				xi = xo * (roiEnd - roiStart) * float64(in-1) / (outW - 1)
			}
			xi += roiStart * float64(in-1)
			m.extra[o] = xi < 0 || xi > float64(in-1)
		}
		taps := m.idx[o*n : (o+1)*n]
		ws := m.w[o*n : (o+1)*n]
		if a.mode == "nearest" {
			var v float64
			if a.simpleNearest {
				if scale < 1 {
					v = math.Ceil(xi)
				} else {
					v = math.Floor(xi)
				}
			} else {
				fl := math.Floor(xi)
				frac := xi - fl
				switch a.nearest {
				case "round_prefer_ceil":
					v = fl
					if frac >= 0.5 {
						v++
					}
				case "floor":
					v = fl
				case "ceil":
					v = math.Ceil(xi)
				default:
					v = fl
					if frac > 0.5 {
						v++
					}
				}
			}
			taps[0] = clampInt(int(v), 0, in-1)
			ws[0] = 1
			continue
		}
		// x0 is the tap left of xi (one further left when xi is a whole
		// number), r the fraction in (0, 1].
		x0 := math.Floor(xi)
		r := xi - x0
		if r == 0 {
			x0--
			r = 1
		}
		first := 1 - n/2
		var sum float64
		for j := 0; j < n; j++ {
			off := first + j
			p := int(x0) + off
			wt := kernel((float64(off) - r) * aaScale)
			if a.excludeOutside && (p < 0 || p >= in) {
				wt = 0
			}
			taps[j] = clampInt(p, 0, in-1)
			ws[j] = wt
			sum += wt
		}
		if (a.excludeOutside || aaScale != 1) && sum != 0 {
			for j := range ws {
				ws[j] /= sum
			}
		}
	}
	return m
}

func clampInt(v, lo, hi int) int {
	return min(max(v, lo), hi)
}

// resampleAxis applies m along axis ax of x (shape shape).
func resampleAxis(x []float64, shape []int, ax int, m *axisMap, extra float64) []float64 {
	outer := Size(shape[:ax])
	inner := Size(shape[ax+1:])
	y := make([]float64, outer*m.out*inner)
	for o := 0; o < outer; o++ {
		src := x[o*m.in*inner : (o+1)*m.in*inner]
		dst := y[o*m.out*inner : (o+1)*m.out*inner]
		for p := 0; p < m.out; p++ {
			row := dst[p*inner : (p+1)*inner]
			if m.extra[p] {
				for i := range row {
					row[i] = extra
				}
				continue
			}
			for j := 0; j < m.n; j++ {
				wt := m.w[p*m.n+j]
				if wt == 0 {
					continue
				}
				s := src[m.idx[p*m.n+j]*inner:]
				for i := range row {
					row[i] += wt * s[i]
				}
			}
		}
	}
	return y
}

// gatherResize performs nearest resampling as one gather over all axes.
func gatherResize(x *Tensor, outShape []int, maps []*axisMap) (*Tensor, error) {
	r := len(outShape)
	inSt := Strides(x.Shape)
	n := Size(outShape)
	src := make([]int, n)
	coord := make([]int, r)
	for k := 0; k < n; k++ {
		off := 0
		for a := 0; a < r; a++ {
			c := coord[a]
			if maps[a] != nil {
				c = maps[a].idx[c]
			}
			off += c * inSt[a]
		}
		src[k] = off
		for a := r - 1; a >= 0; a-- {
			coord[a]++
			if coord[a] < outShape[a] {
				break
			}
			coord[a] = 0
		}
	}
	return gatherTensor(x, outShape, src)
}

func gatherIdx[T any](d []T, idx []int) []T {
	out := make([]T, len(idx))
	for i, j := range idx {
		out[i] = d[j]
	}
	return out
}

// narrowFloat64s converts computed values back to a numeric element type:
// floats by rounding to the type, integers by rounding half to even and
// saturating.
func narrowFloat64s(dt graph.DType, shape []int, v []float64) (*Tensor, error) {
	switch dt {
	case graph.Double, graph.Float, graph.Float16, graph.BFloat16:
		return floatsLike(dt, shape, v)
	case graph.Int8:
		return New(shape, satInts[int8](v, math.MinInt8, math.MaxInt8)), nil
	case graph.Int16:
		return New(shape, satInts[int16](v, math.MinInt16, math.MaxInt16)), nil
	case graph.Int32:
		return New(shape, satInts[int32](v, math.MinInt32, math.MaxInt32)), nil
	case graph.Int64:
		return New(shape, satInts[int64](v, math.MinInt64, math.MaxInt64)), nil
	case graph.Uint8:
		return New(shape, satInts[uint8](v, 0, math.MaxUint8)), nil
	case graph.Uint16:
		return New(shape, satInts[uint16](v, 0, math.MaxUint16)), nil
	case graph.Uint32:
		return New(shape, satInts[uint32](v, 0, math.MaxUint32)), nil
	case graph.Uint64:
		return New(shape, satInts[uint64](v, 0, math.MaxUint64)), nil
	}
	return nil, fmt.Errorf("element type %s is not numeric", dt)
}

func satInts[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](v []float64, lo T, hi T) []T {
	out := make([]T, len(v))
	flo, fhi := float64(lo), float64(hi)
	for i, x := range v {
		x = math.RoundToEven(x)
		switch {
		case x != x:
			out[i] = 0
		case x <= flo:
			out[i] = lo
		case x >= fhi:
			out[i] = hi
		default:
			out[i] = T(x)
		}
	}
	return out
}
