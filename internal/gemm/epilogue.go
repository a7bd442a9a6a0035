package gemm

import (
	"fmt"
	"math"
)

// Activation is the element-wise function an Epilogue ends with.
type Activation uint8

// The activations an Epilogue can apply; the parameters come from the
// Epilogue's Min, Max, Alpha and Beta fields.
const (
	ActNone        Activation = iota // x
	ActRelu                          // max(x, 0)
	ActClip                          // min(max(x, Min), Max)
	ActLeakyRelu                     // x if x >= 0 else Alpha*x
	ActSigmoid                       // 1/(1+exp(-x))
	ActSiLU                          // x*sigmoid(x)
	ActHardSigmoid                   // max(0, min(1, Alpha*x+Beta))
	ActHardSwish                     // x*max(0, min(1, x/6+1/2))
	ActTanh                          // tanh(x)
)

var actNames = [...]string{"none", "Relu", "Clip", "LeakyRelu", "Sigmoid", "SiLU", "HardSigmoid", "HardSwish", "Tanh"}

// String returns the activation's ONNX-like name.
func (a Activation) String() string {
	if int(a) < len(actNames) {
		return actNames[a]
	}
	return fmt.Sprintf("Activation(%d)", uint8(a))
}

// Epilogue is what SgemmEpilogue does to each element of C after the
// product: C[i,j] = Act(C[i,j] + bias + Residual[i*LdResidual+j]), where bias
// is Bias[i] when BiasPerRow (a convolution's per-output-channel bias, with
// channels as rows) and Bias[j] otherwise (Gemm's per-output-feature bias).
// The zero Epilogue does nothing.
type Epilogue struct {
	// Bias, when not nil, has m elements (BiasPerRow) or n elements.
	Bias       []float32
	BiasPerRow bool
	// Residual, when not nil, is an m×n matrix with leading dimension
	// LdResidual (n when 0) added before the activation. It must not
	// overlap C (C itself is added with beta = 1).
	Residual   []float32
	LdResidual int
	Act        Activation
	// Min and Max bound ActClip.
	Min, Max float32
	// Alpha is LeakyRelu's slope and HardSigmoid's alpha; Beta is
	// HardSigmoid's beta.
	Alpha, Beta float32
}

// active reports whether e does anything.
func (e *Epilogue) active() bool {
	return e.Bias != nil || e.Residual != nil || e.Act != ActNone
}

func (e *Epilogue) ldRes(n int) int {
	if e.LdResidual == 0 {
		return n
	}
	return e.LdResidual
}

// check panics when e does not fit an m×n C, and sets a zero LdResidual
// to n.
func (e *Epilogue) check(m, n int) {
	if e.Act > ActTanh {
		panic(fmt.Sprintf("gemm: unknown activation %d", e.Act))
	}
	if m == 0 || n == 0 {
		return
	}
	if e.Bias != nil {
		want := n
		if e.BiasPerRow {
			want = m
		}
		if len(e.Bias) < want {
			panic(fmt.Sprintf("gemm: bias: %d elements, need %d", len(e.Bias), want))
		}
	}
	if e.Residual != nil {
		e.LdResidual = e.ldRes(n)
		need("residual", m, n, e.LdResidual, len(e.Residual))
	}
}

// apply runs the epilogue on the mw×nw block of c at row i0, column j0.
// LdResidual must have been set (see check).
func (e *Epilogue) apply(c []float32, ldc, i0, j0, mw, nw int) {
	if hasVecSigmoid && nw == 16 && e.Bias == nil && e.Residual == nil && (e.Act == ActSigmoid || e.Act == ActSiLU) {
		// What is left of a fused epilogue on a full tile: one call for
		// all its rows, which computes each element as activate does.
		sigmoidRows16(c[i0*ldc+j0:], ldc, mw, e.Act == ActSiLU)
		return
	}
	ldr := e.LdResidual
	for r := 0; r < mw; r++ {
		i := i0 + r
		row := c[i*ldc+j0 : i*ldc+j0+nw]
		if e.Bias != nil {
			if e.BiasPerRow {
				bv := e.Bias[i]
				for q := range row {
					row[q] += bv
				}
			} else {
				bias := e.Bias[j0 : j0+nw]
				for q, bv := range bias {
					row[q] += bv
				}
			}
		}
		if e.Residual != nil {
			res := e.Residual[i*ldr+j0 : i*ldr+j0+nw]
			for q, v := range res {
				row[q] += v
			}
		}
		e.activate(row)
	}
}

