//go:build amd64 && !noasm

package conv

import "golang.org/x/sys/cpu"

//go:generate go run -C asmgen . -set winograd -out ../winograd_amd64.s -stubs ../winograd_amd64_stubs.go -pkg conv

// wgAsm reports whether the float32 Winograd F(4×4, 3×3) transforms run
// eight tiles at a time in AVX2 assembly (a variable so that tests can
// compare both paths).
var wgAsm = cpu.X86.HasAVX2

// wgIn43x8Asm is wgIn43x8Go in assembly.
func wgIn43x8Asm(d *[288]float32, v []float32, stride int) {
	_ = v[35*stride+7]
	wgIn43x8(&d[0], &v[0], stride)
}

// wgOut43x8Asm is wgOut43x8Go in assembly.
func wgOut43x8Asm(q []float32, stride int, out *[192]float32) {
	_ = q[35*stride+7]
	wgOut43x8(&q[0], stride, &out[0])
}

// wgIn43g8Asm gathers eight tiles from row pointers (see wgIn43g8) and
// transforms them into v. Each row pointer must have 8 readable values.
func wgIn43g8Asm(rows *[48]*float32, d *[288]float32, v []float32, stride int) {
	_ = v[35*stride+7]
	wgIn43g8(&rows[0], &d[0], &v[0], stride)
}

// wgOut43s8Asm transforms eight tiles and stores them through row
// pointers with the epilogue ep = {bias, lo, hi} (see wgOut43s8); res is
// nil or points to the residual's 32 row pointers.
func wgOut43s8Asm(q []float32, stride int, out *[192]float32, rows *[32]*float32, res **float32, ep *[3]float32) {
	_ = q[35*stride+7]
	wgOut43s8(&q[0], stride, &out[0], &rows[0], res, &ep[0])
}
