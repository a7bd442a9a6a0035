package ops

import (
	"fmt"
)

func init() {
	Register(Spec{Op: "Gather", Since: 1, Until: 10}, newGather)
	Register(Spec{Op: "Gather", Since: 11, Until: 12}, newGather)
	Register(Spec{Op: "Gather", Since: 13}, newGather)
	Register(Spec{Op: "GatherElements", Since: 11, Until: 12}, newGatherElements)
	Register(Spec{Op: "GatherElements", Since: 13}, newGatherElements)
	Register(Spec{Op: "GatherND", Since: 11, Until: 11}, newGatherND)
	Register(Spec{Op: "GatherND", Since: 12, Until: 12}, newGatherND)
	Register(Spec{Op: "GatherND", Since: 13}, newGatherND)
}

func newGather(b *Build) (Kernel, error) {
	axis, err := b.Node.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		data, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		idx, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		out, err := GatherTensor(data, idx, axis)
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	}), nil
}

// GatherTensor is ONNX Gather: it takes the entries of data's axis named by
// idx (int32 or int64, negative counting from the end).
func GatherTensor(data, idx *Tensor, axis int64) (*Tensor, error) {
	if data.Rank() < 1 {
		return nil, fmt.Errorf("input 0 (data) %s: want rank >= 1", data)
	}
	ax, err := NormAxis(axis, data.Rank())
	if err != nil {
		return nil, fmt.Errorf("input 0 (data) %s: %w", data, err)
	}
	ind, err := mvIndices(idx, "input 1 (indices)")
	if err != nil {
		return nil, err
	}
	dim := data.Shape[ax]
	pos := make([]int, len(ind))
	for i, v := range ind {
		if pos[i], err = mvNormIndex("input 1 (indices)", i, v, dim); err != nil {
			return nil, err
		}
	}
	shape := append(append(append([]int{}, data.Shape[:ax]...), idx.Shape...), data.Shape[ax+1:]...)
	if _, err := mvCheckShape("output", shape); err != nil {
		return nil, err
	}
	outer, inner := Size(data.Shape[:ax]), Size(data.Shape[ax+1:])
	if outer == 1 && len(pos) > 0 && mvConsecutive(pos) {
		// One contiguous run of the input: share it.
		return &Tensor{DType: data.DType, Shape: shape, Data: mvSub(data, pos[0]*inner, (pos[0]+len(pos))*inner)}, nil
	}
	out, err := mvNew(data.DType, shape)
	if err != nil {
		return nil, err
	}
	f, err := mvPick(data.DType, gatherT[uint8], gatherT[uint16], gatherT[uint32], gatherT[uint64],
		gatherT[[2]uint32], gatherT[[2]uint64], gatherT[string])
	if err != nil {
		return nil, err
	}
	f(out.Data, data.Data, pos, outer, dim, inner)
	return out, nil
}

// mvConsecutive reports whether pos is p, p+1, p+2, ...
func mvConsecutive(pos []int) bool {
	for i := 1; i < len(pos); i++ {
		if pos[i] != pos[0]+i {
			return false
		}
	}
	return true
}

func gatherT[W mvWord](dstAny, srcAny any, pos []int, outer, dim, inner int) {
	dst, src := mvView[W](dstAny), mvView[W](srcAny)
	o := 0
	for b := 0; b < outer; b++ {
		base := b * dim * inner
		if inner == 1 {
			for _, p := range pos {
				dst[o] = src[base+p]
				o++
			}
			continue
		}
		for _, p := range pos {
			copy(dst[o:o+inner], src[base+p*inner:base+(p+1)*inner])
			o += inner
		}
	}
}

func newGatherElements(b *Build) (Kernel, error) {
	axis, err := b.Node.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		data, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		idx, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		src, err := elementsOffsets(data, idx, axis, "input 1 (indices)")
		if err != nil {
			return nil, err
		}
		out, err := mvNew(data.DType, idx.Shape)
		if err != nil {
			return nil, err
		}
		f, err := mvPick(data.DType, takeT[uint8], takeT[uint16], takeT[uint32], takeT[uint64],
			takeT[[2]uint32], takeT[[2]uint64], takeT[string])
		if err != nil {
			return nil, err
		}
		f(out.Data, data.Data, src)
		return []Value{out}, nil
	}), nil
}

