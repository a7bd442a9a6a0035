//go:build !amd64 || noasm

package conv

// pwAsm reports whether the pointwise kernels run in assembly: not in
// this build (the packed GEMM computes pointwise layers).
var pwAsm = false

// pwKernelAsm stands in for the assembly kernel.
func pwKernelAsm(dst, x, w, bias, res []float32, rows, k, cols, ldx, ldd int, lo, hi float32, act int) {
	pwKernelGo(dst, x, w, bias, res, rows, k, cols, ldx, ldd, lo, hi, act)
}

// pwKernelFast is the kernel runPacked32 uses.
var pwKernelFast pwKernel = pwKernelGo
