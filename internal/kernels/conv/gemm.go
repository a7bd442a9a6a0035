package conv

import "github.com/onnxrun/onnxrun/internal/gemm"

// Num is the set of element types the convolution kernels compute in.
// Integer convolutions (ConvInteger, QLinearConv) accumulate in int32.
type Num interface {
	float32 | float64 | int32
}

// gemmAcc computes C += op(A)·B for row-major matrices: op(A) is m×k (A is
// k×m when transA), B is k×n, C is m×n. float32 goes through the shared
// packed SGEMM on the calling goroutine (the convolution splits work across
// threads itself); the other types use a plain cache-friendly loop.
func gemmAcc[T Num](transA bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	switch av := any(a).(type) {
	case []float32:
		gemm.SgemmThreads(1, transA, false, m, n, k, 1, av, lda, any(b).([]float32), ldb, 1, any(c).([]float32), ldc)
		return
	}
	for i := 0; i < m; i++ {
		crow := c[i*ldc : i*ldc+n]
		for p := 0; p < k; p++ {
			var av T
			if transA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			if av == 0 {
				continue
			}
			brow := b[p*ldb : p*ldb+n]
			for j, bv := range brow {
				crow[j] += av * bv
			}
		}
	}
}
