package ops

import (
	"fmt"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register(Spec{Op: "Scatter", Since: 9, Until: 10}, newScatterElements)
	Register(Spec{Op: "Scatter", Since: 11}, newScatterElements)
	Register(Spec{Op: "ScatterElements", Since: 11, Until: 12}, newScatterElements)
	Register(Spec{Op: "ScatterElements", Since: 13, Until: 15}, newScatterElements)
	Register(Spec{Op: "ScatterElements", Since: 16, Until: 17}, newScatterElements)
	Register(Spec{Op: "ScatterElements", Since: 18}, newScatterElements)
	Register(Spec{Op: "ScatterND", Since: 11, Until: 12}, newScatterND)
	Register(Spec{Op: "ScatterND", Since: 13, Until: 15}, newScatterND)
	Register(Spec{Op: "ScatterND", Since: 16, Until: 17}, newScatterND)
	Register(Spec{Op: "ScatterND", Since: 18}, newScatterND)
}

// scatterReduction reads the reduction attribute and checks it against the
// opset: add and mul from 16, max and min from 18.
func scatterReduction(b *Build) (string, error) {
	red, err := b.Node.AttrString("reduction", "none")
	if err != nil {
		return "", err
	}
	need := int64(0)
	switch red {
	case "none":
	case "add", "mul":
		need = 16
	case "max", "min":
		need = 18
	default:
		return "", b.Errorf("unknown reduction %q", red)
	}
	if b.Node.OpType == "Scatter" || b.Spec.Since < need {
		if red != "none" {
			return "", b.Errorf("reduction %q needs opset %d", red, need)
		}
	}
	return red, nil
}

func newScatterElements(b *Build) (Kernel, error) {
	axis, err := b.Node.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	red, err := scatterReduction(b)
	if err != nil {
		return nil, err
	}
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
		data, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		idx, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		upd, err := TensorInput(in, 2)
		if err != nil {
			return nil, err
		}
		if upd.DType != data.DType || !slices.Equal(upd.Shape, idx.Shape) {
			return nil, fmt.Errorf("input 2 (updates) %s must have the type of data %s and the shape of indices %s", upd, data, idx)
		}
		if red == "none" {
			out, err := scatterElementsNone(rc, data, idx, upd, axis)
			if err != nil {
				return nil, err
			}
			return []Value{out}, nil
		}
		pos, err := elementsOffsets(data, idx, axis, "input 1 (indices)")
		if err != nil {
			return nil, err
		}
		out, err := scatterApply(data, upd, pos, 1, red)
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	}), nil
}

func newScatterND(b *Build) (Kernel, error) {
	red, err := scatterReduction(b)
	if err != nil {
		return nil, err
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		const what = "input 1 (indices)"
		data, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		idx, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		upd, err := TensorInput(in, 2)
		if err != nil {
			return nil, err
		}
		r, q := data.Rank(), idx.Rank()
		if r < 1 || q < 1 {
			return nil, fmt.Errorf("input 0 (data) %s and %s %s: want ranks >= 1", data, what, idx)
		}
		k := idx.Shape[q-1]
		if k < 1 || k > r {
			return nil, fmt.Errorf("%s %s: last dim %d must be in [1, %d]", what, idx, k, r)
		}
		want := append(append([]int{}, idx.Shape[:q-1]...), data.Shape[k:]...)
		if upd.DType != data.DType || !slices.Equal(upd.Shape, want) {
			return nil, fmt.Errorf("input 2 (updates) %s: want %s%v", upd, data.DType, want)
		}
		ind, err := mvIndices(idx, what)
		if err != nil {
			return nil, err
		}
		st := Strides(data.Shape)
		pos := make([]int, len(ind)/k)
		for t := range pos {
			off := 0
			for j := 0; j < k; j++ {
				p, err := mvNormIndex(what, t*k+j, ind[t*k+j], data.Shape[j])
				if err != nil {
					return nil, err
				}
				off += p * st[j]
			}
			pos[t] = off
		}
		out, err := scatterApply(data, upd, pos, Size(data.Shape[k:]), red)
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	}), nil
}

