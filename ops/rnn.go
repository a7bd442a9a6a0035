package ops

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/gemm"
)

func init() {
	Register(Spec{Op: "RNN", Since: 1}, func(b *Build) (Kernel, error) { return newRecurrent(b, rnnSimple) })
	Register(Spec{Op: "GRU", Since: 1}, func(b *Build) (Kernel, error) { return newRecurrent(b, rnnGRU) })
	Register(Spec{Op: "LSTM", Since: 1}, func(b *Build) (Kernel, error) { return newRecurrent(b, rnnLSTM) })
}

type rnnKind int

const (
	rnnSimple rnnKind = iota
	rnnGRU
	rnnLSTM
)

// gates is the number of gate blocks in W, R and half of B.
func (k rnnKind) gates() int { return [...]int{1, 3, 4}[k] }

// actFunc is one activation with its alpha and beta.
type actFunc struct {
	kind        actKind
	alpha, beta float64
}

type actKind int

const (
	actRelu actKind = iota
	actTanh
	actSigmoid
	actAffine
	actLeakyRelu
	actThresholdedRelu
	actScaledTanh
	actHardSigmoid
	actElu
	actSoftsign
	actSoftplus
)

func (a actFunc) apply(x float64) float64 {
	switch a.kind {
	case actRelu:
		return math.Max(0, x)
	case actTanh:
		return math.Tanh(x)
	case actSigmoid:
		return 1 / (1 + math.Exp(-x))
	case actAffine:
		return a.alpha*x + a.beta
	case actLeakyRelu:
		if x >= 0 {
			return x
		}
		return a.alpha * x
	case actThresholdedRelu:
		if x >= a.alpha {
			return x
		}
		return 0
	case actScaledTanh:
		return a.alpha * math.Tanh(a.beta*x)
	case actHardSigmoid:
		return math.Min(math.Max(a.alpha*x+a.beta, 0), 1)
	case actElu:
		if x >= 0 {
			return x
		}
		return a.alpha * (math.Exp(x) - 1)
	case actSoftsign:
		return x / (1 + math.Abs(x))
	case actSoftplus:
		return math.Log1p(math.Exp(x))
	}
	return math.NaN()
}

// actDefaults gives each activation's (alpha, beta) defaults and whether it
// takes them.
var actDefaults = map[string]struct {
	kind              actKind
	alpha, beta       float64
	useAlpha, useBeta bool
}{
	"relu": {kind: actRelu}, "tanh": {kind: actTanh}, "sigmoid": {kind: actSigmoid},
	"softsign": {kind: actSoftsign}, "softplus": {kind: actSoftplus},
	"affine":          {actAffine, 1, 0, true, true},
	"leakyrelu":       {actLeakyRelu, 0.01, 0, true, false},
	"thresholdedrelu": {actThresholdedRelu, 1, 0, true, false},
	"scaledtanh":      {actScaledTanh, 1, 1, true, true},
	"hardsigmoid":     {actHardSigmoid, 0.2, 0.5, true, true},
	"elu":             {actElu, 1, 0, true, false},
}

type rnnKernel struct {
	kind        rnnKind
	hidden      int
	dirs        int
	reverse     bool // direction "reverse" (with dirs 1)
	acts        [][]actFunc
	clip        float64 // 0: none
	lbr         bool
	inputForget bool
	layout      int64
}

