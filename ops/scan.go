package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
)

func init() {
	Register(Spec{Op: "Scan", Since: 8, Until: 8}, newScan8)
	Register(Spec{Op: "Scan", Since: 9}, newScan9)
}

type scanKernel struct {
	body    *Plan
	bodyOut []*graph.ValueInfo
	nState  int
	nIn     int
	nOut    int
	inAxes  []int64
	inRev   []bool
	outAxes []int64
	outRev  []bool
	batched bool // opset 8: batch axis 0, scan axis 1, input 0 is sequence_lens
}

func scanCommon(b *Build, first int) (*scanKernel, error) {
	g, err := b.Node.AttrGraph("body")
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, b.Errorf("attribute body is required")
	}
	m, err := b.Node.AttrInt("num_scan_inputs", -1)
	if err != nil {
		return nil, err
	}
	nIn := len(b.Node.Inputs) - first
	if m < 1 || int(m) > nIn {
		return nil, b.Errorf("num_scan_inputs %d does not fit %d inputs", m, nIn)
	}
	k := &scanKernel{bodyOut: g.Outputs, nIn: int(m), nState: nIn - int(m)}
	if len(g.Inputs) != k.nState+k.nIn {
		return nil, b.Errorf("body takes %d inputs, want %d", len(g.Inputs), k.nState+k.nIn)
	}
	k.nOut = len(g.Outputs) - k.nState
	if k.nOut < 0 {
		return nil, b.Errorf("body has %d outputs, want at least %d state values", len(g.Outputs), k.nState)
	}
	if k.body, err = b.Subgraph(g); err != nil {
		return nil, err
	}
	return k, nil
}

func mDirList(b *Build, name string, n int) ([]bool, error) {
	d, err := b.Node.AttrInts(name, nil)
	if err != nil {
		return nil, err
	}
	out := make([]bool, n)
	if d == nil {
		return out, nil
	}
	if len(d) != n {
		return nil, b.Errorf("%s has %d entries, want %d", name, len(d), n)
	}
	for i, v := range d {
		if v != 0 && v != 1 {
			return nil, b.Errorf("%s[%d] is %d, want 0 or 1", name, i, v)
		}
		out[i] = v == 1
	}
	return out, nil
}

func newScan8(b *Build) (Kernel, error) {
	if len(b.Node.Inputs) < 1 {
		return nil, b.Errorf("want inputs")
	}
	k, err := scanCommon(b, 1)
	if err != nil {
		return nil, err
	}
	k.batched = true
	if k.inRev, err = mDirList(b, "directions", k.nIn); err != nil {
		return nil, err
	}
	k.outRev = make([]bool, k.nOut)
	return k, nil
}

func newScan9(b *Build) (Kernel, error) {
	k, err := scanCommon(b, 0)
	if err != nil {
		return nil, err
	}
	if k.inRev, err = mDirList(b, "scan_input_directions", k.nIn); err != nil {
		return nil, err
	}
	if k.outRev, err = mDirList(b, "scan_output_directions", k.nOut); err != nil {
		return nil, err
	}
	axes := func(name string, n int) ([]int64, error) {
		a, err := b.Node.AttrInts(name, nil)
		if err != nil {
			return nil, err
		}
		if a == nil {
			return make([]int64, n), nil
		}
		if len(a) != n {
			return nil, b.Errorf("%s has %d entries, want %d", name, len(a), n)
		}
		return a, nil
	}
	if k.inAxes, err = axes("scan_input_axes", k.nIn); err != nil {
		return nil, err
	}
	if k.outAxes, err = axes("scan_output_axes", k.nOut); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *scanKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	if k.batched {
		return k.run8(rc, in)
	}
	states := make([]Value, k.nState)
	copy(states, in[:k.nState])
	xs := make([]*Tensor, k.nIn)
	axes := make([]int, k.nIn)
	steps := -1
	for i := range xs {
		t, err := TensorInput(in, k.nState+i)
		if err != nil {
			return nil, err
		}
		a, err := NormAxis(k.inAxes[i], t.Rank())
		if err != nil {
			return nil, fmt.Errorf("scan input %d: %w", i, err)
		}
		if steps >= 0 && t.Shape[a] != steps {
			return nil, fmt.Errorf("scan input %d has %d steps on axis %d, earlier inputs %d", i, t.Shape[a], a, steps)
		}
		xs[i], axes[i], steps = t, a, t.Shape[a]
	}
	finals, outs, err := k.iterate(rc, states, steps, func(i, t int) (*Tensor, error) {
		if k.inRev[i] {
			t = steps - 1 - t
		}
		return mTake(xs[i], axes[i], t)
	})
	if err != nil {
		return nil, err
	}
	res := append([]Value{}, finals...)
	for j, items := range outs {
		var t *Tensor
		if len(items) == 0 {
			t, err = mEmptyOfType(k.bodyOut[k.nState+j].Type, true)
		} else {
			if k.outRev[j] {
				rev := make([]*Tensor, len(items))
				for a, it := range items {
					rev[len(items)-1-a] = it
				}
				items = rev
			}
			var a int
			if a, err = NormAxis(k.outAxes[j], items[0].Rank()+1); err == nil {
				t, err = mStack(items, a)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %w", j, err)
		}
		res = append(res, t)
	}
	return res, nil
}

// iterate runs the body steps times from the given states; slice(i, t) gives
// scan input i's element for step t.
func (k *scanKernel) iterate(rc *RunContext, states []Value, steps int, slice func(i, t int) (*Tensor, error)) ([]Value, [][]*Tensor, error) {
	outs := make([][]*Tensor, k.nOut)
	args := make([]Value, k.nState+k.nIn)
	for t := 0; t < steps; t++ {
		if err := rc.Ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("stopped at step %d: %w", t, err)
		}
		copy(args, states)
		for i := range k.nIn {
			x, err := slice(i, t)
			if err != nil {
				return nil, nil, fmt.Errorf("scan input %d: %w", i, err)
			}
			args[k.nState+i] = x
		}
		r, err := rc.RunSubgraph(k.body, args)
		if err != nil {
			return nil, nil, fmt.Errorf("step %d: %w", t, err)
		}
		copy(states, r[:k.nState])
		for j := range k.nOut {
			x, ok := r[k.nState+j].(*Tensor)
			if !ok {
				return nil, nil, fmt.Errorf("step %d: scan output %d is a %T, want a tensor", t, j, r[k.nState+j])
			}
			outs[j] = append(outs[j], x)
		}
	}
	return states, outs, nil
}

