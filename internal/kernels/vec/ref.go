package vec

// The plain loops: the semantics of every kernel, the fallback where no
// vector kernel runs, and the tails.

func vvGo(op Op, dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	switch op {
	case Add:
		for i := range dst {
			dst[i] = x[i] + y[i]
		}
	case Sub:
		for i := range dst {
			dst[i] = x[i] - y[i]
		}
	case Mul:
		for i := range dst {
			dst[i] = x[i] * y[i]
		}
	case Div:
		for i := range dst {
			dst[i] = x[i] / y[i]
		}
	}
}

func vsGo(op Op, dst, x []float32, s float32) {
	x = x[:len(dst)]
	switch op {
	case Add:
		for i, v := range x {
			dst[i] = v + s
		}
	case Sub:
		for i, v := range x {
			dst[i] = v - s
		}
	case Mul:
		for i, v := range x {
			dst[i] = v * s
		}
	case Div:
		for i, v := range x {
			dst[i] = v / s
		}
	}
}

func svGo(op Op, dst []float32, s float32, y []float32) {
	y = y[:len(dst)]
	switch op {
	case Add:
		for i, v := range y {
			dst[i] = s + v
		}
	case Sub:
		for i, v := range y {
			dst[i] = s - v
		}
	case Mul:
		for i, v := range y {
			dst[i] = s * v
		}
	case Div:
		for i, v := range y {
			dst[i] = s / v
		}
	}
}

func affineGo(dst, x []float32, a, b float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = float32(v*a) + b // the conversion forbids fusing
	}
}

func clampGo(dst, x []float32, lo, hi float32) {
	x = x[:len(dst)]
	for i, v := range x {
		// The comparisons of MAXPS and MINPS: false for a NaN v, which
		// stays; a zero v of either sign beside a zero bound stays too.
		if lo > v {
			v = lo
		}
		if hi < v {
			v = hi
		}
		dst[i] = v
	}
}

// transposeGo sets dst[i*ldd+j] = src[j*lds+i] for i in [0, m), j in
// [j0, j1).
func transposeGo(dst []uint32, ldd int, src []uint32, lds, m, j0, j1 int) {
	for i := 0; i < m; i++ {
		row := dst[i*ldd+j0 : i*ldd+j1]
		p := j0*lds + i
		for j := range row {
			row[j] = src[p]
			p += lds
		}
	}
}
