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
