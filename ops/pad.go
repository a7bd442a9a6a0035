package ops

import (
	"fmt"
)

func init() {
	Register(Spec{Op: "Pad", Since: 1, Until: 1}, newPad)
	Register(Spec{Op: "Pad", Since: 2, Until: 10}, newPad)
	Register(Spec{Op: "Pad", Since: 11, Until: 12}, newPad)
	Register(Spec{Op: "Pad", Since: 13, Until: 17}, newPad)
	Register(Spec{Op: "Pad", Since: 18, Until: 18}, newPad)
	Register(Spec{Op: "Pad", Since: 19}, newPad)
}

type padKernel struct {
	mode string
	// Opset 1-10: pads and value come from attributes.
	pads  []int64
	value float32
	attrs bool
	axes  bool // opset 18+: input 3 may name the padded axes
}

func newPad(b *Build) (Kernel, error) {
	since := b.Spec.Since
	mode, err := b.Node.AttrString("mode", "constant")
	if err != nil {
		return nil, err
	}
	switch mode {
	case "constant", "reflect", "edge":
	case "wrap":
		if since < 19 {
			return nil, b.Errorf("mode wrap needs opset 19")
		}
	default:
		return nil, b.Errorf("unknown mode %q", mode)
	}
	k := &padKernel{mode: mode, attrs: since < 11, axes: since >= 18}
	if k.attrs {
		name := "pads"
		if since == 1 {
			name = "paddings"
		}
		if k.pads, err = b.Node.AttrInts(name, nil); err != nil {
			return nil, err
		}
		if k.pads == nil {
			return nil, b.Errorf("attribute %s is required", name)
		}
		if k.value, err = b.Node.AttrFloat("value", 0); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func (k *padKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	r := x.Rank()
	pads := k.pads
	var value any
	if k.attrs {
		if value, err = mvScalarOf(x.DType, float64(k.value)); err != nil {
			return nil, err
		}
	} else {
		p, err := mvInt64sRequired(in, 1, "pads")
		if err != nil {
			return nil, err
		}
		pads = p
		cv, err := OptTensor(in, 2)
		if err != nil {
			return nil, err
		}
		if cv != nil {
			if cv.DType != x.DType || cv.Len() != 1 {
				return nil, fmt.Errorf("input 2 (constant_value) %s: want one %s", cv, x.DType)
			}
			value = cv.Data
		}
		if k.axes {
			axes, ok, err := mvInt64Input(in, 3, "axes")
			if err != nil {
				return nil, err
			}
			if ok {
				if len(pads) != 2*len(axes) {
					return nil, fmt.Errorf("input 1 (pads) %v: want %d values for axes %v", pads, 2*len(axes), axes)
				}
				full := make([]int64, 2*r)
				seen := make([]bool, r)
				for i, a := range axes {
					ax, err := NormAxis(a, r)
					if err != nil {
						return nil, fmt.Errorf("input 3 (axes): %w", err)
					}
					if seen[ax] {
						return nil, fmt.Errorf("input 3 (axes) %v repeats axis %d", axes, a)
					}
					seen[ax] = true
					full[ax], full[ax+r] = pads[i], pads[i+len(axes)]
				}
				pads = full
			}
		}
	}
	if value == nil {
		if value, err = mvScalarOf(x.DType, 0); err != nil {
			return nil, err
		}
		if s, ok := value.([]string); ok {
			s[0] = ""
		}
	}
	if len(pads) != 2*r {
		return nil, fmt.Errorf("pads %v: want %d values for input 0 %s", pads, 2*r, x)
	}
	if err := rc.checkPad(x, pads); err != nil {
		return nil, err
	}
	out, err := PadTensor(x, pads, k.mode, value)
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

// PadTensor pads (or, for negative pads, crops) t: pads holds the begin
// values of every axis then the end values. mode is constant (filled with
// the single element of value, a typed slice), reflect, edge or wrap. Pads
// wider than the data continue the pattern: reflect is periodic with period
// 2*(n-1) (numpy agrees except when both sides exceed n-1, where its
// side-by-side passes differ) and wrap is periodic with period n.
func PadTensor(t *Tensor, pads []int64, mode string, value any) (*Tensor, error) {
	r := t.Rank()
	if len(pads) != 2*r {
		return nil, fmt.Errorf("pads %v: want %d values for input 0 %s", pads, 2*r, t)
	}
	// Per axis: crop [lo, hi) of the input first, then pad what is left.
	shape := make([]int, r)
	lo := make([]int64, r)
	inner := make([]int64, r)
	for ax := 0; ax < r; ax++ {
		pb, pe := pads[ax], pads[ax+r]
		n := int64(t.Shape[ax])
		if pb < -n || pe < -n || pb > MaxElements || pe > MaxElements {
			return nil, fmt.Errorf("pads %v are out of range for input 0 %s", pads, t)
		}
		lo[ax] = max(0, -pb)
		hi := n - max(0, -pe)
		if hi < lo[ax] {
			return nil, fmt.Errorf("pads %v crop more than dim %d of input 0 %s", pads, ax, t)
		}
		inner[ax] = hi - lo[ax]
		size := max(pb, 0) + inner[ax] + max(pe, 0)
		if size > MaxElements {
			return nil, fmt.Errorf("pads %v make dim %d too large", pads, ax)
		}
		shape[ax] = int(size)
		if mode != "constant" && inner[ax] == 0 && size > 0 {
			return nil, fmt.Errorf("mode %s cannot pad the empty dim %d of input 0 %s", mode, ax, t)
		}
	}
	if _, err := mvCheckShape("output", shape); err != nil {
		return nil, err
	}
	// maps[ax][o] is the input coordinate of output coordinate o, or -1.
	maps := make([][]int, r)
	for ax := 0; ax < r; ax++ {
		before, in := max(pads[ax], 0), inner[ax]
		m := make([]int, shape[ax])
		for o := range m {
			i := int64(o) - before // coordinate in the cropped range [0, in)
			if i < 0 || i >= in {
				switch mode {
				case "constant":
					m[o] = -1
					continue
				case "edge":
					i = min(max(i, 0), in-1)
				case "wrap":
					i = ((i % in) + in) % in
				case "reflect":
					if in == 1 {
						i = 0
						break
					}
					period := 2 * (in - 1)
					i = ((i % period) + period) % period
					if i >= in {
						i = period - i
					}
				}
			}
			m[o] = int(i + lo[ax])
		}
		maps[ax] = m
	}
	out, err := mvNew(t.DType, shape)
	if err != nil {
		return nil, err
	}
	f, err := mvPick(t.DType, padT[uint8], padT[uint16], padT[uint32], padT[uint64],
		padT[[2]uint32], padT[[2]uint64], padT[string])
	if err != nil {
		return nil, err
	}
	f(out.Data, t.Data, value, t.Shape, shape, maps)
	return out, nil
}

func padT[W mvWord](dstAny, srcAny, valueAny any, inShape, shape []int, maps [][]int) {
	dst, src := mvView[W](dstAny), mvView[W](srcAny)
	cv := mvView[W](valueAny)[0]
	if len(dst) == 0 {
		return
	}
	r := len(shape)
	if r == 0 {
		dst[0] = src[0]
		return
	}
	st := Strides(inShape)
	inner := shape[r-1]
	im := maps[r-1]
	// The longest run of the last axis that copies a contiguous input range.
	runLo, runHi := 0, 0
	for o := 0; o < inner; {
		if im[o] < 0 {
			o++
			continue
		}
		e := o + 1
		for e < inner && im[e] == im[e-1]+1 {
			e++
		}
		if e-o > runHi-runLo {
			runLo, runHi = o, e
		}
		o = e
	}
	coord := make([]int, r-1)
	for o := 0; o < len(dst); o += inner {
		row := dst[o : o+inner]
		base, ok := 0, true
		for ax := 0; ax < r-1; ax++ {
			i := maps[ax][coord[ax]]
			if i < 0 {
				ok = false
				break
			}
			base += i * st[ax]
		}
		if !ok {
			for j := range row {
				row[j] = cv
			}
		} else {
			for j := 0; j < runLo; j++ {
				if im[j] < 0 {
					row[j] = cv
				} else {
					row[j] = src[base+im[j]]
				}
			}
			if runHi > runLo {
				copy(row[runLo:runHi], src[base+im[runLo]:base+im[runLo]+runHi-runLo])
			}
			for j := runHi; j < inner; j++ {
				if im[j] < 0 {
					row[j] = cv
				} else {
					row[j] = src[base+im[j]]
				}
			}
		}
		for ax := r - 2; ax >= 0; ax-- {
			coord[ax]++
			if coord[ax] < shape[ax] {
				break
			}
			coord[ax] = 0
		}
	}
}
