//go:build !amd64 || noasm

package gemm

// rowsKernel is the rowsFunc SgemmPackedB uses.
var rowsKernel rowsFunc = rowsGo

// rowsKernels returns every rowsFunc this CPU runs, the chosen one first.
func rowsKernels() []rowsFunc { return []rowsFunc{rowsGo} }
