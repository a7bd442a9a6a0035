//go:build linux

package conv

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadTime returns the CPU time the calling OS thread has used (the
// caller locks its goroutine to the thread), or false. Tuning measures with
// it so that other processes on a busy machine do not skew the choice.
func threadTime() (time.Duration, bool) {
	var t unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &t) != nil {
		return 0, false
	}
	return time.Duration(t.Nano()), true
}
