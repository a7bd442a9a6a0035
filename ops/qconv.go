package ops

import (
	"fmt"
	"math"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/kernels/conv"
)

func init() {
	Register(Spec{Op: "ConvInteger", Since: 10}, newConvInteger)
	Register(Spec{Op: "QLinearConv", Since: 10}, newQLinearConv)
}

// int8s returns the values of an int8 or uint8 tensor as int32.
func int8s(t *Tensor) ([]int32, error) {
	switch d := t.Data.(type) {
	case []uint8:
		out := make([]int32, len(d))
		for i, v := range d {
			out[i] = int32(v)
		}
		return out, nil
	case []int8:
		out := make([]int32, len(d))
		for i, v := range d {
			out[i] = int32(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want an int8 or uint8 tensor, got %s", t)
}

// zeroPoints reads an optional zero-point input: a scalar (or 1-element)
// value, or, when perChannel > 0, one value per output channel.
func zeroPoints(in []Value, i int, like *Tensor, perChannel int) ([]int32, error) {
	t, err := OptTensor(in, i)
	if err != nil || t == nil {
		return []int32{0}, err
	}
	if t.DType != like.DType {
		return nil, fmt.Errorf("input %d: zero point type %s differs from its data's %s", i, t.DType, like.DType)
	}
	v, err := int8s(t)
	if err != nil {
		return nil, fmt.Errorf("input %d: %w", i, err)
	}
	if len(v) != 1 && (perChannel == 0 || len(v) != perChannel || t.Rank() != 1) {
		return nil, fmt.Errorf("input %d: zero point shape %v, want a scalar%s", i, t.Shape,
			map[bool]string{true: fmt.Sprintf(" or [%d]", perChannel), false: ""}[perChannel > 0])
	}
	return v, nil
}

// intConv subtracts zero points and runs the convolution in int32.
func intConv(cn *convNode, x, w *Tensor, xzp, wzp []int32, th int) ([]int32, conv.Params, []int, error) {
	p, shape, err := cn.convParams(x, w, nil)
	if err != nil {
		return nil, p, nil, err
	}
	xv, err := int8s(x)
	if err != nil {
		return nil, p, nil, fmt.Errorf("input 0: %w", err)
	}
	wv, err := int8s(w)
	if err != nil {
		return nil, p, nil, fmt.Errorf("input W: %w", err)
	}
	for i := range xv {
		xv[i] -= xzp[0]
	}
	per := len(wv) / max(p.M, 1)
	for i := range wv {
		if len(wzp) == 1 {
			wv[i] -= wzp[0]
		} else {
			wv[i] -= wzp[i/per]
		}
	}
	pl, err := conv.NewPlan[int32](p)
	if err != nil {
		return nil, p, nil, err
	}
	y := make([]int32, Size(shape))
	return y, p, shape, pl.Run(xv, wv, nil, y, th)
}

// convTypesOK relaxes the float check of convParams for integer inputs.
func intConvNode(b *Build) (*convNode, error) {
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
	return &convNode{win: win, group: int(g)}, nil
}

func newConvInteger(b *Build) (Kernel, error) {
	cn, err := intConvNode(b)
	if err != nil {
		return nil, err
	}
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		w, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		xzp, err := zeroPoints(in, 2, x, 0)
		if err != nil {
			return nil, err
		}
		m := 0
		if w.Rank() > 0 {
			m = w.Shape[0]
		}
		wzp, err := zeroPoints(in, 3, w, m)
		if err != nil {
			return nil, err
		}
		xs := *x
		ws := *w
		// convParams compares element types; X and W may differ here.
		ws.DType = xs.DType
		y, _, shape, err := intConv(cn, &xs, &ws, xzp, wzp, threads(rc))
		if err != nil {
			return nil, err
		}
		return []Value{New(shape, y)}, nil
	}), nil
}

func newQLinearConv(b *Build) (Kernel, error) {
	cn, err := intConvNode(b)
	if err != nil {
		return nil, err
	}
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		w, err := TensorInput(in, 3)
		if err != nil {
			return nil, err
		}
		m := 0
		if w.Rank() > 0 {
			m = w.Shape[0]
		}
		scale := func(i, per int) ([]float32, error) {
			t, err := TensorInput(in, i)
			if err != nil {
				return nil, err
			}
			v, err := ToFloat32s(t)
			if err != nil {
				return nil, fmt.Errorf("input %d: %w", i, err)
			}
			if len(v) != 1 && (per == 0 || len(v) != per) {
				return nil, fmt.Errorf("input %d: scale shape %v, want a scalar", i, t.Shape)
			}
			return v, nil
		}
		xs, err := scale(1, 0)
		if err != nil {
			return nil, err
		}
		xzp, err := zeroPoints(in, 2, x, 0)
		if err != nil {
			return nil, err
		}
		wsc, err := scale(4, m)
		if err != nil {
			return nil, err
		}
		wzp, err := zeroPoints(in, 5, w, m)
		if err != nil {
			return nil, err
		}
		ys, err := scale(6, 0)
		if err != nil {
			return nil, err
		}
		outType := x.DType
		yzp := []int32{0}
		if t, _ := OptTensor(in, 7); t != nil {
			outType = t.DType
			if yzp, err = zeroPoints(in, 7, t, 0); err != nil {
				return nil, err
			}
		}
		xc, wc := *x, *w
		wc.DType = xc.DType
		acc, p, shape, err := intConv(cn, &xc, &wc, xzp, wzp, threads(rc))
		if err != nil {
			return nil, err
		}
		if bt, err := OptTensor(in, 8); err != nil {
			return nil, err
		} else if bt != nil {
			bv, ok := bt.Data.([]int32)
			if !ok || len(bv) != p.M {
				return nil, fmt.Errorf("input 8 (B): %s, want int32[%d]", bt, p.M)
			}
			sz := Size(p.Out)
			for i := range acc {
				acc[i] += bv[(i/sz)%p.M]
			}
		}
		lo, hi := 0.0, 255.0
		if outType == graph.Int8 {
			lo, hi = -128, 127
		} else if outType != graph.Uint8 {
			return nil, fmt.Errorf("output type %s is not int8 or uint8", outType)
		}
		sz := Size(p.Out)
		q := make([]float64, len(acc))
		for i, a := range acc {
			ch := (i / sz) % max(p.M, 1)
			wscale := wsc[0]
			if len(wsc) > 1 {
				wscale = wsc[ch]
			}
			v := math.RoundToEven(float64(a)*float64(xs[0])*float64(wscale)/float64(ys[0])) + float64(yzp[0])
			q[i] = math.Max(lo, math.Min(hi, v))
		}
		if outType == graph.Int8 {
			return []Value{New(shape, convertSlice[float64, int8](q))}, nil
		}
		return []Value{New(shape, convertSlice[float64, uint8](q))}, nil
	}), nil
}
