package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/kernels/conv"
	"github.com/onnxrun/onnxrun/internal/kernels/vec"
)

func init() {
	Register(Spec{Op: "BatchNormalization", Since: 1}, newBatchNorm)
	Register(Spec{Op: "InstanceNormalization", Since: 1}, newInstanceNorm)
	Register(Spec{Op: "LayerNormalization", Since: 17}, newLayerNorm)
	Register(Spec{Op: "GroupNormalization", Since: 18, Until: 20}, newGroupNorm(false))
	Register(Spec{Op: "GroupNormalization", Since: 21}, newGroupNorm(true))
	Register(Spec{Op: "LRN", Since: 1}, newLRN)
	Register(Spec{Op: "MeanVarianceNormalization", Since: 9}, newMVN)
}

// statsInput reads a per-channel (or per-activation) parameter input as
// float64 values of length c or c·spatial.
func statsInput(in []Value, i int, name string, c, spatial int) ([]float64, error) {
	t, err := TensorInput(in, i)
	if err != nil {
		return nil, err
	}
	v, err := ToFloat64s(t)
	if err != nil {
		return nil, fmt.Errorf("input %d (%s): %w", i, name, err)
	}
	if len(v) != c && (spatial <= 1 || len(v) != c*spatial) {
		return nil, fmt.Errorf("input %d (%s): shape %v, want [%d]", i, name, t.Shape, c)
	}
	return v, nil
}

// BatchNormalization.

type batchNormKernel struct {
	eps, momentum float64
	training      bool
	// scale32 and shift32, when the parameters are constants, are the
	// per-channel y = x·scale + shift of inference, computed at prepare.
	scale32, shift32 []float32
}

func newBatchNorm(b *Build) (Kernel, error) {
	n := b.Node
	eps, err := n.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	mom, err := n.AttrFloat("momentum", 0.9)
	if err != nil {
		return nil, err
	}
	k := &batchNormKernel{eps: float64(eps), momentum: float64(mom)}
	switch {
	case b.Opset >= 14:
		tm, err := n.AttrInt("training_mode", 0)
		if err != nil {
			return nil, err
		}
		k.training = tm != 0
		if !k.training && len(n.Outputs) > 1 {
			return nil, b.Errorf("outputs running_mean and running_var need training_mode=1")
		}
	case b.Opset < 7:
		isTest, err := n.AttrInt("is_test", 0)
		if err != nil {
			return nil, err
		}
		if isTest == 0 && len(n.Outputs) > 1 {
			return nil, b.Errorf("training mode (is_test=0 with statistics outputs) is not supported before opset 14")
		}
	default:
		if len(n.Outputs) > 1 {
			return nil, b.Errorf("training mode (statistics outputs) is not supported before opset 14")
		}
	}
	if b.Opset < 9 {
		sp, err := n.AttrInt("spatial", 1)
		if err != nil {
			return nil, err
		}
		_ = sp // per-activation parameters are recognised by their size
	}
	if !k.training {
		k.prepareAffine(b)
	}
	return k, nil
}

// prepareAffine computes the inference scale and shift once when scale,
// B, mean and variance are constants of one per-channel length.
func (k *batchNormKernel) prepareAffine(b *Build) {
	var p [4][]float64
	for i := range p {
		t := b.Constant(i + 1)
		if t == nil || t.Rank() != 1 {
			return
		}
		v, err := ToFloat64s(t)
		if err != nil || (i > 0 && len(v) != len(p[0])) {
			return
		}
		p[i] = v
	}
	a, sh := bnAffine(p, len(p[0]), 1, k.eps)
	k.scale32, k.shift32 = convertSlice[float64, float32](a), convertSlice[float64, float32](sh)
}

// bnAffine returns a = scale/√(var+ε) and b = B − mean·a for c channels of
// per elements each (per > 1: per-activation parameters).
func bnAffine(p [4][]float64, c, per int, eps float64) (a, b []float64) {
	a, b = make([]float64, c*per), make([]float64, c*per)
	get := func(v []float64, i int) float64 {
		if len(v) == c {
			return v[i/per]
		}
		return v[i]
	}
	for i := range a {
		a[i] = get(p[0], i) / math.Sqrt(get(p[3], i)+eps)
		b[i] = get(p[1], i) - get(p[2], i)*a[i]
	}
	return a, b
}

