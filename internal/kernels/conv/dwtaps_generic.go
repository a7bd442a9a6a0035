//go:build !amd64 || noasm

package conv

// hasDWAsm reports whether the AVX2+FMA depthwise kernel runs here.
const hasDWAsm = false

// tapsF32 sets dst[i] = bias + Σ_t w[t]·src[offs[t]+i]. Callers check
// that every offs[t]+len(dst) is within src.
func tapsF32(dst, src []float32, offs []int, w []float32, bias float32) {
	tapsGo(dst, src, offs, w, bias)
}
