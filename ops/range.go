package ops

import (
	"fmt"
	"math"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register(Spec{Op: "Range", Since: 11, Until: 26}, newRange)
	Register(Spec{Op: "Range", Since: 27}, newRange)
}

func newRange(b *Build) (Kernel, error) {
	stash, err := b.Node.AttrInt("stash_type", 1)
	if err != nil {
		return nil, err
	}
	if b.Node.HasAttr("stash_type") && b.Spec.Since < 27 {
		return nil, b.Errorf("attribute stash_type needs opset 27")
	}
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) { return rangeRun(rc, in, stash) }), nil
}

// rangeRun computes Range; half-precision types are computed in float32,
// which is what stash_type 1 (the default) asks for.
func rangeRun(rc *RunContext, in []Value, stash int64) ([]Value, error) {
	var ts [3]*Tensor
	for i, name := range []string{"start", "limit", "delta"} {
		t, err := TensorInput(in, i)
		if err != nil {
			return nil, err
		}
		if t.Len() != 1 {
			return nil, fmt.Errorf("input %d (%s) %s: want a scalar", i, name, t)
		}
		if i > 0 && t.DType != ts[0].DType {
			return nil, fmt.Errorf("input %d (%s) %s: want the type of start %s", i, name, t, ts[0])
		}
		ts[i] = t
	}
	switch ts[0].DType {
	case graph.Int16, graph.Int32, graph.Int64:
		v := make([]int64, 3)
		for i, t := range ts {
			x, err := ToInt64s(t)
			if err != nil {
				return nil, err
			}
			v[i] = x[0]
		}
		start, limit, delta := v[0], v[1], v[2]
		if delta == 0 {
			return nil, fmt.Errorf("input 2 (delta) is 0")
		}
		var n uint64
		if delta > 0 && limit > start {
			diff := uint64(limit) - uint64(start)
			n = diff / uint64(delta)
			if diff%uint64(delta) != 0 {
				n++
			}
		} else if delta < 0 && limit < start {
			diff := uint64(start) - uint64(limit)
			d := uint64(-(delta + 1)) + 1
			n = diff / d
			if diff%d != 0 {
				n++
			}
		}
		if err := rc.checkDims(ts[0].DType, []int64{int64(min(n, math.MaxInt64))}); err != nil {
			return nil, err
		}
		if n > MaxElements {
			return nil, fmt.Errorf("range of %d elements exceeds the limit %d", n, int64(MaxElements))
		}
		out := make([]int64, n)
		for i := range out {
			out[i] = start + int64(i)*delta
		}
		switch ts[0].DType {
		case graph.Int64:
			return []Value{New([]int{int(n)}, out)}, nil
		case graph.Int32:
			return []Value{New([]int{int(n)}, convertSlice[int64, int32](out))}, nil
		default:
			return []Value{New([]int{int(n)}, convertSlice[int64, int16](out))}, nil
		}
	case graph.Float, graph.Double, graph.Float16, graph.BFloat16:
		if stash != 1 && (ts[0].DType == graph.Float16 || ts[0].DType == graph.BFloat16) {
			return nil, fmt.Errorf("stash_type %d is not supported for %s (only 1, float)", stash, ts[0].DType)
		}
		v := make([]float64, 3)
		for i, t := range ts {
			x, err := ToFloat64s(t)
			if err != nil {
				return nil, err
			}
			v[i] = x[0]
		}
		start, limit, delta := v[0], v[1], v[2]
		if delta == 0 {
			return nil, fmt.Errorf("input 2 (delta) is 0")
		}
		c := math.Ceil((limit - start) / delta)
		if math.IsNaN(c) || c > MaxElements {
			return nil, fmt.Errorf("range from %v to %v by %v has too many elements", start, limit, delta)
		}
		n := int(max(c, 0))
		if err := rc.checkDims(ts[0].DType, []int64{int64(n)}); err != nil {
			return nil, err
		}
		if ts[0].DType == graph.Double {
			out := make([]float64, n)
			for i := range out {
				out[i] = start + float64(i)*delta
			}
			return []Value{New([]int{n}, out)}, nil
		}
		s, d := float32(start), float32(delta)
		out := make([]float32, n)
		for i := range out {
			out[i] = s + float32(i)*d
		}
		t, err := FromFloat32s(ts[0].DType, []int{n}, out)
		if err != nil {
			return nil, err
		}
		return []Value{t}, nil
	}
	return nil, fmt.Errorf("input 0 (start) %s: element type is not supported", ts[0])
}
