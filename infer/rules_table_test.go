package infer

import (
	"testing"

	"github.com/onnxrun/onnxrun/graph"
)

// in describes one input of a rule test: a declared tensor (dims are ints
// or symbol names), an int64 constant, or a float constant.
type in struct {
	dims   []any
	ints   []int64 // int64 initializer (1-D) when non-nil
	scalar bool    // the int64 initializer is a scalar
	flts   []float32
	dt     graph.DType
	absent bool
}

func T(dims ...any) in                     { return in{dims: dims} }
func I(v ...int64) in                      { return in{ints: v} }
func S(v int64) in                         { return in{ints: []int64{v}, scalar: true} }
func F(v ...float32) in                    { return in{flts: v} }
func Typed(dt graph.DType, dims ...any) in { return in{dims: dims, dt: dt} }

var none = in{absent: true}

func TestRuleTable(t *testing.T) {
	tests := []struct {
		op    string
		opset int64
		ins   []in
		attrs []*graph.Attr
		want  []string
	}{
		// broadcasting and element-wise
		{"Add", 13, []in{T("N", 3, 1), T(4)}, nil, []string{"[N,3,4]"}},
		{"Mul", 13, []in{T("N", 1), T("M", 5)}, nil, []string{"[max(M,N),5]"}},
		{"Equal", 13, []in{T(2, 3), T(3)}, nil, []string{"[2,3]"}},
		{"Where", 13, []in{Typed(graph.Bool, 2, 1), T(1, 4), T(2, 4)}, nil, []string{"[2,4]"}},
		{"Sum", 13, []in{T(3), T(2, 1), T(1, 1)}, nil, []string{"[2,3]"}},
		{"Clip", 13, []in{T("N", 8), none, none}, nil, []string{"[N,8]"}},
		// matrix products
		{"Gemm", 13, []in{T(5, "N"), T(7, 5), T(7)}, []*graph.Attr{aInt("transA", 1), aInt("transB", 1)}, []string{"[N,7]"}},
		{"MatMul", 13, []in{T(2, 1, 3, 4), T(5, 4, 6)}, nil, []string{"[2,5,3,6]"}},
		{"MatMul", 13, []in{T(4), T("B", 4, 6)}, nil, []string{"[B,6]"}},
		{"MatMul", 13, []in{T("B", 3, 4), T(4)}, nil, []string{"[B,3]"}},
		// conv family
		{"ConvTranspose", 13, []in{T("N", 8, 5, 5), T(8, 4, 3, 3)}, []*graph.Attr{aInts("strides", 2, 2), aInts("output_padding", 1, 1)}, []string{"[N,4,12,12]"}},
		{"ConvTranspose", 13, []in{T(1, 8, 5, 5), T(8, 4, 3, 3)}, []*graph.Attr{aInts("strides", 2, 2), aInts("output_shape", 10, 10)}, []string{"[1,4,10,10]"}},
		{"ConvTranspose", 13, []in{T(1, 8, "H", 5), T(8, 2, 4, 4)}, []*graph.Attr{aInts("strides", 2, 2), aStr("auto_pad", "SAME_UPPER"), aInt("group", 2)}, []string{"[1,4,2*H,10]"}},
		{"AveragePool", 13, []in{T("N", 3, 32, 32)}, []*graph.Attr{aInts("kernel_shape", 3, 3), aInts("strides", 2, 2), aInt("ceil_mode", 1)}, []string{"[N,3,16,16]"}},
		{"MaxPool", 13, []in{T(1, 3, "H", 9)}, []*graph.Attr{aInts("kernel_shape", 2, 2), aInts("strides", 2, 2)}, []string{"[1,3,floor(H/2),4]", "[1,3,floor(H/2),4]"}},
		{"MaxPool", 8, []in{T(1, 3, 7)}, []*graph.Attr{aInts("kernel_shape", 3), aStr("auto_pad", "SAME_LOWER"), aInts("strides", 2)}, []string{"[1,3,4]"}},
		{"GlobalAveragePool", 13, []in{T("N", 64, 7, 7, 7)}, nil, []string{"[N,64,1,1,1]"}},
		{"BatchNormalization", 15, []in{T("N", 4, 5), T(4), T(4), T(4), T(4)}, nil, []string{"[N,4,5]"}},
		// shape manipulation
		{"Reshape", 13, []in{T("N", 3, 4, 5), I(0, -1, 5)}, nil, []string{"[N,12,5]"}},
		{"Reshape", 14, []in{T(2, 0, 4), I(0, 4, 0)}, []*graph.Attr{aInt("allowzero", 1)}, []string{"[0,4,0]"}},
		{"Reshape", 4, []in{T(2, 6)}, []*graph.Attr{aInts("shape", 3, -1)}, []string{"[3,4]"}},
		{"Flatten", 13, []in{T("N", 3, 4)}, []*graph.Attr{aInt("axis", 0)}, []string{"[1,12*N]"}},
		{"Transpose", 13, []in{T("N", 3, 4)}, nil, []string{"[4,3,N]"}},
		{"Squeeze", 11, []in{T(1, "N", 1)}, []*graph.Attr{aInts("axes", -1)}, []string{"[1,N]"}},
		{"Squeeze", 13, []in{T(1, 3, 1)}, nil, []string{"[3]"}},
		{"Unsqueeze", 11, []in{T(3, 4)}, []*graph.Attr{aInts("axes", 0, 3)}, []string{"[1,3,4,1]"}},
		{"Concat", 13, []in{T("N", 2), T("N", 3), T(1, 4)}, []*graph.Attr{aInt("axis", -1)}, []string{"[1,9]"}},
		{"Concat", 1, []in{T(1, 3, 6), T(1, 2, 6)}, nil, []string{"[1,5,6]"}}, // Concat-1 defaults to axis 1
		{"Split", 13, []in{T(10, "N"), I(3, 7)}, nil, []string{"[3,N]", "[7,N]"}},
		{"Split", 11, []in{T(9, 2)}, nil, []string{"[3,2]", "[3,2]", "[3,2]"}},
		{"Split", 18, []in{T(10)}, []*graph.Attr{aInt("num_outputs", 3)}, []string{"[4]", "[4]", "[2]"}},
		{"Slice", 13, []in{T(10, "N"), I(-3), I(1 << 40), I(0)}, nil, []string{"[3,N]"}},
		{"Slice", 13, []in{T(10, 8), I(9, 0), I(-11, 8), I(0, 1), I(-2, 3)}, nil, []string{"[5,3]"}},
		{"Slice", 1, []in{T(10, 8)}, []*graph.Attr{aInts("starts", 1), aInts("ends", 4), aInts("axes", 1)}, []string{"[10,3]"}},
		{"Slice", 13, []in{T("N", 8), I(1), I(1 << 40), I(0)}, nil, []string{"[max(0,N-1),8]"}},
		{"Gather", 13, []in{T(5, "N", 3), T(2, 7)}, []*graph.Attr{aInt("axis", 1)}, []string{"[5,2,7,3]"}},
		{"Gather", 13, []in{T(5, 6), S(2)}, nil, []string{"[6]"}},
		{"GatherElements", 13, []in{T(5, 6), Typed(graph.Int64, 2, 6)}, nil, []string{"[2,6]"}},
		{"GatherND", 13, []in{T(2, 3, 4), Typed(graph.Int64, 5, 2)}, nil, []string{"[5,4]"}},
		{"Expand", 13, []in{T(3, 1), I(2, 1, 6)}, nil, []string{"[2,3,6]"}},
		{"Tile", 13, []in{T("N", 3), I(2, 2)}, nil, []string{"[2*N,6]"}},
		{"Pad", 13, []in{T("N", 3, "H"), I(0, 0, 1, 0, 0, 2)}, nil, []string{"[N,3,H+3]"}},
		{"Pad", 2, []in{T(1, 3, 4)}, []*graph.Attr{aInts("pads", 0, 1, 1, 0, 1, 1)}, []string{"[1,5,6]"}},
		{"Pad", 18, []in{T(1, 3, 4), I(2, 2), none, I(-1)}, nil, []string{"[1,3,8]"}},
		{"DepthToSpace", 13, []in{T("N", 16, 3, 5)}, []*graph.Attr{aInt("blocksize", 2)}, []string{"[N,4,6,10]"}},
		{"SpaceToDepth", 13, []in{T("N", 3, 6, 10)}, []*graph.Attr{aInt("blocksize", 2)}, []string{"[N,12,3,5]"}},
		{"Shape", 15, []in{T("N", 3, 4, 5)}, []*graph.Attr{aInt("start", 1), aInt("end", -1)}, []string{"[2]"}},
		{"Size", 13, []in{T("N", 3)}, nil, []string{"[]"}},
		{"ConstantOfShape", 13, []in{I(2, 3)}, nil, []string{"[2,3]"}},
		{"Range", 13, []in{S(2), S(11), S(3)}, nil, []string{"[3]"}},
		{"Resize", 13, []in{T("N", 3, 8, "W"), none, F(1, 1, 2.5, 2)}, nil, []string{"[N,3,20,2*W]"}},
		{"Resize", 13, []in{T("N", 3, 8, 8), none, none, I(1, 3, 5, 7)}, nil, []string{"[1,3,5,7]"}},
		{"Resize", 10, []in{T(1, 3, 8, 8), F(1, 1, 0.5, 0.5)}, nil, []string{"[1,3,4,4]"}},
		{"Upsample", 9, []in{T(1, 3, 4, 4), F(1, 1, 2, 3)}, nil, []string{"[1,3,8,12]"}},
		{"Upsample", 7, []in{T(1, 3, 4, 4)}, []*graph.Attr{{Name: "scales", Type: graph.AttrFloats, Floats: []float32{1, 1, 2, 2}}}, []string{"[1,3,8,8]"}},
		// reductions, arg, top-k
		{"ReduceSum", 13, []in{T("N", 3, 4), I(1)}, []*graph.Attr{aInt("keepdims", 0)}, []string{"[N,4]"}},
		{"ReduceMean", 13, []in{T("N", 3, 4)}, []*graph.Attr{aInts("axes", -1, -2)}, []string{"[N,1,1]"}},
		{"ReduceMax", 18, []in{T("N", 3, 4)}, []*graph.Attr{aInt("keepdims", 0)}, []string{"[]"}},
		{"ArgMax", 13, []in{T("N", 3, 4)}, []*graph.Attr{aInt("axis", 1), aInt("keepdims", 0)}, []string{"[N,4]"}},
		{"TopK", 11, []in{T("N", 30), I(5)}, nil, []string{"[N,5]", "[N,5]"}},
		{"TopK", 1, []in{T("N", 30)}, []*graph.Attr{aInt("k", 3)}, []string{"[N,3]", "[N,3]"}},
		// data-dependent sizes get named symbols
		{"NonZero", 13, []in{T(2, 3)}, nil, []string{"[2,y0_1]"}},
		{"NonMaxSuppression", 11, []in{T(1, 6, 4), T(1, 1, 6)}, nil, []string{"[y0_1,3]"}},
		{"TopK", 11, []in{T("N", 30), T(1)}, nil, []string{"[N,y0_1]", "[N,y0_1]"}},
		// misc
		{"RoiAlign", 10, []in{T(1, 256, 50, 50), T("R", 4), Typed(graph.Int64, "R")}, []*graph.Attr{aInt("output_height", 7), aInt("output_width", 7)}, []string{"[R,256,7,7]"}},
		{"OneHot", 11, []in{Typed(graph.Int64, 2, 3), S(10), F(0, 1)}, []*graph.Attr{aInt("axis", 1)}, []string{"[2,10,3]"}},
		{"Einsum", 12, []in{T("B", 3, 4), T("B", 4, 5)}, []*graph.Attr{aStr("equation", "bij,bjk->bik")}, []string{"[B,3,5]"}},
		{"Einsum", 12, []in{T(3, 4), T(4, 5)}, []*graph.Attr{aStr("equation", "ij,jk")}, []string{"[3,5]"}},
		{"LSTM", 14, []in{T(7, "B", 10), T(1, 80, 10), T(1, 80, 20)}, []*graph.Attr{aInt("hidden_size", 20)}, []string{"[7,1,B,20]", "[1,B,20]", "[1,B,20]"}},
		{"Dropout", 13, []in{T("N", 5)}, nil, []string{"[N,5]", "[N,5]"}},
		{"LayerNormalization", 17, []in{T("N", 5, 6), T(6)}, nil, []string{"[N,5,6]", "[N,5,1]", "[N,5,1]"}},
		{"Cast", 13, []in{T("N", 5)}, []*graph.Attr{aInt("to", int64(graph.Int64))}, []string{"[N,5]"}},
		{"Attention", 23, []in{T("B", 8, "S", 64), T("B", 2, "S", 64), T("B", 2, "S", 32), none, T("B", 2, "P", 64), T("B", 2, "P", 32)}, nil,
			[]string{"[B,8,S,32]", "[B,2,P+S,64]", "[B,2,P+S,32]"}},
		{"Attention", 23, []in{T("B", "S", 512), T("B", "S", 128), T("B", "S", 128)}, []*graph.Attr{aInt("q_num_heads", 8), aInt("kv_num_heads", 2)},
			[]string{"[B,S,512]"}},
		{"BitCast", 26, []in{T("N", 3)}, []*graph.Attr{aInt("to", int64(graph.Int32))}, []string{"[N,3]"}},
		{"DFT", 17, []in{T(1, 16, 2), none}, []*graph.Attr{aInt("onesided", 1)}, []string{"[1,9,2]"}},
	}
	for _, tt := range tests {
		name := tt.op
		t.Run(name, func(t *testing.T) {
			b := newBuilder(tt.opset)
			var names []string
			for k, x := range tt.ins {
				nm := "x" + itoa(k)
				switch {
				case x.absent:
					nm = ""
				case x.ints != nil:
					dims := []int64{int64(len(x.ints))}
					if x.scalar {
						dims = nil
					}
					tn, err := graph.NewTensor(nm, dims, x.ints)
					if err != nil {
						t.Fatal(err)
					}
					b.g.Initializers = append(b.g.Initializers, tn)
				case x.flts != nil:
					tn, err := graph.NewTensor(nm, []int64{int64(len(x.flts))}, x.flts)
					if err != nil {
						t.Fatal(err)
					}
					b.g.Initializers = append(b.g.Initializers, tn)
				default:
					dt := x.dt
					if dt == graph.Undefined {
						dt = graph.Float
					}
					b.input(nm, dt, x.dims...)
				}
				names = append(names, nm)
			}
			var outs []string
			for k := range tt.want {
				outs = append(outs, "y"+itoa(k))
			}
			n := b.node(tt.op, names, outs, tt.attrs...)
			n.Name = "y0"
			res := b.run(t, nil)
			noErrors(t, res)
			for k, want := range tt.want {
				if got := shapeOf(t, res, outs[k]); got != want {
					t.Errorf("%s opset %d output %d: %s, want %s", tt.op, tt.opset, k, got, want)
				}
			}
		})
	}
}

