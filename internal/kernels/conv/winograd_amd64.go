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

// wgOut43s8Asm transforms eight tiles and stores them through row
// pointers with the epilogue ep = {bias, lo, hi} (see wgOut43s8); res is
// nil or points to the residual's 32 row pointers.
func wgOut43s8Asm(q []float32, stride int, out *[192]float32, rows *[32]*float32, res **float32, ep *[3]float32) {
	_ = q[35*stride+7]
	wgOut43s8(&q[0], stride, &out[0], &rows[0], res, &ep[0])
}

// wgIn43o8Asm gathers eight tiles, row r of tile l at
// base[offs[l]+r·ld] (8 values read), and transforms them into v.
func wgIn43o8Asm(base []float32, offs *[8]int, ld int, d *[288]float32, v []float32, stride int) {
	for _, o := range offs {
		_ = base[o : o+5*ld+8]
	}
	_ = v[35*stride+7]
	wgIn43o8(&base[0], &offs[0], ld, &d[0], &v[0], stride)
}

// wgOut43o8Asm transforms eight tiles and stores them, row a of tile l at
// y[offs[l]+a·ld], with the epilogue ep = {bias, lo, hi} and the residual
// res (nil, or laid out as y).
func wgOut43o8Asm(q []float32, stride int, out *[192]float32, y, res []float32, offs *[8]int, ld int, ep *[3]float32) {
	_ = q[35*stride+7]
	for _, o := range offs {
		_ = y[o : o+3*ld+4]
	}
	var rp *float32
	if res != nil {
		_ = res[:len(y)]
		rp = &res[0]
	}
	wgOut43o8(&q[0], stride, &out[0], &y[0], rp, &offs[0], ld, &ep[0])
}

// wgIn23o8Asm gathers eight 4×4 tiles, row r of tile l at
// base[offs[l]+r·ld], and writes their F(2×2, 3×3) input transform to v.
func wgIn23o8Asm(base []float32, offs *[8]int, ld int, d *[128]float32, v []float32, stride int) {
	for _, o := range offs {
		_ = base[o : o+3*ld+4]
	}
	_ = v[15*stride+7]
	wgIn23o8(&base[0], &offs[0], ld, &d[0], &v[0], stride)
}

// wgOut23s8Asm computes the F(2×2, 3×3) output transform of eight tiles
// and stores them through row pointers with the epilogue ep = {bias, lo,
// hi} (see wgOut23s8); res is nil or points to the residual's 16 row
// pointers. Every pointer must have two writable (readable) values.
func wgOut23s8Asm(q []float32, stride int, rows *[16]*float32, res **float32, ep *[3]float32) {
	_ = q[15*stride+7]
	wgOut23s8(&q[0], stride, &rows[0], res, &ep[0])
}
