//go:build !amd64 || noasm

package gemm

// selectKernels returns the fastest kernel set this CPU runs, chosen once at
// start-up from its features.
func selectKernels() *kernelSet { return &goKernels }

// kernelSets returns every kernel set this CPU runs, the chosen one first.
func kernelSets() []*kernelSet { return []*kernelSet{&goKernels} }