// activate applies e.Act to x in place.
func (e *Epilogue) activate(x []float32) {
	switch e.Act {
	case ActRelu:
		for i, v := range x {
			x[i] = max(v, 0)
		}
	case ActClip:
		lo, hi := e.Min, e.Max
		for i, v := range x {
			x[i] = min(max(v, lo), hi)
		}
	case ActLeakyRelu:
		al := e.Alpha
		for i, v := range x {
			if v < 0 {
				x[i] = al * v
			}
		}
	case ActSigmoid:
		if hasVecSigmoid {
			n := len(x) &^ 7
			sigmoidVec(x[:n], false)
			x = x[n:]
		}
		for i, v := range x {
			x[i] = sigmoid(v)
		}
	case ActSiLU:
		if hasVecSigmoid {
			n := len(x) &^ 7
			sigmoidVec(x[:n], true)
			x = x[n:]
		}
		for i, v := range x {
			x[i] = v * sigmoid(v)
		}
	case ActHardSigmoid:
		al, be := e.Alpha, e.Beta
		for i, v := range x {
			x[i] = max(0, min(1, al*v+be))
		}
	case ActHardSwish:
		for i, v := range x {
			x[i] = v * max(0, min(1, v*(1.0/6)+0.5))
		}
	case ActTanh:
		tanhSlice(x)
	}
}

// tanhSmall bounds the inputs whose tanh is its Taylor polynomial.
const tanhSmall = 0.25

// tanhTaylor is tanh(v) for |v| < tanhSmall: the series to the v¹¹ term
// (the next term is below 1e-9 relative).
func tanhTaylor(v float32) float32 {
	x2 := v * v
	p := float32(-1382.0 / 155925)
	p = p*x2 + 62.0/2835
	p = p*x2 - 17.0/315
	p = p*x2 + 2.0/15
	p = p*x2 - 1.0/3
	return v + v*x2*p
}

// tanh32 is tanh(v) within a few float32 ulps: the Taylor polynomial near
// 0, else 1 - 2/(exp(2|v|)+1) with the sign of v (±1 beyond 9, where
// tanh rounds to ±1).
func tanh32(v float32) float32 {
	a := v
	if a < 0 {
		a = -a
	}
	var t float32
	switch {
	case v != v:
		return v
	case a < tanhSmall:
		return tanhTaylor(v)
	case a > 9:
		t = 1
	default:
		t = 1 - 2/(expf(2*a)+1)
	}
	if v < 0 {
		return -t
	}
	return t
}

// tanhSlice applies tanh to x in place: through the vector sigmoid where
// there is one (tanh(v) = 2·sigmoid(2v) - 1, the Taylor polynomial near 0
// where that would cancel), else element by element.
func tanhSlice(x []float32) {
	if !hasVecSigmoid {
		for i, v := range x {
			x[i] = tanh32(v)
		}
		return
	}
	var buf [256]float32
	for len(x) > 0 {
		n := min(len(x), len(buf))
		n8 := n &^ 7
		if n8 == 0 {
			for i, v := range x {
				x[i] = tanh32(v)
			}
			return
		}
		b := buf[:n8]
		for i := range b {
			b[i] = 2 * x[i]
		}
		sigmoidVec(b, false)
		for i, s := range b {
			v := x[i]
			if v > -tanhSmall && v < tanhSmall {
				x[i] = tanhTaylor(v)
			} else {
				x[i] = 2*s - 1
			}
		}
		x = x[n8:]
	}
}

