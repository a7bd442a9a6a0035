package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register(Spec{Op: "Constant", Since: 1, Until: 10}, newConstant)
	Register(Spec{Op: "Constant", Since: 11, Until: 11}, newConstant)
	Register(Spec{Op: "Constant", Since: 12}, newConstant)
	Register(Spec{Op: "ConstantOfShape", Since: 9}, newConstantOfShape)
	Register(Spec{Op: "EyeLike", Since: 9}, newEyeLike)
}

func newConstant(b *Build) (Kernel, error) {
	since := b.Spec.Since
	allowed := map[string]int64{"value": 1, "sparse_value": 11, "value_float": 12, "value_floats": 12,
		"value_int": 12, "value_ints": 12, "value_string": 12, "value_strings": 12}
	var set []*graph.Attr
	for _, a := range b.Node.Attrs {
		v, ok := allowed[a.Name]
		if !ok {
			return nil, b.Errorf("unknown attribute %q", a.Name)
		}
		if since < v {
			return nil, b.Errorf("attribute %s needs opset %d", a.Name, v)
		}
		set = append(set, a)
	}
	if len(set) != 1 {
		return nil, b.Errorf("want exactly one value attribute, got %d", len(set))
	}
	a := set[0]
	var t *Tensor
	var err error
	switch a.Name {
	case "value":
		if a.Type != graph.AttrTensor || a.T == nil {
			return nil, b.Errorf("attribute value is %s, want TENSOR", a.Type)
		}
		t, err = FromGraph(a.T)
	case "sparse_value":
		if a.Type != graph.AttrSparseTensor || a.Sparse == nil {
			return nil, b.Errorf("attribute sparse_value is %s, want SPARSE_TENSOR", a.Type)
		}
		t, err = DensifySparse(a.Sparse)
	case "value_float":
		var v float32
		if v, err = b.Node.AttrFloat(a.Name, 0); err == nil {
			t = Scalar(v)
		}
	case "value_floats":
		var v []float32
		if v, err = b.Node.AttrFloats(a.Name, nil); err == nil {
			t = New([]int{len(v)}, append([]float32{}, v...))
		}
	case "value_int":
		var v int64
		if v, err = b.Node.AttrInt(a.Name, 0); err == nil {
			t = Scalar(v)
		}
	case "value_ints":
		var v []int64
		if v, err = b.Node.AttrInts(a.Name, nil); err == nil {
			t = New([]int{len(v)}, append([]int64{}, v...))
		}
	case "value_string":
		var v string
		if v, err = b.Node.AttrString(a.Name, ""); err == nil {
			t = Scalar(v)
		}
	case "value_strings":
		var v []string
		if v, err = b.Node.AttrStrings(a.Name, nil); err == nil {
			t = New([]int{len(v)}, v)
		}
	}
	if err != nil {
		return nil, b.Errorf("attribute %s: %v", a.Name, err)
	}
	return KernelFunc(func(*RunContext, []Value) ([]Value, error) { return []Value{t}, nil }), nil
}

// DensifySparse makes the dense tensor a SparseTensor describes: zeros
// except at its indices (an [NNZ] tensor of linear indices or an [NNZ, rank]
// tensor of coordinates), which take its values.
func DensifySparse(s *graph.SparseTensor) (*Tensor, error) {
	if s.Values == nil || s.Indices == nil {
		return nil, fmt.Errorf("sparse tensor without values or indices")
	}
	vals, err := FromGraph(s.Values)
	if err != nil {
		return nil, err
	}
	idxT, err := FromGraph(s.Indices)
	if err != nil {
		return nil, err
	}
	shape := make([]int, len(s.Dims))
	for i, d := range s.Dims {
		if d < 0 || d > MaxElements {
			return nil, fmt.Errorf("sparse tensor dims %v are out of range", s.Dims)
		}
		shape[i] = int(d)
	}
	n, err := mvCheckShape("sparse tensor", shape)
	if err != nil {
		return nil, err
	}
	if vals.Rank() != 1 {
		return nil, fmt.Errorf("sparse tensor values %s: want a 1-D tensor", vals)
	}
	nnz := vals.Shape[0]
	ind, err := ToInt64s(idxT)
	if err != nil {
		return nil, fmt.Errorf("sparse tensor indices: %w", err)
	}
	pos := make([]int, nnz)
	switch {
	case idxT.Rank() == 1 && idxT.Shape[0] == nnz:
		for i, v := range ind {
			if v < 0 || v >= int64(n) {
				return nil, fmt.Errorf("sparse tensor index %d at position %d is out of range [0, %d)", v, i, n)
			}
			pos[i] = int(v)
		}
	case idxT.Rank() == 2 && idxT.Shape[0] == nnz && idxT.Shape[1] == len(shape):
		st := Strides(shape)
		r := len(shape)
		for i := range pos {
			for j := 0; j < r; j++ {
				v := ind[i*r+j]
				if v < 0 || v >= int64(shape[j]) {
					return nil, fmt.Errorf("sparse tensor coordinate %d (position %d, axis %d) is out of range [0, %d)", v, i, j, shape[j])
				}
				pos[i] += int(v) * st[j]
			}
		}
	default:
		return nil, fmt.Errorf("sparse tensor indices %s do not fit %d values of shape %v", idxT, nnz, shape)
	}
	out, err := mvNew(vals.DType, shape)
	if err != nil {
		return nil, err
	}
	f, err := mvPick(vals.DType, scatterCopyT[uint8], scatterCopyT[uint16], scatterCopyT[uint32], scatterCopyT[uint64],
		scatterCopyT[[2]uint32], scatterCopyT[[2]uint64], scatterCopyT[string])
	if err != nil {
		return nil, err
	}
	f(out.Data, out.Data, vals.Data, pos, 1)
	return out, nil
}

