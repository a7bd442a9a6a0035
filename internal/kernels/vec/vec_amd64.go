//go:build amd64 && !noasm

package vec

import "golang.org/x/sys/cpu"

//go:generate go run -C asmgen . -out ../vec_amd64.s -stubs ../vec_amd64_stubs.go -pkg vec

// hasAsm reports whether the AVX kernels run here.
var hasAsm = cpu.X86.HasAVX

// vvAsm runs the VV kernel of op over the first n (a multiple of 8) elements.
func vvAsm(op Op, dst, x, y []float32, n int) {
	switch op {
	case Add:
		vvAdd(&dst[0], &x[0], &y[0], n)
	case Sub:
		vvSub(&dst[0], &x[0], &y[0], n)
	case Mul:
		vvMul(&dst[0], &x[0], &y[0], n)
	case Div:
		vvDiv(&dst[0], &x[0], &y[0], n)
	}
}

// vsAsm runs the VS kernel of op over the first n (a multiple of 8) elements.
func vsAsm(op Op, dst, x []float32, s float32, n int) {
	switch op {
	case Add:
		vsAdd(&dst[0], &x[0], s, n)
	case Sub:
		vsSub(&dst[0], &x[0], s, n)
	case Mul:
		vsMul(&dst[0], &x[0], s, n)
	case Div:
		vsDiv(&dst[0], &x[0], s, n)
	}
}

// svAsm runs the SV kernel of op (Sub or Div) over the first n (a multiple
// of 8) elements.
func svAsm(op Op, dst []float32, s float32, y []float32, n int) {
	switch op {
	case Sub:
		svSub(&dst[0], &y[0], s, n)
	case Div:
		svDiv(&dst[0], &y[0], s, n)
	default:
		svGo(op, dst[:n], s, y[:n])
	}
}

// affineAsm runs the affine kernel over the first n (a multiple of 8) elements.
func affineAsm(dst, x []float32, a, b float32, n int) { affine(&dst[0], &x[0], a, b, n) }

// clampAsm runs the clamp kernel over the first n (a multiple of 8) elements.
func clampAsm(dst, x []float32, lo, hi float32, n int) { clamp(&dst[0], &x[0], lo, hi, n) }

// transpose8Asm runs the transpose8 kernel: nb 8×8 blocks.
func transpose8Asm(dst []uint32, ldd int, src []uint32, lds, nb int) {
	transpose8(&dst[0], &src[0], ldd, lds, nb)
}
