package ops

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/kernels/conv"
	"github.com/x448/float16"
)

func init() {
	for _, v := range [][2]int64{{1, 7}, {8, 0}} {
		Register(Spec{Op: "MaxPool", Since: v[0], Until: v[1]}, newPool(poolMax))
	}
	Register(Spec{Op: "AveragePool", Since: 1}, newPool(poolAvg))
	Register(Spec{Op: "LpPool", Since: 1}, newPool(poolLp))
	Register(Spec{Op: "GlobalAveragePool", Since: 1}, newGlobalPool(poolAvg))
	Register(Spec{Op: "GlobalMaxPool", Since: 1}, newGlobalPool(poolMax))
	Register(Spec{Op: "GlobalLpPool", Since: 1}, newGlobalPool(poolLp))
	Register(Spec{Op: "MaxUnpool", Since: 9}, newMaxUnpool)
	Register(Spec{Op: "MaxRoiPool", Since: 1}, newMaxRoiPool)
}

type poolKind int

const (
	poolMax poolKind = iota
	poolAvg
	poolLp
)

type poolKernel struct {
	kind         poolKind
	win          windowAttrs
	ceil         bool
	includePad   bool
	storageOrder int64
	p            float64
	global       bool
	// needIdx: MaxPool's Indices output is named.
	needIdx bool
	// general keeps every input on the general path (for tests).
	general bool
	// last is the node prepared for the input shape it saw last.
	last atomic.Pointer[poolShape]
}

func newPool(kind poolKind) Factory {
	return func(b *Build) (Kernel, error) {
		win, err := parseWindow(b)
		if err != nil {
			return nil, err
		}
		if len(win.kernel) == 0 {
			return nil, b.Errorf("kernel_shape is required")
		}
		k := &poolKernel{kind: kind, win: win}
		n := b.Node
		k.needIdx = kind == poolMax && len(n.Outputs) > 1 && n.Outputs[1] != ""
		ceil, err := n.AttrInt("ceil_mode", 0)
		if err != nil {
			return nil, err
		}
		k.ceil = ceil != 0
		cip, err := n.AttrInt("count_include_pad", 0)
		if err != nil {
			return nil, err
		}
		k.includePad = cip != 0
		if k.storageOrder, err = n.AttrInt("storage_order", 0); err != nil {
			return nil, err
		}
		if k.storageOrder != 0 && k.storageOrder != 1 {
			return nil, b.Errorf("storage_order %d is not 0 or 1", k.storageOrder)
		}
		if kind == poolLp {
			if k.p, err = lpNorm(b); err != nil {
				return nil, err
			}
		}
		if kind == poolAvg && b.Opset < 19 && len(win.dilations) > 0 {
			for _, d := range win.dilations {
				if d != 1 {
					return nil, b.Errorf("dilations need opset 19")
				}
			}
		}
		return k, nil
	}
}

// lpNorm reads p: a float attribute in LpPool-1 and GlobalLpPool-1, an int
// after.
func lpNorm(b *Build) (float64, error) {
	if a := b.Node.Attr("p"); a != nil && a.Type == graph.AttrFloat {
		return float64(a.F), nil
	}
	p, err := b.Node.AttrInt("p", 2)
	if err != nil {
		return 0, err
	}
	if p <= 0 {
		return 0, b.Errorf("p %d must be positive", p)
	}
	return float64(p), nil
}

func newGlobalPool(kind poolKind) Factory {
	return func(b *Build) (Kernel, error) {
		k := &poolKernel{kind: kind, global: true, win: windowAttrs{autoPad: "NOTSET"}}
		if kind == poolLp {
			var err error
			if k.p, err = lpNorm(b); err != nil {
				return nil, err
			}
		}
		return k, nil
	}
}

// axisTaps lists, for one spatial axis, the in-bounds input coordinates of
// each output position's window, and how many taps lie in the padded extent.
type axisTaps struct {
	taps  [][]int
	count []int // taps inside [-padBegin, in+padEnd)
}

