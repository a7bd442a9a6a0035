package ops

import (
	"math"
	"math/rand"
	"slices"
	"testing"
)

// randShapePair returns two shapes that broadcast together, with random
// ranks, size-1 axes and missing leading axes.
func randShapePair(r *rand.Rand) ([]int, []int) {
	rank := r.Intn(5)
	full := make([]int, rank)
	for i := range full {
		full[i] = 1 + r.Intn(4)
	}
	pick := func() []int {
		drop := r.Intn(rank + 1)
		s := slices.Clone(full[drop:])
		for i := range s {
			if r.Intn(3) == 0 {
				s[i] = 1
			}
		}
		return s
	}
	return pick(), pick()
}

// TestBinaryLoopMatchesReference compares every path of binaryLoop with
// the BroadcastIndex reference on random broadcasting shapes.
func TestBinaryLoopMatchesReference(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for it := 0; it < 2000; it++ {
		sa, sb := randShapePair(r)
		out, err := BroadcastShapes(sa, sb)
		if err != nil {
			t.Fatal(err)
		}
		a := make([]int, Size(sa))
		b := make([]int, Size(sb))
		for i := range a {
			a[i] = r.Intn(1000)
		}
		for i := range b {
			b[i] = r.Intn(1000) * 1000
		}
		got := binaryLoop(a, sa, b, sb, out, func(x, y int) int { return x + y })
		ia, ib := BroadcastIndex(sa, out), BroadcastIndex(sb, out)
		for i := range got {
			if want := a[ia[i]] + b[ib[i]]; got[i] != want {
				t.Fatalf("shapes %v %v → %v: element %d = %d, want %d", sa, sb, out, i, got[i], want)
			}
		}
	}
}

// TestReduceMatchesReference compares reduce with a naive sum over random
// shapes and axis sets.
func TestReduceMatchesReference(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for it := 0; it < 500; it++ {
		rank := 1 + r.Intn(4)
		shape := make([]int, rank)
		for i := range shape {
			shape[i] = 1 + r.Intn(4)
		}
		var axes []int64
		red := make([]bool, rank)
		for i := range shape {
			if r.Intn(2) == 0 {
				axes = append(axes, int64(i-rank*r.Intn(2)))
				red[i] = true
			}
		}
		if len(axes) == 0 {
			for i := range red {
				red[i] = true
			}
		}
		x := make([]float64, Size(shape))
		for i := range x {
			x[i] = float64(r.Intn(100))
		}
		got, err := reduce(New(shape, x), axes, true, rSum)
		if err != nil {
			t.Fatal(err)
		}
		kshape := slices.Clone(shape)
		for i := range red {
			if red[i] {
				kshape[i] = 1
			}
		}
		want := make([]float64, Size(kshape))
		ks := Strides(kshape)
		st := Strides(shape)
		for i, v := range x {
			o := 0
			for ax := range shape {
				c := i / st[ax] % shape[ax]
				if !red[ax] {
					o += c * ks[ax]
				}
			}
			want[o] += v
		}
		if !slices.Equal(got.Shape, kshape) || !slices.Equal(got.Data.([]float64), want) {
			t.Fatalf("shape %v axes %v: got %v %v, want %v %v", shape, axes, got.Shape, got.Data, kshape, want)
		}
		got32, err := reduce(New(shape, convertSlice[float64, float32](x)), axes, true, rSum)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got32.Data.([]float32), convertSlice[float64, float32](want)) {
			t.Fatalf("float32 shape %v axes %v: got %v, want %v", shape, axes, got32.Data, want)
		}
	}
}

// TestGemmOpMatchesLoop checks the float32 GEMM path of Gemm against the
// generic loop in float64 for every transpose combination and C shape.
func TestGemmOpMatchesLoop(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			for _, cs := range [][]int{nil, {}, {7}, {5, 1}, {5, 7}} {
				m, n, k := 5, 7, 3
				as, bs := []int{m, k}, []int{k, n}
				if ta {
					as = []int{k, m}
				}
				if tb {
					bs = []int{n, k}
				}
				a64, b64 := make([]float64, m*k), make([]float64, k*n)
				for i := range a64 {
					a64[i] = float64(r.Intn(9) - 4)
				}
				for i := range b64 {
					b64[i] = float64(r.Intn(9) - 4)
				}
				var c32, c64 *Tensor
				if cs != nil {
					cv := make([]float64, Size(cs))
					for i := range cv {
						cv[i] = float64(r.Intn(9))
					}
					c64 = New(cs, cv)
					c32 = New(cs, convertSlice[float64, float32](cv))
				}
				got, err := gemmOp(New(as, convertSlice[float64, float32](a64)), New(bs, convertSlice[float64, float32](b64)), c32, ta, tb, 0.5, 2, 1)
				if err != nil {
					t.Fatal(err)
				}
				want, err := gemmOp(New(as, a64), New(bs, b64), c64, ta, tb, 0.5, 2, 1)
				if err != nil {
					t.Fatal(err)
				}
				g, w := got.Data.([]float32), want.Data.([]float64)
				for i := range w {
					if math.Abs(float64(g[i])-w[i]) > 1e-5 {
						t.Fatalf("ta %v tb %v C %v: element %d = %v, want %v", ta, tb, cs, i, g[i], w[i])
					}
				}
			}
		}
	}
}

