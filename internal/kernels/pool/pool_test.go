package pool

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// same reports whether a and b are equal, or both NaN.
func same[T Float](a, b T) bool { return a == b || (a != a && b != b) }

// randVals fills n values with a few NaNs and infinities mixed in when
// special is set.
func randVals[T Float](r *rand.Rand, n int, special bool) []T {
	v := make([]T, n)
	for i := range v {
		v[i] = T(r.NormFloat64())
		if special {
			switch r.IntN(40) {
			case 0:
				v[i] = T(math.NaN())
			case 1:
				v[i] = T(math.Inf(-1))
			case 2:
				v[i] = T(math.Inf(1))
			}
		}
	}
	return v
}

const guard = 9

// guarded returns a slice of n elements inside guard bands, and a check
// that the bands are untouched.
func guarded[T Float](n int) ([]T, func(t *testing.T)) {
	buf := make([]T, n+2*guard)
	for i := range buf {
		buf[i] = 12345
	}
	return buf[guard : guard+n : guard+n], func(t *testing.T) {
		t.Helper()
		for i := 0; i < guard; i++ {
			if buf[i] != 12345 || buf[guard+n+i] != 12345 {
				t.Fatalf("write outside the %d elements", n)
			}
		}
	}
}

// refRows is the plain loop maxRows and sumRows are held to.
func refRows[T Float](dst, src []T, offs []int, g rows, isMax bool) {
	for q := 0; q < max(g.planes, 1); q++ {
		refRowsPlane(dst[q*g.dstPlane:], src[q*g.srcPlane:], offs, g, isMax)
	}
}

func refRowsPlane[T Float](dst, src []T, offs []int, g rows, isMax bool) {
	for r := 0; r < g.m; r++ {
		for i := 0; i < g.n; i++ {
			var acc T
			if isMax {
				acc = T(math.Inf(-1))
			}
			for _, o := range offs {
				v := src[r*g.srcStride+o+g.stride*i]
				switch {
				case !isMax:
					acc += v
				case v != v || acc != acc:
					acc = T(math.NaN())
				case v > acc:
					acc = v
				}
			}
			dst[r*g.dstStride+i] = acc
		}
	}
}

// TestRows compares maxRows and sumRows (the assembly where it runs, with
// one to six taps) with the plain loop on lengths around the vector
// widths, over several rows and planes, inside guard bands,
// with exact source extents (a read past the last tap would fault the
// bounds check of the source slice).
func TestRows(t *testing.T) {
	testRows[float32](t)
	testRows[float64](t)
}

func testRows[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, stride := range []int{1, 2, 3} {
		for _, n := range []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 63, 64, 65, 100} {
			for c := 0; c < 12; c++ {
				// Every tap count the unrolled kernels take, and more.
				isMax, ntaps := c%2 == 0, 1+c/2
				m := 1 + r.IntN(3)
				offs := make([]int, ntaps)
				hi := 0
				for i := range offs {
					offs[i] = r.IntN(12)
					hi = max(hi, offs[i])
				}
				g := rows{n: n, stride: stride, m: m, dstStride: n + r.IntN(3), srcStride: r.IntN(2 * n),
					planes: 1 + r.IntN(3)}
				g.dstPlane = g.dstStride*(m-1) + n + r.IntN(3)
				g.srcPlane = r.IntN(3 * n)
				srcLen := hi + stride*(n-1) + g.srcStride*(m-1) + g.srcPlane*(g.planes-1) + 1
				src := randVals[T](r, srcLen, true)
				dstLen := g.dstPlane*(g.planes-1) + g.dstStride*(m-1) + n
				want := make([]T, dstLen)
				refRows(want, src, offs, g, isMax)
				got, check := guarded[T](dstLen)
				if isMax {
					maxRows(got, src[:srcLen:srcLen], offs, g)
				} else {
					sumRows(got, src[:srcLen:srcLen], offs, g)
				}
				check(t)
				for q := 0; q < g.planes; q++ {
					for row := 0; row < m; row++ {
						for i := 0; i < n; i++ {
							k := q*g.dstPlane + row*g.dstStride + i
							if !same(got[k], want[k]) {
								t.Fatalf("%T max=%v %+v offs %v: out %d of row %d of plane %d = %v, want %v", got[0], isMax, g, offs, i, row, q, got[k], want[k])
							}
						}
					}
				}
			}
		}
	}
}

