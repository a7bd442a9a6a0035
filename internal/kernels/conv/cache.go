package conv

import "github.com/onnxrun/onnxrun/internal/gemm"

// l2Bytes is the level 2 cache size the GEMM read at start-up.
var l2Bytes = gemm.L2Bytes()

// colTileElems is the number of elements an im2col column tile holds:
// twice the L2 size in float32s (the GEMM repacks the tile in panels, so
// the tile itself streams; measured on a 512 KiB L2, 1 MiB tiles beat
// smaller ones), at least 64K.
func colTileElems() int {
	return max(2*l2Bytes/4, 1<<16)
}
