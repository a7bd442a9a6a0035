package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/gemm"
)

// Fused operators of the internal domain FusedDomain, made by the graph
// optimizer (package optimize) from a Conv, Gemm or MatMul node and the
// element-wise nodes that followed it:
//
//	FusedConv(X, W, B, [Z])   = Act(Conv(X, W, B) + Z)
//	FusedGemm(A, B, C, [Z])   = Act(Gemm(A, B, C) + Z)
//	FusedMatMul(A, B, [Z])    = Act(MatMul(A, B) + Z)
//
// The base op's attributes are kept as they are. Further attributes:
// "activation" (string: one of Relu, Clip, LeakyRelu, Sigmoid, SiLU,
// HardSigmoid, HardSwish, Tanh, or empty for none), "activation_params"
// (floats: Clip's min and max, LeakyRelu's alpha, HardSigmoid's alpha and
// beta) and "residual" (int: 1 when the input after the base op's inputs,
// Z, has the output's shape and is added before the activation). Omitted
// base inputs are given as empty names so that Z's position is fixed. The
// base op is prepared at the model's default-domain opset.
const FusedDomain = "ai.onnxrun"

// fusedBases maps a fused op to its base op and that op's input count.
var fusedBases = map[string]struct {
	op     string
	inputs int
}{
	"FusedConv":   {"Conv", 3},
	"FusedGemm":   {"Gemm", 3},
	"FusedMatMul": {"MatMul", 2},
}

func init() {
	for op := range fusedBases {
		Register(Spec{Domain: FusedDomain, Op: op, Since: 1}, newFused)
	}
}

// Activations a fused op may end with.
const (
	epiNone = iota
	epiRelu
	epiClip
	epiLeakyRelu
	epiSigmoid
	epiSiLU
	epiHardSigmoid
	epiHardSwish
	epiTanh
)

var actByName = map[string]int{"": epiNone, "Relu": epiRelu, "Clip": epiClip, "LeakyRelu": epiLeakyRelu,
	"Sigmoid": epiSigmoid, "SiLU": epiSiLU, "HardSigmoid": epiHardSigmoid, "HardSwish": epiHardSwish, "Tanh": epiTanh}

// epilogue is what a fused op applies to its base op's output.
type epilogue struct {
	act      int
	name     string
	p0, p1   float64 // Clip min and max; LeakyRelu alpha; HardSigmoid alpha and beta
	residual bool
}

type fusedKernel struct {
	base   Kernel
	nBase  int
	ep     epilogue
	baseOp string
	// Gemm's attributes, for the float32 path that applies the epilogue
	// inside the GEMM (gemm.SgemmEpilogue) while each tile is in cache.
	alpha, beta float32
	transA, tB  bool
	// constB is a FusedGemm's or FusedMatMul's constant B prepared for
	// gemm.SgemmPackedB (see constB in gemm.go).
	constB *constB
}

// fusedOwnAttr reports whether an attribute belongs to the fused node (and
// is not passed on to the base op).
func fusedOwnAttr(name string) bool {
	return name == "activation" || name == "activation_params" || name == "residual"
}

