package ops

import (
	"fmt"

	"github.com/onnxrun/onnxrun/graph"
)

// A Loop body often grows a loop-carried tensor one piece per iteration:
//
//	acc_out = Concat(axis=0)(acc_in, piece)
//
// Run as written, every iteration copies everything gathered so far, so the
// loop costs time quadratic in its trip count. When nothing else in the body
// reads acc_in or acc_out, the Loop kernel runs a body without that Concat,
// whose output in acc_out's place is the piece, and appends each piece to a
// buffer that grows geometrically: the same values, with linear cost.

// loopAppend is one loop-carried value the body only extends along axis 0.
type loopAppend struct {
	carry int         // index among the loop-carried values
	node  *graph.Node // the Concat the rewritten body leaves out
	opset int64
}

// loopAppendBody looks for loop-carried values that g only extends with
// Concat along axis 0 (see above). It returns g rewritten without those
// Concat nodes, with each such carried output replaced by its piece, and
// the values it found; or nil, nil when there are none.
func loopAppendBody(g *graph.Graph, nCarry int, opset int64) (*graph.Graph, []loopAppend) {
	if len(g.Inputs) != nCarry+2 || len(g.Outputs) < nCarry+1 {
		return nil, nil
	}
	// reads counts how often each name is read by the body's nodes, their
	// subgraphs and the body outputs.
	reads := map[string]int{}
	producer := map[string]*graph.Node{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			reads[in]++
		}
		for _, sg := range n.Subgraphs() {
			for _, name := range sg.OuterRefs() {
				reads[name]++
			}
		}
		for _, o := range n.Outputs {
			producer[o] = n
		}
	}
	for _, o := range g.Outputs {
		if o != nil {
			reads[o.Name]++
		}
	}
	var found []loopAppend
	drop := map[*graph.Node]bool{}
	for i := range nCarry {
		in, out := g.Inputs[2+i], g.Outputs[1+i]
		if in == nil || out == nil || in.Name == "" || out.Name == "" {
			continue
		}
		if in.Type != nil && in.Type.Kind != graph.TypeTensor {
			continue
		}
		n := producer[out.Name]
		if n == nil || drop[n] || n.Domain != "" || n.OpType != "Concat" || len(n.Inputs) != 2 || len(n.Outputs) != 1 {
			continue
		}
		if n.Inputs[0] != in.Name || n.Inputs[1] == in.Name || n.Inputs[1] == "" {
			continue
		}
		if a := n.Attr("axis"); a == nil || a.Type != graph.AttrInt || a.RefAttrName != "" || a.I != 0 {
			continue
		}
		// acc_in is read only by the Concat; acc_out only as this output.
		if reads[in.Name] != 1 || reads[out.Name] != 1 {
			continue
		}
		drop[n] = true
		found = append(found, loopAppend{carry: i, node: n, opset: opset})
	}
	if len(found) == 0 {
		return nil, nil
	}
	ng := *g
	ng.Nodes = make([]*graph.Node, 0, len(g.Nodes)-len(found))
	for _, n := range g.Nodes {
		if !drop[n] {
			ng.Nodes = append(ng.Nodes, n)
		}
	}
	ng.Outputs = append([]*graph.ValueInfo(nil), g.Outputs...)
	for _, a := range found {
		ng.Outputs[1+a.carry] = &graph.ValueInfo{Name: a.node.Inputs[1]}
	}
	return &ng, found
}

// loopAppender holds the growing values of one Loop run.
type loopAppender struct {
	apps  []loopAppend
	words []any // per value: its buffer ([]W with spare capacity), nil before the first piece
}

func newLoopAppender(apps []loopAppend) *loopAppender {
	return &loopAppender{apps: apps, words: make([]any, len(apps))}
}

