//go:build amd64 && !noasm

package conv

import "golang.org/x/sys/cpu"

//go:generate go run -C asmgen . -set im2col -out ../im2col_amd64.s -stubs ../im2col_amd64_stubs.go -pkg conv

// fillAsm reports whether the im2col fill of float32 B panels runs in
// AVX2 assembly (a variable so that tests can compare both paths).
var fillAsm = cpu.X86.HasAVX2

// fillPanels is the fill of rows pc..pc+kb of the column matrix by
// im2colPanels; it returns false (having written nothing) when the fill
// is not one the assembly does.
func (f *im2colFill) fillPanels(dst []float32, pc, kb, j0, nb, nr, lastW int) bool {
	if !f.panelSegs(dst, pc, kb, j0, nb, nr, lastW) {
		return false
	}
	// Every input element the runs read lies in the group's channels.
	if len(f.x) < f.cg*f.in[0]*f.in[1]*f.in[2] || len(f.psegs) == 0 {
		return false
	}
	dims := [4]int{f.in[0], f.in[1], f.in[2], f.s[2]}
	rows := f.rows[pc : pc+kb]
	im2colPanels(&dst[0], &f.x[0], &rows[0].dz, kb, &f.psegs[0].off, len(f.psegs), &dims[0])
	if f.skipped {
		f.fillSkipped(dst, pc, kb)
	}
	return true
}