func newFused(b *Build) (Kernel, error) {
	base, ok := fusedBases[b.Node.OpType]
	if !ok {
		return nil, b.Errorf("unknown fused op")
	}
	actName, err := b.Node.AttrString("activation", "")
	if err != nil {
		return nil, err
	}
	act, ok := actByName[actName]
	if !ok {
		return nil, b.Errorf("activation %q is not supported", actName)
	}
	params, err := b.Node.AttrFloats("activation_params", nil)
	if err != nil {
		return nil, err
	}
	res, err := b.Node.AttrInt("residual", 0)
	if err != nil {
		return nil, err
	}
	ep := epilogue{act: act, name: actName, residual: res != 0}
	need := map[int]int{epiClip: 2, epiLeakyRelu: 1, epiHardSigmoid: 2}[act]
	if len(params) != need {
		return nil, b.Errorf("activation %s takes %d parameters, got %d", actName, need, len(params))
	}
	if need > 0 {
		ep.p0 = float64(params[0])
	}
	if need > 1 {
		ep.p1 = float64(params[1])
	}
	want := base.inputs
	if ep.residual {
		want++
	}
	if len(b.Node.Inputs) != want {
		return nil, b.Errorf("takes %d inputs, got %d", want, len(b.Node.Inputs))
	}
	bn := &graph.Node{Name: b.Node.Name, OpType: base.op, Inputs: slices.Clone(b.Node.Inputs[:base.inputs]), Outputs: b.Node.Outputs}
	for len(bn.Inputs) > 0 && bn.Inputs[len(bn.Inputs)-1] == "" {
		bn.Inputs = bn.Inputs[:len(bn.Inputs)-1]
	}
	for _, a := range b.Node.Attrs {
		if !fusedOwnAttr(a.Name) {
			bn.Attrs = append(bn.Attrs, a)
		}
	}
	opset := b.Model.Opset("")
	f, spec, ok := Lookup("", base.op, opset)
	if !ok {
		return nil, b.Errorf("base op %s is not supported at opset %d", base.op, opset)
	}
	k, err := f(&Build{Node: bn, Model: b.Model, Opset: opset, Spec: spec, plan: b.plan})
	if err != nil {
		return nil, err
	}
	fk := &fusedKernel{base: k, nBase: len(bn.Inputs), ep: ep, baseOp: base.op, alpha: 1, beta: 1}
	if base.op == "Gemm" {
		if fk.alpha, err = bn.AttrFloat("alpha", 1); err != nil {
			return nil, err
		}
		if fk.beta, err = bn.AttrFloat("beta", 1); err != nil {
			return nil, err
		}
		ta, err := bn.AttrInt("transA", 0)
		if err != nil {
			return nil, err
		}
		tb, err := bn.AttrInt("transB", 0)
		if err != nil {
			return nil, err
		}
		fk.transA, fk.tB = ta != 0, tb != 0
	}
	if base.op == "Gemm" || base.op == "MatMul" {
		fk.constB = newConstB(b, 1, fk.tB)
	}
	return fk, nil
}

// gemmEpilogue returns the GEMM epilogue of k's activation.
func (k *fusedKernel) gemmEpilogue() gemm.Epilogue {
	ep := gemm.Epilogue{Act: epilogueActs[k.ep.act]}
	switch k.ep.act {
	case epiClip:
		ep.Min, ep.Max = float32(k.ep.p0), float32(k.ep.p1)
	case epiLeakyRelu:
		ep.Alpha = float32(k.ep.p0)
	case epiHardSigmoid:
		ep.Alpha, ep.Beta = float32(k.ep.p0), float32(k.ep.p1)
	}
	return ep
}

// runConv computes a float32 FusedConv whose convolution plan applies
// the epilogue inside its GEMM (conv.Plan.FusesEpilogue: pointwise and
// im2col), so that bias, residual and activation are applied to each
// output tile while it is in cache. ok is false when the node needs the
// general path (the base kernel, then the epilogue as a pass).
func (k *fusedKernel) runConv(rc *RunContext, in []Value) (out []Value, ok bool, err error) {
	ck := k.base.(*convKernel)
	x, err1 := TensorInput(in, 0)
	w, err2 := TensorInput(in, 1)
	if err1 != nil || err2 != nil || x.DType != graph.Float || w.DType != graph.Float {
		return nil, false, nil
	}
	bias, err := OptTensor(in, 2) // inputs are padded: B is always input 2, Z input 3
	if err != nil {
		return nil, false, nil
	}
	p, shape, err := ck.cn.convParams(x, w, bias)
	if err != nil {
		return nil, false, nil // the base kernel reports it
	}
	pl, pw, bv, err := prepareConv[float32](rc, ck.cn, p, w, bias)
	if err != nil {
		return nil, true, err
	}
	if !pl.FusesEpilogue() {
		return nil, false, nil
	}
	ep, err := k.epilogueFor(in, shape)
	if err != nil {
		return nil, true, err
	}
	if err := rc.CheckAlloc(graph.Float, shape); err != nil {
		return nil, true, err
	}
	y := convBuffer[float32](rc, pl, Size(shape))
	if err := pl.RunEpilogue(x.Data.([]float32), pw, bv, ep, y, threads(rc)); err != nil {
		return nil, true, err
	}
	return []Value{New(shape, y)}, true, nil
}

// epilogueFor returns the GEMM epilogue of k for an output of the given
// shape, with the residual Z (the node's last input) when k has one.
func (k *fusedKernel) epilogueFor(in []Value, shape []int) (gemm.Epilogue, error) {
	ep := k.gemmEpilogue()
	if k.ep.residual {
		z, err := TensorInput(in, len(in)-1)
		if err != nil {
			return ep, err
		}
		if z.DType != graph.Float || !slices.Equal(z.Shape, shape) {
			return ep, fmt.Errorf("input %d (Z): %s does not match the output %s%v", len(in)-1, z, graph.Float, shape)
		}
		ep.Residual = z.Data.([]float32)
	}
	return ep, nil
}

