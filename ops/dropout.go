package ops

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register(Spec{Op: "Dropout", Since: 1, Until: 11}, newDropoutOld)
	Register(Spec{Op: "Dropout", Since: 12}, newDropout)
}

// newDropoutOld covers Dropout-1 to -10: inference only. The ratio is an
// attribute; is_test (before 7) is ignored as every runtime does, since
// there is no training here. The mask (from 7) is all ones: bool from 10,
// the input type before.
func newDropoutOld(b *Build) (Kernel, error) {
	boolMask := b.Opset >= 10
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		mask, err := onesMask(x, boolMask)
		if err != nil {
			return nil, err
		}
		return []Value{x, mask}, nil
	}), nil
}

func onesMask(x *Tensor, boolMask bool) (*Tensor, error) {
	if boolMask {
		m := make([]bool, x.Len())
		for i := range m {
			m[i] = true
		}
		return New(append([]int{}, x.Shape...), m), nil
	}
	ones := make([]float64, x.Len())
	for i := range ones {
		ones[i] = 1
	}
	return floatsLike(x.DType, append([]int{}, x.Shape...), ones)
}

type dropoutKernel struct {
	seed    uint32
	hasSeed bool
}

func newDropout(b *Build) (Kernel, error) {
	k := &dropoutKernel{hasSeed: b.Node.HasAttr("seed")}
	s, err := b.Node.AttrInt("seed", 0)
	if err != nil {
		return nil, err
	}
	k.seed = uint32(s)
	return k, nil
}

func (k *dropoutKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	ratio := 0.5
	if t, err := OptTensor(in, 1); err != nil {
		return nil, err
	} else if t != nil {
		v, err := ToFloat64s(t)
		if err != nil || len(v) != 1 {
			return nil, fmt.Errorf("input 1 (ratio): want a float scalar, got %s", t)
		}
		ratio = v[0]
	}
	if ratio < 0 || ratio >= 1 {
		return nil, fmt.Errorf("input 1 (ratio): %v is not in [0, 1)", ratio)
	}
	training := false
	if t, err := OptTensor(in, 2); err != nil {
		return nil, err
	} else if t != nil {
		v, ok := t.Data.([]bool)
		if !ok || len(v) != 1 {
			return nil, fmt.Errorf("input 2 (training_mode): want a bool scalar, got %s", t)
		}
		training = v[0]
	}
	if !training || ratio == 0 {
		mask, _ := onesMask(x, true)
		return []Value{x, mask}, nil
	}
	// Keep each element when a uniform draw in [0, 1) is at least ratio,
	// scaling kept values by 1/(1−ratio). The draws come from MT19937 seeded
	// with the seed attribute (as numpy's RandomState(seed).uniform), or
	// from a random seed.
	seed := k.seed
	if !k.hasSeed {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		seed = binary.LittleEndian.Uint32(b[:])
	}
	mt := newMT19937(seed)
	mask := make([]bool, x.Len())
	for i := range mask {
		mask[i] = mt.float64() >= ratio
	}
	scale := 1 / (1 - ratio)
	xv, err := ToFloat64s(x)
	if err != nil {
		return nil, fmt.Errorf("input 0 (data): %w", err)
	}
	y := make([]float64, len(xv))
	for i, v := range xv {
		if mask[i] {
			y[i] = v * scale
		}
	}
	var yt *Tensor
	if x.DType == graph.Double || x.DType == graph.Float || isHalf(x.DType) {
		if yt, err = floatsLike(x.DType, append([]int{}, x.Shape...), y); err != nil {
			return nil, err
		}
	} else {
		return nil, fmt.Errorf("input 0 (data): element type %s is not supported", x.DType)
	}
	return []Value{yt, New(append([]int{}, x.Shape...), mask)}, nil
}

// mt19937 is the Mersenne Twister generator, seeded by init_genrand.
type mt19937 struct {
	mt  [624]uint32
	idx int
}

func newMT19937(seed uint32) *mt19937 {
	m := &mt19937{idx: 624}
	m.mt[0] = seed
	for i := 1; i < 624; i++ {
		m.mt[i] = 1812433253*(m.mt[i-1]^(m.mt[i-1]>>30)) + uint32(i)
	}
	return m
}

func (m *mt19937) next() uint32 {
	if m.idx >= 624 {
		for i := 0; i < 624; i++ {
			y := (m.mt[i] & 0x80000000) | (m.mt[(i+1)%624] & 0x7fffffff)
			v := m.mt[(i+397)%624] ^ (y >> 1)
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			m.mt[i] = v
		}
		m.idx = 0
	}
	y := m.mt[m.idx]
	m.idx++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// float64 returns a uniform value in [0, 1) with 53 random bits.
func (m *mt19937) float64() float64 {
	a, b := m.next()>>5, m.next()>>6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}