// TestRowsBounds checks that taps reaching outside the source panic
// instead of running.
func TestRowsBounds(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	src := make([]float32, 16)
	maxRows(make([]float32, 8), src, []int{2}, rows{n: 8, stride: 2, m: 1, dstStride: 8})
}

func TestPlaneReductions(t *testing.T) {
	testPlaneReductions[float32](t)
	testPlaneReductions[float64](t)
}

func testPlaneReductions[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 5, 31, 32, 33, 64, 95, 96, 97, 1000, 12544} {
		for _, special := range []bool{false, true} {
			x := randVals[T](r, n, special)
			// Max: exact.
			want := T(math.Inf(-1))
			var sum, abs float64
			for _, v := range x {
				if v != v || want != want {
					want = T(math.NaN())
				} else if v > want {
					want = v
				}
				sum += float64(v)
				abs += math.Abs(float64(v))
			}
			if got := PlaneMax(x); !same(got, want) {
				t.Fatalf("%T PlaneMax of %d: %v, want %v", x, n, got, want)
			}
			// Sum: the lane order, against the float64 sum within the
			// error bound of adding a lane's terms and the lanes in T.
			got := float64(PlaneSum(x))
			eps := 0x1p-24
			if _, ok := any(x).([]float64); ok {
				eps = 0x1p-53
			}
			perLane := n / lanes
			if n < smallPlane {
				perLane = n / 8
			}
			bound := float64(perLane+6) * eps * abs
			if special {
				if !same(got, sum) && math.Abs(got-sum) > bound {
					t.Fatalf("%T PlaneSum of %d (with NaN, Inf): %v, want %v", x, n, got, sum)
				}
				continue
			}
			if math.Abs(got-sum) > bound {
				t.Fatalf("%T PlaneSum of %d: %v, want %v (bound %g)", x, n, got, sum, bound)
			}
		}
	}
}

// TestPlaneReductionsAsm checks that the assembly lane kernels give the
// same bits as the Go ones.
func TestPlaneReductionsAsm(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{32, 64, 96, 4096, 12544} {
		x := randVals[float32](r, n, false)
		for _, isMax := range []bool{false, true} {
			var a, b [lanes]float32
			for i := range a {
				a[i] = float32(i)
				b[i] = float32(i)
			}
			if isMax {
				maxLanesF32(x, &a)
				maxLanesGo(x, &b)
			} else {
				sumLanesF32(x, &a)
				sumLanesGo(x, &b)
			}
			if a != b {
				t.Fatalf("n %d max=%v: %v, want %v", n, isMax, a, b)
			}
		}
	}
}

// refPool pools one plane by visiting every window tap: max as the
// kernels define it, avg in float64.
func refPool[T Float](g Geometry, x []T, avg, includePad bool) []T {
	r := len(g.In)
	outSz := 1
	for _, o := range g.Out {
		outSz *= o
	}
	y := make([]T, outSz)
	oc := make([]int, r)
	for o := range y {
		m := math.Inf(-1)
		var s float64
		cnt, pad := 0, 1
		for a := 0; a < r; a++ {
			p := 0
			for j := 0; j < g.Kernel[a]; j++ {
				c := oc[a]*g.Strides[a] - g.PadBegin[a] + j*g.Dilations[a]
				if c >= -g.PadBegin[a] && c < g.In[a]+g.PadEnd[a] {
					p++
				}
			}
			pad *= p
		}
		kc := make([]int, r)
		for {
			idx, ok := 0, true
			for a := 0; a < r; a++ {
				c := oc[a]*g.Strides[a] - g.PadBegin[a] + kc[a]*g.Dilations[a]
				if c < 0 || c >= g.In[a] {
					ok = false
					break
				}
				idx = idx*g.In[a] + c
			}
			if ok {
				v := float64(x[idx])
				switch {
				case v != v || m != m:
					m = math.NaN()
				case v > m:
					m = v
				}
				s += v
				cnt++
			}
			a := r - 1
			for ; a >= 0; a-- {
				kc[a]++
				if kc[a] < g.Kernel[a] {
					break
				}
				kc[a] = 0
			}
			if a < 0 {
				break
			}
		}
		switch {
		case !avg:
			y[o] = T(m)
		case includePad && pad > 0:
			y[o] = T(s / float64(pad))
		case !includePad && cnt > 0:
			y[o] = T(s / float64(cnt))
		}
		for a := r - 1; a >= 0; a-- {
			oc[a]++
			if oc[a] < g.Out[a] {
				break
			}
			oc[a] = 0
		}
	}
	return y
}

