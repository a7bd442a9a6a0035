package gemm

// goKernels is the pure-Go kernel set: a 2×4 tile keeps its accumulators
// and operands in registers under the Go compiler.
var goKernels = kernelSet{name: "go2x4", mr: 2, nr: 4, tile: tile2x4}

// tile2x4 computes the 2×4 tile at c (row stride ldc) from a packed A panel
// (k×2) and a packed B panel (k×4): c = AB when !load, else c = AB + beta*c.
// It applies no epilogue (ep is nil).
func tile2x4(k int, a, b, c []float32, ldc int, beta float32, load bool, _ *tileEp) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	a = a[:k*2]
	b = b[:k*4]
	for len(a) >= 2 && len(b) >= 4 {
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		a0 := a[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := a[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a = a[2:]
		b = b[4:]
	}
	r0 := c[0:4:4]
	r1 := c[ldc : ldc+4 : ldc+4]
	if load {
		c00 += beta * r0[0]
		c01 += beta * r0[1]
		c02 += beta * r0[2]
		c03 += beta * r0[3]
		c10 += beta * r1[0]
		c11 += beta * r1[1]
		c12 += beta * r1[2]
		c13 += beta * r1[3]
	}
	r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
	r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
}
