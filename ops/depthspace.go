package ops

import "fmt"

func init() {
	Register(Spec{Op: "DepthToSpace", Since: 1}, newDepthToSpace)
	Register(Spec{Op: "SpaceToDepth", Since: 1}, newSpaceToDepth)
}

func blockSize(b *Build) (int, error) {
	bs, err := b.Node.AttrInt("blocksize", 0)
	if err != nil {
		return 0, err
	}
	if bs <= 0 {
		return 0, b.Errorf("blocksize %d must be positive", bs)
	}
	return int(bs), nil
}

func newDepthToSpace(b *Build) (Kernel, error) {
	bs, err := blockSize(b)
	if err != nil {
		return nil, err
	}
	mode := "DCR"
	if b.Opset >= 11 {
		if mode, err = b.Node.AttrString("mode", "DCR"); err != nil {
			return nil, err
		}
	}
	if mode != "DCR" && mode != "CRD" {
		return nil, b.Errorf("mode %q is not DCR or CRD", mode)
	}
	crd := mode == "CRD"
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		if x.Rank() != 4 || x.Shape[1]%(bs*bs) != 0 {
			return nil, fmt.Errorf("input 0 (input): shape %v, want [N, C, H, W] with C divisible by %d", x.Shape, bs*bs)
		}
		n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		oc := c / (bs * bs)
		shape := []int{n, oc, h * bs, w * bs}
		src := make([]int, Size(shape))
		k := 0
		for b0 := 0; b0 < n; b0++ {
			for ch := 0; ch < oc; ch++ {
				for y := 0; y < h*bs; y++ {
					for xx := 0; xx < w*bs; xx++ {
						i, j := y%bs, xx%bs
						var ic int
						if crd {
							ic = ch*bs*bs + i*bs + j
						} else {
							ic = (i*bs+j)*oc + ch
						}
						src[k] = ((b0*c+ic)*h+y/bs)*w + xx/bs
						k++
					}
				}
			}
		}
		y, err := gatherTensor(x, shape, src)
		if err != nil {
			return nil, err
		}
		return []Value{y}, nil
	}), nil
}

func newSpaceToDepth(b *Build) (Kernel, error) {
	bs, err := blockSize(b)
	if err != nil {
		return nil, err
	}
	return KernelFunc(func(_ *RunContext, in []Value) ([]Value, error) {
		x, err := TensorInput(in, 0)
		if err != nil {
			return nil, err
		}
		if x.Rank() != 4 || x.Shape[2]%bs != 0 || x.Shape[3]%bs != 0 {
			return nil, fmt.Errorf("input 0 (input): shape %v, want [N, C, H, W] with H and W divisible by %d", x.Shape, bs)
		}
		n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		oh, ow := h/bs, w/bs
		shape := []int{n, c * bs * bs, oh, ow}
		src := make([]int, Size(shape))
		k := 0
		for b0 := 0; b0 < n; b0++ {
			for oc := 0; oc < c*bs*bs; oc++ {
				blk, ch := oc/c, oc%c
				i, j := blk/bs, blk%bs
				for y := 0; y < oh; y++ {
					for xx := 0; xx < ow; xx++ {
						src[k] = ((b0*c+ch)*h+y*bs+i)*w + xx*bs + j
						k++
					}
				}
			}
		}
		y, err := gatherTensor(x, shape, src)
		if err != nil {
			return nil, err
		}
		return []Value{y}, nil
	}), nil
}
