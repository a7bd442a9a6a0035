package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/x448/float16"
)

func init() {
	Register(Spec{Op: "NonZero", Since: 9}, func(*Build) (Kernel, error) { return KernelFunc(nonZero), nil })
}

// nonZeroMask reports for each element of t whether it is not zero (for
// strings: not empty; NaN counts as non-zero, -0 as zero).
func nonZeroMask(t *Tensor) ([]bool, error) {
	switch d := t.Data.(type) {
	case []bool:
		return d, nil
	case []float32:
		return nzT(d), nil
	case []float64:
		return nzT(d), nil
	case []int8:
		return nzT(d), nil
	case []int16:
		return nzT(d), nil
	case []int32:
		return nzT(d), nil
	case []int64:
		return nzT(d), nil
	case []uint8:
		return nzT(d), nil
	case []uint16:
		return nzT(d), nil
	case []uint32:
		return nzT(d), nil
	case []uint64:
		return nzT(d), nil
	case []string:
		return nzT(d), nil
	case []complex64:
		return nzT(d), nil
	case []complex128:
		return nzT(d), nil
	case []float16.Float16:
		m := make([]bool, len(d))
		for i, v := range d {
			m[i] = v.Bits()&0x7fff != 0
		}
		return m, nil
	case []graph.BFloat16Value:
		m := make([]bool, len(d))
		for i, v := range d {
			m[i] = v&0x7fff != 0
		}
		return m, nil
	}
	return nil, fmt.Errorf("input 0 %s: element type is not supported", t)
}

func nzT[T comparable](d []T) []bool {
	var zero T
	m := make([]bool, len(d))
	for i, v := range d {
		m[i] = v != zero
	}
	return m
}

func nonZero(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	m, err := nonZeroMask(x)
	if err != nil {
		return nil, err
	}
	shape := x.Shape
	if len(shape) == 0 {
		shape = []int{1} // a scalar counts as one element of a 1-D tensor
	}
	nnz := 0
	for _, v := range m {
		if v {
			nnz++
		}
	}
	r := len(shape)
	if err := rc.CheckAlloc(graph.Int64, []int{r, nnz}); err != nil {
		return nil, err
	}
	out := make([]int64, r*nnz)
	coord := make([]int, r)
	k := 0
	for _, v := range m {
		if v {
			for d := 0; d < r; d++ {
				out[d*nnz+k] = int64(coord[d])
			}
			k++
		}
		for d := r - 1; d >= 0; d-- {
			coord[d]++
			if coord[d] < shape[d] {
				break
			}
			coord[d] = 0
		}
	}
	return []Value{New([]int{r, nnz}, out)}, nil
}
