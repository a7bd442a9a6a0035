package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register(Spec{Op: "QuantizeLinear", Since: 10, Until: 12}, func(b *Build) (Kernel, error) { return newQuant(b, true) })
	Register(Spec{Op: "QuantizeLinear", Since: 13, Until: 21}, func(b *Build) (Kernel, error) { return newQuant(b, true) })
	Register(Spec{Op: "DequantizeLinear", Since: 10, Until: 12}, func(b *Build) (Kernel, error) { return newQuant(b, false) })
	Register(Spec{Op: "DequantizeLinear", Since: 13, Until: 21}, func(b *Build) (Kernel, error) { return newQuant(b, false) })
	Register(Spec{Op: "DynamicQuantizeLinear", Since: 11}, func(*Build) (Kernel, error) { return KernelFunc(dynamicQuantizeLinear), nil })
	Register(Spec{Op: "MatMulInteger", Since: 10}, func(*Build) (Kernel, error) { return KernelFunc(matMulInteger), nil })
	Register(Spec{Op: "QLinearMatMul", Since: 10, Until: 21}, func(*Build) (Kernel, error) { return KernelFunc(qlinearMatMul), nil })
}

type quantKernel struct {
	quantize bool
	axis     int64
	perAxis  bool // opset 13+: a 1-D scale quantizes along axis
	saturate bool
	outType  graph.DType // opset 21 output_dtype, or Undefined
	block    int         // opset 21 block_size: 0 for per-tensor or per-axis
}

func newQuant(b *Build, quantize bool) (Kernel, error) {
	k := &quantKernel{quantize: quantize, perAxis: b.Opset >= 13}
	var err error
	if k.axis, err = b.Node.AttrInt("axis", 1); err != nil {
		return nil, err
	}
	bs, err := b.Node.AttrInt("block_size", 0)
	if err != nil {
		return nil, err
	}
	if bs < 0 {
		return nil, b.Errorf("block_size %d is negative", bs)
	}
	k.block = int(bs)
	sat, err := b.Node.AttrInt("saturate", 1)
	if err != nil {
		return nil, err
	}
	k.saturate = sat != 0
	od, err := b.Node.AttrInt("output_dtype", 0)
	if err != nil {
		return nil, err
	}
	k.outType = graph.DType(od)
	if quantize && od != 0 {
		switch k.outType {
		case graph.Uint8, graph.Int8, graph.Uint16, graph.Int16:
		default:
			return nil, b.Errorf("output_dtype %s is not supported", k.outType)
		}
	}
	return k, nil
}

// mQuantRange is the saturation range of an integer type.
func mQuantRange(dt graph.DType) (float64, float64, bool) {
	switch dt {
	case graph.Uint8:
		return 0, 255, true
	case graph.Int8:
		return -128, 127, true
	case graph.Uint16:
		return 0, 65535, true
	case graph.Int16:
		return -32768, 32767, true
	case graph.Int32:
		return math.MinInt32, math.MaxInt32, true
	}
	return 0, 0, false
}

// mIntFromFloat64s makes an integer tensor of type dt from whole numbers.
func mIntFromFloat64s(dt graph.DType, shape []int, v []float64) (*Tensor, error) {
	iv := make([]int64, len(v))
	for i, x := range v {
		iv[i] = int64(x)
	}
	return mCastInt64s(New(shape, iv), dt)
}

