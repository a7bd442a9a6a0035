package ops

import (
	"fmt"
	"slices"
	"sync"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/kernels/conv"
	"github.com/onnxrun/onnxrun/internal/kernels/pool"
)

// poolShape is a pooling node prepared for one input shape: the resolved
// window, the output shape, the plan of the float kernels (nil when the
// window table would be too large) and, made on first use, the window
// table of the general path.
type poolShape struct {
	in    []int
	g     *geometry
	shape []int
	plan  *pool.Plan

	wsOnce sync.Once
	ws     *windowSet
	wsErr  error
}

// prepared returns the prepared form of the node for input shape xs
// (spatial dims sp), from the cache when the shape has been seen last.
func (k *poolKernel) prepared(xs, sp []int) (*poolShape, error) {
	if ps := k.last.Load(); ps != nil && slices.Equal(ps.in, xs) {
		return ps, nil
	}
	g, err := k.win.resolve(sp, k.win.kernel, k.ceil)
	if err != nil {
		return nil, err
	}
	shape := append([]int{xs[0], xs[1]}, g.out...)
	if err := checkOutputSize(shape); err != nil {
		return nil, err
	}
	ps := &poolShape{in: slices.Clone(xs), g: g, shape: shape}
	if k.kind != poolLp && Size(shape) > 0 {
		// A table too large leaves the plan nil: the general path then
		// reports the size.
		ps.plan, _ = pool.NewPlan(pool.Geometry{
			In: sp, Out: g.out, Kernel: g.kernel, Strides: g.strides, Dilations: g.dilations,
			PadBegin: g.padBegin, PadEnd: g.padEnd,
		}, maxWindowTaps)
	}
	k.last.Store(ps)
	return ps, nil
}

// windows returns the general path's window table, made once.
func (ps *poolShape) windows() (*windowSet, error) {
	ps.wsOnce.Do(func() {
		g, sp := ps.g, ps.in[2:]
		axes := make([]axisTaps, len(sp))
		total := 1
		for a := range sp {
			axes[a] = makeAxisTaps(sp[a], g.out[a], g.kernel[a], g.strides[a], g.dilations[a], g.padBegin[a], g.padEnd[a])
			sum := 0
			for _, t := range axes[a].taps {
				sum += len(t)
			}
			if sum > 0 && total > maxWindowTaps/sum {
				ps.wsErr = fmt.Errorf("pooling windows of kernel %v over input %v read more than %d values", g.kernel, ps.in, maxWindowTaps)
				return
			}
			total *= sum
		}
		ps.ws = makeWindows(axes, sp, g.out)
	})
	return ps.ws, ps.wsErr
}

// fastType reports whether the float kernels compute element type dt.
func fastType(dt graph.DType) bool {
	return dt == graph.Float || dt == graph.Double || isHalf(dt)
}

// runFast pools x (a float tensor) with the plan of ps: MaxPool without
// Indices, or AveragePool.
func (k *poolKernel) runFast(rc *RunContext, x *Tensor, ps *poolShape) (*Tensor, error) {
	planes := ps.shape[0] * ps.shape[1]
	th := threads(rc)
	switch d := x.Data.(type) {
	case []float32:
		y := runBuffer[float32](rc, Size(ps.shape))
		k.planes32(ps.plan, y, d, planes, th)
		return New(slices.Clone(ps.shape), y), nil
	case []float64:
		y := runBuffer[float64](rc, Size(ps.shape))
		poolPlanes(ps.plan, y, d, planes, k.kind == poolAvg, k.includePad, th)
		return New(slices.Clone(ps.shape), y), nil
	}
	v, err := ToFloat32s(x)
	if err != nil {
		return nil, err
	}
	y := make([]float32, Size(ps.shape))
	k.planes32(ps.plan, y, v, planes, th)
	return FromFloat32s(x.DType, slices.Clone(ps.shape), y)
}

func (k *poolKernel) planes32(p *pool.Plan, y, x []float32, planes, th int) {
	poolPlanes(p, y, x, planes, k.kind == poolAvg, k.includePad, th)
}

// poolPlanes pools every plane of x into y, the planes (in batches of
// small ones) split over th goroutines; each plane's result does not
// depend on the split.
func poolPlanes[T pool.Float](p *pool.Plan, y, x []T, planes int, avg, includePad bool, th int) {
	batch := p.Batch()
	chunks := (planes + batch - 1) / batch
	th = min(conv.Threads(th), chunks)
	scratch := make([]*pool.Scratch[T], max(th, 1))
	in, out := p.InSize(), p.OutSize()
	conv.ParallelFor(chunks, th, func(w, ci int) {
		sc := scratch[w]
		if sc == nil {
			sc = pool.NewScratch[T](p)
			scratch[w] = sc
		}
		pl := ci * batch
		n := min(batch, planes-pl)
		src, dst := x[pl*in:(pl+n)*in], y[pl*out:(pl+n)*out]
		if avg {
			pool.AvgPlanes(p, dst, src, n, includePad, sc)
		} else {
			pool.MaxPlanes(p, dst, src, n, sc)
		}
	})
}

// runGlobalFast is GlobalAveragePool and GlobalMaxPool over float planes.
func (k *poolKernel) runGlobalFast(rc *RunContext, x *Tensor, shape []int, planes, sz int) (*Tensor, error) {
	th := threads(rc)
	switch d := x.Data.(type) {
	case []float32:
		y := runBuffer[float32](rc, planes)
		globalPlanes(y, d, sz, k.kind == poolAvg, th)
		return New(shape, y), nil
	case []float64:
		y := runBuffer[float64](rc, planes)
		globalPlanes(y, d, sz, k.kind == poolAvg, th)
		return New(shape, y), nil
	}
	v, err := ToFloat32s(x)
	if err != nil {
		return nil, err
	}
	y := make([]float32, planes)
	globalPlanes(y, v, sz, k.kind == poolAvg, th)
	return FromFloat32s(x.DType, shape, y)
}

// globalPlanes sets y[p] to the mean (avg) or the maximum of plane p of x.
func globalPlanes[T pool.Float](y, x []T, sz int, avg bool, th int) {
	planes := len(y)
	// Whole planes per goroutine; small planes in groups, so that tiny
	// work is not spread thin.
	per := max(1, 4096/max(sz, 1))
	groups := (planes + per - 1) / per
	conv.ParallelFor(groups, min(conv.Threads(th), groups), func(_, g int) {
		for pl := g * per; pl < min((g+1)*per, planes); pl++ {
			v := x[pl*sz : (pl+1)*sz]
			if avg {
				y[pl] = pool.PlaneSum(v) / T(sz)
			} else {
				y[pl] = pool.PlaneMax(v)
			}
		}
	})
}
