package conv

import (
	"fmt"
	"math"

	"github.com/onnxrun/onnxrun/internal/gemm"
)

// Pointwise kernels: a float32 1×1 convolution with few input channels
// per group or a large plane (MobileNet's and EfficientNet's expansions, at large planes)
// does little arithmetic per output, so the GEMM's fixed costs per tile
// (packing the input, a call and an epilogue per 6×16 tile) and its
// column-panel order (each panel sweeps all output channels, so each
// output row is written 64 bytes at a time across the whole plane)
// dominate. Here the input rows are read in place: a work item is a run of
// output positions (a column chunk whose k input rows stay in L1), and the
// kernel computes up to pwRows output channels of the whole chunk at a
// time with the sums, bias, residual and activation in registers. Each
// output is summed over the input channels in order from zero, then the
// bias and residual added: the same arithmetic whatever the chunking, so
// results do not depend on the thread count.

// pwRows is the most output channels the kernel computes at once (its
// weights are packed in groups of pwRows rows).
const pwRows = 6

// pwMaxK is the most input channels per group for which the pointwise
// kernels are used at any plane size, pwMaxKWide the most at planes of at
// least pwWide positions. Measured on MobileNetV2's and EfficientNet-B0's
// layers, one thread: as fast as the packed GEMM or faster (more so with
// SiLU, which the kernels apply in registers) up to 160 input channels
// at 7×7, up to 672 at 14×14 and above; 10-15% slower at 7×7 with 320 to
// 1152 input channels, where the GEMM keeps its B panels in L1.
const (
	pwMaxK     = 160
	pwMaxKWide = 1024
	pwWide     = 128
)

// pwChunkElems bounds a chunk's input rows, in elements (fitted to L1).
const pwChunkElems = 8192

// pwOK reports whether the pointwise kernels compute p (float32, a
// pointwise plan; pwAsm tells whether they are used by default).
func (pl *Plan[T]) pwOK() bool {
	_, is32 := any(T(0)).(float32)
	return is32 && pl.Algo == Pointwise && pl.cg > 0 && (pl.cg <= pwMaxK || pl.cg <= pwMaxKWide && pl.out >= pwWide)
}

// packPW packs each group's [mg, cg] weights for the pointwise kernel: per
// block of pwRows output channels (fewer for the last), k-major, the
// block's rows side by side (element kk·R + r).
func packPW(w []float32, groups, mg, cg int) []float32 {
	out := make([]float32, len(w))
	for g := 0; g < groups; g++ {
		base := g * mg * cg
		for r0 := 0; r0 < mg; r0 += pwRows {
			rows := min(pwRows, mg-r0)
			blk := out[base+r0*cg : base+(r0+rows)*cg]
			for r := 0; r < rows; r++ {
				src := w[base+(r0+r)*cg : base+(r0+r+1)*cg]
				for kk, v := range src {
					blk[kk*rows+r] = v
				}
			}
		}
	}
	return out
}

// pwEpilogue is an epilogue as the pointwise kernel takes it: a clamp
// to [lo, hi], then act (0 none, 1 sigmoid, 2 SiLU), then, when post is
// not nil, an activation the kernel does not do, applied after it.
type pwEpilogue struct {
	lo, hi float32
	act    int
	post   *gemm.Epilogue
}

func pwEpilogueOf(ep *gemm.Epilogue) pwEpilogue {
	e := pwEpilogue{lo: float32(math.Inf(-1)), hi: float32(math.Inf(1))}
	if ep == nil {
		return e
	}
	switch ep.Act {
	case gemm.ActNone:
	case gemm.ActRelu:
		e.lo = 0
	case gemm.ActClip:
		e.lo, e.hi = ep.Min, ep.Max
	case gemm.ActSigmoid:
		e.act = 1
	case gemm.ActSiLU:
		e.act = 2
	default:
		e.post = ep
	}
	return e
}