func newRecurrent(b *Build, kind rnnKind) (Kernel, error) {
	n := b.Node
	k := &rnnKernel{kind: kind}
	hs, err := n.AttrInt("hidden_size", 0)
	if err != nil {
		return nil, err
	}
	k.hidden = int(hs) // 0: taken from R's shape at run time
	dir, err := n.AttrString("direction", "forward")
	if err != nil {
		return nil, err
	}
	switch dir {
	case "forward":
		k.dirs = 1
	case "reverse":
		k.dirs, k.reverse = 1, true
	case "bidirectional":
		k.dirs = 2
	default:
		return nil, b.Errorf("direction %q is not forward, reverse or bidirectional", dir)
	}
	if k.layout, err = n.AttrInt("layout", 0); err != nil {
		return nil, err
	}
	if k.layout != 0 && k.layout != 1 {
		return nil, b.Errorf("layout %d is not 0 or 1", k.layout)
	}
	if n.HasAttr("clip") {
		c, err := n.AttrFloat("clip", 0)
		if err != nil {
			return nil, err
		}
		if c <= 0 {
			return nil, b.Errorf("clip %g must be positive", c)
		}
		k.clip = float64(c)
	}
	lbr, err := n.AttrInt("linear_before_reset", 0)
	if err != nil {
		return nil, err
	}
	k.lbr = lbr != 0
	inf, err := n.AttrInt("input_forget", 0)
	if err != nil {
		return nil, err
	}
	k.inputForget = inf != 0
	perDir := [...]int{1, 2, 3}[kind]
	defNames := [...][]string{{"Tanh"}, {"Sigmoid", "Tanh"}, {"Sigmoid", "Tanh", "Tanh"}}[kind]
	names, err := n.AttrStrings("activations", nil)
	if err != nil {
		return nil, err
	}
	if names == nil {
		for range k.dirs {
			names = append(names, defNames...)
		}
	}
	if len(names) != perDir*k.dirs {
		return nil, b.Errorf("activations %v: want %d names", names, perDir*k.dirs)
	}
	alphas, err := n.AttrFloats("activation_alpha", nil)
	if err != nil {
		return nil, err
	}
	betas, err := n.AttrFloats("activation_beta", nil)
	if err != nil {
		return nil, err
	}
	ai, bi := 0, 0
	for d := range k.dirs {
		var fs []actFunc
		for _, name := range names[d*perDir : (d+1)*perDir] {
			l := strings.ToLower(name)
			def, ok := actDefaults[l]
			if !ok {
				return nil, b.Errorf("activation %q is not supported", name)
			}
			f := actFunc{kind: def.kind, alpha: def.alpha, beta: def.beta}
			if def.useAlpha && ai < len(alphas) {
				f.alpha = float64(alphas[ai])
				ai++
			}
			if def.useBeta && bi < len(betas) {
				f.beta = float64(betas[bi])
				bi++
			}
			fs = append(fs, f)
		}
		k.acts = append(k.acts, fs)
	}
	return k, nil
}

// mFloatIn reads a floating-point input as float64 values.
func mFloatIn(in []Value, i int, name string, dt graph.DType) (*Tensor, []float64, error) {
	t, err := OptTensor(in, i)
	if err != nil || t == nil {
		return nil, nil, err
	}
	if t.DType != dt {
		return nil, nil, fmt.Errorf("input %d (%s) is %s, input 0 is %s", i, name, t.DType, dt)
	}
	v, err := ToFloat64s(t)
	return t, v, err
}

// mFromFloat64s makes a floating-point tensor of type dt from float64 values.
func mFromFloat64s(dt graph.DType, shape []int, v []float64) (*Tensor, error) {
	switch dt {
	case graph.Double:
		return New(shape, v), nil
	case graph.Float, graph.Float16, graph.BFloat16:
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return FromFloat32s(dt, shape, f)
	}
	return nil, fmt.Errorf("element type %s is not a floating-point type", dt)
}