// run8 is Scan-8: every input has a leading batch axis, scan inputs scan
// along axis 1, and input 0 optionally gives each batch entry's length.
func (k *scanKernel) run8(rc *RunContext, in []Value) ([]Value, error) {
	sts := make([]*Tensor, k.nState)
	xs := make([]*Tensor, k.nIn)
	batch, steps := -1, -1
	for i := range k.nState + k.nIn {
		t, err := TensorInput(in, 1+i)
		if err != nil {
			return nil, err
		}
		if t.Rank() < 1 || (batch >= 0 && t.Shape[0] != batch) {
			return nil, fmt.Errorf("input %d is %s, want a leading batch axis of %d", 1+i, t, batch)
		}
		batch = t.Shape[0]
		if i < k.nState {
			sts[i] = t
			continue
		}
		if t.Rank() < 2 || (steps >= 0 && t.Shape[1] != steps) {
			return nil, fmt.Errorf("scan input %d is %s, want [batch, %d, ...]", i-k.nState, t, steps)
		}
		xs[i-k.nState], steps = t, t.Shape[1]
	}
	lens := make([]int, batch)
	for b := range lens {
		lens[b] = steps
	}
	if sl, err := OptTensor(in, 0); err != nil {
		return nil, err
	} else if sl != nil {
		v, err := ToInt64s(sl)
		if err != nil || len(v) != batch {
			return nil, fmt.Errorf("input 0 (sequence_lens) is %s, want %d integers", sl, batch)
		}
		for b, x := range v {
			if x < 0 || int(x) > steps {
				return nil, fmt.Errorf("sequence_lens[%d] = %d is out of range [0, %d]", b, x, steps)
			}
			lens[b] = int(x)
		}
	}
	finalItems := make([][]*Tensor, k.nState)
	outItems := make([][]*Tensor, k.nOut)
	perBatch := make([][][]*Tensor, k.nOut) // [output][batch entry][step]
	for j := range perBatch {
		perBatch[j] = make([][]*Tensor, batch)
	}
	for b := range batch {
		states := make([]Value, k.nState)
		for i, s := range sts {
			t, err := mTake(s, 0, b)
			if err != nil {
				return nil, err
			}
			states[i] = t
		}
		rows := make([]*Tensor, k.nIn)
		for i, x := range xs {
			t, err := mTake(x, 0, b)
			if err != nil {
				return nil, err
			}
			rows[i] = t
		}
		n := lens[b]
		finals, outs, err := k.iterate(rc, states, n, func(i, t int) (*Tensor, error) {
			if k.inRev[i] {
				t = n - 1 - t
			}
			return mTake(rows[i], 0, t)
		})
		if err != nil {
			return nil, fmt.Errorf("batch %d: %w", b, err)
		}
		for i, f := range finals {
			t, ok := f.(*Tensor)
			if !ok {
				return nil, fmt.Errorf("state %d is a %T, want a tensor", i, f)
			}
			finalItems[i] = append(finalItems[i], t)
		}
		for j, items := range outs {
			perBatch[j][b] = items
		}
	}
	// Pad every batch entry's scan outputs with zeros past its length; an
	// entry of length 0 takes the element shape of another entry.
	for j := range k.nOut {
		var tmpl *Tensor
		for _, items := range perBatch[j] {
			if len(items) > 0 {
				tmpl = items[0]
				break
			}
		}
		if tmpl == nil {
			if steps > 0 {
				return nil, fmt.Errorf("scan output %d: every sequence has length 0, the element shape is unknown", j)
			}
			t, err := mEmptyOfType(k.bodyOut[k.nState+j].Type, false)
			if err != nil {
				return nil, fmt.Errorf("scan output %d: %w", j, err)
			}
			tmpl = t
		}
		for _, items := range perBatch[j] {
			for len(items) < steps {
				z, err := Zeros(tmpl.DType, tmpl.Shape)
				if err != nil {
					return nil, err
				}
				items = append(items, z)
			}
			var t *Tensor
			var err error
			if steps == 0 {
				t, err = Zeros(tmpl.DType, append([]int{0}, tmpl.Shape...))
			} else {
				t, err = mStack(items, 0)
			}
			if err != nil {
				return nil, fmt.Errorf("scan output %d: %w", j, err)
			}
			outItems[j] = append(outItems[j], t)
		}
	}
	var res []Value
	for _, groups := range [][][]*Tensor{finalItems, outItems} {
		for j, items := range groups {
			if len(items) == 0 {
				return nil, fmt.Errorf("output %d: empty batch", j)
			}
			t, err := mStack(items, 0)
			if err != nil {
				return nil, fmt.Errorf("output %d: %w", j, err)
			}
			res = append(res, t)
		}
	}
	return res, nil
}