// TestFastFloat32MatchesReference checks the specialised float32 arithmetic
// loops against the BroadcastIndex reference for every op.
func TestFastFloat32MatchesReference(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for it := 0; it < 1000; it++ {
		sa, sb := randShapePair(r)
		out, _ := BroadcastShapes(sa, sb)
		a, b := randTensorR(r, sa), randTensorR(r, sb)
		ia, ib := BroadcastIndex(sa, out), BroadcastIndex(sb, out)
		for _, code := range []byte{'+', '-', '*', '/'} {
			got, ok := fastFloat32(code, a, b, 2)
			if !ok {
				t.Fatalf("shapes %v %v: no fast path", sa, sb)
			}
			if !slices.Equal(got.Shape, out) {
				t.Fatalf("shapes %v %v: result shape %v, want %v", sa, sb, got.Shape, out)
			}
			f := arith[float32](code)
			x, y, g := a.Data.([]float32), b.Data.([]float32), got.Data.([]float32)
			for i := range g {
				if want := f(x[ia[i]], y[ib[i]]); g[i] != want {
					t.Fatalf("%c shapes %v %v: element %d = %v, want %v", code, sa, sb, i, g[i], want)
				}
			}
		}
	}
}

func randTensorR(r *rand.Rand, shape []int) *Tensor {
	v := make([]float32, Size(shape))
	for i := range v {
		v[i] = r.Float32()*4 + 0.5
	}
	return New(shape, v)
}

// TestUnaryParallelMatchesSerial checks the split float32 path of unary
// kernels against the one-goroutine path.
func TestUnaryParallelMatchesSerial(t *testing.T) {
	x := randTensorR(rand.New(rand.NewSource(6)), []int{3, parallelMin/2 + 7})
	for _, fns := range []unFns{floatUnary(math.Exp), floatUnary(sigmoid)} {
		want, err := applyUnary(x, fns)
		if err != nil {
			t.Fatal(err)
		}
		out, err := unaryKernel(fns).Run(&RunContext{Options: &Options{Threads: 3}}, []Value{x})
		if err != nil {
			t.Fatal(err)
		}
		if got := out[0].(*Tensor); !slices.Equal(got.Data.([]float32), want.Data.([]float32)) || !slices.Equal(got.Shape, x.Shape) {
			t.Fatal("parallel result differs from the serial one")
		}
	}
}

// TestSoftmaxParallelMatchesSerial checks the split softmax against the
// one-goroutine path for both the coerced and the single-axis forms.
func TestSoftmaxParallelMatchesSerial(t *testing.T) {
	x := randTensorR(rand.New(rand.NewSource(7)), []int{5, 3, parallelMin / 8})
	for _, coerce := range []bool{false, true} {
		for _, axis := range []int64{1, -1} {
			for _, kind := range []softKind{softmaxKind, logSoftmaxKind, hardmaxKind} {
				a, err := softmaxLike(x, axis, coerce, kind, 1)
				if err != nil {
					t.Fatal(err)
				}
				b, err := softmaxLike(x, axis, coerce, kind, 3)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(a.Data.([]float32), b.Data.([]float32)) {
					t.Fatalf("axis %d coerce %v kind %d: parallel result differs", axis, coerce, kind)
				}
			}
		}
	}
}

// TestMatMulBatchedParallel checks the batch-parallel MatMul path against
// per-batch reference products.
func TestMatMulBatchedParallel(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	a, b := randTensorR(r, []int{5, 33, 40}), randTensorR(r, []int{5, 40, 37})
	got, err := matmul(a, b, 3)
	if err != nil {
		t.Fatal(err)
	}
	av, bv, gv := a.Data.([]float32), b.Data.([]float32), got.Data.([]float32)
	for bt := 0; bt < 5; bt++ {
		for i := 0; i < 33; i++ {
			for j := 0; j < 37; j++ {
				var s float64
				for p := 0; p < 40; p++ {
					s += float64(av[bt*33*40+i*40+p]) * float64(bv[bt*40*37+p*37+j])
				}
				if g := gv[bt*33*37+i*37+j]; math.Abs(float64(g)-s) > 1e-4*math.Abs(s)+1e-4 {
					t.Fatalf("batch %d [%d,%d] = %v, want %v", bt, i, j, g, s)
				}
			}
		}
	}
}