func (k *rnnKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	dt := x.DType
	if !dt.IsFloat() {
		return nil, fmt.Errorf("input 0 (X) is %s, want a floating-point tensor", x)
	}
	if x.Rank() != 3 {
		return nil, fmt.Errorf("input 0 (X) is %s, want rank 3", x)
	}
	seq, batch, isz := x.Shape[0], x.Shape[1], x.Shape[2]
	if k.layout == 1 {
		seq, batch = batch, seq
	}
	xv, err := ToFloat64s(x)
	if err != nil {
		return nil, err
	}
	G := k.kind.gates()
	w, wv, err := mFloatIn(in, 1, "W", dt)
	if err != nil {
		return nil, err
	}
	r, rv, err := mFloatIn(in, 2, "R", dt)
	if err != nil {
		return nil, err
	}
	if w == nil || r == nil {
		return nil, fmt.Errorf("inputs W and R are required")
	}
	H := k.hidden
	if H == 0 && r.Rank() == 3 {
		H = r.Shape[2]
	}
	D := k.dirs
	if !slices.Equal(w.Shape, []int{D, G * H, isz}) {
		return nil, fmt.Errorf("input 1 (W) is %s, want [%d %d %d]", w, D, G*H, isz)
	}
	if !slices.Equal(r.Shape, []int{D, G * H, H}) {
		return nil, fmt.Errorf("input 2 (R) is %s, want [%d %d %d]", r, D, G*H, H)
	}
	bt, bv, err := mFloatIn(in, 3, "B", dt)
	if err != nil {
		return nil, err
	}
	if bt != nil && !slices.Equal(bt.Shape, []int{D, 2 * G * H}) {
		return nil, fmt.Errorf("input 3 (B) is %s, want [%d %d]", bt, D, 2*G*H)
	}
	lens := make([]int, batch)
	for i := range lens {
		lens[i] = seq
	}
	if sl, err := OptTensor(in, 4); err != nil {
		return nil, err
	} else if sl != nil {
		v, err := ToInt64s(sl)
		if err != nil || len(v) != batch {
			return nil, fmt.Errorf("input 4 (sequence_lens) is %s, want %d integers", sl, batch)
		}
		for i, l := range v {
			if l < 0 || l > int64(seq) {
				return nil, fmt.Errorf("sequence_lens[%d] = %d is out of range [0, %d]", i, l, seq)
			}
			lens[i] = int(l)
		}
	}
	stateShape := []int{D, batch, H}
	if k.layout == 1 {
		stateShape = []int{batch, D, H}
	}
	h0t, h0, err := mFloatIn(in, 5, "initial_h", dt)
	if err != nil {
		return nil, err
	}
	if h0t != nil && !slices.Equal(h0t.Shape, stateShape) {
		return nil, fmt.Errorf("input 5 (initial_h) is %s, want %v", h0t, stateShape)
	}
	var c0, pv []float64
	if k.kind == rnnLSTM {
		var c0t, pt *Tensor
		if c0t, c0, err = mFloatIn(in, 6, "initial_c", dt); err != nil {
			return nil, err
		}
		if c0t != nil && !slices.Equal(c0t.Shape, stateShape) {
			return nil, fmt.Errorf("input 6 (initial_c) is %s, want %v", c0t, stateShape)
		}
		if pt, pv, err = mFloatIn(in, 7, "P", dt); err != nil {
			return nil, err
		}
		if pt != nil && !slices.Equal(pt.Shape, []int{D, 3 * H}) {
			return nil, fmt.Errorf("input 7 (P) is %s, want [%d %d]", pt, D, 3*H)
		}
	}
	if Size([]int{seq, D, batch, H}) > 1<<28 {
		return nil, fmt.Errorf("output of %d x %d x %d x %d elements is too large", seq, D, batch, H)
	}
	dm := rnnDims{seq: seq, batch: batch, isz: isz, H: H, D: D, G: G, lens: lens}
	yShape := []int{seq, D, batch, H}
	if k.layout == 1 {
		yShape = []int{batch, seq, D, H}
	}
	shapes := [][]int{yShape, stateShape, stateShape}
	var outs []Value
	if dt == graph.Double {
		res, err := rnnCompute(k, rc, dm, [7][]float64{xv, wv, rv, bv, h0, c0, pv}, matMulT64)
		if err != nil {
			return nil, err
		}
		for i, v := range res {
			if v != nil {
				outs = append(outs, New(shapes[i], v))
			}
		}
		return outs, nil
	}
	var data [7][]float32
	for i, v := range [7][]float64{xv, wv, rv, bv, h0, c0, pv} {
		if v != nil {
			data[i] = convertSlice[float64, float32](v)
		}
	}
	threads := 0
	if rc.Options != nil {
		threads = rc.Options.Threads
	}
	mm32 := func(m, n, kk int, a, b, c []float32) { matMulT32(threads, m, n, kk, a, b, c) }
	res, err := rnnCompute(k, rc, dm, data, mm32)
	if err != nil {
		return nil, err
	}
	for i, v := range res {
		if v == nil {
			continue
		}
		t, err := FromFloat32s(dt, shapes[i], v)
		if err != nil {
			return nil, fmt.Errorf("output %d: %w", i, err)
		}
		outs = append(outs, t)
	}
	return outs, nil
}

// rnnDims are the sizes of one recurrent run.
type rnnDims struct {
	seq, batch, isz, H, D, G int
	lens                     []int
}

