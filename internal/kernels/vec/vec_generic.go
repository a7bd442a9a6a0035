//go:build !amd64 || noasm

package vec

// hasAsm reports whether the AVX kernels run here.
const hasAsm = false

func vvAsm(op Op, dst, x, y []float32, n int)         { vvGo(op, dst[:n], x, y) }
func vsAsm(op Op, dst, x []float32, s float32, n int) { vsGo(op, dst[:n], x, s) }
func svAsm(op Op, dst []float32, s float32, y []float32, n int) {
	svGo(op, dst[:n], s, y)
}
func affineAsm(dst, x []float32, a, b float32, n int)  { affineGo(dst[:n], x, a, b) }
func clampAsm(dst, x []float32, lo, hi float32, n int) { clampGo(dst[:n], x, lo, hi) }
func transpose8Asm(dst []uint32, ldd int, src []uint32, lds, nb int) {
	for b := 0; b < nb; b++ {
		transposeGo(dst[8*b*ldd:], ldd, src[8*b:], lds, 8, 0, 8)
	}
}