// epilogueActs maps the fused activations to the GEMM epilogue's.
var epilogueActs = [...]gemm.Activation{epiNone: gemm.ActNone, epiRelu: gemm.ActRelu, epiClip: gemm.ActClip,
	epiLeakyRelu: gemm.ActLeakyRelu, epiSigmoid: gemm.ActSigmoid, epiSiLU: gemm.ActSiLU,
	epiHardSigmoid: gemm.ActHardSigmoid, epiHardSwish: gemm.ActHardSwish, epiTanh: gemm.ActTanh}

// runGEMM computes a float32 FusedGemm or FusedMatMul (in holds all the
// node's inputs, Z last) with the epilogue inside the product. ok is false when the shapes or types need the
// general path (the base kernel, then the epilogue as a pass).
func (k *fusedKernel) runGEMM(rc *RunContext, in []Value) (out []Value, ok bool, err error) {
	a, err1 := TensorInput(in, 0)
	b, err2 := TensorInput(in, 1)
	if err1 != nil || err2 != nil || a.DType != graph.Float || b.DType != graph.Float || b.Rank() != 2 {
		return nil, false, nil
	}
	av, bv := a.Data.([]float32), b.Data.([]float32)
	var m, n, kk int
	var shape []int
	transA, transB, alpha := false, false, float32(1)
	var bias []float32
	switch k.baseOp {
	case "Gemm":
		if a.Rank() != 2 {
			return nil, false, nil
		}
		transA, transB, alpha = k.transA, k.tB, k.alpha
		m, kk = a.Shape[0], a.Shape[1]
		if transA {
			m, kk = kk, m
		}
		k2, nn := b.Shape[0], b.Shape[1]
		if transB {
			k2, nn = nn, k2
		}
		if k2 != kk {
			return nil, false, nil
		}
		n = nn
		if len(in) > 2 && in[2] != nil {
			c, err := TensorInput(in, 2)
			// C as a bias: one row of n values, taken once (beta 1).
			if err != nil || c.DType != graph.Float || k.beta != 1 || c.Len() != n ||
				!(c.Rank() == 1 || c.Rank() == 2 && c.Shape[0] == 1) {
				return nil, false, nil
			}
			bias = c.Data.([]float32)
		}
		shape = []int{m, n}
	case "MatMul":
		if a.Rank() < 2 || a.Shape[a.Rank()-1] != b.Shape[0] {
			return nil, false, nil
		}
		kk, n = b.Shape[0], b.Shape[1]
		m = a.Len() / max(kk, 1)
		shape = append(append([]int(nil), a.Shape[:a.Rank()-1]...), n)
	default:
		return nil, false, nil
	}
	if m == 0 || n == 0 || kk == 0 {
		return nil, false, nil
	}
	ep, err := k.epilogueFor(in, shape)
	if err != nil {
		return nil, true, err
	}
	ep.Bias = bias
	if err := rc.CheckAlloc(graph.Float, shape); err != nil {
		return nil, true, err
	}
	y := runBuffer[float32](rc, m*n)
	lda := a.Shape[a.Rank()-1]
	if pb := k.constB.packed(b); pb != nil {
		gemm.SgemmPackedB(threads(rc), transA, m, alpha, av, lda, pb, 0, y, n, ep)
	} else {
		gemm.SgemmEpilogue(threads(rc), transA, transB, m, n, kk, alpha, av, lda, bv, b.Shape[1], 0, y, n, ep)
	}
	return []Value{New(shape, y)}, true, nil
}

// Algorithm names the base op (or the algorithm its kernel names) and the
// epilogue, as "Conv+Add+Relu".
func (k *fusedKernel) Algorithm() string {
	s := k.baseOp
	if k.ep.residual {
		s += "+Add"
	}
	if k.ep.name != "" {
		s += "+" + k.ep.name
	}
	return s
}