// matMulT32 sets c (m×n) to a (m×k) times the transpose of b (n×k), with
// up to threads goroutines (0: GOMAXPROCS).
func matMulT32(threads, m, n, k int, a, b, c []float32) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(c[:m*n])
		return
	}
	gemm.SgemmThreads(threads, false, true, m, n, k, 1, a, k, b, k, 0, c, n)
}

// matMulT64 sets c (m×n) to a (m×k) times the transpose of b (n×k).
func matMulT64(m, n, k int, a, b, c []float64) {
	for i := range m {
		ar := a[i*k : (i+1)*k]
		for j := range n {
			br := b[j*k : (j+1)*k]
			acc := 0.0
			for p, x := range ar {
				acc += x * br[p]
			}
			c[i*n+j] = acc
		}
	}
}

// rnnCompute runs every direction over the whole sequence. data holds X, W,
// R, B, initial_h, initial_c and P (nil when omitted), X and the states in
// the kernel's layout. It returns Y, Y_h and (LSTM) Y_c in that layout.
func rnnCompute[T float32 | float64](k *rnnKernel, rc *RunContext, dm rnnDims, data [7][]T, mm func(m, n, k int, a, b, c []T)) ([3][]T, error) {
	xv, wv, rv, bv, h0, c0, pv := data[0], data[1], data[2], data[3], data[4], data[5], data[6]
	seq, batch, isz, H, D, G := dm.seq, dm.batch, dm.isz, dm.H, dm.D, dm.G
	GH := G * H
	var res [3][]T
	res[0] = make([]T, seq*D*batch*H)
	res[1] = make([]T, D*batch*H)
	if k.kind == rnnLSTM {
		res[2] = make([]T, D*batch*H)
	}
	// X in [seq, batch, input] order.
	x0 := xv
	if k.layout == 1 {
		x0 = make([]T, len(xv))
		for b := range batch {
			for t := range seq {
				copy(x0[(t*batch+b)*isz:(t*batch+b+1)*isz], xv[(b*seq+t)*isz:(b*seq+t+1)*isz])
			}
		}
	}
	sidx := func(d, b int) int {
		if k.layout == 1 {
			return (b*D + d) * H
		}
		return (d*batch + b) * H
	}
	yidx := func(t, d, b int) int {
		if k.layout == 1 {
			return ((b*seq+t)*D + d) * H
		}
		return ((t*D+d)*batch + b) * H
	}
	xw := make([]T, seq*batch*GH) // x·W^T + Wb for every (t, b)
	hr := make([]T, batch*GH)     // h·R^T + Rb for every b
	h := make([]T, batch*H)
	c := make([]T, batch*H)
	var rh, rhR []T // GRU without linear_before_reset: (r ⊙ h) and its product with Rh^T
	if k.kind == rnnGRU && !k.lbr {
		rh, rhR = make([]T, batch*H), make([]T, batch*H)
	}
	tmp := make([]float64, 3*H)
	for d := range D {
		acts := k.acts[d]
		W := wv[d*GH*isz : (d+1)*GH*isz]
		R := rv[d*GH*H : (d+1)*GH*H]
		var wb, rb, P []T
		if bv != nil {
			wb = bv[d*2*GH : d*2*GH+GH]
			rb = bv[d*2*GH+GH : (d+1)*2*GH]
		}
		if pv != nil {
			P = pv[d*3*H : (d+1)*3*H]
		}
		mm(seq*batch, GH, isz, x0, W, xw)
		if wb != nil {
			for r := range seq * batch {
				row := xw[r*GH : (r+1)*GH]
				for j := range row {
					row[j] += wb[j]
				}
			}
		}
		for b := range batch {
			if h0 != nil {
				copy(h[b*H:(b+1)*H], h0[sidx(d, b):sidx(d, b)+H])
			} else {
				clear(h[b*H : (b+1)*H])
			}
			if c0 != nil {
				copy(c[b*H:(b+1)*H], c0[sidx(d, b):sidx(d, b)+H])
			} else {
				clear(c[b*H : (b+1)*H])
			}
		}
		rev := k.reverse || d == 1
		tOf := func(s, b int) int {
			if rev {
				return dm.lens[b] - 1 - s
			}
			return s
		}
		for s := range seq {
			if err := rc.Ctx.Err(); err != nil {
				return res, err
			}
			mm(batch, GH, H, h, R, hr)
			if rb != nil {
				for b := range batch {
					row := hr[b*GH : (b+1)*GH]
					for j := range row {
						row[j] += rb[j]
					}
				}
			}
			if rh != nil { // GRU: the hidden gate needs (r ⊙ h)·Rh^T first
				for b := range batch {
					if s >= dm.lens[b] {
						continue
					}
					gx := xw[(tOf(s, b)*batch+b)*GH:]
					gh := hr[b*GH:]
					for j := range H {
						r := acts[0].apply(k.clipped(float64(gx[H+j] + gh[H+j])))
						rh[b*H+j] = T(r) * h[b*H+j]
					}
				}
				mm(batch, H, H, rh, R[2*H*H:], rhR)
			}
			for b := range batch {
				if s >= dm.lens[b] {
					continue
				}
				t := tOf(s, b)
				gx := xw[(t*batch+b)*GH : (t*batch+b+1)*GH]
				gh := hr[b*GH : (b+1)*GH]
				var rhb []T
				if rhR != nil {
					rhb = rhR[b*H : (b+1)*H]
				}
				rnnStep(k, acts, gx, gh, rb, rhb, P, h[b*H:(b+1)*H], c[b*H:(b+1)*H], tmp)
				copy(res[0][yidx(t, d, b):yidx(t, d, b)+H], h[b*H:(b+1)*H])
			}
		}
		for b := range batch {
			copy(res[1][sidx(d, b):sidx(d, b)+H], h[b*H:(b+1)*H])
			if res[2] != nil {
				copy(res[2][sidx(d, b):sidx(d, b)+H], c[b*H:(b+1)*H])
			}
		}
	}
	return res, nil
}