// affineF32 computes y = x·scale[ch] + shift[ch] for the float32 tensor x
// of shape [n, c, spatial...] in one pass, into x when it dies at this
// node or else a buffer of the run; planes are split across the run's
// threads when x is large.
func affineF32(rc *RunContext, x *Tensor, scale, shift []float32, n, c, sp int) *Tensor {
	xs := x.Data.([]float32)[:n*c*sp]
	var y []float32
	if rc.canOverwrite(0) {
		y = xs
	} else {
		y = runBufferFull[float32](rc, len(xs))
	}
	switch {
	case len(xs) == 0:
	case sp == 1: // [N, C]: the parameters run along the row
		for i := 0; i < n; i++ {
			row := y[i*c : (i+1)*c]
			vec.VV(vec.Mul, row, xs[i*c:(i+1)*c], scale)
			vec.VV(vec.Add, row, row, shift)
		}
	default:
		th := 1
		if len(xs) >= parallelMin {
			th = conv.Threads(threads(rc))
		}
		conv.ParallelFor(n*c, th, func(_, pl int) {
			ch := pl % c
			vec.Affine(y[pl*sp:(pl+1)*sp], xs[pl*sp:(pl+1)*sp], scale[ch], shift[ch])
		})
	}
	return New(slices.Clone(x.Shape), y)
}

