package ops

import (
	"fmt"
	"math"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register(Spec{Op: "DFT", Since: 17, Until: 19}, newDFT)
	Register(Spec{Op: "DFT", Since: 20}, newDFT)
	Register(Spec{Op: "STFT", Since: 17}, newSTFT)
	Register(Spec{Op: "BlackmanWindow", Since: 17}, func(b *Build) (Kernel, error) { return newWindow(b, []float64{0.42, -0.5, 0.08}) })
	Register(Spec{Op: "HammingWindow", Since: 17}, func(b *Build) (Kernel, error) { return newWindow(b, []float64{25.0 / 46, -(1 - 25.0/46)}) })
	Register(Spec{Op: "HannWindow", Since: 17}, func(b *Build) (Kernel, error) { return newWindow(b, []float64{0.5, -0.5}) })
	Register(Spec{Op: "MelWeightMatrix", Since: 17}, newMelWeightMatrix)
}

// mNumFromFloat64s makes a numeric tensor of type dt from float64 values
// (integer types truncate toward zero).
func mNumFromFloat64s(dt graph.DType, shape []int, v []float64) (*Tensor, error) {
	if dt.IsFloat() {
		return mFromFloat64s(dt, shape, v)
	}
	if _, err := Zeros(dt, nil); err != nil || !dt.IsInt() {
		return nil, fmt.Errorf("element type %s is not a numeric type", dt)
	}
	return mIntFromFloat64s(dt, shape, v)
}

// dftPlan transforms complex vectors of one length L: with the radix-2 FFT
// when L is a power of two, otherwise with Bluestein's chirp-z algorithm
// (a convolution computed by power-of-two FFTs), both O(L log L).
type dftPlan struct {
	L          int
	cos, sin   []float64 // twiddles of the power-of-two FFT length
	m          int       // Bluestein: FFT length >= 2L-1; 0 when L is a power of two
	wr, wi     []float64 // Bluestein chirp exp(-iπn²/L), n < L
	br, bi     []float64 // FFT of the conjugate chirp, wrapped to length m
	scr1, scr2 []float64
}

func newDFTPlan(L int) *dftPlan {
	p := &dftPlan{L: L}
	if L&(L-1) == 0 {
		p.cos, p.sin = mTwiddles(L)
		return p
	}
	m := 1
	for m < 2*L-1 {
		m <<= 1
	}
	p.m = m
	p.cos, p.sin = mTwiddles(m)
	p.wr, p.wi = make([]float64, L), make([]float64, L)
	p.br, p.bi = make([]float64, m), make([]float64, m)
	for n := range L {
		th := math.Pi * float64((n*n)%(2*L)) / float64(L)
		p.wr[n], p.wi[n] = math.Cos(th), -math.Sin(th)
		p.br[n], p.bi[n] = p.wr[n], -p.wi[n]
		if n > 0 {
			p.br[m-n], p.bi[m-n] = p.wr[n], -p.wi[n]
		}
	}
	fft2(p.br, p.bi, false, p.cos, p.sin)
	return p
}

// forward replaces re/im (length L) by their DFT (sign -1, unscaled). It
// uses scratch held by p: a plan serves one goroutine.
func (p *dftPlan) forward(re, im []float64) {
	if p.m == 0 {
		fft2(re, im, false, p.cos, p.sin)
		return
	}
	if p.scr1 == nil {
		p.scr1, p.scr2 = make([]float64, p.m), make([]float64, p.m)
	}
	ar, ai := p.scr1, p.scr2
	clear(ar)
	clear(ai)
	for n := range p.L {
		ar[n] = re[n]*p.wr[n] - im[n]*p.wi[n]
		ai[n] = re[n]*p.wi[n] + im[n]*p.wr[n]
	}
	fft2(ar, ai, false, p.cos, p.sin)
	for k := range p.m {
		r := ar[k]*p.br[k] - ai[k]*p.bi[k]
		ai[k] = ar[k]*p.bi[k] + ai[k]*p.br[k]
		ar[k] = r
	}
	fft2(ar, ai, true, p.cos, p.sin)
	scale := 1 / float64(p.m)
	for k := range p.L {
		cr, ci := ar[k]*scale, ai[k]*scale
		re[k] = cr*p.wr[k] - ci*p.wi[k]
		im[k] = cr*p.wi[k] + ci*p.wr[k]
	}
}

