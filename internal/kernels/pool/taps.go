// Package pool holds the pooling kernels: window reductions (max and sum)
// over rows of taps at a stride, whole-plane reductions, and the plan that
// runs an N-dimensional MaxPool or AveragePool plane as a pass over the
// outer axes followed by one along the last axis.
//
// Float32 runs AVX2 assembly where the CPU has it (not under -tags noasm);
// the generic Go forms define the results, which the assembly reproduces
// bit for bit (up to the payload of a NaN and the sign of a zero maximum).
// Every kernel reduces in a fixed order, so results do not depend on how
// callers split work over planes. Max propagates NaN: a window holding a
// NaN gives a NaN.
package pool

import (
	"fmt"
	"math"
)

// Float is the element types the kernels compute in.
type Float interface{ float32 | float64 }

// rows is the shape of one reduction over taps: planes of m rows of n
// outputs; output i of row r of plane q is
// dst[q*dstPlane+r*dstStride+i] and reads the taps
// src[q*srcPlane+r*srcStride+offs[t]+stride*i].
type rows struct {
	n, stride, m, dstStride, srcStride int
	planes, dstPlane, srcPlane         int // planes 0 counts as 1
}

// check panics unless every element g reads and writes lies in src and dst
// (a programming error: the assembly must not run out of bounds), and
// returns g with planes at least 1.
func (g rows) check(dstLen, srcLen int, offs []int) rows {
	g.planes = max(g.planes, 1)
	ok := g.n > 0 && g.m > 0 && len(offs) > 0 && g.stride > 0 && g.dstStride >= 0 && g.srcStride >= 0 &&
		g.dstPlane >= 0 && g.srcPlane >= 0
	if ok {
		lo, hi := offs[0], offs[0]
		for _, o := range offs[1:] {
			lo, hi = min(lo, o), max(hi, o)
		}
		ok = lo >= 0 && hi+g.stride*(g.n-1)+g.srcStride*(g.m-1)+g.srcPlane*(g.planes-1) < srcLen &&
			g.dstPlane*(g.planes-1)+g.dstStride*(g.m-1)+g.n <= dstLen
	}
	if !ok {
		panic(fmt.Sprintf("pool: taps %v of %+v out of bounds (dst %d, src %d)", offs, g, dstLen, srcLen))
	}
	return g
}

// maxRows sets every output of g to the largest of its taps (a NaN if one
// of them is NaN; which zero when +0 and -0 tie is unspecified).
func maxRows[T Float](dst, src []T, offs []int, g rows) {
	g = g.check(len(dst), len(src), offs)
	if d, ok := any(dst).([]float32); ok {
		if maxRowsF32(d, any(src).([]float32), offs, g) {
			return
		}
	}
	for q := 0; q < g.planes; q++ {
		for r := 0; r < g.m; r++ {
			maxTapsGo(dst[q*g.dstPlane+r*g.dstStride:][:g.n], src[q*g.srcPlane+r*g.srcStride:], offs, g.stride)
		}
	}
}

// sumRows sets every output of g to the sum of its taps, added in the
// order of offs starting from zero.
func sumRows[T Float](dst, src []T, offs []int, g rows) {
	g = g.check(len(dst), len(src), offs)
	if d, ok := any(dst).([]float32); ok {
		if sumRowsF32(d, any(src).([]float32), offs, g) {
			return
		}
	}
	for q := 0; q < g.planes; q++ {
		for r := 0; r < g.m; r++ {
			sumTapsGo(dst[q*g.dstPlane+r*g.dstStride:][:g.n], src[q*g.srcPlane+r*g.srcStride:], offs, g.stride)
		}
	}
}

// split returns how the assembly computes a row of n outputs: nfull in
// whole vectors, then the last tail in one vector that starts back outputs
// early when the row has that many. At stride 2 the last output always
// goes to that vector, whose masked loads stop at its last tap.
func split(n, stride int) (nfull, tail, back int) {
	if stride == 1 {
		nfull, tail = n&^7, n&7
	} else {
		nfull = (n - 1) &^ 7
		tail = n - nfull
	}
	if tail > 0 && n >= 8 {
		back = 8 - tail
	}
	return nfull, tail, back
}

