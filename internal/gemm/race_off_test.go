//go:build !race

package gemm

// raceEnabled tells that the race detector is on (see race_on_test.go).
const raceEnabled = false
