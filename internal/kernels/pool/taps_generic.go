//go:build !amd64 || noasm

package pool

// hasAsm reports whether the AVX2 kernels run here.
const hasAsm = false

func maxRowsF32(dst, src []float32, offs []int, g rows) bool { return false }

func sumRowsF32(dst, src []float32, offs []int, g rows) bool { return false }

func sumLanesF32(x []float32, acc *[lanes]float32) { sumLanesGo(x, acc) }

func maxLanesF32(x []float32, acc *[lanes]float32) { maxLanesGo(x, acc) }
