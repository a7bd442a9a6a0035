//go:build race

package gemm

// raceEnabled tells that the race detector is on: sync.Pool then drops
// items at random, so recycled memory does not make calls allocation-free.
const raceEnabled = true
