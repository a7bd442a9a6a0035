// Command asmgen writes the AVX2+FMA depthwise convolution kernel of
// package conv (internal/kernels/conv/dwtaps_amd64.s and its Go
// declaration) or, with -set winograd, its Winograd transforms
// (winograd_amd64.s; see winograd.go).
//
// It lives in its own module so that the main module does not depend on
// avo. Run it through `go generate` in internal/kernels/conv, or by hand:
//
//	cd internal/kernels/conv/asmgen && go run . -out ../dwtaps_amd64.s -stubs ../dwtaps_amd64_stubs.go -pkg conv
//	cd internal/kernels/conv/asmgen && go run . -set winograd -out ../winograd_amd64.s -stubs ../winograd_amd64_stubs.go -pkg conv
package main

import (
	"flag"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// wide is the number of 8-float vectors the main loop keeps in flight.
const wide = 8

// set chooses the kernels to write: "dw" (the depthwise kernel) or
// "winograd" (the Winograd transforms, see winograd.go).
var set = flag.String("set", "dw", "kernels to generate: dw or winograd")

func main() {
	flag.Parse()
	ConstraintExpr("amd64,!noasm")
	if *set == "winograd" {
		wgIn43x8()
		wgIn43o8()
		wgOut43x8()
		wgOut43s8()
		wgOut43o8()
		wgIn23o8()
		wgOut23s8()
	} else {
		dwTaps()
	}
	Generate()
}

// dwTaps emits dwTaps: dst[i] = bias + Σ_t w[t]·src[offs[t]+i] for i in
// [0, n), n a multiple of 8.
func dwTaps() {
	TEXT("dwTaps", NOSPLIT, "func(dst *float32, src *float32, offs *int, w *float32, ntaps int, n int, bias float32)")
	Pragma("noescape")
	Doc(
		"dwTaps sets dst[i] = bias + Σ_t w[t]·src[offs[t]+i] for i in [0, n),",
		"t in [0, ntaps); n must be a multiple of 8. Every src index read must",
		"be in bounds. It needs AVX2 and FMA.",
	)
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	offs := Load(Param("offs"), GP64())
	w := Load(Param("w"), GP64())
	ntaps := Load(Param("ntaps"), GP64())
	n := Load(Param("n"), GP64())
	bias := YMM()
	VBROADCASTSS(NewParamAddr("bias", 48), bias)

	t := GP64()
	p := GP64()
	wv := YMM()
	acc := make([]VecVirtual, wide)
	for i := range acc {
		acc[i] = YMM()
	}

	// Main loop: 8 vectors (64 outputs) per pass over the taps.
	Label("wide")
	CMPQ(n, U32(8*wide))
	JL(LabelRef("narrow"))
	for i := range acc {
		VMOVAPS(bias, acc[i])
	}
	XORQ(t, t)
	Label("wtap")
	CMPQ(t, ntaps)
	JGE(LabelRef("wstore"))
	MOVQ(Mem{Base: offs, Index: t, Scale: 8}, p)
	LEAQ(Mem{Base: src, Index: p, Scale: 4}, p)
	VBROADCASTSS(Mem{Base: w, Index: t, Scale: 4}, wv)
	for i := range acc {
		VFMADD231PS(Mem{Base: p, Disp: 32 * i}, wv, acc[i])
	}
	INCQ(t)
	JMP(LabelRef("wtap"))
	Label("wstore")
	for i := range acc {
		VMOVUPS(acc[i], Mem{Base: dst, Disp: 32 * i})
	}
	ADDQ(U32(32*wide), dst)
	ADDQ(U32(32*wide), src)
	SUBQ(U32(8*wide), n)
	JMP(LabelRef("wide"))

	// Tail: one vector at a time.
	Label("narrow")
	CMPQ(n, U32(8))
	JL(LabelRef("done"))
	a := acc[0]
	VMOVAPS(bias, a)
	XORQ(t, t)
	Label("ntap")
	CMPQ(t, ntaps)
	JGE(LabelRef("nstore"))
	MOVQ(Mem{Base: offs, Index: t, Scale: 8}, p)
	VBROADCASTSS(Mem{Base: w, Index: t, Scale: 4}, wv)
	VFMADD231PS(Mem{Base: src, Index: p, Scale: 4}, wv, a)
	INCQ(t)
	JMP(LabelRef("ntap"))
	Label("nstore")
	VMOVUPS(a, Mem{Base: dst})
	ADDQ(U32(32), dst)
	ADDQ(U32(32), src)
	SUBQ(U32(8), n)
	JMP(LabelRef("narrow"))

	Label("done")
	VZEROUPPER()
	RET()
}
