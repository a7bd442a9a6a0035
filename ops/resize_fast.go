package ops

import (
	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/kernels/conv"
	"github.com/x448/float16"
)

// nearestResize performs nearest resampling of x to outShape with the
// axis maps (nil: an axis kept) one output row (all coordinates but the
// last) at a time: a row reads one input row through the last axis' map,
// and a row whose input row is the previous row's copies that row. It
// reports false for element types it leaves to gatherResize.
func nearestResize(rc *RunContext, x *Tensor, outShape []int, maps []*axisMap) (*Tensor, bool) {
	if len(outShape) == 0 || Size(outShape) == 0 {
		return nil, false
	}
	var data any
	n, th := Size(outShape), threads(rc)
	switch d := x.Data.(type) {
	case []float32:
		data = nearestRows(runBuffer[float32](rc, n), d, x.Shape, outShape, maps, th)
	case []float64:
		data = nearestRows(runBuffer[float64](rc, n), d, x.Shape, outShape, maps, th)
	case []float16.Float16:
		data = nearestRows(make([]float16.Float16, n), d, x.Shape, outShape, maps, th)
	case []graph.BFloat16Value:
		data = nearestRows(make([]graph.BFloat16Value, n), d, x.Shape, outShape, maps, th)
	case []int8:
		data = nearestRows(make([]int8, n), d, x.Shape, outShape, maps, th)
	case []uint8:
		data = nearestRows(make([]uint8, n), d, x.Shape, outShape, maps, th)
	case []int32:
		data = nearestRows(runBuffer[int32](rc, n), d, x.Shape, outShape, maps, th)
	case []int64:
		data = nearestRows(runBuffer[int64](rc, n), d, x.Shape, outShape, maps, th)
	default:
		return nil, false
	}
	return &Tensor{DType: x.DType, Shape: append([]int(nil), outShape...), Data: data}, true
}

// nearestRows fills y (shape out) from x (shape in) and returns it, blocks
// of rows split over th goroutines.
func nearestRows[T any](y, x []T, in, out []int, maps []*axisMap, th int) []T {
	last := len(out) - 1
	wIn, wOut := in[last], out[last]
	var idx []int
	if m := maps[last]; m != nil {
		idx = m.idx[:wOut]
	}
	// rep > 0: the last axis repeats every input rep times.
	rep := 0
	if idx != nil && wOut%wIn == 0 {
		rep = wOut / wIn
		for i, j := range idx {
			if j != i/rep {
				rep = 0
				break
			}
		}
	}
	inSt := Strides(in)
	nrows := Size(out[:last])
	// Blocks of at least 16K values each.
	per := max(1, (1<<14)/max(wOut, 1))
	blocks := (nrows + per - 1) / per
	// The input row of output row r is rowBase(r / hOut) + hIdx[r % hOut]
	// (rank 1: one row).
	hOut := 1
	var hIdx []int
	if last > 0 {
		hOut = out[last-1]
		hIdx = make([]int, hOut)
		for h := range hIdx {
			c := h
			if m := maps[last-1]; m != nil {
				c = m.idx[h]
			}
			hIdx[h] = c * inSt[last-1]
		}
	} else {
		hIdx = []int{0}
	}
	outer := max(last-1, 0)
	rowBase := func(p int) int {
		base := 0
		for a := outer - 1; a >= 0; a-- {
			c := p % out[a]
			p /= out[a]
			if m := maps[a]; m != nil {
				c = m.idx[c]
			}
			base += c * inSt[a]
		}
		return base
	}
	conv.ParallelFor(blocks, min(conv.Threads(th), blocks), func(_, b int) {
		r0, r1 := b*per, min((b+1)*per, nrows)
		prev := -1
		p, h := r0/hOut, r0%hOut
		pBase := rowBase(p)
		for row := r0; row < r1; row++ {
			base := pBase + hIdx[h]
			dst := y[row*wOut : (row+1)*wOut]
			switch {
			case base == prev:
				copy(dst, y[(row-1)*wOut:row*wOut])
			case idx == nil:
				copy(dst, x[base:base+wIn])
			case rep == 2:
				src := x[base : base+wIn]
				dst = dst[:2*len(src)]
				for i, v := range src {
					dst[2*i], dst[2*i+1] = v, v
				}
			case rep > 2:
				src := x[base : base+wIn]
				for i, v := range src {
					d := dst[i*rep : (i+1)*rep]
					for k := range d {
						d[k] = v
					}
				}
			default:
				src := x[base : base+wIn]
				for i, j := range idx {
					dst[i] = src[j]
				}
			}
			prev = base
			if h++; h == hOut && row+1 < r1 {
				h = 0
				p++
				pBase = rowBase(p)
			}
		}
	})
	return y
}

// resampleF32 performs linear or cubic resampling of a float32 x to
// outShape in float32, one axis at a time in axis order as the float64
// path does (resampleAxis): the taps of an output add up from zero in tap
// order, taps of weight 0 skipped.
func resampleF32(rc *RunContext, x *Tensor, outShape []int, maps []*axisMap, extra float64) (*Tensor, bool) {
	xv, ok := x.Data.([]float32)
	if !ok || Size(outShape) == 0 {
		return nil, false
	}
	last := -1
	for ax, m := range maps {
		if m != nil {
			last = ax
		}
	}
	if last < 0 {
		y := runBuffer[float32](rc, len(xv))
		copy(y, xv)
		return New(append([]int(nil), outShape...), y), true
	}
	shape := append([]int{}, x.Shape...)
	for ax, m := range maps {
		if m == nil {
			continue
		}
		shape[ax] = m.out
		var y []float32
		if ax == last {
			y = runBuffer[float32](rc, Size(shape))
		} else {
			y = make([]float32, Size(shape))
		}
		shape[ax] = m.in
		resampleAxisF32(y, xv, shape, ax, m, float32(extra))
		shape[ax] = m.out
		xv = y
	}
	return New(append([]int(nil), outShape...), xv), true
}

// resampleAxisF32 is resampleAxis in float32, writing y (zeroed).
func resampleAxisF32(y, x []float32, shape []int, ax int, m *axisMap, extra float32) {
	outer := Size(shape[:ax])
	inner := Size(shape[ax+1:])
	w := make([]float32, len(m.w))
	for i, v := range m.w {
		w[i] = float32(v)
	}
	for o := 0; o < outer; o++ {
		src := x[o*m.in*inner : (o+1)*m.in*inner]
		dst := y[o*m.out*inner : (o+1)*m.out*inner]
		if inner == 1 {
			for p := range dst {
				if m.extra[p] {
					dst[p] = extra
					continue
				}
				var s float32
				for j, wt := range w[p*m.n : (p+1)*m.n] {
					if wt != 0 {
						s += wt * src[m.idx[p*m.n+j]]
					}
				}
				dst[p] = s
			}
			continue
		}
		for p := 0; p < m.out; p++ {
			row := dst[p*inner : (p+1)*inner]
			if m.extra[p] {
				for i := range row {
					row[i] = extra
				}
				continue
			}
			for j, wt := range w[p*m.n : (p+1)*m.n] {
				if wt == 0 {
					continue
				}
				s := src[m.idx[p*m.n+j]*inner:][:inner]
				for i, v := range s {
					row[i] += wt * v
				}
			}
		}
	}
}