// sigmoid is 1/(1+exp(-v)) in float32 arithmetic, with expf.
func sigmoid(v float32) float32 {
	return 1 / (1 + expf(-v))
}

// expf is exp(x) within a few float32 ulps: x = n·ln2 + r with |r| <=
// ln2/2, exp(r) by its Taylor polynomial of degree 7 (error below 1e-8),
// scaled by 2^n. It saturates to +Inf above 88.72 and to 0 below -87.33
// (no subnormal results); NaN stays NaN.
func expf(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -87.33654:
		return 0
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375 // ln2 split so that n·ln2hi is exact
		ln2lo = -2.12194440e-4
	)
	n := float32(math.Floor(float64(x*log2e + 0.5)))
	r := x - n*ln2hi - n*ln2lo
	p := float32(1.0 / 5040)
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	// 2^n as a float32 (n in [-126, 128]; 2^128 is split in two).
	if n > 127 {
		return p * 2 * math.Float32frombits(uint32(int32(n)-1+127)<<23)
	}
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// tileEp is the part of an epilogue the assembly kernels apply to a full
// tile while it is in registers. Its layout is known to the generated
// assembly: do not reorder the fields.
type tileEp struct {
	flags uintptr  // epBiasRow | epBiasCol | epResidual | epClamp
	bias  *float32 // the tile's first row's (or column's) bias
	res   *float32 // the tile's first residual element
	ldr   int      // the residual's leading dimension
	lo    float32  // the clamp: max(lo, min(hi, x))
	hi    float32
}

// The tileEp flags.
const (
	epBiasRow = 1 << iota
	epBiasCol
	epResidual
	epClamp
)

// ptr returns the address the assembly reads te from.
func (te *tileEp) ptr() *uintptr { return &te.flags }

// fill sets te for the tile of C at row i, column j (the tile lies inside
// C).
func (e *Epilogue) fill(te *tileEp, i, j int) {
	te.flags = 0
	if e.Bias != nil {
		if e.BiasPerRow {
			te.flags |= epBiasRow
			te.bias = &e.Bias[i]
		} else {
			te.flags |= epBiasCol
			te.bias = &e.Bias[j]
		}
	}
	if e.Residual != nil {
		te.flags |= epResidual
		te.res = &e.Residual[i*e.LdResidual+j]
		te.ldr = e.LdResidual
	}
	switch e.Act {
	case ActRelu:
		te.flags |= epClamp
		te.lo, te.hi = 0, float32(math.Inf(1))
	case ActClip:
		te.flags |= epClamp
		te.lo, te.hi = e.Min, e.Max
	}
}

// afterFused returns what remains of e once a kernel applied fill's part:
// the activation, unless it was a clamp.
func (e *Epilogue) afterFused() Epilogue {
	if e.Act == ActRelu || e.Act == ActClip {
		return Epilogue{}
	}
	return Epilogue{Act: e.Act, Min: e.Min, Max: e.Max, Alpha: e.Alpha, Beta: e.Beta}
}

// Sigmoid replaces each element of x by its logistic sigmoid (or, with
// silu, by x·sigmoid(x)), in place, with the vector kernel where the CPU
// has one: the activation of an epilogue, for outputs not made by Sgemm.
func Sigmoid(x []float32, silu bool) {
	e := Epilogue{Act: ActSigmoid}
	if silu {
		e.Act = ActSiLU
	}
	e.activate(x)
}

// Apply applies e to the m×n matrix c (leading dimension ldc) in place,
// as SgemmEpilogue does after the product: for outputs made elsewhere. It
// panics when a slice is too short (a bug in the caller).
func (e Epilogue) Apply(m, n int, c []float32, ldc int) {
	e.check(m, n)
	need("C", m, n, ldc, len(c))
	if m > 0 && n > 0 && e.active() {
		e.apply(c, ldc, 0, 0, m, n)
	}
}

// Tanh replaces each element of x by its hyperbolic tangent, in place, as
// the epilogue's ActTanh does (within a few float32 ulps; the vector
// sigmoid where the CPU has one).
func Tanh(x []float32) { tanhSlice(x) }