func (k *fusedKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	base := in
	if len(base) > k.nBase {
		base = in[:k.nBase]
	}
	if k.baseOp != "Conv" {
		if out, ok, err := k.runGEMM(rc, in); ok {
			return out, err
		}
	} else {
		if out, ok, err := k.runConv(rc, in); ok {
			return out, err
		}
	}
	outs, err := k.base.Run(rc, base)
	if err != nil {
		return nil, err
	}
	if len(outs) != 1 {
		return nil, fmt.Errorf("base op %s gave %d outputs", k.baseOp, len(outs))
	}
	y, ok := outs[0].(*Tensor)
	if !ok {
		return nil, fmt.Errorf("base op %s gave %T", k.baseOp, outs[0])
	}
	for _, v := range base {
		if aliases(y, v) {
			// Never write into an input: work on a copy.
			y = cloneTensor(y)
			break
		}
	}
	var z *Tensor
	if k.ep.residual {
		if z, err = TensorInput(in, len(in)-1); err != nil {
			return nil, err
		}
		if z.DType != y.DType || !slices.Equal(z.Shape, y.Shape) {
			return nil, fmt.Errorf("input %d (Z): %s does not match the output %s", len(in)-1, z, y)
		}
	}
	th := threads(rc)
	switch yv := y.Data.(type) {
	case []float32:
		var zv []float32
		if z != nil {
			zv = z.Data.([]float32)
		}
		parallelChunks(th, len(yv), func(lo, hi int) { applyEpilogue(&k.ep, yv[lo:hi], sub(zv, lo, hi)) })
	case []float64:
		var zv []float64
		if z != nil {
			zv = z.Data.([]float64)
		}
		parallelChunks(th, len(yv), func(lo, hi int) { applyEpilogue(&k.ep, yv[lo:hi], sub(zv, lo, hi)) })
	default:
		return nil, fmt.Errorf("element type %s is not supported by a fused epilogue", y.DType)
	}
	return []Value{y}, nil
}

func sub[T any](v []T, lo, hi int) []T {
	if v == nil {
		return nil
	}
	return v[lo:hi]
}

// aliases reports whether t shares its first element with the tensor v.
func aliases(t *Tensor, v Value) bool {
	u, ok := v.(*Tensor)
	if !ok || u == nil {
		return false
	}
	a, _, ok1 := dataKey(t)
	b, _, ok2 := dataKey(u)
	return ok1 && ok2 && a == b
}

func cloneTensor(t *Tensor) *Tensor {
	c := *t
	switch v := t.Data.(type) {
	case []float32:
		c.Data = slices.Clone(v)
	case []float64:
		c.Data = slices.Clone(v)
	}
	c.Shape = slices.Clone(t.Shape)
	return &c
}

// applyEpilogue adds z (when not nil) to y and applies the activation, in
// place, in one pass.
func applyEpilogue[T floatT](ep *epilogue, y, z []T) {
	if z != nil {
		z = z[:len(y)]
		for i := range y {
			y[i] += z[i]
		}
	}
	switch ep.act {
	case epiNone:
	case epiRelu:
		for i, v := range y {
			if v < 0 {
				y[i] = 0
			}
		}
	case epiClip:
		lo, hi := T(ep.p0), T(ep.p1)
		for i, v := range y {
			if v < lo {
				v = lo
			}
			if v > hi {
				v = hi
			}
			y[i] = v
		}
	case epiLeakyRelu:
		a := T(ep.p0)
		for i, v := range y {
			if v < 0 {
				y[i] = a * v
			}
		}
	case epiSigmoid, epiSiLU:
		if y32, ok := any(y).([]float32); ok {
			gemm.Sigmoid(y32, ep.act == epiSiLU)
			return
		}
		for i, v := range y {
			if ep.act == epiSiLU {
				y[i] = v * sigmoidT(v)
			} else {
				y[i] = sigmoidT(v)
			}
		}
	case epiHardSigmoid:
		a, b := T(ep.p0), T(ep.p1)
		for i, v := range y {
			y[i] = max(0, min(1, a*v+b))
		}
	case epiHardSwish:
		for i, v := range y {
			y[i] = v * max(0, min(1, v/6+0.5))
		}
	case epiTanh:
		if y32, ok := any(y).([]float32); ok {
			gemm.Tanh(y32)
			return
		}
		for i, v := range y {
			y[i] = T(math.Tanh(float64(v)))
		}
	}
}

func sigmoidT[T floatT](v T) T {
	if _, is32 := any(v).(float32); is32 {
		x := float32(v)
		if x >= 0 {
			return T(1 / (1 + float32(math.Exp(float64(-x)))))
		}
		e := float32(math.Exp(float64(x)))
		return T(e / (1 + e))
	}
	x := float64(v)
	if x >= 0 {
		return T(1 / (1 + math.Exp(-x)))
	}
	e := math.Exp(x)
	return T(e / (1 + e))
}