// maxTapsGo is one row of maxRows.
func maxTapsGo[T Float](dst, src []T, offs []int, stride int) {
	for t, o := range offs {
		s := src[o:]
		_ = s[stride*(len(dst)-1)]
		if t == 0 {
			for i := range dst {
				dst[i] = s[i*stride]
			}
			continue
		}
		for i := range dst {
			if v := s[i*stride]; v > dst[i] || v != v {
				dst[i] = v
			}
		}
	}
}

// sumTapsGo is one row of sumRows.
func sumTapsGo[T Float](dst, src []T, offs []int, stride int) {
	for i := range dst {
		dst[i] = 0
	}
	for _, o := range offs {
		s := src[o:]
		_ = s[stride*(len(dst)-1)]
		for i := range dst {
			dst[i] += s[i*stride]
		}
	}
}

// lanes is the number of partial results of PlaneSum and PlaneMax.
const lanes = 32

// smallPlane is the size below which PlaneSum keeps 8 partial sums.
const smallPlane = 256

// PlaneSum returns the sum of x: element i goes to partial sum i mod 32
// (i mod 8 when x has fewer than 256 elements) in order, and the partial
// sums are added pairwise.
func PlaneSum[T Float](x []T) T {
	if len(x) < smallPlane {
		return smallSum(x)
	}
	var acc [lanes]T
	n := len(x) &^ (lanes - 1)
	if a, ok := any(&acc).(*[lanes]float32); ok {
		sumLanesF32(any(x[:n]).([]float32), a)
	} else {
		sumLanesGo(x[:n], &acc)
	}
	for i, v := range x[n:] {
		acc[i] += v
	}
	for w := lanes / 2; w > 0; w /= 2 {
		for k := 0; k < w; k++ {
			acc[k] += acc[k+w]
		}
	}
	return acc[0]
}

// PlaneMax returns the largest element of x (a NaN if x holds one, -Inf
// if x is empty).
func PlaneMax[T Float](x []T) T {
	var acc [lanes]T
	for i := range acc {
		acc[i] = T(math.Inf(-1))
	}
	n := len(x) &^ (lanes - 1)
	if a, ok := any(&acc).(*[lanes]float32); ok {
		maxLanesF32(any(x[:n]).([]float32), a)
	} else {
		maxLanesGo(x[:n], &acc)
	}
	for i, v := range x[n:] {
		if v > acc[i] || v != v {
			acc[i] = v
		}
	}
	for w := lanes / 2; w > 0; w /= 2 {
		for k := 0; k < w; k++ {
			if v := acc[k+w]; v > acc[k] || v != v {
				acc[k] = v
			}
		}
	}
	return acc[0]
}

// smallSum is PlaneSum of fewer than smallPlane elements (the partial
// sums in locals, which stay in registers).
func smallSum[T Float](x []T) T {
	var a0, a1, a2, a3, a4, a5, a6, a7 T
	for ; len(x) >= 8; x = x[8:] {
		a0 += x[0]
		a1 += x[1]
		a2 += x[2]
		a3 += x[3]
		a4 += x[4]
		a5 += x[5]
		a6 += x[6]
		a7 += x[7]
	}
	a := [8]T{a0, a1, a2, a3, a4, a5, a6, a7}
	for i, v := range x {
		a[i] += v
	}
	return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
}

func sumLanesGo[T Float](x []T, acc *[lanes]T) {
	for ; len(x) >= lanes; x = x[lanes:] {
		for k := range acc {
			acc[k] += x[k]
		}
	}
}

func maxLanesGo[T Float](x []T, acc *[lanes]T) {
	for ; len(x) >= lanes; x = x[lanes:] {
		for k := range acc {
			if v := x[k]; v > acc[k] || v != v {
				acc[k] = v
			}
		}
	}
}
