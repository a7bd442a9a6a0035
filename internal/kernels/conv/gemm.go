package conv

import "github.com/onnxrun/onnxrun/internal/gemm"

// Num is the set of element types the convolution kernels compute in.
// Integer convolutions (ConvInteger, QLinearConv) accumulate in int32.
type Num interface {
	float32 | float64 | int32
}

// gemmAcc computes C += op(A)·B for row-major matrices: op(A) is m×k (A is
// k×m when transA), B is k×n, C is m×n. float32 goes through the shared
// packed SGEMM on the calling goroutine (the convolution splits work across
// threads itself); the other types use a plain cache-friendly loop.
func gemmAcc[T Num](transA bool, m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	switch av := any(a).(type) {
	case []float32:
		gemm.SgemmThreads(1, transA, false, m, n, k, 1, av, lda, any(b).([]float32), ldb, 1, any(c).([]float32), ldc)
		return
	}
	for i := 0; i < m; i++ {
		crow := c[i*ldc : i*ldc+n]
		for p := 0; p < k; p++ {
			var av T
			if transA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			if av == 0 {
				continue
			}
			brow := b[p*ldb : p*ldb+n]
			for j, bv := range brow {
				crow[j] += av * bv
			}
		}
	}
}

// minTileCols is the fewest output positions a work item of the packed
// GEMM path takes when the output is split for threads: narrower items
// would stream the packed weights for too little work.
const minTileCols = 128

// runPacked32 computes a float32 pointwise or im2col convolution with
// weights packed once per group (pa). The work is split into (image,
// group, tile of output positions, block of output channels) items; each
// computes Y[mb, tile] = Act(W_g[mb, ck] · X_cols[ck, tile] + bias +
// residual) with one GEMM whose B operand is the input itself (pointwise)
// or its patches, packed straight from the input into the GEMM's panels
// (im2col). With one thread an item is a whole image and group; with more,
// the output positions (then the channels) are split until every thread
// has several items. The split never cuts a sum: each output element is
// summed in the same order whatever the thread count.
func (pl *Plan[T]) runPacked32(x []float32, pa []*gemm.PackedA, bias []float32, ep *gemm.Epilogue, y []float32, threads int) {
	p := &pl.P
	expand := pl.Algo != Pointwise
	out, mg := pl.out, pl.mg
	tile, mBlock := pl.split32(threads, pa[0].RowAlign())
	if expand && len(p.In) > 3 {
		tile = min(tile, pl.tile) // the column buffer is materialized
	}
	tiles := (out + tile - 1) / tile
	mBlocks := (mg + mBlock - 1) / mBlock
	items := p.N * p.Group * tiles * mBlocks
	var e gemm.Epilogue
	if ep != nil {
		e = *ep
	}
	res := e.Residual
	var fills []*im2colFill
	if expand && len(p.In) <= 3 {
		fills = make([]*im2colFill, min(threads, items))
		defer func() {
			for _, f := range fills {
				if f != nil {
					pl.fills.put(f)
				}
			}
		}()
	}
	var cols [][]float32
	if expand && len(p.In) > 3 {
		cols = make([][]float32, min(threads, items))
		defer func() {
			for _, b := range cols {
				if b != nil {
					putScratch(b)
				}
			}
		}()
	}
	ParallelFor(items, threads, func(wk, it int) {
		mb := it % mBlocks
		rest := it / mBlocks
		t := rest % tiles
		g := (rest / tiles) % p.Group
		n := rest / tiles / p.Group
		o0 := t * tile
		nt := min(tile, out-o0)
		m0 := mb * mBlock
		nm := min(mBlock, mg-m0)
		yOff := (n*p.M+g*mg+m0)*out + o0
		ie := e
		if bias != nil {
			ie.Bias, ie.BiasPerRow = bias[g*mg+m0:g*mg+m0+nm], true
		}
		if res != nil {
			ie.Residual, ie.LdResidual = res[yOff:], out
		}
		xg := x[(n*p.C+g*pl.cg)*pl.in : (n*p.C+(g+1)*pl.cg)*pl.in]
		switch {
		case !expand:
			gemm.SgemmPackedRows(1, pa[g], m0, m0+nm, false, nt, xg[o0:], pl.in, 0, y[yOff:], out, ie)
		case fills != nil:
			f := fills[wk]
			if f == nil {
				f = pl.fills.get(p, pl.cg)
				fills[wk] = f
			}
			f.x, f.o0 = xg, o0
			gemm.SgemmPackedFill(pa[g], m0, m0+nm, nt, f.fill, y[yOff:], out, ie)
		default:
			if cols[wk] == nil {
				cols[wk] = getScratch[float32](pl.ck * tile)
			}
			col := cols[wk][:pl.ck*nt]
			im2col(p, xg, pl.cg, o0, nt, col)
			gemm.SgemmPackedRows(1, pa[g], m0, m0+nm, false, nt, col, nt, 0, y[yOff:], out, ie)
		}
	})
}

// split32 returns the output positions and output channels per work item
// of runPacked32 (align: the GEMM's row alignment). With one thread an item
// is a whole image and group; with more, the output positions are split
// (into multiples of 16, at least minTileCols) until there are about four
// items per thread, then, if there are fewer items than threads, the
// channels (in multiples of align).
func (pl *Plan[T]) split32(threads, align int) (tile, mBlock int) {
	p := &pl.P
	out, mg := pl.out, pl.mg
	if pl.forceSplit[0] > 0 {
		return pl.forceSplit[0], max(align, pl.forceSplit[1]/align*align)
	}
	per := p.N * p.Group
	tile, mBlock = out, mg
	if threads > 1 {
		target := 4 * threads
		tiles := min((target+per-1)/per, max(1, out/minTileCols))
		if tiles > 1 {
			tile = min(out, (out+tiles-1)/tiles+15) &^ 15
		}
		if items := per * ((out + tile - 1) / tile); items < threads {
			// Each channel block packs the same input columns again:
			// make only as many as there are threads.
			want := (threads + items - 1) / items
			mBlock = max(4*align, ((mg+want-1)/want+align-1)/align*align)
		}
	}
	return tile, mBlock
}