func (k *quantKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	sc, err := TensorInput(in, 1)
	if err != nil {
		return nil, err
	}
	zp, err := OptTensor(in, 2)
	if err != nil {
		return nil, err
	}
	scale, err := ToFloat64s(sc)
	if err != nil || !sc.DType.IsFloat() {
		return nil, fmt.Errorf("input 1 (scale) is %s, want a floating-point tensor", sc)
	}
	var zero []float64
	if zp != nil {
		if zero, err = ToFloat64s(zp); err != nil {
			return nil, fmt.Errorf("input 2 (zero_point): %w", err)
		}
		if len(zero) != len(scale) {
			return nil, fmt.Errorf("input 2 (zero_point) is %s, scale is %s", zp, sc)
		}
	}
	// ch maps an element of x to its scale: per-tensor, per-axis, or (with
	// block_size) per block of block_size elements along the axis.
	ch := func(int) int { return 0 }
	switch {
	case k.block > 0:
		a, err := NormAxis(k.axis, x.Rank())
		if err != nil {
			return nil, err
		}
		want := append([]int{}, x.Shape...)
		want[a] = (x.Shape[a] + k.block - 1) / k.block
		if !slices.Equal(sc.Shape, want) {
			return nil, fmt.Errorf("input 1 (scale) is %s, want shape %v for blocks of %d along axis %d of %s", sc, want, k.block, a, x)
		}
		dim, sdim, inner := x.Shape[a], want[a], Size(x.Shape[a+1:])
		ch = func(i int) int {
			outer, ca, in := i/(dim*inner), (i/inner)%dim, i%inner
			return (outer*sdim+ca/k.block)*inner + in
		}
	case sc.Len() != 1:
		if !k.perAxis || sc.Rank() != 1 {
			return nil, fmt.Errorf("input 1 (scale) is %s, want a scalar or (opset 13+) a 1-D tensor", sc)
		}
		a, err := NormAxis(k.axis, x.Rank())
		if err != nil {
			return nil, err
		}
		if x.Shape[a] != sc.Len() {
			return nil, fmt.Errorf("input 1 (scale) is %s, axis %d of input 0 (%s) has %d", sc, a, x, x.Shape[a])
		}
		chans, inner := sc.Len(), Size(x.Shape[a+1:])
		ch = func(i int) int { return (i / inner) % chans }
	}
	if k.quantize {
		if !x.DType.IsFloat() && x.DType != graph.Int32 {
			return nil, fmt.Errorf("input 0 is %s, want a float or int32 tensor", x)
		}
		xv, err := ToFloat64s(x)
		if err != nil {
			return nil, err
		}
		dt := graph.Uint8
		if zp != nil {
			dt = zp.DType
		} else if k.outType != graph.Undefined {
			dt = k.outType
		}
		lo, hi, ok := mQuantRange(dt)
		if !ok || dt == graph.Int32 {
			return nil, fmt.Errorf("quantizing to %s is not supported", dt)
		}
		out := make([]float64, len(xv))
		f32 := x.DType == graph.Float
		for i, v := range xv {
			c := ch(i)
			var q float64
			if f32 { // divide in the input's precision
				q = float64(float32(v) / float32(scale[c]))
			} else {
				q = v / scale[c]
			}
			q = math.RoundToEven(q)
			if zero != nil {
				q += zero[c]
			}
			out[i] = math.Max(lo, math.Min(hi, q))
		}
		t, err := mIntFromFloat64s(dt, x.Shape, out)
		return []Value{t}, err
	}
	if _, _, ok := mQuantRange(x.DType); !ok {
		return nil, fmt.Errorf("input 0 is %s, want an 8-, 16- or 32-bit integer tensor", x)
	}
	if zp != nil && zp.DType != x.DType {
		return nil, fmt.Errorf("input 2 (zero_point) is %s, input 0 is %s", zp.DType, x.DType)
	}
	xv, err := ToFloat64s(x)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(xv))
	for i, v := range xv {
		c := ch(i)
		if zero != nil {
			v -= zero[c]
		}
		if sc.DType == graph.Float {
			out[i] = float64(float32(v) * float32(scale[c]))
		} else {
			out[i] = v * scale[c]
		}
	}
	t, err := mFromFloat64s(sc.DType, x.Shape, out)
	return []Value{t}, err
}

func dynamicQuantizeLinear(_ *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	xv, ok := x.Data.([]float32)
	if !ok {
		return nil, fmt.Errorf("input 0 is %s, want float32", x)
	}
	rmin, rmax := float32(0), float32(0)
	for _, v := range xv {
		rmin, rmax = min(rmin, v), max(rmax, v)
	}
	scale := (rmax - rmin) / 255
	y := make([]uint8, len(xv))
	var zp uint8
	if scale != 0 {
		zp = uint8(math.Max(0, math.Min(255, math.RoundToEven(float64(0-rmin/scale)))))
		for i, v := range xv {
			q := math.RoundToEven(float64(v/scale)) + float64(zp)
			y[i] = uint8(math.Max(0, math.Min(255, q)))
		}
	}
	return []Value{New(append([]int{}, x.Shape...), y), Scalar(scale), Scalar(zp)}, nil
}

// intOperand reads an 8-bit integer matrix operand and its zero point,
// returning the values with the zero point subtracted, as int32.
func intOperand(in []Value, i, zpi int, rowZP bool) (*Tensor, []int32, error) {
	t, err := TensorInput(in, i)
	if err != nil {
		return nil, nil, err
	}
	if t.DType != graph.Uint8 && t.DType != graph.Int8 {
		return nil, nil, fmt.Errorf("input %d is %s, want uint8 or int8", i, t)
	}
	v, err := ToInt64s(t)
	if err != nil {
		return nil, nil, err
	}
	out := make([]int32, len(v))
	for j, x := range v {
		out[j] = int32(x)
	}
	zp, err := OptTensor(in, zpi)
	if err != nil || zp == nil {
		return t, out, err
	}
	if zp.DType != t.DType {
		return nil, nil, fmt.Errorf("input %d (zero point) is %s, input %d is %s", zpi, zp.DType, i, t.DType)
	}
	zv, err := ToInt64s(zp)
	if err != nil {
		return nil, nil, err
	}
	if len(zv) == 1 {
		for j := range out {
			out[j] -= int32(zv[0])
		}
		return t, out, nil
	}
	zshape := zp.Shape
	if zp.Rank() == 1 && rowZP { // per-row zero points of a matrix
		zshape = []int{zp.Len(), 1}
	}
	if bs, err := BroadcastShapes(zshape, t.Shape); err != nil || !slices.Equal(bs, t.Shape) {
		return nil, nil, fmt.Errorf("input %d (zero point) is %s, does not fit input %d (%s)", zpi, zp, i, t)
	}
	idx := BroadcastIndex(zshape, t.Shape)
	for j := range out {
		out[j] -= int32(zv[idx[j]])
	}
	return t, out, nil
}