// extend appends the pieces the body gave in the appended values' places
// of carried (which, before the call, hold the pieces; carried's other
// entries are ignored) to the values gathered so far, and puts the
// extended values in their places. prev holds the values before the
// iteration; left is the number of iterations the trip count still
// allows (negative: no trip count).
func (la *loopAppender) extend(rc *RunContext, prev, carried []Value, left int64) error {
	for j, a := range la.apps {
		if err := la.extendOne(rc, j, a, prev[a.carry], carried[a.carry], carried, left); err != nil {
			return fmt.Errorf("ops: node %q (Concat, opset %d): %w", a.node.Name, a.opset, err)
		}
	}
	return nil
}

func (la *loopAppender) extendOne(rc *RunContext, j int, a loopAppend, accV, pieceV Value, carried []Value, left int64) error {
	acc, ok := accV.(*Tensor)
	if !ok || acc == nil {
		return fmt.Errorf("input 0 is a %T, want a tensor", accV)
	}
	piece, ok := pieceV.(*Tensor)
	if !ok || piece == nil {
		return fmt.Errorf("input 1 is a %T, want a tensor", pieceV)
	}
	// The checks of Concat along axis 0.
	if _, err := NormAxis(0, acc.Rank()); err != nil {
		return fmt.Errorf("input 0 %s: %w", acc, err)
	}
	if piece.DType != acc.DType {
		return fmt.Errorf("input 1 is %s, input 0 is %s", piece, acc)
	}
	if piece.Rank() != acc.Rank() {
		return fmt.Errorf("input 1 %s and input 0 %s differ in rank", piece, acc)
	}
	for d := 1; d < acc.Rank(); d++ {
		if piece.Shape[d] != acc.Shape[d] {
			return fmt.Errorf("input 1 %s and input 0 %s differ in dim %d", piece, acc, d)
		}
	}
	if err := rc.checkConcat([]*Tensor{acc, piece}); err != nil {
		return err
	}
	shape := append([]int(nil), acc.Shape...)
	shape[0] += piece.Shape[0]
	n, err := mvCheckShape("output", shape)
	if err != nil {
		return err
	}
	// The first buffer holds what the trip count allows if pieces keep
	// their size and that fits the limits; else buffers double.
	reserve := n
	if la.words[j] == nil && left > 0 {
		if rows, ok := satMulRows(piece.Shape[0], left); ok {
			full := append([]int(nil), shape...)
			full[0] += rows
			if b, ok := ShapeBytes(acc.DType, full); ok && b <= rc.limits().MaxTensorBytes {
				reserve = Size(full)
			}
		}
	}
	f, err := mvPick(acc.DType, appendWords[uint8], appendWords[uint16], appendWords[uint32], appendWords[uint64],
		appendWords[[2]uint32], appendWords[[2]uint64], appendWords[string])
	if err != nil {
		return err
	}
	var data any
	la.words[j], data = f(acc.DType, la.words[j], acc.Data, piece.Data, reserve)
	carried[a.carry] = &Tensor{DType: acc.DType, Shape: shape, Data: data}
	return nil
}

// satMulRows returns rows*left when it is at most MaxElements.
func satMulRows(rows int, left int64) (int, bool) {
	if rows == 0 {
		return 0, true
	}
	if left > int64(MaxElements/rows) {
		return 0, false
	}
	return rows * int(left), true
}

// appendWords appends piece to words, the buffer holding the value so far;
// a nil words starts a buffer of capacity at least reserve from a copy of
// first (never written to). A full buffer doubles. It returns the buffer
// and the value's data: a typed slice of it whose capacity ends at its
// length, so that nothing appends into the buffer.
func appendWords[W mvWord](dt graph.DType, words, first, piece any, reserve int) (any, any) {
	p := mvView[W](piece)
	var w []W
	if words == nil {
		src := mvView[W](first)
		w = make([]W, len(src), max(reserve, len(src)+len(p)))
		copy(w, src)
	} else {
		w = words.([]W)
	}
	if len(w)+len(p) > cap(w) {
		nw := make([]W, len(w), max(2*cap(w), len(w)+len(p)))
		copy(nw, w)
		w = nw
	}
	w = append(w, p...)
	return w, mvWrap(dt, w[:len(w):len(w)])
}
