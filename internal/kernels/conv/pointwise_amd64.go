//go:build amd64 && !noasm

package conv

//go:generate go run -C asmgen . -set pw -out ../pointwise_amd64.s -stubs ../pointwise_amd64_stubs.go -pkg conv

// pwAsm reports whether the pointwise kernels run in assembly (and so
// are used for the layers pwOK accepts).
var pwAsm = hasDWAsm

// pwKernelAsm is the pointwise kernel in AVX2+FMA assembly.
func pwKernelAsm(dst, x, w, bias, res []float32, rows, k, cols, ldx, ldd int, lo, hi float32, act int) {
	pwCheck(dst, x, w, bias, res, rows, k, cols, ldx, ldd)
	if cols == 0 {
		return
	}
	var rp *float32
	if res != nil {
		rp = &res[0]
	}
	f := [...]func(dst *float32, x *float32, w *float32, bias *float32, res *float32, k int, cols int, ldx int, ldd int, lo float32, hi float32, act int){
		pwConv1, pwConv2, pwConv3, pwConv4, pwConv5, pwConv6}[rows-1]
	f(&dst[0], &x[0], &w[0], &bias[0], rp, k, cols, 4*ldx, 4*ldd, lo, hi, act)
}

// pwKernelFast is the kernel runPacked32 uses.
var pwKernelFast pwKernel = pwKernelAsm