// matmulInt32 multiplies with numpy matmul broadcasting (a and b already
// have their zero points removed).
func matmulInt32(as, bs []int, a, b []int32) ([]int, []int32, error) {
	as, bs = append([]int{}, as...), append([]int{}, bs...)
	aVec, bVec := len(as) == 1, len(bs) == 1
	if aVec {
		as = []int{1, as[0]}
	}
	if bVec {
		bs = []int{bs[0], 1}
	}
	if len(as) < 2 || len(bs) < 2 {
		return nil, nil, fmt.Errorf("operands of shapes %v and %v cannot be multiplied", as, bs)
	}
	M, K, K2, N := as[len(as)-2], as[len(as)-1], bs[len(bs)-2], bs[len(bs)-1]
	if K != K2 {
		return nil, nil, fmt.Errorf("shapes %v and %v: inner dims %d and %d differ", as, bs, K, K2)
	}
	batch, err := BroadcastShapes(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, nil, err
	}
	ai := BroadcastIndex(as[:len(as)-2], batch)
	bi := BroadcastIndex(bs[:len(bs)-2], batch)
	nb := Size(batch)
	out := make([]int32, nb*M*N)
	for p := range nb {
		A := a[ai[p]*M*K:]
		B := b[bi[p]*K*N:]
		O := out[p*M*N:]
		for i := range M {
			for kk := range K {
				x := A[i*K+kk]
				if x == 0 {
					continue
				}
				row := B[kk*N : kk*N+N]
				for j, y := range row {
					O[i*N+j] += x * y
				}
			}
		}
	}
	shape := append([]int{}, batch...)
	if !aVec {
		shape = append(shape, M)
	}
	if !bVec {
		shape = append(shape, N)
	}
	return shape, out, nil
}

func matMulInteger(_ *RunContext, in []Value) ([]Value, error) {
	at, a, err := intOperand(in, 0, 2, true)
	if err != nil {
		return nil, err
	}
	bt, b, err := intOperand(in, 1, 3, false)
	if err != nil {
		return nil, err
	}
	shape, out, err := matmulInt32(at.Shape, bt.Shape, a, b)
	if err != nil {
		return nil, err
	}
	return []Value{New(shape, out)}, nil
}

func qlinearMatMul(_ *RunContext, in []Value) ([]Value, error) {
	at, a, err := intOperand(in, 0, 2, true)
	if err != nil {
		return nil, err
	}
	bt, b, err := intOperand(in, 3, 5, false)
	if err != nil {
		return nil, err
	}
	shape, acc, err := matmulInt32(at.Shape, bt.Shape, a, b)
	if err != nil {
		return nil, err
	}
	scale := func(i int) ([]float64, error) {
		t, err := TensorInput(in, i)
		if err != nil {
			return nil, err
		}
		if !t.DType.IsFloat() {
			return nil, fmt.Errorf("input %d (scale) is %s, want a floating-point tensor", i, t)
		}
		return ToFloat64s(t)
	}
	as, err := scale(1)
	if err != nil {
		return nil, err
	}
	bsc, err := scale(4)
	if err != nil {
		return nil, err
	}
	ys, err := scale(6)
	if err != nil {
		return nil, err
	}
	if len(ys) != 1 {
		return nil, fmt.Errorf("input 6 (y_scale) must have one element")
	}
	yzt, err := TensorInput(in, 7)
	if err != nil {
		return nil, err
	}
	yz, err := mScalarInt(yzt)
	if err != nil {
		return nil, fmt.Errorf("input 7 (y_zero_point): %w", err)
	}
	lo, hi, ok := mQuantRange(yzt.DType)
	if !ok || (yzt.DType != graph.Uint8 && yzt.DType != graph.Int8) {
		return nil, fmt.Errorf("input 7 (y_zero_point) is %s, want uint8 or int8", yzt)
	}
	N, M := 1, 1
	if len(shape) >= 1 && bt.Rank() > 1 {
		N = shape[len(shape)-1]
	}
	if at.Rank() > 1 {
		if bt.Rank() > 1 {
			M = shape[len(shape)-2]
		} else {
			M = shape[len(shape)-1]
		}
	}
	if len(as) != 1 && len(as) != M || len(bsc) != 1 && len(bsc) != N {
		return nil, fmt.Errorf("scales of %d and %d elements do not fit a %dx%d product (per-row or per-column scales of more than 2-D operands are not supported)", len(as), len(bsc), M, N)
	}
	out := make([]float64, len(acc))
	for i, v := range acc {
		sa, sb := as[0], bsc[0]
		if len(as) > 1 {
			sa = as[(i/N)%M]
		}
		if len(bsc) > 1 {
			sb = bsc[i%N]
		}
		q := math.RoundToEven(float64(v)*sa*sb/ys[0]) + float64(yz)
		out[i] = math.Max(lo, math.Min(hi, q))
	}
	t, err := mIntFromFloat64s(yzt.DType, shape, out)
	return []Value{t}, err
}
