package ops

import (
	"fmt"
	"unsafe"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register(Spec{Op: "TensorScatter", Since: 24}, newTensorScatter)
	Register(Spec{Op: "BitCast", Since: 26}, newBitCast)
}

func newTensorScatter(b *Build) (Kernel, error) {
	axis, err := b.Node.AttrInt("axis", -2)
	if err != nil {
		return nil, err
	}
	mode, err := b.Node.AttrString("mode", "linear")
	if err != nil {
		return nil, err
	}
	if mode != "linear" && mode != "circular" {
		return nil, b.Errorf("unknown mode %q", mode)
	}
	circular := mode == "circular"
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		past, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		upd, err := TensorInput(in, 1)
		if err != nil {
			return nil, err
		}
		r := past.Rank()
		ax, err := NormAxis(axis, r)
		if err != nil {
			return nil, fmt.Errorf("input 0 (past_cache) %s: %w", past, err)
		}
		if ax == 0 {
			return nil, fmt.Errorf("axis %d is the batch dim", axis)
		}
		if upd.DType != past.DType || upd.Rank() != r {
			return nil, fmt.Errorf("input 1 (update) %s does not match input 0 (past_cache) %s", upd, past)
		}
		for d := range past.Shape {
			if d != ax && upd.Shape[d] != past.Shape[d] || d == ax && upd.Shape[d] > past.Shape[d] {
				return nil, fmt.Errorf("input 1 (update) %s does not fit input 0 (past_cache) %s", upd, past)
			}
		}
		batch, maxSeq, seq := past.Shape[0], past.Shape[ax], upd.Shape[ax]
		write := make([]int64, batch)
		if wt, err := OptTensor(in, 2); err != nil {
			return nil, err
		} else if wt != nil {
			w, err := ToInt64s(wt)
			if err != nil || wt.Rank() != 1 || len(w) != batch {
				return nil, fmt.Errorf("input 2 (write_indices) %s: want %d integers", wt, batch)
			}
			write = w
		}
		for i, w := range write {
			if circular {
				if maxSeq > 0 {
					write[i] = ((w % int64(maxSeq)) + int64(maxSeq)) % int64(maxSeq)
				}
				continue
			}
			if w < 0 || w > int64(maxSeq-seq) {
				return nil, fmt.Errorf("input 2 (write_indices): index %d at position %d is out of range [0, %d] for %d updates in %d slots", w, i, maxSeq-seq, seq, maxSeq)
			}
		}
		out, err := mvNew(past.DType, past.Shape)
		if err != nil {
			return nil, err
		}
		prefix := Size(past.Shape[:ax])
		perBatch := Size(past.Shape[1:ax])
		inner := Size(past.Shape[ax+1:])
		var at, pos []int
		for p := 0; p < prefix && maxSeq > 0; p++ {
			w := int(write[p/max(perBatch, 1)])
			for s := 0; s < seq; s++ {
				at = append(at, (p*maxSeq+(w+s)%maxSeq)*inner)
				pos = append(pos, (p*seq+s)*inner)
			}
		}
		f, err := mvPick(past.DType, tensorScatterT[uint8], tensorScatterT[uint16], tensorScatterT[uint32], tensorScatterT[uint64],
			tensorScatterT[[2]uint32], tensorScatterT[[2]uint64], tensorScatterT[string])
		if err != nil {
			return nil, err
		}
		f(out.Data, past.Data, upd.Data, at, pos, inner)
		return []Value{out}, nil
	}), nil
}

func tensorScatterT[W mvWord](dstAny, pastAny, updAny any, at, pos []int, n int) {
	dst, past, upd := mvView[W](dstAny), mvView[W](pastAny), mvView[W](updAny)
	copy(dst, past)
	for i, p := range pos {
		copy(dst[at[i]:at[i]+n], upd[p:p+n])
	}
}

func newBitCast(b *Build) (Kernel, error) {
	to, err := b.Node.AttrInt("to", 0)
	if err != nil {
		return nil, err
	}
	dt := graph.DType(to)
	if !b.Node.HasAttr("to") || dt == graph.String || mvWidth(dt) == 0 {
		return nil, b.Errorf("attribute to (%s) must name a supported non-string type", dt)
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		if x.DType == graph.String || mvWidth(x.DType) == 0 {
			return nil, fmt.Errorf("input 0 %s: element type cannot be bitcast", x)
		}
		if x.DType.Size() != dt.Size() {
			return nil, fmt.Errorf("input 0 %s: %d-byte elements cannot be bitcast to %d-byte %s", x, x.DType.Size(), dt.Size(), dt)
		}
		out, err := mvNew(dt, x.Shape)
		if err != nil {
			return nil, err
		}
		dst, src := mvBytes(out), mvBytes(x)
		copy(dst, src)
		if dt == graph.Bool {
			for i, v := range dst {
				if v != 0 {
					dst[i] = 1 // a Go bool must hold 0 or 1
				}
			}
		}
		return []Value{out}, nil
	}), nil
}

// mvBytes views the data of a tensor of a fixed-size element type as bytes.
func mvBytes(t *Tensor) []byte {
	n := t.Len() * t.DType.Size()
	if n == 0 {
		return nil
	}
	p := mvDataPointer(t)
	return unsafe.Slice((*byte)(p), n)
}

func mvDataPointer(t *Tensor) unsafe.Pointer {
	f, err := mvPick(t.DType, mvPtrT[uint8], mvPtrT[uint16], mvPtrT[uint32], mvPtrT[uint64],
		mvPtrT[[2]uint32], mvPtrT[[2]uint64], mvPtrT[string])
	if err != nil {
		panic(err)
	}
	return f(t.Data)
}

func mvPtrT[W mvWord](data any) unsafe.Pointer {
	return unsafe.Pointer(unsafe.SliceData(mvView[W](data)))
}
