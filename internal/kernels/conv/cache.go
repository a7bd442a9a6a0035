package conv

import (
	"os"
	"strconv"
	"strings"
)

// l2Bytes is the level 2 cache size of CPU 0 as Linux reports it (512 KiB
// where it cannot be read).
var l2Bytes = readL2()

func readL2() int {
	const def = 512 << 10
	for i := 0; i < 8; i++ {
		dir := "/sys/devices/system/cpu/cpu0/cache/index" + strconv.Itoa(i) + "/"
		lvl, err := os.ReadFile(dir + "level")
		if err != nil {
			break
		}
		if strings.TrimSpace(string(lvl)) != "2" {
			continue
		}
		b, err := os.ReadFile(dir + "size")
		if err != nil {
			return def
		}
		s := strings.TrimSpace(string(b))
		mul := 1
		switch {
		case strings.HasSuffix(s, "K"):
			mul, s = 1<<10, s[:len(s)-1]
		case strings.HasSuffix(s, "M"):
			mul, s = 1<<20, s[:len(s)-1]
		}
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 1<<20 {
			return def
		}
		return n * mul
	}
	return def
}

// colTileElems is the number of elements an im2col column tile holds:
// twice the L2 size in float32s (the GEMM repacks the tile in panels, so
// the tile itself streams; measured on a 512 KiB L2, 1 MiB tiles beat
// smaller ones), at least 64K.
func colTileElems() int {
	return max(2*l2Bytes/4, 1<<16)
}