func makeAxisTaps(in, out, k, s, d, pb, pe int) axisTaps {
	at := axisTaps{taps: make([][]int, out), count: make([]int, out)}
	for o := 0; o < out; o++ {
		for j := 0; j < k; j++ {
			x := o*s - pb + j*d
			if x >= 0 && x < in {
				at.taps[o] = append(at.taps[o], x)
			}
			if x >= -pb && x < in+pe {
				at.count[o]++
			}
		}
	}
	return at
}

func (k *poolKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	n, c, sp, err := spatialShape(x, 3)
	if err != nil {
		return nil, err
	}
	if k.global {
		return k.runGlobal(rc, x, n, c, sp)
	}
	ps, err := k.prepared(x.Shape, sp)
	if err != nil {
		return nil, err
	}
	if ps.plan != nil && !k.general && fastType(x.DType) && (k.kind == poolAvg || k.kind == poolMax && !k.needIdx) {
		y, err := k.runFast(rc, x, ps)
		if err != nil {
			return nil, err
		}
		return []Value{y}, nil
	}
	ws, err := ps.windows()
	if err != nil {
		return nil, err
	}
	shape := slices.Clone(ps.shape)
	planes := n * c
	th := threads(rc)
	if k.kind == poolMax {
		y, idx, err := maxPoolAny(x, shape, ws, sp, planes, k.storageOrder == 1, th)
		if err != nil {
			return nil, err
		}
		return []Value{y, New(append([]int{}, shape...), idx)}, nil
	}
	inSz, outSz := Size(sp), Size(ps.g.out)
	y, err := floatCompute(x, shape,
		func(v []float32) ([]float32, error) { return avgLpPool(v, ws, inSz, outSz, planes, k, th), nil },
		func(v []float64) ([]float64, error) { return avgLpPool(v, ws, inSz, outSz, planes, k, th), nil })
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}

// maxWindowTaps bounds the window offsets of one pooling plane (the sum
// over output positions of the in-bounds taps of their windows).
const maxWindowTaps = 1 << 25

// runGlobal pools each whole plane.
func (k *poolKernel) runGlobal(rc *RunContext, x *Tensor, n, c int, sp []int) ([]Value, error) {
	shape := append([]int{n, c}, ones(len(sp))...)
	sz := Size(sp)
	th := threads(rc)
	if k.kind != poolLp && !k.general && fastType(x.DType) && sz > 0 {
		y, err := k.runGlobalFast(rc, x, shape, n*c, sz)
		if err != nil {
			return nil, err
		}
		return []Value{y}, nil
	}
	if k.kind == poolMax {
		// Every input position is one window's tap; offsets are 0..sz-1.
		offs := make([]int, sz)
		for i := range offs {
			offs[i] = i
		}
		ws := &windowSet{offs: offs, start: []int{0, sz}, count: []int{sz}}
		y, _, err := maxPoolAny(x, shape, ws, sp, n*c, false, th)
		if err != nil {
			return nil, err
		}
		return []Value{y}, nil
	}
	p := k.p
	run := func(v []float64) []float64 {
		y := make([]float64, n*c)
		conv.ParallelFor(n*c, th, func(_, pl int) {
			var s float64
			for _, e := range v[pl*sz : (pl+1)*sz] {
				switch {
				case k.kind == poolAvg:
					s += e
				case p == 2:
					s += e * e
				default:
					s += math.Pow(math.Abs(e), p)
				}
			}
			switch {
			case k.kind == poolAvg:
				s /= float64(max(sz, 1))
			case p == 2:
				s = math.Sqrt(s)
			default:
				s = math.Pow(s, 1/p)
			}
			y[pl] = s
		})
		return y
	}
	y, err := float64Compute(x, shape, run)
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}

// windowSet holds, for every output position of one plane, the flat
// in-plane input offsets of its window (offs[start[o]:start[o+1]]) and the
// number of its taps inside the padded extent.
type windowSet struct {
	offs, start, count []int
}