// TestSliceLenSymbolic checks the symbolic slice length against the
// constant one for every size of the sliced dim.
func TestSliceLenSymbolic(t *testing.T) {
	bounds := []int64{-20, -7, -3, -1, 0, 1, 2, 5, 9, 1 << 40}
	for _, s := range bounds {
		for _, e := range bounds {
			for step := int64(1); step <= 3; step++ {
				sym, _, _ := sliceLen(Sym("D"), Const(s), Const(e), step)
				if sym.IsUnknown() {
					continue
				}
				for d := int64(0); d <= 12; d++ {
					want, _, _ := sliceLen(Const(d), Const(s), Const(e), step)
					if got := sym.Bind(map[string]int64{"D": d}); !got.Equal(want) {
						t.Fatalf("D[%d:%d:%d] = %v; at D=%d: %v, want %v", s, e, step, sym, d, got, want)
					}
				}
			}
		}
	}
}

// TestSliceLenConst checks slice lengths against element-by-element
// enumeration with the spec's clamping, for both step signs.
func TestSliceLenConst(t *testing.T) {
	bounds := []int64{-20, -7, -3, -1, 0, 1, 2, 5, 9, 1 << 40, -(1 << 40)}
	for d := int64(0); d <= 10; d++ {
		for _, s := range bounds {
			for _, e := range bounds {
				for _, step := range []int64{-3, -2, -1, 1, 2, 3} {
					// Reference: resolve as the spec says, then count.
					rs, re := s, e
					if rs < 0 {
						rs += d
					}
					if re < 0 {
						re += d
					}
					var n int64
					if step > 0 {
						rs, re = min(max(rs, 0), d), min(max(re, 0), d)
						for i := rs; i < re; i += step {
							n++
						}
					} else {
						rs, re = min(max(rs, -1), d-1), min(max(re, -1), d-1)
						for i := rs; i > re; i += step {
							n++
						}
					}
					got, _, _ := sliceLen(Const(d), Const(s), Const(e), step)
					if !got.Equal(Const(n)) {
						t.Fatalf("dim %d [%d:%d:%d]: %v, want %d", d, s, e, step, got, n)
					}
				}
			}
		}
	}
}

