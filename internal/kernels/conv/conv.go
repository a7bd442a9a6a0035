// Package conv holds the convolution kernels of onnxrun: N-d convolution
// (pointwise GEMM, im2col/vol2col + GEMM, depthwise direct, Winograd, direct
// taps for few output channels), transposed convolution (GEMM + col2im), and
// the plain reference loops that state their semantics. Tensors are
// row-major NC(D...) slices.
//
// For float32 the GEMM paths multiply by weights packed once
// (PackWeights) and, for im2col, pack the input patches straight into the
// GEMM's B panels, with a FusedConv's bias, residual and activation applied
// to each output tile inside the GEMM (RunEpilogue).
package conv

import (
	"fmt"

	"github.com/onnxrun/onnxrun/internal/gemm"
)

// Params describes one N-d convolution: input [N, C, In...], weights
// [M, C/Group, Kernel...], output [N, M, Out...]. Pads holds the padding
// before each spatial axis (the padding after only shapes Out).
type Params struct {
	N, C, M, Group           int
	In, Kernel, Out          []int
	Strides, Dilations, Pads []int
}

// Validate checks that the fields are consistent.
func (p *Params) Validate() error {
	r := len(p.In)
	if r == 0 {
		return fmt.Errorf("conv: no spatial axes")
	}
	if len(p.Kernel) != r || len(p.Out) != r || len(p.Strides) != r || len(p.Dilations) != r || len(p.Pads) != r {
		return fmt.Errorf("conv: spatial rank %d but kernel %v, out %v, strides %v, dilations %v, pads %v",
			r, p.Kernel, p.Out, p.Strides, p.Dilations, p.Pads)
	}
	if p.N < 0 || p.C <= 0 || p.M < 0 || p.Group <= 0 || p.C%p.Group != 0 || p.M%p.Group != 0 {
		return fmt.Errorf("conv: N %d, C %d, M %d do not fit group %d", p.N, p.C, p.M, p.Group)
	}
	for i := 0; i < r; i++ {
		if p.In[i] < 0 || p.Kernel[i] <= 0 || p.Out[i] < 0 || p.Strides[i] <= 0 || p.Dilations[i] <= 0 {
			return fmt.Errorf("conv: bad axis %d: in %d, kernel %d, out %d, stride %d, dilation %d",
				i, p.In[i], p.Kernel[i], p.Out[i], p.Strides[i], p.Dilations[i])
		}
	}
	return nil
}

