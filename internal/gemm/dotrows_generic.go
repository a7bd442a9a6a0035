//go:build !amd64 || noasm

package gemm

// tileKernel is the tileFunc SgemmPackedB uses.
var tileKernel tileFunc = tileGo

// tileKernels returns every tileFunc this CPU runs, the chosen one first.
func tileKernels() []tileFunc { return []tileFunc{tileGo} }
