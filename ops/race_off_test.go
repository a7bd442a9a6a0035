//go:build !race

package ops

// raceEnabled reports a -race build, whose sync.Pool drops items at random
// (so the buffers of one run may not reach the next).
const raceEnabled = false
