package ops

import (
	"fmt"
	"math"

	"github.com/onnxrun/onnxrun/internal/kernels/conv"
)

func init() {
	Register(Spec{Op: "GridSample", Since: 16, Until: 19}, newGridSample)
	Register(Spec{Op: "GridSample", Since: 20}, newGridSample)
}

type gridSampleKernel struct {
	mode         string // nearest, linear, cubic
	padding      string // zeros, border, reflection
	alignCorners bool
	nd           bool // opset 20: any number of spatial axes
}

func newGridSample(b *Build) (Kernel, error) {
	n := b.Node
	def := "bilinear"
	if b.Opset >= 20 {
		def = "linear"
	}
	mode, err := n.AttrString("mode", def)
	if err != nil {
		return nil, err
	}
	switch {
	case b.Opset < 20 && mode == "bilinear", b.Opset >= 20 && mode == "linear":
		mode = "linear"
	case b.Opset < 20 && mode == "bicubic", b.Opset >= 20 && mode == "cubic":
		mode = "cubic"
	case mode == "nearest":
	default:
		return nil, b.Errorf("mode %q is not supported at opset %d", mode, b.Opset)
	}
	pad, err := n.AttrString("padding_mode", "zeros")
	if err != nil {
		return nil, err
	}
	if pad != "zeros" && pad != "border" && pad != "reflection" {
		return nil, b.Errorf("padding_mode %q is not zeros, border or reflection", pad)
	}
	ac, err := n.AttrInt("align_corners", 0)
	if err != nil {
		return nil, err
	}
	return &gridSampleKernel{mode: mode, padding: pad, alignCorners: ac != 0, nd: b.Opset >= 20}, nil
}

func (k *gridSampleKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	x, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	gt, err := TensorInput(in, 1)
	if err != nil {
		return nil, err
	}
	r := x.Rank() - 2
	if r < 1 || (!k.nd && r != 2) {
		return nil, fmt.Errorf("input 0 (X): shape %v has an unsupported rank", x.Shape)
	}
	if gt.Rank() != r+2 || gt.Shape[0] != x.Shape[0] || gt.Shape[r+1] != r {
		return nil, fmt.Errorf("input 1 (grid): shape %v does not fit input 0 (X) shape %v", gt.Shape, x.Shape)
	}
	grid, err := ToFloat64s(gt)
	if err != nil {
		return nil, fmt.Errorf("input 1 (grid): %w", err)
	}
	n, c := x.Shape[0], x.Shape[1]
	dims := x.Shape[2:]
	for _, d := range dims {
		if d == 0 {
			return nil, fmt.Errorf("input 0 (X): empty spatial axis in %v", x.Shape)
		}
	}
	outSp := gt.Shape[1 : r+1]
	shape := append([]int{n, c}, outSp...)
	th := threads(rc)
	y, err := floatCompute(x, shape,
		func(v []float32) ([]float32, error) { return gridSample(k, v, grid, n, c, dims, Size(outSp), th), nil },
		func(v []float64) ([]float64, error) { return gridSample(k, v, grid, n, c, dims, Size(outSp), th), nil })
	if err != nil {
		return nil, err
	}
	return []Value{y}, nil
}

// gsReflect reflects x into [lo, hi] by its nearer border, repeatedly.
func gsReflect(x, lo, hi float64) float64 {
	rng := hi - lo
	if rng <= 0 {
		return lo
	}
	switch {
	case x < lo:
		dx := lo - x
		nf := math.Floor(dx / rng)
		rem := dx - nf*rng
		if int64(nf)%2 == 0 {
			return lo + rem
		}
		return hi - rem
	case x > hi:
		dx := x - hi
		nf := math.Floor(dx / rng)
		rem := dx - nf*rng
		if int64(nf)%2 == 0 {
			return hi - rem
		}
		return lo + rem
	}
	return x
}

func cubicCoeffs(t float64) [4]float64 {
	const A = -0.75
	return [4]float64{
		((A*(t+1)-5*A)*(t+1)+8*A)*(t+1) - 4*A,
		((A+2)*t-(A+3))*t*t + 1,
		((A+2)*(1-t)-(A+3))*(1-t)*(1-t) + 1,
		((A*(2-t)-5*A)*(2-t)+8*A)*(2-t) - 4*A,
	}
}

func gridSample[T floatT](k *gridSampleKernel, x []T, grid []float64, n, c int, dims []int, outSz, th int) []T {
	r := len(dims)
	inSz := Size(dims)
	st := Strides(dims)
	y := make([]T, n*c*outSz)
	lo, hi := make([]float64, r), make([]float64, r)
	for a, d := range dims {
		if k.alignCorners {
			lo[a], hi[a] = 0, float64(d-1)
		} else {
			lo[a], hi[a] = -0.5, float64(d)-0.5
		}
	}
	// resolve maps a tap index on axis a to an in-bounds index, or -1 for
	// a zero (padding) value.
	resolve := func(i, a int) int {
		d := dims[a]
		switch k.padding {
		case "zeros":
			if i < 0 || i >= d {
				return -1
			}
			return i
		case "border":
			return clampInt(i, 0, d-1)
		}
		return clampInt(int(gsReflect(float64(i), lo[a], hi[a])), 0, d-1)
	}
	conv.ParallelFor(n, th, func(_, b int) {
		type tap struct {
			off int
			w   float64
		}
		axisTaps := make([][]tap, r)
		for o := 0; o < outSz; o++ {
			g := grid[(b*outSz+o)*r : (b*outSz+o+1)*r]
			valid := true
			for a := 0; a < r; a++ {
				// The grid's last axis lists coordinates innermost axis first.
				gv := g[r-1-a]
				d := float64(dims[a])
				var xf float64
				if k.alignCorners {
					xf = float64(float32((gv + 1) / 2 * (d - 1)))
				} else {
					xf = float64(float32(((gv+1)*d - 1) / 2))
				}
				if k.mode == "nearest" {
					xf = math.RoundToEven(xf)
				}
				if xf < lo[a] || xf > hi[a] {
					if k.padding == "border" {
						xf = math.Min(math.Max(xf, 0), d-1)
					} else if k.padding == "reflection" {
						xf = gsReflect(xf, lo[a], hi[a])
					}
				}
				ts := axisTaps[a][:0]
				add := func(i int, w float64) {
					if j := resolve(i, a); j >= 0 {
						ts = append(ts, tap{j * st[a], w})
					}
				}
				switch k.mode {
				case "nearest":
					add(int(xf), 1)
				case "linear":
					x0 := math.Floor(xf)
					t := xf - x0
					add(int(x0), 1-t)
					add(int(x0)+1, t)
				default:
					x0 := math.Floor(xf)
					cc := cubicCoeffs(xf - x0)
					for j := 0; j < 4; j++ {
						add(int(x0)-1+j, cc[j])
					}
				}
				axisTaps[a] = ts
				if len(ts) == 0 {
					valid = false
				}
			}
			for ch := 0; ch < c; ch++ {
				var acc float64
				if valid {
					plane := x[(b*c+ch)*inSz : (b*c+ch+1)*inSz]
					var rec func(a, off int, w float64)
					rec = func(a, off int, w float64) {
						if a == r {
							acc += w * float64(plane[off])
							return
						}
						for _, t := range axisTaps[a] {
							rec(a+1, off+t.off, w*t.w)
						}
					}
					rec(0, 0, 1)
				}
				y[(b*c+ch)*outSz+o] = T(acc)
			}
		}
	})
	return y
}