// randGeometry makes a window over rank spatial axes with the output
// sizes of floor or ceil mode.
func randGeometry(r *rand.Rand, rank int) Geometry {
	var g Geometry
	for a := 0; a < rank; a++ {
		in := 1 + r.IntN(20)
		if a == rank-1 {
			in = 1 + r.IntN(70)
		}
		k := 1 + r.IntN(min(in, 4))
		s := 1 + r.IntN(3)
		d := 1
		if r.IntN(4) == 0 {
			d = 2
		}
		dk := (k-1)*d + 1
		pb, pe := r.IntN(k), r.IntN(k)
		if in+pb+pe < dk {
			pe += dk - (in + pb + pe)
		}
		span := in + pb + pe - dk
		out := span/s + 1
		if r.IntN(2) == 0 { // ceil mode
			out = (span+s-1)/s + 1
			if (out-1)*s >= in+pb {
				out--
			}
		}
		g.In = append(g.In, in)
		g.Out = append(g.Out, out)
		g.Kernel = append(g.Kernel, k)
		g.Strides = append(g.Strides, s)
		g.Dilations = append(g.Dilations, d)
		g.PadBegin = append(g.PadBegin, pb)
		g.PadEnd = append(g.PadEnd, pe)
	}
	return g
}

// TestPlanes compares MaxPlanes and AvgPlanes with the window loop on
// random geometries of one to three axes, a random number of planes at a
// time: max exactly, the mean within the error of summing the window in T.
func TestPlanes(t *testing.T) {
	testPlanes[float32](t)
	testPlanes[float64](t)
}

func testPlanes[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	eps := 0x1p-24
	if _, ok := any(T(0)).(float64); ok {
		eps = 0x1p-53
	}
	for it := 0; it < 400; it++ {
		g := randGeometry(r, 1+it%3)
		p, err := NewPlan(g, 1<<20)
		if err != nil {
			t.Fatalf("%+v: %v", g, err)
		}
		name := fmt.Sprintf("%T %+v", T(0), g)
		np := 1 + r.IntN(min(p.Batch(), 5))
		in, out := p.InSize(), p.OutSize()
		x := randVals[T](r, np*in, it%2 == 0)
		sc := NewScratch[T](p)
		got, check := guarded[T](np * out)
		MaxPlanes(p, got, x, np, sc)
		check(t)
		for q := 0; q < np; q++ {
			want := refPool(g, x[q*in:(q+1)*in], false, false)
			for i := range want {
				if !same(got[q*out+i], want[i]) {
					t.Fatalf("%s max, plane %d of %d: out %d = %v, want %v", name, q, np, i, got[q*out+i], want[i])
				}
			}
		}
		// Means of finite inputs.
		x = randVals[T](r, np*in, false)
		ktaps := 1
		for _, k := range g.Kernel {
			ktaps *= k
		}
		for _, inc := range []bool{false, true} {
			sc := NewScratch[T](p)
			got, check := guarded[T](np * out)
			AvgPlanes(p, got, x, np, inc, sc)
			check(t)
			for q := 0; q < np; q++ {
				want := refPool(g, x[q*in:(q+1)*in], true, inc)
				for i := range want {
					// Summing k terms then scaling: (k+2) roundings of at
					// most the window's largest magnitude.
					if d := math.Abs(float64(got[q*out+i]) - float64(want[i])); d > float64(ktaps+2)*eps*4*(1+math.Abs(float64(want[i]))) {
						t.Fatalf("%s avg includePad=%v, plane %d of %d: out %d = %v, want %v", name, inc, q, np, i, got[q*out+i], want[i])
					}
				}
			}
		}
	}
}