func (k *batchNormKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	if x.Rank() < 2 {
		return nil, fmt.Errorf("input 0 (X): shape %v has rank below 2", x.Shape)
	}
	n, c := x.Shape[0], x.Shape[1]
	sp := Size(x.Shape[2:])
	if k.scale32 != nil && len(k.scale32) == c && x.DType == graph.Float {
		return []Value{affineF32(rc, x, k.scale32, k.shift32, n, c, sp)}, nil
	}
	var p [4][]float64
	for i, name := range []string{"scale", "B", "input_mean", "input_var"} {
		if p[i], err = statsInput(in, i+1, name, c, sp); err != nil {
			return nil, err
		}
	}
	var saved [2][]float64
	if k.training {
		for _, v := range p {
			if len(v) != c {
				return nil, fmt.Errorf("training mode needs per-channel parameters of length %d", c)
			}
		}
		mean, vr := make([]float64, c), make([]float64, c)
		xv, err := ToFloat64s(x)
		if err != nil {
			return nil, err
		}
		for ch := 0; ch < c; ch++ {
			var s, s2 float64
			for b := 0; b < n; b++ {
				for _, v := range xv[(b*c+ch)*sp : (b*c+ch+1)*sp] {
					s += v
				}
			}
			cnt := float64(n * sp)
			mean[ch] = s / cnt
			for b := 0; b < n; b++ {
				for _, v := range xv[(b*c+ch)*sp : (b*c+ch+1)*sp] {
					d := v - mean[ch]
					s2 += d * d
				}
			}
			vr[ch] = s2 / cnt
		}
		saved = [2][]float64{mean, vr}
		p[2], p[3] = mean, vr
	}
	// y = x·a + b with a = scale/√(var+ε), b = B − mean·a, per channel or
	// per activation.
	per := 1
	if len(p[0]) == c*sp && sp > 1 {
		per = sp
	}
	a, bb := bnAffine(p, c, per, k.eps)
	if x.DType == graph.Float && per == 1 && !k.training {
		return []Value{affineF32(rc, x, convertSlice[float64, float32](a), convertSlice[float64, float32](bb), n, c, sp)}, nil
	}
	th := threads(rc)
	y, err := floatCompute(x, x.Shape,
		func(v []float32) ([]float32, error) { return affinePlanes(v, a, bb, n, c, sp, per, th), nil },
		func(v []float64) ([]float64, error) { return affinePlanes(v, a, bb, n, c, sp, per, th), nil })
	if err != nil {
		return nil, err
	}
	out := []Value{y}
	if k.training {
		// running = input·momentum + batch·(1 − momentum)
		for i := 0; i < 2; i++ {
			ref, _ := TensorInput(in, 3+i)
			orig, err := ToFloat64s(ref)
			if err != nil {
				return nil, err
			}
			run := make([]float64, c)
			for ch := range run {
				run[ch] = orig[ch]*k.momentum + saved[i][ch]*(1-k.momentum)
			}
			t, err := floatsLike(ref.DType, []int{c}, run)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// floatsLike makes a tensor of float type dt from float64 values.
func floatsLike(dt graph.DType, shape []int, v []float64) (*Tensor, error) {
	if dt == graph.Double {
		return New(shape, v), nil
	}
	return FromFloat32s(dt, shape, convertSlice[float64, float32](v))
}

func affinePlanes[T floatT](x []T, a, b []float64, n, c, sp, per, th int) []T {
	y := make([]T, len(x))
	conv.ParallelFor(n*c, th, func(_, pl int) {
		ch := pl % c
		xs, ys := x[pl*sp:(pl+1)*sp], y[pl*sp:(pl+1)*sp]
		if per == 1 {
			av, bv := T(a[ch]), T(b[ch])
			for i, v := range xs {
				ys[i] = v*av + bv
			}
			return
		}
		for i, v := range xs {
			ys[i] = T(float64(v)*a[ch*per+i] + b[ch*per+i])
		}
	})
	return y
}

// InstanceNormalization.

type instanceNormKernel struct{ eps float64 }

func newInstanceNorm(b *Build) (Kernel, error) {
	eps, err := b.Node.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	return &instanceNormKernel{float64(eps)}, nil
}

func (k *instanceNormKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	if x.Rank() < 3 {
		return nil, fmt.Errorf("input 0 (input): shape %v has rank below 3", x.Shape)
	}
	n, c, sp := x.Shape[0], x.Shape[1], Size(x.Shape[2:])
	scale, err := statsInput(in, 1, "scale", c, 1)
	if err != nil {
		return nil, err
	}
	bias, err := statsInput(in, 2, "B", c, 1)
	if err != nil {
		return nil, err
	}
	th := threads(rc)
	y, err := floatCompute(x, x.Shape,
		func(v []float32) ([]float32, error) { return normGroups(v, n*c, sp, k.eps, scale, bias, c, 1, th), nil },
		func(v []float64) ([]float64, error) { return normGroups(v, n*c, sp, k.eps, scale, bias, c, 1, th), nil })
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}

// normGroups normalizes each of groups consecutive runs of size values to
// zero mean and unit variance (with eps), then applies scale and bias. The
// run r belongs to channel block (r % blocks); each block covers chPer
// sub-runs of size/chPer values with their own scale and bias entries
// (blockIndex·chPer + j).
func normGroups[T floatT](x []T, groups, size int, eps float64, scale, bias []float64, blocks, chPer, th int) []T {
	y := make([]T, len(x))
	conv.ParallelFor(groups, th, func(_, g int) {
		xs, ys := x[g*size:(g+1)*size], y[g*size:(g+1)*size]
		mean, inv := meanInvStd(xs, eps)
		blk := g % blocks
		sub := size / chPer
		for j := 0; j < chPer; j++ {
			s, b := scale[blk*chPer+j], bias[blk*chPer+j]
			for i := j * sub; i < (j+1)*sub; i++ {
				ys[i] = T((float64(xs[i])-mean)*inv*s + b)
			}
		}
	})
	return y
}

func meanInvStd[T floatT](xs []T, eps float64) (mean, inv float64) {
	var s float64
	for _, v := range xs {
		s += float64(v)
	}
	mean = s / float64(max(len(xs), 1))
	var s2 float64
	for _, v := range xs {
		d := float64(v) - mean
		s2 += d * d
	}
	return mean, 1 / math.Sqrt(s2/float64(max(len(xs), 1))+eps)
}

// LayerNormalization.

type layerNormKernel struct {
	axis        int64
	eps         float64
	stashDouble bool // Mean and InvStdDev as double (stash_type 11)
}

func newLayerNorm(b *Build) (Kernel, error) {
	axis, err := b.Node.AttrInt("axis", -1)
	if err != nil {
		return nil, err
	}
	eps, err := b.Node.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return nil, err
	}
	st, err := b.Node.AttrInt("stash_type", 1)
	if err != nil {
		return nil, err
	}
	if st != 1 && st != int64(graph.Double) {
		return nil, b.Errorf("stash_type %d is not float (1) or double (11)", st)
	}
	return &layerNormKernel{axis: axis, eps: float64(eps), stashDouble: st == int64(graph.Double)}, nil
}

func (k *layerNormKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	axis, err := NormAxis(k.axis, x.Rank())
	if err != nil {
		return nil, err
	}
	inner := x.Shape[axis:]
	outer, size := Size(x.Shape[:axis]), Size(inner)
	param := func(i int, def float64) ([]float64, error) {
		t, err := OptTensor(in, i)
		if err != nil {
			return nil, err
		}
		if t == nil {
			v := make([]float64, size)
			for j := range v {
				v[j] = def
			}
			return v, nil
		}
		if _, err := BroadcastShapes(t.Shape, inner); err != nil || len(t.Shape) > len(inner) {
			return nil, fmt.Errorf("input %d: shape %v does not broadcast to %v", i, t.Shape, inner)
		}
		if b, _ := BroadcastShapes(t.Shape, inner); !equalInts(b, inner) {
			return nil, fmt.Errorf("input %d: shape %v does not broadcast to %v", i, t.Shape, inner)
		}
		v, err := ToFloat64s(t)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		if len(v) == size {
			return v, nil
		}
		full := make([]float64, size)
		for j, src := range BroadcastIndex(t.Shape, inner) {
			full[j] = v[src]
		}
		return full, nil
	}
	scale, err := param(1, 1)
	if err != nil {
		return nil, err
	}
	bias, err := param(2, 0)
	if err != nil {
		return nil, err
	}
	means, invs := make([]float64, outer), make([]float64, outer)
	th := threads(rc)
	run := func(xv []float64) []float64 {
		y := make([]float64, len(xv))
		conv.ParallelFor(outer, th, func(_, g int) {
			xs, ys := xv[g*size:(g+1)*size], y[g*size:(g+1)*size]
			m, inv := meanInvStd(xs, k.eps)
			means[g], invs[g] = m, inv
			for i, v := range xs {
				ys[i] = (v-m)*inv*scale[i] + bias[i]
			}
		})
		return y
	}
	y, err := float64Compute(x, x.Shape, run)
	if err != nil {
		return nil, err
	}
	statShape := append([]int{}, x.Shape...)
	for i := axis; i < len(statShape); i++ {
		statShape[i] = 1
	}
	// Mean and InvStdDev have the stash type.
	if k.stashDouble {
		return []Value{y, New(statShape, means), New(append([]int{}, statShape...), invs)}, nil
	}
	return []Value{y, New(statShape, convertSlice[float64, float32](means)),
		New(append([]int{}, statShape...), convertSlice[float64, float32](invs))}, nil
}

// GroupNormalization.

type groupNormKernel struct {
	groups     int
	eps        float64
	perChannel bool
}

func newGroupNorm(perChannel bool) Factory {
	return func(b *Build) (Kernel, error) {
		g, err := b.Node.AttrInt("num_groups", 0)
		if err != nil {
			return nil, err
		}
		if g <= 0 {
			return nil, b.Errorf("num_groups %d must be positive", g)
		}
		eps, err := b.Node.AttrFloat("epsilon", 1e-5)
		if err != nil {
			return nil, err
		}
		return &groupNormKernel{groups: int(g), eps: float64(eps), perChannel: perChannel}, nil
	}
}

func (k *groupNormKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	if x.Rank() < 2 {
		return nil, fmt.Errorf("input 0 (X): shape %v has rank below 2", x.Shape)
	}
	n, c, sp := x.Shape[0], x.Shape[1], Size(x.Shape[2:])
	if c%k.groups != 0 || c == 0 {
		return nil, fmt.Errorf("input 0 (X): %d channels do not split into %d groups", c, k.groups)
	}
	want := k.groups
	if k.perChannel {
		want = c
	}
	scale, err := statsInput(in, 1, "scale", want, 1)
	if err != nil {
		return nil, err
	}
	bias, err := statsInput(in, 2, "bias", want, 1)
	if err != nil {
		return nil, err
	}
	cpg := c / k.groups
	if !k.perChannel {
		// Expand per-group parameters to every channel of the group.
		s2, b2 := make([]float64, c), make([]float64, c)
		for ch := range s2 {
			s2[ch], b2[ch] = scale[ch/cpg], bias[ch/cpg]
		}
		scale, bias = s2, b2
	}
	th := threads(rc)
	size := cpg * sp
	y, err := floatCompute(x, x.Shape,
		func(v []float32) ([]float32, error) {
			return normGroups(v, n*k.groups, size, k.eps, scale, bias, k.groups, cpg, th), nil
		},
		func(v []float64) ([]float64, error) {
			return normGroups(v, n*k.groups, size, k.eps, scale, bias, k.groups, cpg, th), nil
		})
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}

// LRN.

type lrnKernel struct {
	size              int
	alpha, beta, bias float64
}

func newLRN(b *Build) (Kernel, error) {
	n := b.Node
	size, err := n.AttrInt("size", 0)
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, b.Errorf("size %d must be positive", size)
	}
	alpha, err := n.AttrFloat("alpha", 1e-4)
	if err != nil {
		return nil, err
	}
	beta, err := n.AttrFloat("beta", 0.75)
	if err != nil {
		return nil, err
	}
	bias, err := n.AttrFloat("bias", 1)
	if err != nil {
		return nil, err
	}
	return &lrnKernel{size: int(size), alpha: float64(alpha), beta: float64(beta), bias: float64(bias)}, nil
}

func (k *lrnKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	if x.Rank() < 2 {
		return nil, fmt.Errorf("input 0 (X): shape %v has rank below 2", x.Shape)
	}
	n, c, sp := x.Shape[0], x.Shape[1], Size(x.Shape[2:])
	lo, hi := (k.size-1)/2, (k.size)/2 // channels below and above
	th := threads(rc)
	run := func(xv []float64) []float64 {
		y := make([]float64, len(xv))
		conv.ParallelFor(n*c, th, func(_, pl int) {
			b, ch := pl/c, pl%c
			c0, c1 := max(0, ch-lo), min(c-1, ch+hi)
			for i := 0; i < sp; i++ {
				var s float64
				for cc := c0; cc <= c1; cc++ {
					v := xv[(b*c+cc)*sp+i]
					s += v * v
				}
				y[pl*sp+i] = xv[pl*sp+i] / math.Pow(k.bias+k.alpha/float64(k.size)*s, k.beta)
			}
		})
		return y
	}
	y, err := float64Compute(x, x.Shape, run)
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}

// MeanVarianceNormalization.

type mvnKernel struct{ axes []int64 }

func newMVN(b *Build) (Kernel, error) {
	axes, err := b.Node.AttrInts("axes", []int64{0, 2, 3})
	if err != nil {
		return nil, err
	}
	return &mvnKernel{axes}, nil
}

func (k *mvnKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	r := x.Rank()
	reduced := make([]bool, r)
	for _, a := range k.axes {
		ax, err := NormAxis(a, r)
		if err != nil {
			return nil, err
		}
		reduced[ax] = true
	}
	// Map each element to its statistics group (the kept coordinates).
	st := Strides(x.Shape)
	keptShape := []int{}
	for i := 0; i < r; i++ {
		if !reduced[i] {
			keptShape = append(keptShape, x.Shape[i])
		}
	}
	ng := Size(keptShape)
	group := make([]int, x.Len())
	for i := range group {
		g := 0
		for a := 0; a < r; a++ {
			if !reduced[a] {
				g = g*x.Shape[a] + (i/st[a])%x.Shape[a]
			}
		}
		group[i] = g
	}
	run := func(xv []float64) []float64 {
		sum, cnt := make([]float64, ng), make([]float64, ng)
		for i, v := range xv {
			sum[group[i]] += v
			cnt[group[i]]++
		}
		for g := range sum {
			sum[g] /= max(cnt[g], 1)
		}
		vs := make([]float64, ng)
		for i, v := range xv {
			d := v - sum[group[i]]
			vs[group[i]] += d * d
		}
		y := make([]float64, len(xv))
		for i, v := range xv {
			g := group[i]
			y[i] = (v - sum[g]) / math.Sqrt(vs[g]/max(cnt[g], 1)+1e-9)
		}
		return y
	}
	y, err := float64Compute(x, x.Shape, run)
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}
