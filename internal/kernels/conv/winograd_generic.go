//go:build !amd64 || noasm

package conv

// wgAsm reports whether the float32 Winograd F(4×4, 3×3) transforms run
// eight tiles at a time in assembly: not in this build.
var wgAsm = false

// wgIn43x8Asm stands in for the assembly kernel (never called: wgAsm is
// false).
func wgIn43x8Asm(d *[288]float32, v []float32, stride int) { wgIn43x8Go(d, v, stride) }

// wgOut43x8Asm stands in for the assembly kernel (never called: wgAsm is
// false).
func wgOut43x8Asm(q []float32, stride int, out *[192]float32) { wgOut43x8Go(q, stride, out) }

// wgOut43s8Asm stands in for the assembly kernel (never called).
func wgOut43s8Asm(q []float32, stride int, out *[192]float32, rows *[32]*float32, res **float32, ep *[3]float32) {
	panic("conv: no Winograd assembly in this build")
}

// wgIn43o8Asm stands in for the assembly kernel (never called).
func wgIn43o8Asm(base []float32, offs *[8]int, ld int, d *[288]float32, v []float32, stride int) {
	panic("conv: no Winograd assembly in this build")
}

// wgOut43o8Asm stands in for the assembly kernel (never called).
func wgOut43o8Asm(q []float32, stride int, out *[192]float32, y, res []float32, offs *[8]int, ld int, ep *[3]float32) {
	panic("conv: no Winograd assembly in this build")
}

// wgIn23o8Asm stands in for the assembly kernel (never called).
func wgIn23o8Asm(base []float32, offs *[8]int, ld int, d *[128]float32, v []float32, stride int) {
	panic("conv: no Winograd assembly in this build")
}

// wgOut23s8Asm stands in for the assembly kernel (never called).
func wgOut23s8Asm(q []float32, stride int, rows *[16]*float32, res **float32, ep *[3]float32) {
	panic("conv: no Winograd assembly in this build")
}