// TestPlanGroups checks the row groups of a few geometries: the interior
// rows of a 2-D window run as one strided call.
func TestPlanGroups(t *testing.T) {
	g := Geometry{In: []int{112, 112}, Out: []int{56, 56}, Kernel: []int{3, 3}, Strides: []int{2, 2},
		Dilations: []int{1, 1}, PadBegin: []int{1, 1}, PadEnd: []int{1, 1}}
	p, err := NewPlan(g, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.groups) != 2 || p.groups[1].m != 55 || p.groups[1].delta != 224 || p.pl != 1 || p.wp != 113 {
		t.Fatalf("groups %+v, reduced rows %d wide from %d", p.groups, p.wp, p.pl)
	}
	g = Geometry{In: []int{30}, Out: []int{15}, Kernel: []int{2}, Strides: []int{2}, Dilations: []int{1},
		PadBegin: []int{0}, PadEnd: []int{0}}
	if p, err = NewPlan(g, 1<<20); err != nil || !p.identity {
		t.Fatalf("1-D plan not an identity first pass: %+v %v", p, err)
	}
}

func TestPlanLimits(t *testing.T) {
	g := Geometry{In: []int{6000}, Out: []int{11999}, Kernel: []int{6000}, Strides: []int{1}, Dilations: []int{1},
		PadBegin: []int{5999}, PadEnd: []int{5999}}
	if _, err := NewPlan(g, 1<<20); err != ErrTooLarge {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
	g.Out = []int{0}
	if _, err := NewPlan(g, 1<<20); err == nil {
		t.Fatal("no error for an empty output")
	}
}

func BenchmarkMaxPlane(b *testing.B) {
	for _, c := range []struct {
		name      string
		ch, hw, k int
		s, p      int
	}{
		{"64x112-k3s2p1", 64, 112, 3, 2, 1},
		{"192x28-k3s1p1", 192, 28, 3, 1, 1},
		{"512x14-k3s1p1", 512, 14, 3, 1, 1},
		{"832x7-k3s1p1", 832, 7, 3, 1, 1},
		{"64x111-k3s2p0", 64, 111, 3, 2, 0},
	} {
		out := (c.hw+2*c.p-c.k)/c.s + 1
		g := Geometry{In: []int{c.hw, c.hw}, Out: []int{out, out}, Kernel: []int{c.k, c.k}, Strides: []int{c.s, c.s},
			Dilations: []int{1, 1}, PadBegin: []int{c.p, c.p}, PadEnd: []int{c.p, c.p}}
		p, err := NewPlan(g, 1<<20)
		if err != nil {
			b.Fatal(err)
		}
		x := randVals[float32](rand.New(rand.NewPCG(1, 1)), c.ch*p.InSize(), false)
		y := make([]float32, c.ch*p.OutSize())
		sc := NewScratch[float32](p)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(x)))
			_, p0 := cpuClocks()
			for b.Loop() {
				for pl := 0; pl < c.ch; pl += p.Batch() {
					n := min(p.Batch(), c.ch-pl)
					MaxPlanes(p, y[pl*p.OutSize():(pl+n)*p.OutSize()], x[pl*p.InSize():(pl+n)*p.InSize()], n, sc)
				}
			}
			// On a shared machine wall time overstates the cost: also
			// report CPU time.
			if _, p1 := cpuClocks(); p1 > p0 {
				b.ReportMetric((p1-p0)*1e6/float64(b.N), "cpu-us/op")
			}
		})
	}
}