func makeWindows(axes []axisTaps, in, out []int) *windowSet {
	r := len(in)
	st := Strides(in)
	oc := make([]int, r)
	no := Size(out)
	ws := &windowSet{start: make([]int, no+1), count: make([]int, no)}
	var rec func(a, base int)
	rec = func(a, base int) {
		if a == r {
			ws.offs = append(ws.offs, base)
			return
		}
		for _, x := range axes[a].taps[oc[a]] {
			rec(a+1, base+x*st[a])
		}
	}
	for o := 0; o < no; o++ {
		ws.start[o] = len(ws.offs)
		rec(0, 0)
		cnt := 1
		for a := 0; a < r; a++ {
			cnt *= axes[a].count[oc[a]]
		}
		ws.count[o] = cnt
		for a := r - 1; a >= 0; a-- {
			oc[a]++
			if oc[a] < out[a] {
				break
			}
			oc[a] = 0
		}
	}
	ws.start[no] = len(ws.offs)
	return ws
}

func avgLpPool[T floatT](x []T, ws *windowSet, inSz, outSz, planes int, k *poolKernel, th int) []T {
	y := make([]T, planes*outSz)
	pw := k.p
	conv.ParallelFor(planes, th, func(_, pl int) {
		xp := x[pl*inSz : (pl+1)*inSz]
		yp := y[pl*outSz : (pl+1)*outSz]
		for o := range yp {
			offs := ws.offs[ws.start[o]:ws.start[o+1]]
			var s float64
			switch k.kind {
			case poolAvg:
				for _, off := range offs {
					s += float64(xp[off])
				}
				div := len(offs)
				if k.includePad {
					div = ws.count[o]
				}
				if div > 0 {
					s /= float64(div)
				}
			case poolLp:
				for _, off := range offs {
					v := math.Abs(float64(xp[off]))
					if pw == 2 {
						s += v * v
					} else {
						s += math.Pow(v, pw)
					}
				}
				if pw == 2 {
					s = math.Sqrt(s)
				} else {
					s = math.Pow(s, 1/pw)
				}
			}
			yp[o] = T(s)
		}
	})
	return y
}

type ordered interface {
	float32 | float64 | int8 | uint8
}

func maxPoolAny(x *Tensor, shape []int, ws *windowSet, in []int, planes int, colMajor bool, th int) (*Tensor, []int64, error) {
	switch d := x.Data.(type) {
	case []float32:
		y, idx := maxPool(d, ws, in, planes, colMajor, th, float32(math.Inf(-1)))
		return New(shape, y), idx, nil
	case []float64:
		y, idx := maxPool(d, ws, in, planes, colMajor, th, math.Inf(-1))
		return New(shape, y), idx, nil
	case []int8:
		y, idx := maxPool(d, ws, in, planes, colMajor, th, int8(math.MinInt8))
		return New(shape, y), idx, nil
	case []uint8:
		y, idx := maxPool(d, ws, in, planes, colMajor, th, 0)
		return New(shape, y), idx, nil
	case []float16.Float16, []graph.BFloat16Value:
		v, err := ToFloat32s(x)
		if err != nil {
			return nil, nil, err
		}
		y, idx := maxPool(v, ws, in, planes, colMajor, th, float32(math.Inf(-1)))
		t, err := FromFloat32s(x.DType, shape, y)
		return t, idx, err
	}
	return nil, nil, fmt.Errorf("input 0 (X): element type %s is not supported", x.DType)
}

// maxPool takes each window's maximum and the flat input index of its first
// occurrence, row-major or, with colMajor, column-major within the plane. A
// NaN in a window wins (the first one); a window wholly in the padding
// gives lowest.
func maxPool[T ordered](x []T, ws *windowSet, in []int, planes int, colMajor bool, th int, lowest T) ([]T, []int64) {
	inSz, outSz := Size(in), len(ws.count)
	y := make([]T, planes*outSz)
	idx := make([]int64, planes*outSz)
	var remap []int
	if colMajor && len(in) > 1 {
		remap = make([]int, inSz)
		rowSt := Strides(in)
		for off := range remap {
			r, s := 0, 1
			for a := 0; a < len(in); a++ {
				r += ((off / rowSt[a]) % in[a]) * s
				s *= in[a]
			}
			remap[off] = r
		}
	}
	conv.ParallelFor(planes, th, func(_, pl int) {
		xp := x[pl*inSz : (pl+1)*inSz]
		yp := y[pl*outSz : (pl+1)*outSz]
		ip := idx[pl*outSz : (pl+1)*outSz]
		for o := range yp {
			best, at := lowest, -1
			for _, off := range ws.offs[ws.start[o]:ws.start[o+1]] {
				if v := xp[off]; at < 0 || v > best || v != v && best == best {
					best, at = v, off
				}
			}
			yp[o] = best
			if at < 0 {
				at = 0
			}
			if remap != nil {
				at = remap[at]
			}
			ip[o] = int64(pl*inSz + at)
		}
	})
	return y, idx
}

