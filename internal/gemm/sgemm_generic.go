//go:build !amd64 || noasm

package gemm

// selectKernels returns the fastest kernel set this CPU runs, chosen once at
// start-up from its features.
func selectKernels() *kernelSet { return &goKernels }

// kernelSets returns every kernel set this CPU runs, the chosen one first.
func kernelSets() []*kernelSet { return []*kernelSet{&goKernels} }

// vecSigmoid, when not nil, applies Sigmoid (or SiLU) to x, len(x) a
// multiple of 8.
var vecSigmoid func(x []float32, silu bool)

// packA6Fast, when not nil, packs six rows of A (see packA6).
var packA6Fast func(kb int, a []float32, lda int, dst []float32, alpha float32)

// hasVecSigmoid tells that sigmoidVec runs here.
const hasVecSigmoid = false

// sigmoidVec is vecSigmoid where hasVecSigmoid (never in this build).
func sigmoidVec(x []float32, silu bool) {}

// sigmoidRows16 is sigmoidVec on 16 floats of each of rows rows, where
// hasVecSigmoid (never in this build).
func sigmoidRows16(c []float32, ldc, rows int, silu bool) {}
