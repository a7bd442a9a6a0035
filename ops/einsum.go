package ops

import (
	"fmt"
	"sort"
	"strings"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/internal/gemm"
)

func init() {
	Register(Spec{Op: "Einsum", Since: 12}, newEinsum)
}

// einsumTerm is one operand's subscripts: letters, with ellipsis marking
// where the broadcast dims go (-1: no ellipsis).
type einsumTerm struct {
	labels   []int // label ids of the explicit letters, in order
	ellipsis int   // position among the letters where "..." stands, or -1
}

type einsumKernel struct {
	inputs   []einsumTerm
	output   einsumTerm
	implicit bool
}

func mEinsumLabel(c rune) (int, bool) {
	switch {
	case c >= 'a' && c <= 'z':
		return int(c - 'a'), true
	case c >= 'A' && c <= 'Z':
		return 26 + int(c-'A'), true
	}
	return 0, false
}

func parseEinsumTerm(s string) (einsumTerm, error) {
	t := einsumTerm{ellipsis: -1}
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			if !strings.HasPrefix(s[i:], "...") || t.ellipsis >= 0 {
				return t, fmt.Errorf("bad ellipsis in %q", s)
			}
			t.ellipsis = len(t.labels)
			i += 2
			continue
		}
		id, ok := mEinsumLabel(rune(s[i]))
		if !ok {
			return t, fmt.Errorf("bad subscript %q in %q", s[i], s)
		}
		t.labels = append(t.labels, id)
	}
	return t, nil
}

func newEinsum(b *Build) (Kernel, error) {
	eq, err := b.Node.AttrString("equation", "")
	if err != nil {
		return nil, err
	}
	eq = strings.ReplaceAll(eq, " ", "")
	if eq == "" {
		return nil, b.Errorf("attribute equation is required")
	}
	lhs, rhs, explicit := strings.Cut(eq, "->")
	k := &einsumKernel{implicit: !explicit}
	for _, s := range strings.Split(lhs, ",") {
		t, err := parseEinsumTerm(s)
		if err != nil {
			return nil, b.Errorf("equation %q: %v", eq, err)
		}
		k.inputs = append(k.inputs, t)
	}
	if len(k.inputs) != len(b.Node.Inputs) {
		return nil, b.Errorf("equation %q has %d operands, node has %d inputs", eq, len(k.inputs), len(b.Node.Inputs))
	}
	if explicit {
		if k.output, err = parseEinsumTerm(rhs); err != nil {
			return nil, b.Errorf("equation %q: %v", eq, err)
		}
		seen := map[int]bool{}
		for _, l := range k.output.labels {
			if seen[l] {
				return nil, b.Errorf("equation %q: output subscript repeated", eq)
			}
			seen[l] = true
			found := false
			for _, t := range k.inputs {
				for _, x := range t.labels {
					found = found || x == l
				}
			}
			if !found {
				return nil, b.Errorf("equation %q: output subscript not in any input", eq)
			}
		}
	} else {
		count := map[int]int{}
		anyEll := false
		for _, t := range k.inputs {
			for _, l := range t.labels {
				count[l]++
			}
			anyEll = anyEll || t.ellipsis >= 0
		}
		k.output.ellipsis = -1
		if anyEll {
			k.output.ellipsis = 0
		}
		for l, c := range count {
			if c == 1 {
				k.output.labels = append(k.output.labels, l)
			}
		}
		sort.Ints(k.output.labels)
	}
	return k, nil
}

const einsumEllBase = 52 // label ids of broadcast dims start here