// scatterApply returns a copy of data in which block i of n elements at
// offset pos[i] is replaced by (or combined with) block i of upd.
func scatterApply(data, upd *Tensor, pos []int, n int, red string) (*Tensor, error) {
	out, err := mvNew(data.DType, data.Shape)
	if err != nil {
		return nil, err
	}
	if red == "none" {
		f, err := mvPick(data.DType, scatterCopyT[uint8], scatterCopyT[uint16], scatterCopyT[uint32], scatterCopyT[uint64],
			scatterCopyT[[2]uint32], scatterCopyT[[2]uint64], scatterCopyT[string])
		if err != nil {
			return nil, err
		}
		f(out.Data, data.Data, upd.Data, pos, n)
		return out, nil
	}
	switch d := out.Data.(type) {
	case []float32:
		scatterReduceT(d, data.Data.([]float32), upd.Data.([]float32), pos, n, red)
	case []float64:
		scatterReduceT(d, data.Data.([]float64), upd.Data.([]float64), pos, n, red)
	case []int8:
		scatterReduceT(d, data.Data.([]int8), upd.Data.([]int8), pos, n, red)
	case []int16:
		scatterReduceT(d, data.Data.([]int16), upd.Data.([]int16), pos, n, red)
	case []int32:
		scatterReduceT(d, data.Data.([]int32), upd.Data.([]int32), pos, n, red)
	case []int64:
		scatterReduceT(d, data.Data.([]int64), upd.Data.([]int64), pos, n, red)
	case []uint8:
		scatterReduceT(d, data.Data.([]uint8), upd.Data.([]uint8), pos, n, red)
	case []uint16:
		scatterReduceT(d, data.Data.([]uint16), upd.Data.([]uint16), pos, n, red)
	case []uint32:
		scatterReduceT(d, data.Data.([]uint32), upd.Data.([]uint32), pos, n, red)
	case []uint64:
		scatterReduceT(d, data.Data.([]uint64), upd.Data.([]uint64), pos, n, red)
	default:
		if data.DType != graph.Float16 && data.DType != graph.BFloat16 {
			return nil, fmt.Errorf("reduction %q is not defined for %s", red, data.DType)
		}
		x, err := ToFloat32s(data)
		if err != nil {
			return nil, err
		}
		u, err := ToFloat32s(upd)
		if err != nil {
			return nil, err
		}
		o := make([]float32, len(x))
		scatterReduceT(o, x, u, pos, n, red)
		return FromFloat32s(data.DType, append([]int{}, data.Shape...), o)
	}
	return out, nil
}

func scatterCopyT[W mvWord](dstAny, srcAny, updAny any, pos []int, n int) {
	dst, src, upd := mvView[W](dstAny), mvView[W](srcAny), mvView[W](updAny)
	copy(dst, src)
	for i, p := range pos {
		copy(dst[p:p+n], upd[i*n:(i+1)*n])
	}
}

type scatterNum interface {
	int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32 | float64
}

func scatterReduceT[T scatterNum](dst, src, upd []T, pos []int, n int, red string) {
	copy(dst, src)
	for i, p := range pos {
		d, u := dst[p:p+n], upd[i*n:(i+1)*n]
		switch red {
		case "add":
			for j := range d {
				d[j] += u[j]
			}
		case "mul":
			for j := range d {
				d[j] *= u[j]
			}
		case "max":
			for j := range d {
				d[j] = max(d[j], u[j])
			}
		case "min":
			for j := range d {
				d[j] = min(d[j], u[j])
			}
		}
	}
}

