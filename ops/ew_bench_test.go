package ops

import (
	"math/rand"
	"testing"
)

func randTensor(shape ...int) *Tensor {
	v := make([]float32, Size(shape))
	for i := range v {
		v[i] = rand.Float32()*2 - 1
	}
	return New(shape, v)
}

func benchKernel(b *testing.B, op string, opset int64, inputs ...*Tensor) {
	b.Helper()
	for i := 0; i < b.N; i++ {
		if _, err := runOne(op, opset, nil, 1, inputs...); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddSame(b *testing.B) {
	benchKernel(b, "Add", 14, randTensor(1, 64, 56, 56), randTensor(1, 64, 56, 56))
}
func BenchmarkAddBias(b *testing.B) {
	benchKernel(b, "Add", 14, randTensor(1, 64, 56, 56), randTensor(64, 1, 1))
}
func BenchmarkAddRowBias(b *testing.B) {
	benchKernel(b, "Add", 14, randTensor(128, 768), randTensor(768))
}
func BenchmarkRelu(b *testing.B)    { benchKernel(b, "Relu", 14, randTensor(1, 64, 56, 56)) }
func BenchmarkSigmoid(b *testing.B) { benchKernel(b, "Sigmoid", 13, randTensor(1, 64, 56, 56)) }
func BenchmarkSoftmax(b *testing.B) { benchKernel(b, "Softmax", 13, randTensor(12, 128, 128)) }
func BenchmarkReduceMean(b *testing.B) {
	benchKernel(b, "ReduceMean", 13, randTensor(128, 768))
}
func BenchmarkMatMulBatched(b *testing.B) {
	benchKernel(b, "MatMul", 13, randTensor(12, 128, 64), randTensor(12, 64, 128))
}
