//go:build amd64 && !noasm

package gemm

// tileKernel is the tileFunc SgemmPackedB uses: AVX2+FMA where the CPU
// has them.
var tileKernel = selectTile()

func selectTile() tileFunc {
	if hasAVX2 {
		return tileAVX2
	}
	return tileGo
}

// tileKernels returns every tileFunc this CPU runs, the chosen one first.
func tileKernels() []tileFunc {
	if hasAVX2 {
		return []tileFunc{tileAVX2, tileGo}
	}
	return []tileFunc{tileGo}
}

func tileAVX2(r, k int, b []float32, ldb int, a []float32, lda int, out *[16]float32) {
	_, _ = b[3*ldb+k-1], a[(r-1)*lda+k-1]
	if r == 1 {
		sdotTile1x4(k, &b[0], ldb, &a[0], lda, &out[0])
	} else {
		sdotTile2x4(k, &b[0], ldb, &a[0], lda, &out[0])
	}
}