// TestPoolSymbolicMatchesConst infers pools and convs over a symbolic H and
// over each constant H, and checks the symbolic dim agrees once bound.
func TestPoolSymbolicMatchesConst(t *testing.T) {
	infer := func(op string, h any, attrs []*graph.Attr) Dim {
		b := newBuilder(13)
		b.input("x", graph.Float, 1, 2, h)
		ins := []string{"x"}
		if op == "Conv" {
			k := attrs[0].Ints[0]
			b.weight("w", 2, 2, k)
			ins = append(ins, "w")
		}
		b.node(op, ins, []string{"y"}, attrs...)
		res, err := Run(b.m, Options{})
		if err != nil || res.HasErrors() || !res.Values["y"].Ranked {
			return Unknown()
		}
		return res.Values["y"].Shape[2]
	}
	for _, op := range []string{"MaxPool", "AveragePool", "Conv"} {
		for k := int64(1); k <= 4; k++ {
			for s := int64(1); s <= 3; s++ {
				for _, pads := range [][]int64{{0, 0}, {1, 0}, {0, 1}, {1, 1}, {2, 1}} {
					if pads[0] >= k || pads[1] >= k {
						continue
					}
					for _, ap := range []string{"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"} {
						for ceil := int64(0); ceil <= 1; ceil++ {
							if op == "Conv" && ceil == 1 {
								continue
							}
							attrs := []*graph.Attr{aInts("kernel_shape", k), aInts("strides", s), aStr("auto_pad", ap)}
							if ap == "NOTSET" {
								attrs = append(attrs, aInts("pads", pads...))
							}
							if op != "Conv" {
								attrs = append(attrs, aInt("ceil_mode", ceil))
							}
							sym := infer(op, "H", attrs)
							if sym.IsUnknown() {
								t.Errorf("%s %v: symbolic H gave an unknown dim", op, attrs)
								continue
							}
							for h := k; h <= k+9; h++ {
								want := infer(op, int(h), attrs)
								if got := sym.Bind(map[string]int64{"H": h}); !got.Equal(want) {
									t.Fatalf("%s k=%d s=%d pads=%v %s ceil=%d: H=%d: %v gives %v, constant path %v",
										op, k, s, pads, ap, ceil, h, sym, got, want)
								}
							}
						}
					}
				}
			}
		}
	}
}