// expand gives the label id of every dim of an operand of rank r, with
// ell broadcast dims in total (right-aligned).
func (t einsumTerm) expand(r, ell int) ([]int, error) {
	if t.ellipsis < 0 {
		if r != len(t.labels) {
			return nil, fmt.Errorf("%d subscripts for rank %d", len(t.labels), r)
		}
		return t.labels, nil
	}
	n := r - len(t.labels)
	if n < 0 {
		return nil, fmt.Errorf("%d subscripts for rank %d", len(t.labels), r)
	}
	out := append([]int{}, t.labels[:t.ellipsis]...)
	for i := range n {
		out = append(out, einsumEllBase+ell-n+i)
	}
	return append(out, t.labels[t.ellipsis:]...), nil
}

func (k *einsumKernel) Run(rc *RunContext, in []Value) ([]Value, error) {
	ts := make([]*Tensor, len(in))
	for i := range in {
		t, err := TensorInput(in, i)
		if err != nil {
			return nil, err
		}
		if i > 0 && t.DType != ts[0].DType {
			return nil, fmt.Errorf("input %d is %s, input 0 is %s", i, t.DType, ts[0].DType)
		}
		ts[i] = t
	}
	e, outShape, err := k.plan(ts)
	if err != nil {
		return nil, err
	}
	if err := rc.CheckAlloc(ts[0].DType, outShape); err != nil {
		return nil, err
	}
	threads := 0
	if rc != nil && rc.Options != nil {
		threads = rc.Options.Threads
	}
	switch ts[0].DType {
	case graph.Float, graph.Float16, graph.BFloat16:
		vals := make([][]float32, len(ts))
		for i, t := range ts {
			if vals[i], err = ToFloat32s(t); err != nil {
				return nil, err
			}
		}
		mm := func(m, n, k int, a, b, c []float32) {
			if m > 0 && n > 0 && k > 0 {
				gemm.SgemmThreads(threads, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			}
		}
		t, err := FromFloat32s(ts[0].DType, outShape, einsumCompute(e, vals, mm))
		return []Value{t}, err
	case graph.Double:
		vals := make([][]float64, len(ts))
		for i, t := range ts {
			if vals[i], err = ToFloat64s(t); err != nil {
				return nil, err
			}
		}
		return []Value{New(outShape, einsumCompute(e, vals, matMulPlain[float64]))}, nil
	case graph.Int8, graph.Int16, graph.Int32, graph.Int64, graph.Uint8, graph.Uint16, graph.Uint32, graph.Uint64:
		vals := make([][]int64, len(ts))
		for i, t := range ts {
			if vals[i], err = ToInt64s(t); err != nil {
				return nil, err
			}
		}
		c, err := mCastInt64s(New(outShape, einsumCompute(e, vals, matMulPlain[int64])), ts[0].DType)
		return []Value{c}, err
	}
	return nil, fmt.Errorf("element type %s is not supported", ts[0].DType)
}

// plan matches the operands' shapes to the equation: every label's size,
// the output labels (with broadcast dims) and the summed labels.
func (k *einsumKernel) plan(ts []*Tensor) (*einsumPlan, []int, error) {
	ell := 0
	for i, t := range ts {
		if k.inputs[i].ellipsis >= 0 {
			ell = max(ell, t.Rank()-len(k.inputs[i].labels))
		}
	}
	size := map[int]int{}
	dims := make([][]int, len(ts))
	for i, t := range ts {
		ls, err := k.inputs[i].expand(t.Rank(), ell)
		if err != nil {
			return nil, nil, fmt.Errorf("input %d (%s): %w", i, t, err)
		}
		dims[i] = ls
		for d, l := range ls {
			n := t.Shape[d]
			old, ok := size[l]
			switch {
			case !ok || old == n:
				size[l] = n
			case l >= einsumEllBase && old == 1:
				size[l] = n
			case l >= einsumEllBase && n == 1:
			default:
				return nil, nil, fmt.Errorf("input %d (%s): dim %d has size %d, elsewhere %d for the same subscript", i, t, d, n, old)
			}
		}
	}
	outLabels := k.output.labels // without "...", broadcast dims are summed
	if k.output.ellipsis >= 0 {
		var err error
		if outLabels, err = k.output.expand(len(k.output.labels)+ell, ell); err != nil {
			return nil, nil, err
		}
	}
	inOut := map[int]bool{}
	for _, l := range outLabels {
		inOut[l] = true
	}
	order := append([]int{}, outLabels...)
	var sumLabels []int
	for l := range size {
		if !inOut[l] {
			sumLabels = append(sumLabels, l)
		}
	}
	sort.Ints(sumLabels)
	order = append(order, sumLabels...)
	extent := make([]int, len(order))
	for j, l := range order {
		extent[j] = size[l]
	}
	outShape := append([]int{}, extent[:len(outLabels)]...)
	if Size(outShape) > 1<<28 {
		return nil, nil, fmt.Errorf("output shape %v is too large", outShape)
	}
	total := 1
	for _, n := range extent {
		if n > 0 && total > (1<<32)/n {
			return nil, nil, fmt.Errorf("iteration space %v is too large", extent)
		}
		total *= n
	}
	e := &einsumPlan{shapes: make([][]int, len(ts)), dims: dims, size: size, out: outLabels, sum: sumLabels}
	for i, t := range ts {
		e.shapes[i] = t.Shape
	}
	return e, outShape, nil
}

// einsumPlan describes one evaluation: each operand's shape and the label
// of each of its dims, the size of every label, the output labels in order
// and the summed labels.
type einsumPlan struct {
	shapes [][]int
	dims   [][]int
	size   map[int]int
	out    []int
	sum    []int
}

// strides gives, for operand i, the step of its flat index when each label
// of order advances (repeated labels add up: a diagonal; broadcast dims of
// size 1 step 0).
func (e *einsumPlan) strides(i int, order []int) []int {
	st := Strides(e.shapes[i])
	out := make([]int, len(order))
	for j, l := range order {
		for d, dl := range e.dims[i] {
			if dl == l && e.shapes[i][d] != 1 {
				out[j] += st[d]
			}
		}
	}
	return out
}

func (e *einsumPlan) extents(order []int) []int {
	ext := make([]int, len(order))
	for j, l := range order {
		ext[j] = e.size[l]
	}
	return ext
}

// einsumCompute evaluates the plan: two operands without diagonals or
// broadcasting go through a batched matrix product, anything else through
// the general loop over every label combination.
func einsumCompute[T float32 | float64 | int64](e *einsumPlan, vals [][]T, mm func(m, n, k int, a, b, c []T)) []T {
	if out, ok := einsumPair(e, vals, mm); ok {
		return out
	}
	order := append(append([]int{}, e.out...), e.sum...)
	strides := make([][]int, len(vals))
	for i := range vals {
		strides[i] = e.strides(i, order)
	}
	return einsumLoop(vals, strides, e.extents(order), len(e.out))
}

// einsumPair contracts two operands as batch x [M, K] x [K, N]: each operand
// is first packed (summing labels only it has) into [batch, M, K] and
// [batch, K, N], and the [batch, M, N] product is laid out in output order.
func einsumPair[T float32 | float64 | int64](e *einsumPlan, vals [][]T, mm func(m, n, k int, a, b, c []T)) ([]T, bool) {
	if len(vals) != 2 {
		return nil, false
	}
	in := [2]map[int]bool{{}, {}}
	for i := range 2 {
		for d, l := range e.dims[i] {
			if in[i][l] || e.shapes[i][d] != e.size[l] {
				return nil, false // a diagonal or a broadcast dim
			}
			in[i][l] = true
		}
	}
	inOut := map[int]bool{}
	for _, l := range e.out {
		inOut[l] = true
	}
	var batch, left, right, contract, sumA, sumB []int
	for _, l := range e.out {
		switch {
		case in[0][l] && in[1][l]:
			batch = append(batch, l)
		case in[0][l]:
			left = append(left, l)
		default:
			right = append(right, l)
		}
	}
	for _, l := range e.sum {
		switch {
		case in[0][l] && in[1][l]:
			contract = append(contract, l)
		case in[0][l]:
			sumA = append(sumA, l)
		default:
			sumB = append(sumB, l)
		}
	}
	pack := func(i int, order []int, nSum int) []T {
		return einsumLoop([][]T{vals[i]}, [][]int{e.strides(i, order)}, e.extents(order), len(order)-nSum)
	}
	cat := func(ls ...[]int) []int {
		var out []int
		for _, l := range ls {
			out = append(out, l...)
		}
		return out
	}
	a := pack(0, cat(batch, left, contract, sumA), len(sumA))
	b := pack(1, cat(batch, contract, right, sumB), len(sumB))
	nb, M, K, N := Size(e.extents(batch)), Size(e.extents(left)), Size(e.extents(contract)), Size(e.extents(right))
	c := make([]T, nb*M*N)
	for p := range nb {
		mm(M, N, K, a[p*M*K:(p+1)*M*K], b[p*K*N:(p+1)*K*N], c[p*M*N:(p+1)*M*N])
	}
	// c is laid out as [batch, left, right]; put it in output order.
	cOrder := cat(batch, left, right)
	cst := Strides(e.extents(cOrder))
	st := make([]int, len(e.out))
	for j, l := range e.out {
		for d, cl := range cOrder {
			if cl == l {
				st[j] = cst[d]
			}
		}
	}
	return einsumLoop([][]T{c}, [][]int{st}, e.extents(e.out), len(e.out)), true
}

// matMulPlain sets c (m×n) to a (m×k) times b (k×n).
func matMulPlain[T float64 | int64](m, n, k int, a, b, c []T) {
	for i := range m {
		row := c[i*n : (i+1)*n]
		clear(row)
		for p, x := range a[i*k : (i+1)*k] {
			if x == 0 {
				continue
			}
			for j, y := range b[p*n : (p+1)*n] {
				row[j] += x * y
			}
		}
	}
}

// mCastInt64s narrows an int64 tensor to integer type dt (wrapping).
func mCastInt64s(t *Tensor, dt graph.DType) (*Tensor, error) {
	v := t.Data.([]int64)
	switch dt {
	case graph.Int64:
		return t, nil
	case graph.Int32:
		return New(t.Shape, convertSlice[int64, int32](v)), nil
	case graph.Int16:
		return New(t.Shape, convertSlice[int64, int16](v)), nil
	case graph.Int8:
		return New(t.Shape, convertSlice[int64, int8](v)), nil
	case graph.Uint8:
		return New(t.Shape, convertSlice[int64, uint8](v)), nil
	case graph.Uint16:
		return New(t.Shape, convertSlice[int64, uint16](v)), nil
	case graph.Uint32:
		return New(t.Shape, convertSlice[int64, uint32](v)), nil
	case graph.Uint64:
		return New(t.Shape, convertSlice[int64, uint64](v)), nil
	}
	return nil, fmt.Errorf("element type %s is not an integer type", dt)
}

// einsumLoop walks every combination of the labels (output labels first)
// and accumulates the product of the operands into the output.
func einsumLoop[T float32 | float64 | int64](vals [][]T, strides [][]int, extent []int, nOut int) []T {
	out := make([]T, Size(extent[:nOut]))
	total := Size(extent)
	if total == 0 {
		return out
	}
	inner := Size(extent[nOut:])
	coord := make([]int, len(extent))
	pos := make([]int, len(vals))
	for o := 0; o < total; o++ {
		p := T(1)
		for i, v := range vals {
			p *= v[pos[i]]
		}
		out[o/inner] += p
		for j := len(extent) - 1; j >= 0; j-- {
			coord[j]++
			for i := range pos {
				pos[i] += strides[i][j]
			}
			if coord[j] < extent[j] {
				break
			}
			for i := range pos {
				pos[i] -= strides[i][j] * coord[j]
			}
			coord[j] = 0
		}
	}
	return out
}
