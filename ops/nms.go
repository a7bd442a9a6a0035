package ops

import (
	"fmt"
	"math"
	"slices"
)

func init() {
	Register(Spec{Op: "NonMaxSuppression", Since: 10}, newNMS)
}

type nmsKernel struct{ centerBox bool }

func newNMS(b *Build) (Kernel, error) {
	c, err := b.Node.AttrInt("center_point_box", 0)
	if err != nil {
		return nil, err
	}
	if c != 0 && c != 1 {
		return nil, b.Errorf("center_point_box %d is not 0 or 1", c)
	}
	return &nmsKernel{c == 1}, nil
}

func scalarInput(in []Value, i int, name string, def float64) (float64, error) {
	t, err := OptTensor(in, i)
	if err != nil || t == nil {
		return def, err
	}
	v, err := ToFloat64s(t)
	if err != nil || len(v) != 1 {
		return 0, fmt.Errorf("input %d (%s): want one number, got %s", i, name, t)
	}
	return v[0], nil
}

func (k *nmsKernel) Run(_ *RunContext, in []Value) ([]Value, error) {
	bt, err := TensorInput(in, 0)
	if err != nil {
		return nil, err
	}
	st, err := TensorInput(in, 1)
	if err != nil {
		return nil, err
	}
	if bt.Rank() != 3 || bt.Shape[2] != 4 {
		return nil, fmt.Errorf("input 0 (boxes): shape %v, want [batches, boxes, 4]", bt.Shape)
	}
	if st.Rank() != 3 || st.Shape[0] != bt.Shape[0] || st.Shape[2] != bt.Shape[1] {
		return nil, fmt.Errorf("input 1 (scores): shape %v does not fit boxes shape %v", st.Shape, bt.Shape)
	}
	maxOut, err := scalarInput(in, 2, "max_output_boxes_per_class", 0)
	if err != nil {
		return nil, err
	}
	iouTh, err := scalarInput(in, 3, "iou_threshold", 0)
	if err != nil {
		return nil, err
	}
	scoreTh, err := scalarInput(in, 4, "score_threshold", math.Inf(-1))
	if err != nil {
		return nil, err
	}
	hasScoreTh := len(in) > 4 && in[4] != nil
	boxes, err := ToFloat64s(bt)
	if err != nil {
		return nil, fmt.Errorf("input 0 (boxes): %w", err)
	}
	scores, err := ToFloat64s(st)
	if err != nil {
		return nil, fmt.Errorf("input 1 (scores): %w", err)
	}
	nb, nc, n := st.Shape[0], st.Shape[1], st.Shape[2]
	// Corner form (y1, x1, y2, x2) with y1 <= y2, x1 <= x2.
	corners := make([]float64, len(boxes))
	for i := 0; i < len(boxes); i += 4 {
		a, b, c, d := boxes[i], boxes[i+1], boxes[i+2], boxes[i+3]
		if k.centerBox { // (x_center, y_center, width, height)
			corners[i], corners[i+1], corners[i+2], corners[i+3] = b-d/2, a-c/2, b+d/2, a+c/2
		} else {
			corners[i], corners[i+1], corners[i+2], corners[i+3] = math.Min(a, c), math.Min(b, d), math.Max(a, c), math.Max(b, d)
		}
	}
	iou := func(p, q []float64) float64 {
		ih := math.Min(p[2], q[2]) - math.Max(p[0], q[0])
		iw := math.Min(p[3], q[3]) - math.Max(p[1], q[1])
		if ih <= 0 || iw <= 0 {
			return 0
		}
		inter := ih * iw
		union := (p[2]-p[0])*(p[3]-p[1]) + (q[2]-q[0])*(q[3]-q[1]) - inter
		if union <= 0 {
			return 0
		}
		return inter / union
	}
	var sel []int64
	limit := int(math.Min(maxOut, float64(n)))
	for b := 0; b < nb; b++ {
		bx := corners[b*n*4 : (b+1)*n*4]
		for c := 0; c < nc; c++ {
			if limit <= 0 {
				continue
			}
			sc := scores[(b*nc+c)*n : (b*nc+c+1)*n]
			var cand []int
			for i, s := range sc {
				if !hasScoreTh || s > scoreTh {
					cand = append(cand, i)
				}
			}
			slices.SortStableFunc(cand, func(p, q int) int {
				switch {
				case sc[p] > sc[q]:
					return -1
				case sc[p] < sc[q]:
					return 1
				}
				return 0
			})
			var kept []int
			for _, i := range cand {
				if len(kept) >= limit {
					break
				}
				ok := true
				for _, j := range kept {
					if iou(bx[i*4:i*4+4], bx[j*4:j*4+4]) > iouTh {
						ok = false
						break
					}
				}
				if ok {
					kept = append(kept, i)
					sel = append(sel, int64(b), int64(c), int64(i))
				}
			}
		}
	}
	if sel == nil {
		sel = []int64{}
	}
	return []Value{New([]int{len(sel) / 3, 3}, sel)}, nil
}
