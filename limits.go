package onnxrun

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strings"
	"sync"

	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/infer"
	"github.com/onnxrun/onnxrun/ops"
)

// Limits bound what a model may make a run use: bytes per tensor, bytes of
// all live tensors, subgraph nesting depth and Loop iterations. A zero
// field takes its default (ops.DefaultLimits: 512 MiB per tensor, half the
// memory available to the process for all live tensors, depth 64, 2^20
// iterations); a negative field means no limit.
type Limits = ops.Limits

// LimitError reports a request beyond one of the Limits; the error that
// carries it names the node.
type LimitError = ops.LimitError

// WithLimits sets the limits runs of the session obey. Open checks the
// shapes it can infer before running (a ConstantOfShape of a constant
// shape, say) and Run checks each size computed from data before it is
// allocated; either fails with an error wrapping a *LimitError.
func WithLimits(l Limits) Option {
	return func(c *config) { c.ops.Limits = l }
}

// checkStaticLimits infers the shapes of the model's values from its
// declared input shapes and constants, and fails if a node would make a
// tensor larger than the MaxTensorBytes limit. Symbolic dims are unknown
// here; run-time checks cover them.
func checkStaticLimits(m *graph.Model, l Limits) error {
	return checkInferredLimits(m, l, nil)
}

// checkInferredLimits is checkStaticLimits with symbolic dims bound.
func checkInferredLimits(m *graph.Model, l Limits, bindings map[string]int64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = nil // inference is advisory here; the run-time checks still apply
		}
	}()
	lim := l.Resolved()
	res, err := infer.Run(m, infer.Options{Bindings: bindings})
	if err != nil {
		return nil
	}
	for _, rec := range res.Nodes {
		if rec.Node.OpType == "Constant" && rec.Node.Domain == "" && rec.Node.HasAttr("value") {
			continue // its value is already in memory, in the model
		}
		for i, f := range rec.Outputs {
			if f.Kind != infer.KindTensor || !f.Ranked {
				continue
			}
			dims, ok := f.Shape.Consts()
			if !ok {
				continue
			}
			n, ok := bytesOf(f.DType, dims)
			if !ok || n <= lim.MaxTensorBytes {
				continue
			}
			name := ""
			if i < len(rec.Node.Outputs) {
				name = rec.Node.Outputs[i]
			}
			where := ""
			if rec.Graph != "" {
				where = " in subgraph " + rec.Graph
			}
			size := "more than 9.2e18 bytes"
			if n < math.MaxInt64 {
				size = fmt.Sprintf("%d bytes", n)
			}
			return fmt.Errorf("onnxrun: node %q (%s, opset %d)%s: output %q: %w", rec.Node.Name, rec.Node.OpType, rec.Opset, where, name,
				&ops.LimitError{Limit: "MaxTensorBytes", What: fmt.Sprintf("%s%v (%s)", dtypeOr(f.DType), dims, size), Requested: n, Max: lim.MaxTensorBytes})
		}
	}
	return nil
}

func dtypeOr(dt graph.DType) graph.DType {
	if dt == graph.Undefined {
		return graph.Float
	}
	return dt
}

// bytesOf is the size of a tensor of type dt and the given dims, saturated
// at MaxInt64; ok is false for a negative dim.
func bytesOf(dt graph.DType, dims []int64) (int64, bool) {
	for _, d := range dims {
		if d < 0 {
			return 0, false
		}
		if d == 0 {
			return 0, true
		}
	}
	n := ops.ElemSize(dtypeOr(dt))
	for _, d := range dims {
		hi, lo := bits.Mul64(uint64(n), uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return math.MaxInt64, true
		}
		n = int64(lo)
	}
	return n, true
}

// recoverError turns a panic in the executor's own code (outside kernels,
// which run under their own recover) into an error: nothing a model or an
// input holds may crash the caller.
func recoverError(err *error, what string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("onnxrun: internal error while %s: %v", what, r)
	}
}

// boundChecks runs checkInferredLimits once per distinct binding of a
// model's symbolic input dims (N=8, seq=128), so that a run whose inputs
// make some node's output too large fails before anything is allocated.
// It remembers the last maxBoundChecks bindings it checked.
type boundChecks struct {
	mu   sync.Mutex
	seen map[string]error
	keys []string
}

const maxBoundChecks = 64

func (b *boundChecks) check(s *Session, args []ops.Value) error {
	bind := map[string]int64{}
	for i, in := range s.all {
		t, ok := args[i].(*ops.Tensor)
		if !ok || in.Kind != KindTensor || !in.RankKnown || len(t.Shape) != len(in.Shape) {
			continue
		}
		for j, d := range in.Shape {
			if d.Size < 0 && d.Name != "" {
				bind[d.Name] = int64(t.Shape[j])
			}
		}
	}
	if len(bind) == 0 {
		return nil // nothing beyond what Open checked
	}
	names := make([]string, 0, len(bind))
	for k := range bind {
		names = append(names, k)
	}
	sort.Strings(names)
	var key strings.Builder
	for _, k := range names {
		fmt.Fprintf(&key, "%q=%d,", k, bind[k])
	}
	k := key.String()
	b.mu.Lock()
	err, ok := b.seen[k]
	b.mu.Unlock()
	if ok {
		return err
	}
	err = checkInferredLimits(s.model, s.cfg.ops.Limits, bind)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seen == nil {
		b.seen = map[string]error{}
	}
	if _, ok := b.seen[k]; !ok {
		if len(b.keys) >= maxBoundChecks {
			delete(b.seen, b.keys[0])
			b.keys = b.keys[1:]
		}
		b.keys = append(b.keys, k)
		b.seen[k] = err
	}
	return err
}
