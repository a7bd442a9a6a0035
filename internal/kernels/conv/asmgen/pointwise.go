package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The pointwise (1×1) convolution kernels of package conv (see
// pointwise.go there): up to pwRows output channels of a run of output
// positions, the input read straight from its rows (nothing packed), the
// epilogue applied in registers.

// pwRows is the most output channels one kernel computes.
const pwRows = 6

// pwConv emits pwConvR, R = rows: for r < R and c < cols,
//
//	dst[r·ldd/4+c] = act(clamp(Σ_k w[k·R+r]·x[k·ldx/4+c] + bias[r] + res[r·ldd/4+c]))
//
// summed over k in order from zero, in blocks of 16 columns (two vectors
// per row), then 8, then the last 1..7 as one masked vector.
func pwConv(rows int) {
	name := fmt.Sprintf("pwConv%d", rows)
	TEXT(name, NOSPLIT, "func(dst *float32, x *float32, w *float32, bias *float32, res *float32, k int, cols int, ldx int, ldd int, lo float32, hi float32, act int)")
	Pragma("noescape")
	Doc(
		fmt.Sprintf("%s sets, for r < %d and c < cols, dst[r·ldd/4+c] to the epilogue of", name, rows),
		fmt.Sprintf("Σ_{k'<k} w[k'·%d+r]·x[k'·ldx/4+c] (summed in order from zero) + bias[r] +", rows),
		"res[r·ldd/4+c] (res nil: no residual): clamped to [lo, hi], then the sigmoid",
		"(act 1) or SiLU (act 2). ldx and ldd are in bytes; k >= 1. It reads and writes",
		"nothing past column cols-1 of a row. It needs AVX2 and FMA.",
	)
	dcol := Load(Param("dst"), GP64())
	xcol := Load(Param("x"), GP64())
	rcol := Load(Param("res"), GP64())
	n := Load(Param("cols"), GP64())
	xp, wp, cnt, tmp := GP64(), GP64(), GP64(), GP64()
	ldx := Load(Param("ldx"), GP64())
	loMem, hiMem, actMem := NewParamAddr("lo", 72), NewParamAddr("hi", 76), NewParamAddr("act", 80)

	// block computes v vectors (masked by mask when not nil) of each row
	// at the current columns and stores them.
	block := func(lbl string, v int, mask VecVirtual) {
		acc := make([][]VecVirtual, rows)
		var flat []VecVirtual
		for r := range acc {
			acc[r] = make([]VecVirtual, v)
			for i := range acc[r] {
				acc[r][i] = YMM()
				VXORPS(acc[r][i], acc[r][i], acc[r][i])
				flat = append(flat, acc[r][i])
			}
		}
		MOVQ(xcol, xp)
		Load(Param("w"), wp)
		Load(Param("k"), cnt)
		xv := make([]VecVirtual, v)
		for i := range xv {
			xv[i] = YMM()
		}
		b := YMM()
		Label(lbl + "_k")
		for i := range xv {
			if mask != nil {
				VMASKMOVPS(Mem{Base: xp, Disp: 32 * i}, mask, xv[i])
			} else {
				VMOVUPS(Mem{Base: xp, Disp: 32 * i}, xv[i])
			}
		}
		for r := 0; r < rows; r++ {
			VBROADCASTSS(Mem{Base: wp, Disp: 4 * r}, b)
			for i := range xv {
				VFMADD231PS(xv[i], b, acc[r][i])
			}
		}
		ADDQ(ldx, xp)
		ADDQ(U8(4*rows), wp)
		DECQ(cnt)
		JNZ(LabelRef(lbl + "_k"))
		// Bias, then the residual.
		Load(Param("bias"), tmp)
		for r := 0; r < rows; r++ {
			VBROADCASTSS(Mem{Base: tmp, Disp: 4 * r}, b)
			for i := 0; i < v; i++ {
				VADDPS(b, acc[r][i], acc[r][i])
			}
		}
		Load(Param("ldd"), cnt)
		TESTQ(rcol, rcol)
		JZ(LabelRef(lbl + "_nores"))
		MOVQ(rcol, tmp)
		for r := 0; r < rows; r++ {
			for i := 0; i < v; i++ {
				if mask != nil {
					VMASKMOVPS(Mem{Base: tmp, Disp: 32 * i}, mask, b)
					VADDPS(b, acc[r][i], acc[r][i])
				} else {
					VADDPS(Mem{Base: tmp, Disp: 32 * i}, acc[r][i], acc[r][i])
				}
			}
			if r+1 < rows {
				ADDQ(cnt, tmp)
			}
		}
		Label(lbl + "_nores")
		epilogueN(lbl+"_ep", flat, loMem, hiMem, actMem, 1)
		MOVQ(dcol, tmp)
		for r := 0; r < rows; r++ {
			for i := 0; i < v; i++ {
				if mask != nil {
					VMASKMOVPS(acc[r][i], mask, Mem{Base: tmp, Disp: 32 * i})
				} else {
					VMOVUPS(acc[r][i], Mem{Base: tmp, Disp: 32 * i})
				}
			}
			if r+1 < rows {
				ADDQ(cnt, tmp)
			}
		}
	}
	// advance moves the column pointers on by c columns (the residual's
	// only when there is one).
	advance := func(lbl string, c int) {
		ADDQ(U32(4*c), dcol)
		ADDQ(U32(4*c), xcol)
		TESTQ(rcol, rcol)
		JZ(LabelRef(lbl))
		ADDQ(U32(4*c), rcol)
		Label(lbl)
		SUBQ(U32(c), n)
	}

	Label(name + "_v2")
	CMPQ(n, U8(16))
	JL(LabelRef(name + "_v1"))
	block(name+"_b2", 2, nil)
	advance(name+"_a2", 16)
	JMP(LabelRef(name + "_v2"))

	Label(name + "_v1")
	CMPQ(n, U8(8))
	JL(LabelRef(name + "_tail"))
	block(name+"_b1", 1, nil)
	advance(name+"_a1", 8)

	Label(name + "_tail")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	mask := YMM()
	maskOf(mask, n, tmp)
	block(name+"_bt", 1, mask)

	Label(name + "_done")
	VZEROUPPER()
	RET()
}