// runPointwise32 computes a float32 pointwise convolution with the
// pointwise kernels: pw holds the weights packed by packPW; bias and ep
// (when not nil; its residual has y's layout) as for RunEpilogue. Work
// items are (image, group, column chunk).
func (pl *Plan[T]) runPointwise32(x, pw, bias []float32, ep *gemm.Epilogue, y []float32, threads int, kern pwKernel) {
	p := &pl.P
	cg, mg, plane := pl.cg, pl.mg, pl.out
	e := pwEpilogueOf(ep)
	var res []float32
	if ep != nil {
		res = ep.Residual
	}
	chunk := max(64, min(1024, pwChunkElems/cg)) &^ 15
	chunks := (plane + chunk - 1) / chunk
	// The sigmoid and SiLU in registers hold one vector's chain of
	// operations at a time (the sums take twelve registers): where the
	// chunks are long, the kernel only clamps and gemm.Sigmoid runs over
	// each row of the chunk while it is in L1 (15-20% faster on
	// EfficientNet-B0's 112×112 and 56×56 expansions). Decided by the
	// layer alone, so the same way whatever the thread count; and as
	// every chunk but a row's last is a multiple of 16 long, the elements
	// gemm.Sigmoid leaves to its scalar tail are a row's last len%8
	// whatever the chunks.
	sigAfter := e.act != 0 && min(chunk, plane) >= 256
	per := p.N * p.Group
	// With too few chunks for the threads, the output channels are split
	// into blocks (of whole kernel rows, so every output is computed by the
	// same kernel call as with one thread), not the chunks into narrower
	// ones: two threads writing neighbouring narrow column runs of the
	// same rows share cache lines on every row and run no faster than one.
	rowBlock := mg
	if threads > 1 && per*chunks < 4*threads {
		want := (4*threads + per*chunks - 1) / (per * chunks)
		rowBlock = min(mg, max(pwRows, ((mg+want-1)/want+pwRows-1)/pwRows*pwRows))
	}
	rowBlocks := (mg + rowBlock - 1) / rowBlock
	var zeros [pwRows]float32
	ParallelFor(per*chunks*rowBlocks, threads, func(_, it int) {
		rb := it % rowBlocks
		it /= rowBlocks
		c0 := (it % chunks) * chunk
		nc := min(chunk, plane-c0)
		g := (it / chunks) % p.Group
		n := it / chunks / p.Group
		xg := x[(n*p.C+g*cg)*plane+c0:]
		for r0 := rb * rowBlock; r0 < min(mg, (rb+1)*rowBlock); r0 += pwRows {
			rows := min(pwRows, mg-r0)
			yo := (n*p.M+g*mg+r0)*plane + c0
			b := zeros[:rows]
			if bias != nil {
				b = bias[g*mg+r0 : g*mg+r0+rows]
			}
			var rs []float32
			if res != nil {
				rs = res[yo:]
			}
			w := pw[(g*mg+r0)*cg : (g*mg+r0+rows)*cg]
			act := e.act
			if sigAfter {
				act = 0
			}
			kern(y[yo:], xg, w, b, rs, rows, cg, nc, plane, plane, e.lo, e.hi, act)
			if sigAfter {
				for r := 0; r < rows; r++ {
					gemm.Sigmoid(y[yo+r*plane:yo+r*plane+nc], e.act == 2)
				}
			}
			if e.post != nil {
				for r := 0; r < rows; r++ {
					activate(e.post, y[yo+r*plane:yo+r*plane+nc])
				}
			}
		}
	})
}

// pwKernel computes, for r < rows and c < cols, dst[r·ldd+c] = the
// epilogue (clamp to [lo, hi], then act) of Σ_k w[k·rows+r]·x[k·ldx+c] +
// bias[r] (+ res[r·ldd+c] when res is not nil).
type pwKernel func(dst, x, w, bias, res []float32, rows, k, cols, ldx, ldd int, lo, hi float32, act int)

// pwCheck panics (a bug in the caller) when a slice is too short for a
// pwKernel call.
func pwCheck(dst, x, w, bias, res []float32, rows, k, cols, ldx, ldd int) {
	if rows < 1 || rows > pwRows || k < 1 || cols < 0 || len(dst) < (rows-1)*ldd+cols || len(x) < (k-1)*ldx+cols ||
		len(w) < k*rows || len(bias) < rows || (res != nil && len(res) < (rows-1)*ldd+cols) {
		panic(fmt.Sprintf("conv: pointwise kernel of %d rows, %d deep, %d columns (ld %d, %d) on %d, %d, %d, %d, %d values",
			rows, k, cols, ldx, ldd, len(dst), len(x), len(w), len(bias), len(res)))
	}
}

// pwKernelGo is the pointwise kernel in Go.
func pwKernelGo(dst, x, w, bias, res []float32, rows, k, cols, ldx, ldd int, lo, hi float32, act int) {
	pwCheck(dst, x, w, bias, res, rows, k, cols, ldx, ldd)
	if cols == 0 {
		return
	}
	var acc [64]float32
	for c0 := 0; c0 < cols; c0 += len(acc) {
		nc := min(len(acc), cols-c0)
		for r := 0; r < rows; r++ {
			a := acc[:nc]
			clear(a)
			for kk := 0; kk < k; kk++ {
				wv := w[kk*rows+r]
				xr := x[kk*ldx+c0 : kk*ldx+c0+nc]
				for i, xv := range xr {
					a[i] += wv * xv
				}
			}
			d := dst[r*ldd+c0 : r*ldd+c0+nc]
			for i, v := range a {
				v += bias[r]
				if res != nil {
					v += res[r*ldd+c0+i]
				}
				// NaN passes, as in the assembly.
				if v < lo {
					v = lo
				}
				if v > hi {
					v = hi
				}
				d[i] = v
			}
			switch act {
			case 1:
				activate(&gemm.Epilogue{Act: gemm.ActSigmoid}, d)
			case 2:
				activate(&gemm.Epilogue{Act: gemm.ActSiLU}, d)
			}
		}
	}
}
