package ops

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/kernels/conv"
)

func init() {
	// Conv-1 and Conv-11 differ only in documentation of auto_pad.
	Register(Spec{Op: "Conv", Since: 1}, newConv)
	Register(Spec{Op: "ConvTranspose", Since: 1}, newConvTranspose)
}

// convNode holds what Conv and ConvTranspose parse once.
type convNode struct {
	win   windowAttrs
	group int
	// Weights and bias converted once when they are constants.
	w32, b32 []float32
	w64, b64 []float64
	// constantWeight says W is known at prepare time; packed then caches
	// its prepared form per algorithm (→ *conv.Weights[T]), made on first
	// use: the packing depends only on W, but the algorithm on X's shape.
	constantWeight bool
	packed         sync.Map
	// plans caches the prepared convolution per input shape and element
	// type (a string key → *conv.Plan[T]).
	plans  sync.Map
	nplans atomic.Int32
	// last is what the latest run with constant weights prepared, so
	// that a run of the same shapes skips the keyed caches.
	last atomic.Pointer[preparedConv]
}

// maxCachedPlans bounds a node's plan cache (inputs of many shapes).
const maxCachedPlans = 64

func parseConvNode(b *Build) (*convNode, error) {
	win, err := parseWindow(b)
	if err != nil {
		return nil, err
	}
	g, err := b.Node.AttrInt("group", 1)
	if err != nil {
		return nil, err
	}
	if g <= 0 {
		return nil, b.Errorf("group %d must be positive", g)
	}
	cn := &convNode{win: win, group: int(g)}
	if w := b.Constant(1); w != nil {
		cn.constantWeight = true
		switch {
		case w.DType == graph.Double:
			cn.w64 = w.Data.([]float64)
		case w.DType == graph.Float || isHalf(w.DType):
			if cn.w32, err = ToFloat32s(w); err != nil {
				return nil, b.Errorf("input 1 (W): %v", err)
			}
		}
	}
	if bias := b.Constant(2); bias != nil {
		switch {
		case bias.DType == graph.Double:
			cn.b64 = bias.Data.([]float64)
		case bias.DType == graph.Float || isHalf(bias.DType):
			if cn.b32, err = ToFloat32s(bias); err != nil {
				return nil, b.Errorf("input 2 (B): %v", err)
			}
		}
	}
	return cn, nil
}

// weights returns W and B (nil when absent) as []T, from the prepared
// constants when possible.
func convWeights[T floatT](cn *convNode, w, bias *Tensor) (wv, bv []T, err error) {
	var z T
	_, is32 := any(z).(float32)
	switch {
	case is32 && cn.w32 != nil:
		wv = any(cn.w32).([]T)
	case !is32 && cn.w64 != nil:
		wv = any(cn.w64).([]T)
	default:
		if wv, err = floatsAs[T](w); err != nil {
			return nil, nil, fmt.Errorf("input 1 (W): %w", err)
		}
	}
	if bias == nil {
		return wv, nil, nil
	}
	switch {
	case is32 && cn.b32 != nil:
		bv = any(cn.b32).([]T)
	case !is32 && cn.b64 != nil:
		bv = any(cn.b64).([]T)
	default:
		if bv, err = floatsAs[T](bias); err != nil {
			return nil, nil, fmt.Errorf("input 2 (B): %w", err)
		}
	}
	return wv, bv, nil
}

