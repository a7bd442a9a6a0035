package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/onnxrun/onnxrun/ops"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// profiler collects per-node timings of the timed runs for bench --profile.
type profiler struct {
	mu     sync.Mutex
	on     bool // off during warm-up
	origin time.Time
	events []traceEvent
	nodes  map[string]*nodeStat
	order  []string
}

// traceEvent is one complete event of the Chrome trace format, as ONNX
// Runtime's profiler writes it.
type traceEvent struct {
	Cat  string    `json:"cat"`
	PID  int       `json:"pid"`
	TID  int       `json:"tid"`
	Dur  int64     `json:"dur"`
	TS   int64     `json:"ts"`
	Ph   string    `json:"ph"`
	Name string    `json:"name"`
	Args traceArgs `json:"args"`
}

type traceArgs struct {
	OpName    string  `json:"op_name"`
	Algorithm string  `json:"algorithm,omitempty"`
	GFLOPs    float64 `json:"gflops,omitempty"` // GFLOP/s achieved
	FLOPs     int64   `json:"flops,omitempty"`
	Shape     string  `json:"output_shape,omitempty"`
}

// nodeStat totals one node over the timed runs.
type nodeStat struct {
	name, op, algo string
	total          time.Duration
	count          int
	flops          int64
}

func newProfiler() *profiler {
	return &profiler{origin: time.Now(), nodes: map[string]*nodeStat{}}
}

func (p *profiler) start() {
	p.mu.Lock()
	p.on = true
	p.mu.Unlock()
}

// record is the ops.Options.Profile hook.
func (p *profiler) record(e ops.NodeEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.on {
		return
	}
	name := e.Node.Name
	if name == "" && len(e.Node.Outputs) > 0 {
		name = e.Node.Outputs[0]
	}
	op := e.Node.OpType
	algo := ops.KernelAlgorithm(e.Kernel, e.Inputs)
	flops := nodeFLOPs(op, e.Inputs, e.Outputs)
	us := e.Duration.Microseconds()
	ev := traceEvent{Cat: "Node", PID: os.Getpid(), TID: 0, Dur: us, TS: e.Start.Sub(p.origin).Microseconds(),
		Ph: "X", Name: name + "_kernel_time", Args: traceArgs{OpName: op, Algorithm: algo, FLOPs: flops}}
	if len(e.Outputs) > 0 {
		if t, ok := e.Outputs[0].(*ops.Tensor); ok {
			ev.Args.Shape = fmt.Sprint(t.Shape)
		}
	}
	if flops > 0 && e.Duration > 0 {
		ev.Args.GFLOPs = float64(flops) / e.Duration.Seconds() / 1e9
	}
	p.events = append(p.events, ev)
	key := name + "\x00" + op
	s := p.nodes[key]
	if s == nil {
		s = &nodeStat{name: name, op: op, algo: algo}
		p.nodes[key] = s
		p.order = append(p.order, key)
	}
	s.total += e.Duration
	s.count++
	s.flops += flops
}

// writeTrace writes the events as a JSON array.
func (p *profiler) writeTrace(path string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, err := json.MarshalIndent(p.events, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// top prints the n nodes with the largest total time.
func (p *profiler) top(w io.Writer, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	stats := make([]*nodeStat, 0, len(p.order))
	var all time.Duration
	for _, k := range p.order {
		stats = append(stats, p.nodes[k])
		all += p.nodes[k].total
	}
	sort.SliceStable(stats, func(i, j int) bool { return stats[i].total > stats[j].total })
	if len(stats) > n {
		stats = stats[:n]
	}
	fmt.Fprintf(w, "top %d nodes by total time (all nodes: %.3f ms per run)\n", len(stats), ms(all)/float64(max(1, p.runs())))
	fmt.Fprintf(w, "  %-32s %-12s %-26s %10s %6s %9s\n", "node", "op", "algorithm", "ms/run", "%", "GFLOP/s")
	for _, s := range stats {
		gf := "-"
		if s.flops > 0 && s.total > 0 {
			gf = fmt.Sprintf("%.1f", float64(s.flops)/s.total.Seconds()/1e9)
		}
		share := 0.0
		if all > 0 {
			share = 100 * float64(s.total) / float64(all)
		}
		fmt.Fprintf(w, "  %-32s %-12s %-26s %10.3f %6.1f %9s\n", clip(s.name, 32), clip(s.op, 12), clip(s.algo, 26),
			ms(s.total)/float64(max(1, s.count)), share, gf)
	}
}

// runs is the number of timed runs seen (the largest count of any node).
func (p *profiler) runs() int {
	r := 0
	for _, s := range p.nodes {
		r = max(r, s.count)
	}
	return r
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// nodeFLOPs estimates the floating-point operations of one node's run from
// its input and output shapes: 2 per multiply-add for Conv, ConvTranspose,
// Gemm and MatMul (and their fused forms), one per output element for the
// rest.
func nodeFLOPs(op string, in, out []ops.Value) int64 {
	tensor := func(vs []ops.Value, i int) *ops.Tensor {
		if i < len(vs) {
			if t, ok := vs[i].(*ops.Tensor); ok {
				return t
			}
		}
		return nil
	}
	y := tensor(out, 0)
	if y == nil {
		return 0
	}
	ny := int64(y.Len())
	switch op {
	case "Conv", "FusedConv":
		if w := tensor(in, 1); w != nil && w.Rank() > 0 && w.Shape[0] > 0 {
			return 2 * ny * int64(w.Len()/w.Shape[0])
		}
	case "ConvTranspose":
		x, w := tensor(in, 0), tensor(in, 1)
		if x != nil && w != nil && w.Rank() > 0 && w.Shape[0] > 0 {
			return 2 * int64(x.Len()) * int64(w.Len()/w.Shape[0])
		}
	case "Gemm", "FusedGemm", "MatMul", "FusedMatMul":
		if a := tensor(in, 0); a != nil && a.Rank() > 0 {
			k := a.Shape[a.Rank()-1]
			if op == "Gemm" || op == "FusedGemm" {
				if b := tensor(in, 1); b != nil && b.Rank() == 2 {
					// K is the dim B shares with A: B's rows unless transposed.
					if y.Rank() == 2 && b.Shape[1] == y.Shape[1] {
						k = b.Shape[0]
					} else {
						k = b.Shape[1]
					}
				}
			}
			return 2 * ny * int64(k)
		}
	}
	return ny
}

// progress is a progress bar on stderr while the runs go, shown only when
// stderr is a terminal.
type progress struct{ bar *progressbar.ProgressBar }

func newProgress(stderr io.Writer, total int, what string) *progress {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || total < 2 {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
	)}
}

func (p *progress) add() {
	if p.bar != nil {
		_ = p.bar.Add(1)
	}
}

func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