func (k *rnnKernel) clipped(x float64) float64 {
	if k.clip > 0 {
		return math.Max(-k.clip, math.Min(k.clip, x))
	}
	return x
}

// rnnStep advances one batch entry by one time step: gx and gh hold the
// input and recurrent products with their biases (gate blocks z, r, h for
// GRU; i, o, f, c for LSTM), rhR the GRU product (r ⊙ h)·Rh^T (without
// linear_before_reset), and h and c the state, updated in place; tmp is
// scratch of 3*len(h) values.
func rnnStep[T float32 | float64](k *rnnKernel, acts []actFunc, gx, gh, rb, rhR, P, h, c []T, tmp []float64) {
	H := len(h)
	f64 := func(v T) float64 { return float64(v) }
	switch k.kind {
	case rnnSimple:
		for j := range H {
			h[j] = T(acts[0].apply(k.clipped(f64(gx[j] + gh[j]))))
		}
	case rnnGRU:
		f, g := acts[0], acts[1]
		z, hn := tmp[:H], tmp[H:2*H]
		for j := range H {
			z[j] = f.apply(k.clipped(f64(gx[j] + gh[j])))
			if k.lbr {
				rr := f.apply(k.clipped(f64(gx[H+j] + gh[H+j])))
				hn[j] = g.apply(k.clipped(f64(gx[2*H+j]) + rr*f64(gh[2*H+j])))
			} else {
				acc := f64(rhR[j])
				if rb != nil {
					acc += f64(rb[2*H+j])
				}
				hn[j] = g.apply(k.clipped(f64(gx[2*H+j]) + acc))
			}
		}
		for j := range H {
			h[j] = T((1-z[j])*hn[j] + z[j]*f64(h[j]))
		}
	case rnnLSTM:
		f, g, hf := acts[0], acts[1], acts[2]
		for j := range H {
			pi, po, pf := 0.0, 0.0, 0.0
			if P != nil {
				pi, po, pf = f64(P[j]), f64(P[H+j]), f64(P[2*H+j])
			}
			cj := f64(c[j])
			it := f.apply(k.clipped(f64(gx[j]+gh[j]) + pi*cj))
			var ft float64
			if k.inputForget {
				ft = 1 - it
			} else {
				ft = f.apply(k.clipped(f64(gx[2*H+j]+gh[2*H+j]) + pf*cj))
			}
			ct := g.apply(k.clipped(f64(gx[3*H+j] + gh[3*H+j])))
			cj = ft*cj + it*ct
			ot := f.apply(k.clipped(f64(gx[H+j]+gh[H+j]) + po*cj))
			c[j] = T(cj)
			h[j] = T(ot * hf.apply(cj))
		}
	}
}