// MaxUnpool.

type maxUnpoolKernel struct{ win windowAttrs }

func newMaxUnpool(b *Build) (Kernel, error) {
	win, err := parseWindow(b)
	if err != nil {
		return nil, err
	}
	if len(win.kernel) == 0 {
		return nil, b.Errorf("kernel_shape is required")
	}
	return &maxUnpoolKernel{win}, nil
}

func (k *maxUnpoolKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	it, err := TensorInput(in, 1)
	if err != nil {
		return nil, err
	}
	n, c, sp, err := spatialShape(x, 3)
	if err != nil {
		return nil, err
	}
	if !equalInts(it.Shape, x.Shape) {
		return nil, fmt.Errorf("input 1 (I): shape %v differs from input 0 (X) shape %v", it.Shape, x.Shape)
	}
	idx, err := ToInt64s(it)
	if err != nil {
		return nil, fmt.Errorf("input 1 (I): %w", err)
	}
	r := len(sp)
	if len(k.win.kernel) != r {
		return nil, fmt.Errorf("kernel_shape %v does not match %d spatial axes", k.win.kernel, r)
	}
	// The default output shape inverts the pooling; indices address it.
	shape := []int{n, c}
	strides, pads := k.win.strides, k.win.pads
	for i := 0; i < r; i++ {
		s := 1
		if len(strides) == r {
			s = strides[i]
		}
		d := (sp[i]-1)*s + k.win.kernel[i]
		if len(pads) == 2*r {
			d -= pads[i] + pads[r+i]
		}
		if d <= 0 {
			return nil, fmt.Errorf("axis %d: output size %d is not positive", i, d)
		}
		shape = append(shape, d)
	}
	if ot, err := OptTensor(in, 2); err != nil {
		return nil, err
	} else if ot != nil {
		os, err := ToInt64s(ot)
		if err != nil || len(os) != r+2 || int(os[0]) != n || int(os[1]) != c {
			return nil, fmt.Errorf("input 2 (output_shape): %v does not fit input 0 (X) shape %v", ot.Data, x.Shape)
		}
		want := []int{n, c}
		for _, d := range os[2:] {
			if d < 0 || d > 1<<31 {
				return nil, fmt.Errorf("input 2 (output_shape): bad size %d", d)
			}
			want = append(want, int(d))
		}
		if err := rc.CheckAlloc(x.DType, want); err != nil {
			return nil, err
		}
		// Re-address each index from the default shape into the requested one.
		from, to := Strides(shape), Strides(want)
		re := make([]int64, len(idx))
		for i, j := range idx {
			if j < 0 || j >= int64(Size(shape)) {
				return nil, fmt.Errorf("input 1 (I): index %d is out of range [0, %d)", j, Size(shape))
			}
			rem, v := int(j), 0
			for a := range shape {
				cd := rem / from[a]
				rem %= from[a]
				if cd >= want[a] {
					return nil, fmt.Errorf("input 1 (I): index %d falls outside output_shape %v", j, want)
				}
				v += cd * to[a]
			}
			re[i] = int64(v)
		}
		idx, shape = re, want
	}
	if err := checkOutputSize(shape); err != nil {
		return nil, err
	}
	y, err := Zeros(x.DType, shape)
	if err != nil {
		return nil, err
	}
	total := int64(Size(shape))
	if err := scatterUnpool(x.Data, y.Data, idx, total); err != nil {
		return nil, err
	}
	return []Value{y}, nil
}

func scatterUnpool(src, dst any, idx []int64, total int64) error {
	switch s := src.(type) {
	case []float32:
		return scatterAt(s, dst.([]float32), idx, total)
	case []float64:
		return scatterAt(s, dst.([]float64), idx, total)
	case []float16.Float16:
		return scatterAt(s, dst.([]float16.Float16), idx, total)
	case []graph.BFloat16Value:
		return scatterAt(s, dst.([]graph.BFloat16Value), idx, total)
	case []int8:
		return scatterAt(s, dst.([]int8), idx, total)
	case []uint8:
		return scatterAt(s, dst.([]uint8), idx, total)
	case []int32:
		return scatterAt(s, dst.([]int32), idx, total)
	case []int64:
		return scatterAt(s, dst.([]int64), idx, total)
	}
	return fmt.Errorf("input 0 (X): element type %T is not supported", src)
}

