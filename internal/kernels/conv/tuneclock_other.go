//go:build !linux

package conv

import "time"

// threadTime reports that no per-thread CPU clock is read here (tuning
// then measures wall time).
func threadTime() (time.Duration, bool) { return 0, false }