// scatterElementsNone is ScatterElements without reduction. It writes into
// data itself when data dies at this node, else into a copy from the
// run's buffers, and walks the indices row by row without listing every
// element's offset: a row of equal indices (an index broadcast along the
// last axis, as Mask R-CNN's level merge makes them) is one copy. Updates
// land in the indices' order, so a repeated position keeps the last.
func scatterElementsNone(rc *RunContext, data, idx, upd *Tensor, axis int64) (*Tensor, error) {
	const what = "input 1 (indices)"
	r := data.Rank()
	if r < 1 {
		return nil, fmt.Errorf("input 0 (data) %s: want rank >= 1", data)
	}
	ax, err := NormAxis(axis, r)
	if err != nil {
		return nil, fmt.Errorf("input 0 (data) %s: %w", data, err)
	}
	if idx.Rank() != r {
		return nil, fmt.Errorf("%s %s and input 0 (data) %s differ in rank", what, idx, data)
	}
	for d := range idx.Shape {
		if d != ax && idx.Shape[d] > data.Shape[d] {
			return nil, fmt.Errorf("%s %s exceeds input 0 (data) %s in dim %d", what, idx, data, d)
		}
	}
	ind, err := mvIndices(idx, what)
	if err != nil {
		return nil, err
	}
	f, err := mvPick(data.DType, scatterRowsT[uint8], scatterRowsT[uint16], scatterRowsT[uint32], scatterRowsT[uint64],
		scatterRowsT[[2]uint32], scatterRowsT[[2]uint64], scatterRowsT[string])
	if err != nil {
		return nil, err
	}
	var out *Tensor
	if rc.canOverwrite(0) {
		out = &Tensor{DType: data.DType, Shape: slices.Clone(data.Shape), Data: data.Data}
	} else {
		if out, err = fullBuffer(rc, data.DType, data.Shape); err != nil {
			return nil, err
		}
		cp, err := mvPick(data.DType, copyWords[uint8], copyWords[uint16], copyWords[uint32], copyWords[uint64],
			copyWords[[2]uint32], copyWords[[2]uint64], copyWords[string])
		if err != nil {
			return nil, err
		}
		cp(out.Data, data.Data)
	}
	if err := f(out.Data, upd.Data, ind, data.Shape, idx.Shape, ax, what); err != nil {
		return nil, err
	}
	return out, nil
}

// scatterRowsT writes upd into dst (of shape dshape) where ind (of shape
// ishape, the shape of upd too) says along axis ax. It goes block by
// block: a block is the run of ind's elements after the axis that is
// contiguous in dst too (the dims after it are data's). A block of equal
// indices is one copy.
func scatterRowsT[W mvWord](dstAny, updAny any, ind []int64, dshape, ishape []int, ax int, what string) error {
	dst, upd := mvView[W](dstAny), mvView[W](updAny)
	if len(ind) == 0 {
		return nil
	}
	r := len(dshape)
	st := Strides(dshape)
	dim, sax := dshape[ax], st[ax]
	// Blocks span ishape[k:].
	k := r - 1
	for k-1 > ax && ishape[k] == dshape[k] {
		k--
	}
	n := Size(ishape[k:])
	coord := make([]int, k)
	base := 0 // offset in dst of the block's coordinates, without the axis term
	for blk := 0; blk*n < len(ind); blk++ {
		is, us := ind[blk*n:(blk+1)*n], upd[blk*n:(blk+1)*n]
		if ax == r-1 {
			for j, v := range is {
				p, err := mvNormIndex(what, blk*n+j, v, dim)
				if err != nil {
					return err
				}
				dst[base+p] = us[j]
			}
		} else if allEqual(is) {
			p, err := mvNormIndex(what, blk*n, is[0], dim)
			if err != nil {
				return err
			}
			copy(dst[base+p*sax:base+p*sax+n], us)
		} else {
			for j, v := range is {
				p, err := mvNormIndex(what, blk*n+j, v, dim)
				if err != nil {
					return err
				}
				dst[base+p*sax+j] = us[j]
			}
		}
		for d := k - 1; d >= 0; d-- {
			coord[d]++
			if d != ax {
				base += st[d]
			}
			if coord[d] < ishape[d] {
				break
			}
			if d != ax {
				base -= coord[d] * st[d]
			}
			coord[d] = 0
		}
	}
	return nil
}

// allEqual reports whether every element of v equals the first.
func allEqual(v []int64) bool {
	if len(v) == 0 {
		return true
	}
	x0 := v[0]
	i := 0
	for ; i+8 <= len(v); i += 8 {
		w := v[i : i+8 : i+8]
		if (w[0]^x0)|(w[1]^x0)|(w[2]^x0)|(w[3]^x0)|(w[4]^x0)|(w[5]^x0)|(w[6]^x0)|(w[7]^x0) != 0 {
			return false
		}
	}
	for ; i < len(v); i++ {
		if v[i] != x0 {
			return false
		}
	}
	return true
}

// copyWords copies the elements of src into dst (typed slices of one
// element width).
func copyWords[W mvWord](dst, src any) {
	copy(mvView[W](dst), mvView[W](src))
}
