package gemm

import (
	"os"
	"strconv"
	"strings"
)

// blocking is the cache blocking of one product: kc is the depth of a packed
// block, mc the height of a packed A block, nc the width of a packed B block.
type blocking struct{ kc, mc, nc int }

// Data cache sizes in bytes, read once at start-up (see cacheSizes).
var l1, l2, l3 = cacheSizes()

// L2Bytes returns the level 2 cache size of CPU 0 in bytes, as read at
// start-up (256 KiB where Linux does not report it), for other kernels
// that fit their blocks to it.
func L2Bytes() int { return l2 }

// cacheSizes returns the sizes of the level 1, 2 and 3 data (or unified)
// caches of CPU 0 as Linux reports them, with common defaults where it does
// not.
func cacheSizes() (l1, l2, l3 int) {
	l1, l2, l3 = 32<<10, 256<<10, 4<<20
	for i := 0; i < 8; i++ {
		dir := "/sys/devices/system/cpu/cpu0/cache/index" + strconv.Itoa(i) + "/"
		typ := readTrim(dir + "type")
		if typ == "" {
			break
		}
		if typ == "Instruction" {
			continue
		}
		size := parseSize(readTrim(dir + "size"))
		if size <= 0 {
			continue
		}
		switch readTrim(dir + "level") {
		case "1":
			l1 = size
		case "2":
			l2 = size
		case "3":
			l3 = size
		}
	}
	// Guard against nonsense from virtual machines.
	l1 = min(max(l1, 16<<10), 256<<10)
	l2 = min(max(l2, 128<<10), 8<<20)
	l3 = min(max(l3, l2), 256<<20)
	return l1, l2, l3
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// parseSize parses sizes such as "32K", "512K", "16384K", "1M".
func parseSize(s string) int {
	mult := 1
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, s[:len(s)-1]
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, s[:len(s)-1]
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return 0
	}
	return v * mult
}

// blockingFor fits the blocks of a product of depth k to the caches: a B
// micro-panel (kc×nr) takes half of L1, an A block (mc×kc) half of L2 and a
// B block (kc×nc) a quarter of L3 (shared with the other cores). kc is then
// evened out over k so that no block is a thin remainder. The blocking
// depends on k and the kernel only, never on the thread count.
func blockingFor(ks *kernelSet, k int) blocking {
	kcMax := min(max(l1/2/(4*ks.nr), 64), 1024)
	kc := ceilDiv(k, ceilDiv(k, kcMax))
	mc := min(max(l2/2/(4*kc)/ks.mr*ks.mr, ks.mr), 64*ks.mr)
	nc := min(max(l3/4/(4*kc)/ks.nr*ks.nr, ks.nr), 8192/ks.nr*ks.nr)
	return blocking{kc: kc, mc: mc, nc: nc}
}
