package conv

// tapsGo is the portable form of tapsF32: dst[i] = bias + Σ_t
// w[t]·src[offs[t]+i].
func tapsGo[T Num](dst, src []T, offs []int, w []T, bias T) {
	n := len(dst)
	for i := range dst {
		dst[i] = bias
	}
	for t, off := range offs {
		wv := w[t]
		s := src[off : off+n]
		for i, v := range s {
			dst[i] += wv * v
		}
	}
}
