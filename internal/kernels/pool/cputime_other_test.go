//go:build !linux

package pool

// cpuClocks returns zeros where the CPU clocks are not read.
func cpuClocks() (thread, process float64) { return 0, 0 }
