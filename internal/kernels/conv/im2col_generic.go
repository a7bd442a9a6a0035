//go:build !amd64 || noasm

package conv

// fillAsm reports whether the im2col fill of float32 B panels runs in
// assembly: not in this build.
var fillAsm = false

// fillPanels stands in for the assembly fill: it does nothing and
// returns false.
func (f *im2colFill) fillPanels(dst []float32, pc, kb, j0, nb, nr, lastW int) bool {
	return false
}