// dft transforms the complex vector re/im (length n, zero-padded or cut to
// the plan's length L) and returns bins [0, nb) of the transform (inverse:
// scaled by 1/L).
func (p *dftPlan) dft(re, im []float64, nb int, inverse bool) ([]float64, []float64) {
	L := p.L
	n := min(len(re), L)
	fr, fi := make([]float64, L), make([]float64, L)
	copy(fr, re[:n])
	copy(fi, im[:n])
	if inverse { // IDFT(x) = conj(DFT(conj(x))) / L
		for k := range fi {
			fi[k] = -fi[k]
		}
	}
	p.forward(fr, fi)
	if inverse {
		for k := range fr {
			fr[k] /= float64(L)
			fi[k] /= -float64(L)
		}
	}
	return fr[:nb], fi[:nb]
}

// fft2 transforms re/im in place (length a power of two) with the iterative
// radix-2 Cooley-Tukey algorithm, without scaling. cosT/sinT hold the twiddle
// factors for the full length.
func fft2(re, im []float64, inverse bool, cosT, sinT []float64) {
	L := len(re)
	for i, j := 1, 0; i < L; i++ { // bit-reversal permutation
		bit := L >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j |= bit
		if i < j {
			re[i], re[j] = re[j], re[i]
			im[i], im[j] = im[j], im[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	for size := 2; size <= L; size <<= 1 {
		half, step := size/2, L/size
		for start := 0; start < L; start += size {
			for k := range half {
				c, s := cosT[k*step], sign*sinT[k*step]
				a, b := start+k, start+k+half
				tr := re[b]*c - im[b]*s
				ti := re[b]*s + im[b]*c
				re[b], im[b] = re[a]-tr, im[a]-ti
				re[a], im[a] = re[a]+tr, im[a]+ti
			}
		}
	}
}

func mTwiddles(L int) ([]float64, []float64) {
	c, s := make([]float64, L), make([]float64, L)
	for i := range L {
		a := 2 * math.Pi * float64(i) / float64(L)
		c[i], s[i] = math.Cos(a), math.Sin(a)
	}
	return c, s
}

type dftKernel struct {
	axis      int64
	axisInput bool // opset 20: axis is input 2
	inverse   bool
	onesided  bool
}

func newDFT(b *Build) (Kernel, error) {
	k := &dftKernel{axisInput: b.Opset >= 20}
	var err error
	def := int64(1)
	if k.axisInput {
		def = -2
	} else if k.axis, err = b.Node.AttrInt("axis", 1); err != nil {
		return nil, err
	}
	if k.axisInput {
		k.axis = def
	}
	inv, err := b.Node.AttrInt("inverse", 0)
	if err != nil {
		return nil, err
	}
	one, err := b.Node.AttrInt("onesided", 0)
	if err != nil {
		return nil, err
	}
	k.inverse, k.onesided = inv != 0, one != 0
	return k, nil
}

func (k *dftKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	r := x.Rank()
	if !x.DType.IsFloat() || r < 2 || (x.Shape[r-1] != 1 && x.Shape[r-1] != 2) {
		return nil, fmt.Errorf("input 0 is %s, want a float tensor whose last dim is 1 (real) or 2 (complex)", x)
	}
	axis := k.axis
	if k.axisInput {
		if at, err := OptTensor(in, 2); err != nil {
			return nil, err
		} else if at != nil {
			if axis, err = mScalarInt(at); err != nil {
				return nil, fmt.Errorf("input 2 (axis): %w", err)
			}
		}
	}
	a, err := NormAxis(axis, r)
	if err != nil || a == r-1 {
		return nil, fmt.Errorf("axis %d is out of range for rank %d (the last dim holds complex parts)", axis, r)
	}
	dim := x.Shape[a]
	irfft := k.inverse && k.onesided
	L := dim
	if irfft {
		L = 2 * (dim - 1)
	}
	if lt, err := OptTensor(in, 1); err != nil {
		return nil, err
	} else if lt != nil {
		v, err := mScalarInt(lt)
		if err != nil {
			return nil, fmt.Errorf("input 1 (dft_length): %w", err)
		}
		L = int(v)
	}
	if L < 1 || L > 1<<24 {
		return nil, fmt.Errorf("dft_length %d is out of range", L)
	}
	if irfft && x.Shape[r-1] != 2 {
		return nil, fmt.Errorf("an inverse one-sided DFT needs complex input, got %s", x)
	}
	if k.onesided && !k.inverse && x.Shape[r-1] != 1 {
		return nil, fmt.Errorf("a one-sided DFT needs real input, got %s", x)
	}
	xv, err := ToFloat64s(x)
	if err != nil {
		return nil, err
	}
	out, err := transformAxis(rc, xv, x.Shape, a, L, k.inverse, k.onesided)
	if err != nil {
		return nil, err
	}
	return out.withType(x.DType)
}

// spectrum is a float64 result and its shape, before narrowing.
type spectrum struct {
	shape []int
	v     []float64
}

func (s spectrum) withType(dt graph.DType) ([]Value, error) {
	t, err := mFromFloat64s(dt, s.shape, s.v)
	if err != nil {
		return nil, err
	}
	return []Value{t}, nil
}

// transformAxis runs the DFT along axis a of xv (shape ending in 1 or 2).
func transformAxis(rc *RunContext, xv []float64, shape []int, a, L int, inverse, onesided bool) (spectrum, error) {
	r := len(shape)
	cplx := shape[r-1]
	dim := shape[a]
	outer := Size(shape[:a])
	inner := Size(shape[a+1 : r-1])
	irfft := inverse && onesided
	nb := L
	outC := 2
	if onesided && !inverse {
		nb = L/2 + 1
	}
	if irfft {
		outC = 1
	}
	oshape := append([]int{}, shape...)
	oshape[a] = nb
	oshape[r-1] = outC
	if Size(oshape) > 1<<26 {
		return spectrum{}, fmt.Errorf("output %v is too large", oshape)
	}
	ov := make([]float64, Size(oshape))
	plan := newDFTPlan(L)
	n := min(dim, L)
	re, im := make([]float64, n), make([]float64, n)
	for o := range outer {
		if err := rc.Ctx.Err(); err != nil {
			return spectrum{}, err
		}
		for i := range inner {
			clear(im)
			for j := range n {
				p := ((o*dim+j)*inner + i) * cplx
				re[j] = xv[p]
				if cplx == 2 {
					im[j] = xv[p+1]
				}
			}
			fr, fi := re, im
			if irfft { // rebuild the full spectrum from the one-sided half
				fr, fi = make([]float64, L), make([]float64, L)
				for j := range L {
					switch {
					case j < n:
						fr[j], fi[j] = re[j], im[j]
					case L-j < n:
						fr[j], fi[j] = re[L-j], -im[L-j]
					}
				}
			}
			yr, yi := plan.dft(fr, fi, nb, inverse)
			for kk := range nb {
				p := ((o*nb+kk)*inner + i) * outC
				ov[p] = yr[kk]
				if outC == 2 {
					ov[p+1] = yi[kk]
				}
			}
		}
	}
	return spectrum{shape: oshape, v: ov}, nil
}

type stftKernel struct{ onesided bool }

func newSTFT(b *Build) (Kernel, error) {
	o, err := b.Node.AttrInt("onesided", 1)
	if err != nil {
		return nil, err
	}
	return &stftKernel{onesided: o != 0}, nil
}

func (k *stftKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	if !x.DType.IsFloat() || x.Rank() != 3 || (x.Shape[2] != 1 && x.Shape[2] != 2) {
		return nil, fmt.Errorf("input 0 (signal) is %s, want float [batch, length, 1 or 2]", x)
	}
	st, err := TensorInput(in, 1)
	if err != nil {
		return nil, err
	}
	step, err := mScalarInt(st)
	if err != nil || step < 1 {
		return nil, fmt.Errorf("input 1 (frame_step) is %s, want a positive scalar", st)
	}
	var window []float64
	L := -1
	if w, err := OptTensor(in, 2); err != nil {
		return nil, err
	} else if w != nil {
		if w.Rank() != 1 || !w.DType.IsFloat() {
			return nil, fmt.Errorf("input 2 (window) is %s, want a 1-D float tensor", w)
		}
		if window, err = ToFloat64s(w); err != nil {
			return nil, err
		}
		L = len(window)
	}
	if fl, err := OptTensor(in, 3); err != nil {
		return nil, err
	} else if fl != nil {
		v, err := mScalarInt(fl)
		if err != nil {
			return nil, fmt.Errorf("input 3 (frame_length): %w", err)
		}
		if window != nil && int(v) != L {
			return nil, fmt.Errorf("frame_length %d differs from the window's length %d", v, L)
		}
		L = int(v)
	}
	B, N, C := x.Shape[0], x.Shape[1], x.Shape[2]
	if L < 1 || L > N {
		return nil, fmt.Errorf("frame length %d (from frame_length or window) is out of range for a signal of %d samples", L, N)
	}
	onesided := k.onesided
	if C == 2 && onesided {
		return nil, fmt.Errorf("a one-sided STFT needs a real signal, got %s (set onesided=0)", x)
	}
	frames := (N-L)/int(step) + 1
	if B*frames*L > 1<<26 {
		return nil, fmt.Errorf("%d frames of %d samples (batch %d) are too many", frames, L, B)
	}
	xv, err := ToFloat64s(x)
	if err != nil {
		return nil, err
	}
	// gather frames as [B*frames, L, C], windowed, then transform axis 1.
	fv := make([]float64, B*frames*L*C)
	for b := range B {
		for f := range frames {
			for j := range L {
				w := 1.0
				if window != nil {
					w = window[j]
				}
				for c := range C {
					fv[((b*frames+f)*L+j)*C+c] = xv[(b*N+f*int(step)+j)*C+c] * w
				}
			}
		}
	}
	s, err := transformAxis(rc, fv, []int{B * frames, L, C}, 1, L, false, onesided)
	if err != nil {
		return nil, err
	}
	s.shape = []int{B, frames, s.shape[1], 2}
	return s.withType(x.DType)
}

type windowKernel struct {
	coef     []float64
	periodic bool
	dt       graph.DType
}

func newWindow(b *Build, coef []float64) (Kernel, error) {
	p, err := b.Node.AttrInt("periodic", 1)
	if err != nil {
		return nil, err
	}
	dt, err := b.Node.AttrInt("output_datatype", int64(graph.Float))
	if err != nil {
		return nil, err
	}
	if !graph.DType(dt).IsFloat() && !graph.DType(dt).IsInt() {
		return nil, b.Errorf("output_datatype %s is not numeric", graph.DType(dt))
	}
	return &windowKernel{coef: coef, periodic: p != 0, dt: graph.DType(dt)}, nil
}

func (k *windowKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	st, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	size, err := mScalarInt(st)
	if err != nil || size < 0 || size > 1<<26 {
		return nil, fmt.Errorf("input 0 (size) is %s, want a non-negative scalar", st)
	}
	N := float32(size)
	if !k.periodic {
		N = float32(size - 1)
	}
	v := make([]float64, size)
	for i := range v {
		s := float32(0)
		for h, c := range k.coef {
			arg := float32(2*math.Pi*float64(h)) * float32(i) / N
			s += float32(c) * float32(math.Cos(float64(arg)))
		}
		v[i] = float64(s)
	}
	t, err := mNumFromFloat64s(k.dt, []int{int(size)}, v)
	return []Value{t}, err
}

func newMelWeightMatrix(b *Build) (Kernel, error) {
	dt, err := b.Node.AttrInt("output_datatype", int64(graph.Float))
	if err != nil {
		return nil, err
	}
	odt := graph.DType(dt)
	if !odt.IsFloat() && !odt.IsInt() {
		return nil, b.Errorf("output_datatype %s is not numeric", odt)
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		ints := make([]int64, 3)
		for i := range ints {
			t, err := TensorInput(in, i)
			if err != nil {
				return nil, err
			}
			if ints[i], err = mScalarInt(t); err != nil {
				return nil, fmt.Errorf("input %d: %w", i, err)
			}
		}
		fl := make([]float64, 2)
		for i := range fl {
			t, err := TensorInput(in, 3+i)
			if err != nil {
				return nil, err
			}
			v, err := ToFloat64s(t)
			if err != nil || len(v) != 1 || !t.DType.IsFloat() {
				return nil, fmt.Errorf("input %d is %s, want a float scalar", 3+i, t)
			}
			fl[i] = v[0]
		}
		mels, dftLen, rate := ints[0], ints[1], ints[2]
		if mels < 1 || dftLen < 1 || rate < 1 || mels > 1<<16 || dftLen > 1<<24 {
			return nil, fmt.Errorf("num_mel_bins %d, dft_length %d, sample_rate %d: want positive sizes", mels, dftLen, rate)
		}
		nSpec := int(dftLen/2 + 1)
		nm := int(mels)
		if nSpec*nm > 1<<26 {
			return nil, fmt.Errorf("a %dx%d weight matrix is too large", nSpec, nm)
		}
		toMel := func(f float64) float64 { return 2595 * math.Log10(1+f/700) }
		lo, hi := toMel(fl[0]), toMel(fl[1])
		step := (hi - lo) / float64(nm+2)
		bins := make([]int, nm+2)
		for i := range bins {
			hz := 700 * (math.Pow(10, (float64(i)*step+lo)/2595) - 1)
			bins[i] = int(math.Floor(float64(dftLen+1) * hz / float64(rate)))
		}
		out := make([]float64, nSpec*nm)
		set := func(j, i int, v float64) error {
			if j < 0 || j >= nSpec {
				return fmt.Errorf("band %d reaches spectrogram bin %d, outside [0, %d)", i, j, nSpec)
			}
			out[j*nm+i] = v
			return nil
		}
		for i := range nm {
			l, c, h := bins[i], bins[i+1], bins[i+2]
			if c == l {
				if err := set(c, i, 1); err != nil {
					return nil, err
				}
			} else {
				for j := l; j <= c; j++ {
					if err := set(j, i, float64(j-l)/float64(c-l)); err != nil {
						return nil, err
					}
				}
			}
			for j := c; j < h; j++ {
				if err := set(j, i, float64(h-j)/float64(h-c)); err != nil {
					return nil, err
				}
			}
		}
		t, err := mNumFromFloat64s(odt, []int{nSpec, nm}, out)
		return []Value{t}, err
	}), nil
}