// elementsOffsets maps every entry of idx (GatherElements, ScatterElements)
// to the flat offset in data it addresses: the index replaces the entry's
// own coordinate along axis.
func elementsOffsets(data, idx *Tensor, axis int64, what string) ([]int, error) {
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
	st := Strides(data.Shape)
	dim := data.Shape[ax]
	out := make([]int, len(ind))
	coord := make([]int, r)
	off := 0 // offset in data of coord, without the axis term
	for i, v := range ind {
		p, err := mvNormIndex(what, i, v, dim)
		if err != nil {
			return nil, err
		}
		out[i] = off + p*st[ax]
		for d := r - 1; d >= 0; d-- {
			coord[d]++
			if d != ax {
				off += st[d]
			}
			if coord[d] < idx.Shape[d] {
				break
			}
			if d != ax {
				off -= st[d] * coord[d]
			}
			coord[d] = 0
		}
	}
	return out, nil
}

func takeT[W mvWord](dstAny, srcAny any, pos []int) {
	dst, src := mvView[W](dstAny), mvView[W](srcAny)
	for i, p := range pos {
		dst[i] = src[p]
	}
}

func newGatherND(b *Build) (Kernel, error) {
	bd, err := b.Node.AttrInt("batch_dims", 0)
	if err != nil {
		return nil, err
	}
	if bd != 0 && b.Spec.Since < 12 {
		return nil, b.Errorf("attribute batch_dims needs opset 12")
	}
	if bd < 0 {
		return nil, b.Errorf("batch_dims %d is negative", bd)
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		data, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		idx, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		return gatherND(data, idx, int(bd))
	}), nil
}

func gatherND(data, idx *Tensor, bd int) ([]Value, error) {
	const what = "input 1 (indices)"
	r, q := data.Rank(), idx.Rank()
	if r < 1 || q < 1 {
		return nil, fmt.Errorf("input 0 (data) %s and %s %s: want ranks >= 1", data, what, idx)
	}
	if bd >= min(r, q) {
		return nil, fmt.Errorf("batch_dims %d must be less than the ranks of data %s and indices %s", bd, data, idx)
	}
	for d := 0; d < bd; d++ {
		if data.Shape[d] != idx.Shape[d] {
			return nil, fmt.Errorf("batch dim %d differs: data %s, indices %s", d, data, idx)
		}
	}
	k := idx.Shape[q-1]
	if k < 1 || k > r-bd {
		return nil, fmt.Errorf("%s %s: last dim %d must be in [1, %d]", what, idx, k, r-bd)
	}
	ind, err := mvIndices(idx, what)
	if err != nil {
		return nil, err
	}
	shape := append(append([]int{}, idx.Shape[:q-1]...), data.Shape[bd+k:]...)
	if _, err := mvCheckShape("output", shape); err != nil {
		return nil, err
	}
	out, err := mvNew(data.DType, shape)
	if err != nil {
		return nil, err
	}
	inner := Size(data.Shape[bd+k:])
	batches := Size(data.Shape[:bd])
	batchLen := Size(data.Shape[bd:])
	perBatch := 0 // index tuples per batch
	if batches > 0 {
		perBatch = len(ind) / k / batches
	}
	st := Strides(data.Shape)
	src := make([]int, len(ind)/k) // offset of each gathered block
	for t := range src {
		off := (t / max(perBatch, 1)) * batchLen
		for j := 0; j < k; j++ {
			p, err := mvNormIndex(what, t*k+j, ind[t*k+j], data.Shape[bd+j])
			if err != nil {
				return nil, err
			}
			off += p * st[bd+j]
		}
		src[t] = off
	}
	f, err := mvPick(data.DType, blocksT[uint8], blocksT[uint16], blocksT[uint32], blocksT[uint64],
		blocksT[[2]uint32], blocksT[[2]uint64], blocksT[string])
	if err != nil {
		return nil, err
	}
	f(out.Data, data.Data, src, inner)
	return []Value{out}, nil
}

// blocksT copies block i of length n from src[pos[i]:] to dst[i*n:].
func blocksT[W mvWord](dstAny, srcAny any, pos []int, n int) {
	dst, src := mvView[W](dstAny), mvView[W](srcAny)
	for i, p := range pos {
		copy(dst[i*n:(i+1)*n], src[p:p+n])
	}
}