func newConstantOfShape(b *Build) (Kernel, error) {
	value := Scalar(float32(0))
	gt, err := b.Node.AttrTensor("value")
	if err != nil {
		return nil, err
	}
	if gt != nil {
		if value, err = FromGraph(gt); err != nil {
			return nil, b.Errorf("attribute value: %v", err)
		}
		if value.Len() != 1 {
			return nil, b.Errorf("attribute value %s: want one element", value)
		}
	}
	return KernelFunc(func(rc *RunContext, in []Value) ([]Value, error) {
		s, err := mvInt64sRequired(in, 0, "input")
		if err != nil {
			return nil, err
		}
		if err := rc.checkDims(value.DType, s); err != nil {
			return nil, err
		}
		shape := make([]int, len(s))
		for i, d := range s {
			if d < 0 || d > MaxElements {
				return nil, fmt.Errorf("input 0 (input) %v: dim %d is out of range [0, %d]", s, d, int64(MaxElements))
			}
			shape[i] = int(d)
		}
		if _, err := mvCheckShape("input 0 (input)", shape); err != nil {
			return nil, err
		}
		out, err := mvNew(value.DType, shape)
		if err != nil {
			return nil, err
		}
		if err := mvFill(value.DType, out.Data, value.Data); err != nil {
			return nil, err
		}
		return []Value{out}, nil
	}), nil
}

func newEyeLike(b *Build) (Kernel, error) {
	dt, err := b.Node.AttrInt("dtype", 0)
	if err != nil {
		return nil, err
	}
	if b.Node.HasAttr("dtype") {
		if mvWidth(graph.DType(dt)) == 0 || graph.DType(dt) == graph.String {
			return nil, b.Errorf("dtype %s is not supported", graph.DType(dt))
		}
	}
	k, err := b.Node.AttrInt("k", 0)
	if err != nil {
		return nil, err
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		if x.Rank() != 2 {
			return nil, fmt.Errorf("input 0 %s: want a 2-D tensor", x)
		}
		odt := x.DType
		if dt != 0 {
			odt = graph.DType(dt)
		}
		one, err := mvScalarOf(odt, 1)
		if err != nil || odt == graph.String {
			return nil, fmt.Errorf("output type %s is not supported", odt)
		}
		out, err := mvNew(odt, x.Shape)
		if err != nil {
			return nil, err
		}
		rows, cols := x.Shape[0], x.Shape[1]
		var pos []int
		for i := 0; i < rows; i++ {
			j := int64(i) + k
			if j >= 0 && j < int64(cols) {
				pos = append(pos, i*cols+int(j))
			}
		}
		f, err := mvPick(odt, eyeT[uint8], eyeT[uint16], eyeT[uint32], eyeT[uint64],
			eyeT[[2]uint32], eyeT[[2]uint64], eyeT[string])
		if err != nil {
			return nil, err
		}
		f(out.Data, one, pos)
		return []Value{out}, nil
	}), nil
}

func eyeT[W mvWord](dstAny, oneAny any, pos []int) {
	dst, one := mvView[W](dstAny), mvView[W](oneAny)[0]
	for _, p := range pos {
		dst[p] = one
	}
}