func prod(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

// Algo is a convolution algorithm.
type Algo int

// The algorithms Plan chooses among.
const (
	// Pointwise is a 1×…×1, stride 1, unpadded convolution: one GEMM per
	// image and group straight on the input (for float32 layers with few
	// input channels or large planes, the pointwise kernels of
	// pointwise.go).
	Pointwise Algo = iota
	// Im2col expands input patches into a column buffer (per thread, one
	// tile of output positions at a time) and multiplies it by the weights.
	Im2col
	// Depthwise is a direct loop for one input channel per group.
	Depthwise
	// Direct is the reference loop.
	Direct
	// Winograd is F(2×2, 3×3) for 3×3 stride-1 float convolutions.
	Winograd
	// Winograd43 is F(4×4, 3×3), for the same layers when the output is
	// at least 8×8.
	Winograd43
	// Taps is a direct sum of shifted input rows per output channel, for
	// stride-1 float convolutions with few output channels per group (see
	// smallm.go).
	Taps
)

// String names the algorithm.
func (a Algo) String() string {
	return [...]string{"pointwise", "im2col", "depthwise", "direct", "winograd", "winograd43", "taps"}[a]
}

// Choose picks the algorithm for p.
func Choose(p *Params) Algo {
	pointwise := true
	for i := range p.In {
		if p.Kernel[i] != 1 || p.Strides[i] != 1 || p.Pads[i] != 0 || p.Out[i] != p.In[i] {
			pointwise = false
		}
	}
	if pointwise {
		return Pointwise
	}
	if p.Group == p.C && p.Group > 1 && len(p.In) == 2 {
		return Depthwise
	}
	return Im2col
}

// Plan is a prepared convolution: the algorithm and the sizes it needs.
// A Plan may run concurrently (its only shared state is a pool of scratch).
type Plan[T Num] struct {
	// P is the problem and Algo the algorithm chosen for it.
	P    Params
	Algo Algo
	// cg, mg: channels per group in and out; k: kernel volume; ck: rows of
	// the column matrix; in, out: spatial volumes; tile: output positions per
	// im2col tile.
	cg, mg, k, ck, in, out, tile int
	// forceSplit, when its first element is positive, sets the output
	// positions and channels per work item of the packed float32 GEMM path
	// (tests).
	forceSplit [2]int
	// fills caches the im2col fills (shared by the plan's copies).
	fills *fillCache
	// pwKern, when not nil, is the pointwise kernel a float32 pointwise
	// plan that pwOK accepts runs with, instead of the packed GEMM (set by
	// NewPlan where the kernels run in assembly; tests set it otherwise).
	pwKern pwKernel
}

// NewPlan validates p and chooses its algorithm.
func NewPlan[T Num](p Params) (*Plan[T], error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	// Winograd is not chosen by default: Tune measures it against the
	// default per layer and picks it where it is faster (F(4×4, 3×3) is,
	// on most ResNet-style 3×3 layers); see Candidates and WithAlgo.
	pl := &Plan[T]{P: p, Algo: defaultAlgo[T](&p), fills: &fillCache{}}
	pl.cg, pl.mg = p.C/p.Group, p.M/p.Group
	pl.k = prod(p.Kernel)
	pl.ck = pl.cg * pl.k
	pl.in, pl.out = prod(p.In), prod(p.Out)
	// Keep a column tile at colTileElems elements (fitted to the L2
	// cache), in multiples of 16 output positions, but at least 64 wide:
	// narrower tiles make the GEMM repack the weights too often for too
	// little work.
	t := colTileElems() / max(pl.ck, 1)
	t = max(64, t&^15)
	pl.tile = min(t, max(pl.out, 1))
	if pwAsm && pl.pwOK() {
		pl.pwKern = pwKernelFast
	}
	return pl, nil
}

// defaultAlgo is the algorithm NewPlan picks for p and element type T:
// Choose's, except that a float convolution Taps computes with at most
// four output channels per group goes to Taps (im2col would expand C·K
// values per output for a handful of filters; measured 4 to 16 times
// slower on such layers).
func defaultAlgo[T Num](p *Params) Algo {
	a := Choose(p)
	if a == Im2col && isFloat[T]() && p.M/p.Group <= 4 && tapsOK(p) {
		return Taps
	}
	return a
}

func isFloat[T Num]() bool {
	var z T
	_, isInt := any(z).(int32)
	return !isInt
}

// Candidates lists the algorithms that can compute p for element type T,
// the default (NewPlan's) first.
func Candidates[T Num](p *Params) []Algo {
	out := []Algo{defaultAlgo[T](p)}
	if isFloat[T]() && winogradOK(p) {
		out = append(out, Winograd)
		if winograd43OK(p) {
			out = append(out, Winograd43)
		}
	}
	if isFloat[T]() && out[0] != Depthwise && out[0] != Pointwise && tapsOK(p) {
		if out[0] == Taps {
			out = append(out, Im2col)
		} else {
			out = append(out, Taps)
		}
	}
	return out
}

// WithAlgo returns a copy of pl that uses algorithm a (for tests and tuning).
// Depthwise needs Group == C and two spatial axes; an unusable choice falls
// back to Direct.
func (pl *Plan[T]) WithAlgo(a Algo) *Plan[T] {
	q := *pl
	switch a {
	case Pointwise:
		if Choose(&pl.P) != Pointwise {
			a = Direct
		}
	case Depthwise:
		if !(pl.P.Group == pl.P.C && len(pl.P.In) == 2) {
			a = Direct
		}
	case Winograd, Winograd43:
		if !isFloat[T]() || !winogradOK(&pl.P) {
			a = Direct
		}
	case Taps:
		if !isFloat[T]() || !tapsOK(&pl.P) {
			a = Direct
		}
	}
	q.Algo = a
	return &q
}

// Weights holds a convolution's weights prepared for one algorithm of a
// Plan (see PackWeights): for float32 GEMM algorithms (pointwise, im2col)
// each group's [M/Group, C/Group·K] matrix packed once in the GEMM's panel
// layout, for Winograd the transformed weights, else the weights as given.
// It is read-only: one Weights may serve concurrent runs.
type Weights[T Num] struct {
	algo Algo
	m, n int // the problem's M and C/Group·K, to check the plan
	// w is [M, C/Group, Kernel...] as given, or the Winograd transform.
	w []T
	// pa holds group g's weights packed for the GEMM (float32 pointwise
	// and im2col only).
	pa []*gemm.PackedA
	// wg holds float32 Winograd weights: U[ξ] packed for the GEMM per
	// transform point (w is then nil).
	wg []*gemm.PackedA
	// pw holds float32 pointwise weights packed for the pointwise kernel
	// (see packPW), when the plan runs it.
	pw []float32
}

// Algo returns the algorithm the weights are prepared for.
func (w *Weights[T]) Algo() Algo { return w.algo }

// PackWeights prepares the weights [M, C/Group, Kernel...] for pl's
// algorithm. Callers with constant weights pack once and call RunPacked
// (or RunEpilogue) with the result for every input.
func (pl *Plan[T]) PackWeights(w []T) (*Weights[T], error) {
	p := &pl.P
	if len(w) != p.M*pl.ck {
		return nil, fmt.Errorf("conv: %d weights do not fit %+v", len(w), *p)
	}
	pw := &Weights[T]{algo: pl.Algo, m: p.M, n: pl.ck, w: w}
	switch wv := any(w).(type) {
	case []float32:
		switch pl.Algo {
		case Winograd, Winograd43:
			pw.w, pw.wg = nil, winogradPackF32(pl.Algo, wv, p.M, p.C)
		case Pointwise, Im2col:
			if pl.Algo == Pointwise && pl.pwKern != nil && pl.pwOK() {
				pw.pw = packPW(wv, p.Group, pl.mg, pl.cg)
			}
			pw.pa = make([]*gemm.PackedA, p.Group)
			for g := range pw.pa {
				pw.pa[g] = gemm.PackA(false, pl.mg, pl.ck, 1, wv[g*pl.mg*pl.ck:], pl.ck)
			}
		}
		return pw, nil
	case []float64:
		switch pl.Algo {
		case Winograd:
			pw.w = any(WinogradWeights(wv, p.M, p.C)).([]T)
		case Winograd43:
			pw.w = any(Winograd43Weights(wv, p.M, p.C)).([]T)
		}
		return pw, nil
	}
	if pl.Algo == Winograd || pl.Algo == Winograd43 {
		return nil, fmt.Errorf("conv: no Winograd for %T", w)
	}
	return pw, nil
}

// Run computes y = conv(x, w) + bias. bias may be nil. It checks the slice
// lengths and returns an error rather than panicking on a mismatch.
func (pl *Plan[T]) Run(x, w, bias, y []T, threads int) error {
	packed, err := pl.PackWeights(w)
	if err != nil {
		return err
	}
	return pl.RunPacked(x, packed, bias, y, threads)
}

// RunPacked is Run with weights from PackWeights.
func (pl *Plan[T]) RunPacked(x []T, w *Weights[T], bias, y []T, threads int) error {
	return pl.run(x, w, bias, nil, y, threads)
}

// FusesEpilogue reports whether RunEpilogue computes pl's convolution: a
// float32 pointwise or im2col plan, which applies the epilogue to each
// tile of the output as the GEMM finishes it, a Taps plan, which
// applies it to each chunk of outputs, a float32 depthwise plan, which
// applies it to each output plane as it is computed, or a float32
// Winograd plan, which applies it in the output transform.
func (pl *Plan[T]) FusesEpilogue() bool {
	var z T
	_, is32 := any(z).(float32)
	return is32 && (pl.Algo == Pointwise || pl.Algo == Im2col || pl.Algo == Taps || pl.Algo == Depthwise ||
		pl.Algo == Winograd || pl.Algo == Winograd43)
}

// RunEpilogue computes y = Act(conv(x, w) + bias + residual), where ep
// gives the activation and the residual: ep.Residual, when not nil, has
// y's layout and length and must not overlap y; ep.Bias and ep.LdResidual
// must be left zero. It requires FusesEpilogue.
func (pl *Plan[T]) RunEpilogue(x []T, w *Weights[T], bias []T, ep gemm.Epilogue, y []T, threads int) error {
	if !pl.FusesEpilogue() {
		return fmt.Errorf("conv: %v %T does not fuse an epilogue", pl.Algo, x)
	}
	if ep.Bias != nil || ep.LdResidual != 0 || (ep.Residual != nil && len(ep.Residual) != len(y)) || ep.Act > gemm.ActTanh {
		return fmt.Errorf("conv: bad epilogue: bias %d, residual %d (ld %d) for %d outputs, activation %v",
			len(ep.Bias), len(ep.Residual), ep.LdResidual, len(y), ep.Act)
	}
	return pl.run(x, w, bias, &ep, y, threads)
}

func (pl *Plan[T]) run(x []T, w *Weights[T], bias []T, ep *gemm.Epilogue, y []T, threads int) error {
	p := &pl.P
	if w == nil || w.algo != pl.Algo || w.m != p.M || w.n != pl.ck {
		return fmt.Errorf("conv: weights are not prepared for this %v plan of %+v", pl.Algo, *p)
	}
	wantW := p.M * pl.ck
	switch pl.Algo {
	case Winograd:
		wantW = 16 * p.M * p.C
	case Winograd43:
		wantW = 36 * p.M * p.C
	}
	if w.wg != nil {
		wantW = 0 // float32 Winograd keeps the packed form only
	}
	if len(x) != p.N*p.C*pl.in || len(w.w) != wantW || len(y) != p.N*p.M*pl.out || (bias != nil && len(bias) != p.M) {
		return fmt.Errorf("conv: buffer sizes x %d, w %d, b %d, y %d do not fit %+v", len(x), len(w.w), len(bias), len(y), *p)
	}
	if len(y) == 0 {
		return nil // an empty batch (no regions of interest, say): nothing to do
	}
	threads = Threads(threads)
	if w.wg != nil {
		runWinogradPackedF32(p, pl.Algo, any(x).([]float32), w.wg, any(bias).([]float32), ep, any(y).([]float32), threads)
		return nil
	}
	if w.pw != nil && pl.pwKern != nil {
		pl.runPointwise32(any(x).([]float32), w.pw, any(bias).([]float32), ep, any(y).([]float32), threads, pl.pwKern)
		return nil
	}
	if w.pa != nil {
		pl.runPacked32(any(x).([]float32), w.pa, any(bias).([]float32), ep, any(y).([]float32), threads)
		return nil
	}
	switch pl.Algo {
	case Winograd:
		pl.runWinograd(x, w.w, bias, y, threads)
	case Winograd43:
		pl.runWinograd43(x, w.w, bias, y, threads)
	case Pointwise:
		pl.runGEMM(x, w.w, bias, y, threads, false)
	case Im2col:
		pl.runGEMM(x, w.w, bias, y, threads, true)
	case Depthwise:
		pl.runDepthwise(x, w.w, bias, y, threads, ep)
	case Taps:
		pl.runTaps(x, w.w, bias, ep, y, threads)
	default:
		Reference(p, x, w.w, bias, y)
	}
	return nil
}

func addBias[T Num](y, bias []T, n, m, sz int) {
	for b := 0; b < n; b++ {
		for c := 0; c < m; c++ {
			bv := bias[c]
			row := y[(b*m+c)*sz : (b*m+c+1)*sz]
			for i := range row {
				row[i] += bv
			}
		}
	}
}

// runGEMM splits the work into (image, group, tile of output positions,
// block of output channels) items: for each, Y[mb, tile] = bias +
// W_g[mb, ck] · X_cols[ck, tile], where the columns are the input itself
// (pointwise) or an im2col expansion. Output channels are split only when
// there are too few tiles to keep every thread busy (small late layers).
func (pl *Plan[T]) runGEMM(x, w, bias, y []T, threads int, expand bool) {
	p := &pl.P
	tiles := (pl.out + pl.tile - 1) / pl.tile
	items := p.N * p.Group * tiles
	mBlock := pl.mg
	if items < 2*threads && pl.mg >= 32 {
		// Blocks of at least 16 channels, enough for two items per thread.
		want := (2*threads + items - 1) / items
		mBlock = max(16, (pl.mg+want-1)/want)
	}
	mBlocks := (pl.mg + mBlock - 1) / mBlock
	items *= mBlocks
	var scratch [][]T
	if expand {
		scratch = make([][]T, min(threads, items))
		defer func() {
			for _, b := range scratch {
				if b != nil {
					putScratch(b)
				}
			}
		}()
	}
	ParallelFor(items, threads, func(wk, it int) {
		mb := it % mBlocks
		rest := it / mBlocks
		t := rest % tiles
		g := (rest / tiles) % p.Group
		n := rest / tiles / p.Group
		o0 := t * pl.tile
		nt := min(pl.tile, pl.out-o0)
		m0 := mb * mBlock
		nm := min(mBlock, pl.mg-m0)
		yOff := (n*p.M+g*pl.mg+m0)*pl.out + o0
		yv := y[yOff:]
		for r := 0; r < nm; r++ {
			row := yv[r*pl.out : r*pl.out+nt]
			if bias == nil {
				clear(row)
			} else {
				bv := bias[g*pl.mg+m0+r]
				for i := range row {
					row[i] = bv
				}
			}
		}
		wg := w[(g*pl.mg+m0)*pl.ck:]
		xg := x[(n*p.C+g*pl.cg)*pl.in:]
		if !expand {
			gemmAcc(false, nm, nt, pl.cg, wg, pl.ck, xg[o0:], pl.in, yv, pl.out)
			return
		}
		if scratch[wk] == nil {
			scratch[wk] = getScratch[T](pl.ck * pl.tile)
		}
		col := scratch[wk][:pl.ck*nt]
		im2col(p, xg[:pl.cg*pl.in], pl.cg, o0, nt, col)
		gemmAcc(false, nm, nt, pl.ck, wg, pl.ck, col, nt, yv, pl.out)
	})
}
