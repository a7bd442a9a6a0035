// Package vec holds element-wise float32 kernels over contiguous slices
// (arithmetic between two slices or a slice and a scalar, an affine map, a
// clamp) and a tiled transpose of 32-bit elements. Each has a plain Go loop
// (ref.go) that states its semantics and serves where no vector kernel runs
// (other architectures, -tags noasm, the tail of a slice that is not a
// multiple of 8 long, the edges of a transpose); the AVX kernels give the
// same bits.
//
// Outputs may alias inputs exactly (dst and x the same slice) but must not
// overlap them otherwise.
package vec

// Op is an arithmetic operation.
type Op uint8

// The arithmetic operations.
const (
	Add Op = iota
	Sub
	Mul
	Div
)

// VV sets dst[i] = x[i] op y[i] for i in [0, len(dst)); x and y must be
// at least as long as dst.
func VV(op Op, dst, x, y []float32) {
	n := len(dst)
	x, y = x[:n], y[:n]
	if n8 := n &^ 7; hasAsm && n8 > 0 {
		vvAsm(op, dst, x, y, n8)
		dst, x, y = dst[n8:], x[n8:], y[n8:]
	}
	vvGo(op, dst, x, y)
}

// VS sets dst[i] = x[i] op s for i in [0, len(dst)); x must be at least as
// long as dst.
func VS(op Op, dst, x []float32, s float32) {
	n := len(dst)
	x = x[:n]
	if n8 := n &^ 7; hasAsm && n8 > 0 {
		vsAsm(op, dst, x, s, n8)
		dst, x = dst[n8:], x[n8:]
	}
	vsGo(op, dst, x, s)
}

// SV sets dst[i] = s op y[i] for i in [0, len(dst)); y must be at least as
// long as dst.
func SV(op Op, dst []float32, s float32, y []float32) {
	if op == Add || op == Mul { // commutative, bit for bit
		VS(op, dst, y, s)
		return
	}
	n := len(dst)
	y = y[:n]
	if n8 := n &^ 7; hasAsm && n8 > 0 {
		svAsm(op, dst, s, y, n8)
		dst, y = dst[n8:], y[n8:]
	}
	svGo(op, dst, s, y)
}

// Affine sets dst[i] = x[i]*a + b, the product rounded to float32 before
// the sum (no fused multiply-add), for i in [0, len(dst)).
func Affine(dst, x []float32, a, b float32) {
	n := len(dst)
	x = x[:n]
	if n8 := n &^ 7; hasAsm && n8 > 0 {
		affineAsm(dst, x, a, b, n8)
		dst, x = dst[n8:], x[n8:]
	}
	affineGo(dst, x, a, b)
}

// Clamp sets dst[i] = min(max(x[i], lo), hi) for i in [0, len(dst)): x[i]
// replaced by lo when lo > x[i], then by hi when hi < x[i]. A NaN x[i] thus
// stays NaN, and a zero x[i] keeps its sign beside a zero bound (Relu of -0
// is -0). Relu is Clamp with lo = 0 and hi = +Inf.
func Clamp(dst, x []float32, lo, hi float32) {
	n := len(dst)
	x = x[:n]
	if n8 := n &^ 7; hasAsm && n8 > 0 {
		clampAsm(dst, x, lo, hi, n8)
		dst, x = dst[n8:], x[n8:]
	}
	clampGo(dst, x, lo, hi)
}

// Transpose32 sets dst[i*ldd+j] = src[j*lds+i] for i in [0, m) and j in
// [0, n): the m×n matrix at dst (leading dimension ldd) becomes the
// transpose of the n×m matrix at src (leading dimension lds). It works in
// square tiles that stay in cache, 8×8 blocks at a time with AVX.
func Transpose32(dst []uint32, ldd int, src []uint32, lds, m, n int) {
	if m <= 0 || n <= 0 {
		return
	}
	if (m-1)*ldd+n > len(dst) || (n-1)*lds+m > len(src) || ldd < n || lds < m {
		panic("vec: Transpose32 outside its slices")
	}
	const tile = 32
	for i0 := 0; i0 < m; i0 += tile {
		i1 := min(i0+tile, m)
		for j0 := 0; j0 < n; j0 += tile {
			j1 := min(j0+tile, n)
			i8, j8 := i0, j0
			if hasAsm {
				i8, j8 = i0+(i1-i0)&^7, j0+(j1-j0)&^7
			}
			if i8 > i0 {
				for j := j0; j < j8; j += 8 {
					transpose8Asm(dst[i0*ldd+j:], ldd, src[j*lds+i0:], lds, (i8-i0)/8)
				}
			}
			// The edges: columns of dst past j8 in the block rows, then
			// the rows past i8.
			transposeGo(dst[i0*ldd:], ldd, src[i0:], lds, i8-i0, j8, j1)
			if i8 < i1 {
				transposeGo(dst[i8*ldd:], ldd, src[i8:], lds, i1-i8, j0, j1)
			}
		}
	}
}