func scatterAt[T any](src, dst []T, idx []int64, total int64) error {
	for i, j := range idx {
		if j < 0 || j >= total {
			return fmt.Errorf("input 1 (I): index %d is out of range [0, %d)", j, total)
		}
		dst[j] = src[i]
	}
	return nil
}

// MaxRoiPool.

type maxRoiPoolKernel struct {
	pooled []int
	scale  float64
}

func newMaxRoiPool(b *Build) (Kernel, error) {
	ps, err := b.Node.AttrInts("pooled_shape", nil)
	if err != nil {
		return nil, err
	}
	if len(ps) != 2 || ps[0] <= 0 || ps[1] <= 0 {
		return nil, b.Errorf("pooled_shape %v must be two positive sizes", ps)
	}
	sc, err := b.Node.AttrFloat("spatial_scale", 1)
	if err != nil {
		return nil, err
	}
	return &maxRoiPoolKernel{pooled: toInts(ps), scale: float64(sc)}, nil
}

func (k *maxRoiPoolKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	rt, err := TensorInput(in, 1)
	if err != nil {
		return nil, err
	}
	if x.Rank() != 4 {
		return nil, fmt.Errorf("input 0 (X): shape %v, want rank 4", x.Shape)
	}
	if rt.Rank() != 2 || rt.Shape[1] != 5 {
		return nil, fmt.Errorf("input 1 (rois): shape %v, want [num_rois, 5]", rt.Shape)
	}
	rois, err := ToFloat64s(rt)
	if err != nil {
		return nil, fmt.Errorf("input 1 (rois): %w", err)
	}
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	ph, pw := k.pooled[0], k.pooled[1]
	nr := rt.Shape[0]
	shape := []int{nr, c, ph, pw}
	if err := checkOutputSize(shape); err != nil {
		return nil, err
	}
	run := func(xv []float64) ([]float64, error) {
		y := make([]float64, nr*c*ph*pw)
		for r := 0; r < nr; r++ {
			roi := rois[r*5 : r*5+5]
			b := int(roi[0])
			if b < 0 || b >= n {
				return nil, fmt.Errorf("input 1 (rois): batch index %v out of range [0, %d)", roi[0], n)
			}
			x1, y1 := int(math.Round(roi[1]*k.scale)), int(math.Round(roi[2]*k.scale))
			x2, y2 := int(math.Round(roi[3]*k.scale)), int(math.Round(roi[4]*k.scale))
			rw, rh := max(x2-x1+1, 1), max(y2-y1+1, 1)
			bh, bw := float64(rh)/float64(ph), float64(rw)/float64(pw)
			for ch := 0; ch < c; ch++ {
				plane := xv[(b*c+ch)*h*w : (b*c+ch+1)*h*w]
				for i := 0; i < ph; i++ {
					hs := min(max(int(math.Floor(float64(i)*bh))+y1, 0), h)
					he := min(max(int(math.Ceil(float64(i+1)*bh))+y1, 0), h)
					for j := 0; j < pw; j++ {
						ws := min(max(int(math.Floor(float64(j)*bw))+x1, 0), w)
						we := min(max(int(math.Ceil(float64(j+1)*bw))+x1, 0), w)
						best := 0.0
						if he > hs && we > ws {
							best = math.Inf(-1)
							for yy := hs; yy < he; yy++ {
								for xx := ws; xx < we; xx++ {
									best = math.Max(best, plane[yy*w+xx])
								}
							}
						}
						y[((r*c+ch)*ph+i)*pw+j] = best
					}
				}
			}
		}
		return y, nil
	}
	y, err := floatCompute(x, shape,
		func(v []float32) ([]float32, error) {
			out, err := run(convertSlice[float32, float64](v))
			return convertSlice[float64, float32](out), err
		}, run)
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}
