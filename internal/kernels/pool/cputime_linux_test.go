//go:build linux

package pool

import "golang.org/x/sys/unix"

// cpuClocks returns the CPU time in seconds used so far by the calling OS
// thread and by the whole process.
func cpuClocks() (thread, process float64) {
	var t, p unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &t) != nil || unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &p) != nil {
		return 0, 0
	}
	return float64(t.Nano()) / 1e9, float64(p.Nano()) / 1e9
}
