package conv

import "sync"

// float32 scratch buffers (im2col columns, Winograd transforms) are reused
// across runs so that steady-state inference does not allocate them.
var f32Pool sync.Pool

// getScratch returns a slice of n values of T, from the pool for float32.
// Its contents are unspecified.
func getScratch[T Num](n int) []T {
	var z T
	if _, ok := any(z).(float32); ok {
		if p, _ := f32Pool.Get().(*[]float32); p != nil && cap(*p) >= n {
			return any((*p)[:n]).([]T)
		}
	}
	return make([]T, n)
}

// putScratch returns a buffer from getScratch to the pool.
func putScratch[T Num](b []T) {
	if f, ok := any(b).([]float32); ok && cap(f) > 0 {
		f32Pool.Put(&f)
	}
}
