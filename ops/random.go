package ops

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	for _, op := range []string{"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike"} {
		Register(Spec{Op: op, Since: 1}, newRandom)
	}
	Register(Spec{Op: "Bernoulli", Since: 15}, newBernoulli)
	Register(Spec{Op: "Multinomial", Since: 7}, newMultinomial)
}

// randSeed reads the optional seed attribute. Without one, every run draws
// fresh numbers; with one, every run draws the same numbers.
func randSeed(b *Build) (func() *rand.Rand, error) {
	if !b.Node.HasAttr("seed") {
		return func() *rand.Rand { return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) }, nil
	}
	s, err := b.Node.AttrFloat("seed", 0)
	if err != nil {
		return nil, err
	}
	bits := uint64(math.Float32bits(s))
	return func() *rand.Rand { return rand.New(rand.NewPCG(bits, 0x9e3779b97f4a7c15)) }, nil
}

type randomKernel struct {
	normal bool
	like   bool
	a, b   float64 // normal: mean, scale; uniform: low, high
	dt     graph.DType
	hasDT  bool
	shape  []int
	rng    func() *rand.Rand
}

func newRandom(b *Build) (Kernel, error) {
	op := b.Node.OpType
	k := &randomKernel{normal: op == "RandomNormal" || op == "RandomNormalLike", like: op == "RandomNormalLike" || op == "RandomUniformLike"}
	var err error
	if k.rng, err = randSeed(b); err != nil {
		return nil, err
	}
	names := [2]string{"low", "high"}
	defs := [2]float32{0, 1}
	if k.normal {
		names = [2]string{"mean", "scale"}
	}
	va, err := b.Node.AttrFloat(names[0], defs[0])
	if err != nil {
		return nil, err
	}
	vb, err := b.Node.AttrFloat(names[1], defs[1])
	if err != nil {
		return nil, err
	}
	k.a, k.b = float64(va), float64(vb)
	k.hasDT = b.Node.HasAttr("dtype")
	dt, err := b.Node.AttrInt("dtype", int64(graph.Float))
	if err != nil {
		return nil, err
	}
	k.dt = graph.DType(dt)
	if (k.hasDT || !k.like) && !k.dt.IsFloat() {
		return nil, b.Errorf("dtype %s is not a floating-point type", k.dt)
	}
	if !k.like {
		s, err := b.Node.AttrInts("shape", nil)
		if err != nil {
			return nil, err
		}
		if s == nil {
			return nil, b.Errorf("attribute shape is required")
		}
		n := int64(1)
		for _, d := range s {
			if d < 0 || (d > 0 && n > (1<<27)/d) {
				return nil, b.Errorf("shape %v is negative or too large", s)
			}
			n *= d
			k.shape = append(k.shape, int(d))
		}
	}
	return k, nil
}

func (k *randomKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	shape, dt := k.shape, k.dt
	if k.like {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		shape = append([]int{}, x.Shape...)
		if !k.hasDT {
			dt = x.DType
			if !dt.IsFloat() {
				return nil, fmt.Errorf("input 0 is %s: without dtype the output type is the input's, which must be floating-point", x)
			}
		}
	}
	if err := rc.CheckAlloc(graph.Double, shape); err != nil {
		return nil, err
	}
	r := k.rng()
	v := make([]float64, Size(shape))
	for i := range v {
		if k.normal {
			v[i] = k.a + k.b*r.NormFloat64()
		} else {
			v[i] = k.a + (k.b-k.a)*r.Float64()
		}
	}
	t, err := mFromFloat64s(dt, append([]int{}, shape...), v)
	return []Value{t}, err
}

func newBernoulli(b *Build) (Kernel, error) {
	rng, err := randSeed(b)
	if err != nil {
		return nil, err
	}
	hasDT := b.Node.HasAttr("dtype")
	d, err := b.Node.AttrInt("dtype", 0)
	if err != nil {
		return nil, err
	}
	dt := graph.DType(d)
	if hasDT && dt != graph.Bool && !dt.IsFloat() && !dt.IsInt() {
		return nil, b.Errorf("dtype %s is not supported", dt)
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		if !x.DType.IsFloat() {
			return nil, fmt.Errorf("input 0 is %s, want probabilities as floats", x)
		}
		p, err := ToFloat64s(x)
		if err != nil {
			return nil, err
		}
		odt := x.DType
		if hasDT {
			odt = dt
		}
		r := rng()
		shape := append([]int{}, x.Shape...)
		if odt == graph.Bool {
			out := make([]bool, len(p))
			for i, q := range p {
				out[i] = r.Float64() < q
			}
			return []Value{New(shape, out)}, nil
		}
		out := make([]float64, len(p))
		for i, q := range p {
			if r.Float64() < q {
				out[i] = 1
			}
		}
		t, err := mNumFromFloat64s(odt, shape, out)
		return []Value{t}, err
	}), nil
}

func newMultinomial(b *Build) (Kernel, error) {
	rng, err := randSeed(b)
	if err != nil {
		return nil, err
	}
	n, err := b.Node.AttrInt("sample_size", 1)
	if err != nil {
		return nil, err
	}
	if n < 1 || n > 1<<24 {
		return nil, b.Errorf("sample_size %d is out of range", n)
	}
	d, err := b.Node.AttrInt("dtype", int64(graph.Int32))
	if err != nil {
		return nil, err
	}
	dt := graph.DType(d)
	if dt != graph.Int32 && dt != graph.Int64 {
		return nil, b.Errorf("dtype %s is not int32 or int64", dt)
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		if !x.DType.IsFloat() || x.Rank() != 2 {
			return nil, fmt.Errorf("input 0 is %s, want float [batch, classes]", x)
		}
		lp, err := ToFloat64s(x)
		if err != nil {
			return nil, err
		}
		B, C := x.Shape[0], x.Shape[1]
		if B*int(n) > 1<<27 {
			return nil, fmt.Errorf("%d x %d samples are too many", B, n)
		}
		r := rng()
		out := make([]int64, B*int(n))
		cdf := make([]float64, C)
		for b := range B {
			row := lp[b*C : (b+1)*C]
			m := math.Inf(-1)
			for _, v := range row {
				m = math.Max(m, v)
			}
			s := 0.0
			for c, v := range row {
				s += math.Exp(v - m)
				cdf[c] = s
			}
			for j := range int(n) {
				u := r.Float64() * s
				c := 0
				for c < C-1 && cdf[c] <= u {
					c++
				}
				out[b*int(n)+j] = int64(c)
			}
		}
		t, err := mCastInt64s(New([]int{B, int(n)}, out), dt)
		return []Value{t}, err
	}), nil
}
