//go:build unix

package ops

import "syscall"

// rlimits returns the soft address-space and data-segment limits that are
// set (not infinite).
func rlimits() []int64 {
	var out []int64
	for _, r := range []int{syscall.RLIMIT_AS, syscall.RLIMIT_DATA} {
		var l syscall.Rlimit
		if err := syscall.Getrlimit(r, &l); err == nil && l.Cur < 1<<62 {
			out = append(out, int64(l.Cur))
		}
	}
	return out
}
