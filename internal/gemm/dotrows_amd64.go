//go:build amd64 && !noasm

package gemm

// rowsKernel is the rowsFunc SgemmPackedB uses: AVX2+FMA where the CPU
// has them.
var rowsKernel = selectRows()

func selectRows() rowsFunc {
	if hasAVX2 {
		return rowsAVX2
	}
	return rowsGo
}

// rowsKernels returns every rowsFunc this CPU runs, the chosen one first.
func rowsKernels() []rowsFunc {
	if hasAVX2 {
		return []rowsFunc{rowsAVX2, rowsGo}
	}
	return []rowsFunc{rowsGo}
}

func rowsAVX2(r, k int, b, a []float32, lda int, out *[4]float32) {
	_, _ = b[k-1], a[(r-1)*lda+k-1]
	switch r {
	case 1:
		sdotRows1(k, &b[0], &a[0], lda, &out[0])
	case 2:
		sdotRows2(k, &b[0], &a[0], lda, &out[0])
	case 3:
		sdotRows3(k, &b[0], &a[0], lda, &out[0])
	default:
		sdotRows4(k, &b[0], &a[0], lda, &out[0])
	}
}