// convInputs checks X, W and B of a Conv-like node and returns the
// convolution parameters and the output shape. transposed selects the
// ConvTranspose weight layout [C, M/group, k...].
func (cn *convNode) convParams(x, w, bias *Tensor) (conv.Params, []int, error) {
	var p conv.Params
	n, c, sp, err := spatialShape(x, 3)
	if err != nil {
		return p, nil, err
	}
	if w.Rank() != x.Rank() {
		return p, nil, fmt.Errorf("input 1 (W): shape %v does not match input 0 (X) shape %v", w.Shape, x.Shape)
	}
	if x.DType != w.DType {
		return p, nil, fmt.Errorf("input 1 (W): element type %s differs from X's %s", w.DType, x.DType)
	}
	kernel := w.Shape[2:]
	if len(cn.win.kernel) > 0 && !equalInts(cn.win.kernel, kernel) {
		return p, nil, fmt.Errorf("kernel_shape %v does not match input 1 (W) shape %v", cn.win.kernel, w.Shape)
	}
	m := w.Shape[0]
	if c%cn.group != 0 || m%cn.group != 0 || w.Shape[1]*cn.group != c {
		return p, nil, fmt.Errorf("input 1 (W): shape %v does not fit input 0 (X) shape %v with group %d", w.Shape, x.Shape, cn.group)
	}
	if bias != nil && (bias.Rank() != 1 || bias.Shape[0] != m) {
		return p, nil, fmt.Errorf("input 2 (B): shape %v, want [%d]", bias.Shape, m)
	}
	g, err := cn.win.resolve(sp, kernel, false)
	if err != nil {
		return p, nil, err
	}
	p = conv.Params{N: n, C: c, M: m, Group: cn.group, In: sp, Kernel: kernel, Out: g.out,
		Strides: g.strides, Dilations: g.dilations, Pads: g.padBegin}
	shape := append([]int{n, m}, g.out...)
	if err := checkOutputSize(shape); err != nil {
		return p, nil, err
	}
	return p, shape, nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type convKernel struct{ cn *convNode }

func newConv(b *Build) (Kernel, error) {
	cn, err := parseConvNode(b)
	if err != nil {
		return nil, err
	}
	return &convKernel{cn}, nil
}

func (k *convKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	w, err := TensorInput(in, 1)
	if err != nil {
		return nil, err
	}
	bias, err := OptTensor(in, 2)
	if err != nil {
		return nil, err
	}
	p, shape, err := k.cn.convParams(x, w, bias)
	if err != nil {
		return nil, err
	}
	if err := rc.CheckAlloc(x.DType, shape); err != nil {
		return nil, err
	}
	th := threads(rc)
	y, err := floatCompute(x, shape,
		func(xv []float32) ([]float32, error) { return runConv(rc, k.cn, p, xv, w, bias, th) },
		func(xv []float64) ([]float64, error) { return runConv(rc, k.cn, p, xv, w, bias, th) })
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}

func runConv[T floatT](rc *RunContext, cn *convNode, p conv.Params, x []T, w, bias *Tensor, th int) ([]T, error) {
	pl, pw, bv, err := prepareConv[T](rc, cn, p, w, bias)
	if err != nil {
		return nil, err
	}
	y := convBuffer[T](rc, pl, p.N*p.M*Size(p.Out))
	return y, pl.RunPacked(x, pw, bv, y, th)
}

// convBuffer returns the output buffer of pl: not zeroed first for the
// algorithms known to write every output element (pointwise, im2col,
// taps).
func convBuffer[T floatT](rc *RunContext, pl *conv.Plan[T], n int) []T {
	switch pl.Algo {
	case conv.Pointwise, conv.Im2col, conv.Taps:
		return runBufferFull[T](rc, n)
	}
	return runBuffer[T](rc, n)
}

// prepareConv returns the node's plan for p, the weights prepared for it
// (packed once per node when they are constant) and the bias.
func prepareConv[T floatT](rc *RunContext, cn *convNode, p conv.Params, w, bias *Tensor) (*conv.Plan[T], *conv.Weights[T], []T, error) {
	wv, bv, err := convWeights[T](cn, w, bias)
	if err != nil {
		return nil, nil, nil, err
	}
	if cn.constantWeight {
		// The steady state: the same shapes as the run before.
		if lp := cn.last.Load(); lp != nil {
			if pl, ok := lp.pl.(*conv.Plan[T]); ok && sameConvShape(&pl.P, &p) {
				return pl, lp.pw.(*conv.Weights[T]), bv, nil
			}
		}
	}
	pl, err := cachedPlan[T](rc, cn, p, wv)
	if err != nil {
		return nil, nil, nil, err
	}
	var pw *conv.Weights[T]
	if cn.constantWeight {
		pw, err = packedConst(cn, pl, wv)
	} else {
		pw, err = pl.PackWeights(wv)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if cn.constantWeight {
		cn.last.Store(&preparedConv{pl: pl, pw: pw})
	}
	return pl, pw, bv, nil
}

// preparedConv is a node's plan (*conv.Plan[T]) and the constant weights
// prepared for it (*conv.Weights[T]), kept for the next run of the same
// shapes.
type preparedConv struct{ pl, pw any }

// sameConvShape reports whether a and b have the sizes planKey tells
// apart (the node's attributes fix the rest).
func sameConvShape(a, b *conv.Params) bool {
	return a.N == b.N && a.C == b.C && a.M == b.M && slices.Equal(a.In, b.In) && slices.Equal(a.Kernel, b.Kernel)
}

// cachedPlan returns the node's plan for p, preparing it on first use:
// tuned (conv.Tune: measured single-threaded, the first choice kept and
// cached on disk) unless rc's options say not to.
func cachedPlan[T floatT](rc *RunContext, cn *convNode, p conv.Params, wv []T) (*conv.Plan[T], error) {
	key := planKey[T](p)
	if v, ok := cn.plans.Load(key); ok {
		return v.(*conv.Plan[T]), nil
	}
	pl, err := conv.NewPlan[T](p)
	if err != nil {
		return nil, err
	}
	if rc == nil || rc.Options == nil || !rc.Options.NoTune {
		pl = conv.Tune(pl, wv, conv.TuneDir())
	}
	if cn.nplans.Add(1) > maxCachedPlans {
		return pl, nil
	}
	v, _ := cn.plans.LoadOrStore(key, pl)
	return v.(*conv.Plan[T]), nil
}

func planKey[T floatT](p conv.Params) string {
	var z T
	return fmt.Sprintf("%T %d %d %d %v %v", z, p.N, p.C, p.M, p.In, p.Kernel)
}

// Algorithm names the convolution algorithm of the node's prepared plans
// ("" before the first run; several, comma-separated, when it ran on
// inputs of different shapes that chose differently).
func (k *convKernel) Algorithm() string {
	var names []string
	k.cn.plans.Range(func(_, v any) bool {
		var s string
		switch pl := v.(type) {
		case *conv.Plan[float32]:
			s = pl.Algo.String()
		case *conv.Plan[float64]:
			s = pl.Algo.String()
		}
		if s != "" && !slices.Contains(names, s) {
			names = append(names, s)
		}
		return true
	})
	slices.Sort(names)
	return strings.Join(names, ",")
}

// packedConst returns constant weights prepared for pl, packing once per
// node, element type and algorithm (and, since the packing depends on the
// group split, per group count and kernel volume).
func packedConst[T floatT](cn *convNode, pl *conv.Plan[T], wv []T) (*conv.Weights[T], error) {
	var z T
	key := fmt.Sprintf("%T %v %d %d %v", z, pl.Algo, pl.P.M, pl.P.C, pl.P.Kernel)
	if v, ok := cn.packed.Load(key); ok {
		return v.(*conv.Weights[T]), nil
	}
	pw, err := pl.PackWeights(wv)
	if err != nil {
		return nil, err
	}
	v, _ := cn.packed.LoadOrStore(key, pw)
	return v.(*conv.Weights[T]), nil
}

// ConvTranspose.

type convTransposeKernel struct {
	cn             *convNode
	outputPadding  []int
	outputShape    []int
	hasOutputShape bool
}

func newConvTranspose(b *Build) (Kernel, error) {
	cn, err := parseConvNode(b)
	if err != nil {
		return nil, err
	}
	k := &convTransposeKernel{cn: cn}
	op, err := b.Node.AttrInts("output_padding", nil)
	if err != nil {
		return nil, err
	}
	k.outputPadding = toInts(op)
	os, err := b.Node.AttrInts("output_shape", nil)
	if err != nil {
		return nil, err
	}
	k.hasOutputShape = b.Node.HasAttr("output_shape")
	k.outputShape = toInts(os)
	return k, nil
}

func (k *convTransposeKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	w, err := TensorInput(in, 1)
	if err != nil {
		return nil, err
	}
	bias, err := OptTensor(in, 2)
	if err != nil {
		return nil, err
	}
	p, shape, err := k.params(x, w, bias)
	if err != nil {
		return nil, err
	}
	if err := rc.CheckAlloc(x.DType, shape); err != nil {
		return nil, err
	}
	th := threads(rc)
	y, err := floatCompute(x, shape,
		func(xv []float32) ([]float32, error) { return runConvTranspose(rc, k.cn, p, xv, w, bias, th) },
		func(xv []float64) ([]float64, error) { return runConvTranspose(rc, k.cn, p, xv, w, bias, th) })
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}

func (k *convTransposeKernel) params(x, w, bias *Tensor) (conv.Params, []int, error) {
	var p conv.Params
	cn := k.cn
	n, c, sp, err := spatialShape(x, 3)
	if err != nil {
		return p, nil, err
	}
	r := len(sp)
	if w.Rank() != x.Rank() || w.Shape[0] != c {
		return p, nil, fmt.Errorf("input 1 (W): shape %v does not fit input 0 (X) shape %v", w.Shape, x.Shape)
	}
	if x.DType != w.DType {
		return p, nil, fmt.Errorf("input 1 (W): element type %s differs from X's %s", w.DType, x.DType)
	}
	if c%cn.group != 0 {
		return p, nil, fmt.Errorf("input 0 (X): %d channels do not split into %d groups", c, cn.group)
	}
	kernel := w.Shape[2:]
	if len(cn.win.kernel) > 0 && !equalInts(cn.win.kernel, kernel) {
		return p, nil, fmt.Errorf("kernel_shape %v does not match input 1 (W) shape %v", cn.win.kernel, w.Shape)
	}
	m := w.Shape[1] * cn.group
	if bias != nil && (bias.Rank() != 1 || bias.Shape[0] != m) {
		return p, nil, fmt.Errorf("input 2 (B): shape %v, want [%d]", bias.Shape, m)
	}
	strides, dil := cn.win.strides, cn.win.dilations
	if len(strides) == 0 {
		strides = ones(r)
	}
	if len(dil) == 0 {
		dil = ones(r)
	}
	outPad := k.outputPadding
	if len(outPad) == 0 {
		outPad = make([]int, r)
	}
	if len(strides) != r || len(dil) != r || len(outPad) != r {
		return p, nil, fmt.Errorf("strides %v, dilations %v or output_padding %v do not match %d spatial axes", strides, dil, outPad, r)
	}
	pads := cn.win.pads
	if len(pads) == 0 {
		pads = make([]int, 2*r)
	}
	if len(pads) != 2*r {
		return p, nil, fmt.Errorf("pads %v do not match %d spatial axes", pads, r)
	}
	out := make([]int, r)
	begin := make([]int, r)
	want := k.outputShape
	if k.hasOutputShape && len(want) == r+2 {
		want = want[2:]
	}
	if k.hasOutputShape && len(want) != r {
		return p, nil, fmt.Errorf("output_shape %v does not match %d spatial axes", k.outputShape, r)
	}
	same := cn.win.autoPad == "SAME_UPPER" || cn.win.autoPad == "SAME_LOWER"
	for i := 0; i < r; i++ {
		dk := (kernel[i]-1)*dil[i] + 1
		full := strides[i]*(sp[i]-1) + outPad[i] + dk
		switch {
		case k.hasOutputShape || same:
			if k.hasOutputShape {
				out[i] = want[i]
			} else {
				out[i] = sp[i] * strides[i]
			}
			// Negative total padding (a larger output) extends the end.
			total := full - out[i]
			half := floorDiv(total, 2)
			if cn.win.autoPad == "SAME_UPPER" {
				begin[i] = half
			} else {
				begin[i] = total - half
			}
		case cn.win.autoPad == "VALID":
			out[i] = full
		default:
			begin[i] = pads[i]
			out[i] = full - pads[i] - pads[r+i]
		}
		if out[i] <= 0 {
			return p, nil, fmt.Errorf("axis %d: output size %d is not positive", i, out[i])
		}
	}
	p = conv.Params{N: n, C: c, M: m, Group: cn.group, In: sp, Kernel: kernel, Out: out,
		Strides: strides, Dilations: dil, Pads: begin}
	shape := append([]int{n, m}, out...)
	if err := checkOutputSize(shape); err != nil {
		return p, nil, err
	}
	return p, shape, nil
}

func runConvTranspose[T floatT](rc *RunContext, cn *convNode, p conv.Params, x []T, w, bias *Tensor, th int) ([]T, error) {
	wv, bv, err := convWeights[T](cn, w, bias)
	if err != nil {
		return nil, err
	}
	pl, err := conv.NewTransposePlan[T](p)
	if err != nil {
		return nil, err
	}
	var tw *conv.TransposeWeights[T]
	if cn.constantWeight {
		// Packed once per node (the packing depends on W and the group
		// count only, both fixed for the node).
		var z T
		key := fmt.Sprintf("transposed %T", z)
		if v, ok := cn.packed.Load(key); ok {
			tw = v.(*conv.TransposeWeights[T])
		} else if tw, err = pl.PackWeights(wv); err == nil {
			v, _ := cn.packed.LoadOrStore(key, tw)
			tw = v.(*conv.TransposeWeights[T])
		}
	} else {
		tw, err = pl.PackWeights(wv)
	}
	if err != nil {
		return nil, err
	}
	// The transposed convolution writes every output element.
	y := runBufferFull[T](rc, p.N*p.M*Size(p.Out))
	return y, pl.RunPacked(x, tw, bv, y, th)
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
