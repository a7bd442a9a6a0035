package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onnxrun/onnxrun"
	"github.com/onnxrun/onnxrun/graph"
	"github.com/onnxrun/onnxrun/optimize"
)

func init() {
	register(command{name: "bench", summary: "time a model: bench MODEL [INPUT...] [--runs N] [--json]", run: benchCmd})
}

const benchUsage = `usage: onnxrun bench MODEL [INPUT...] [flags]

Times loading, preparing and running a model. Inputs are given as for run;
--random makes up those not given.

  --runs N          timed runs (default 10)
  --warmup N        untimed runs first (default 2)
  --threads N       goroutines per operator, and GOMAXPROCS (default: all cores)
  --no-tune         keep each Conv's default algorithm (no measuring, no tuning cache)
  --random          fill inputs not given from their declared shapes
  --dim NAME=VALUE  bind a symbolic dim (repeatable)
  --seed N          seed for --random (default 0)
  --json            print one JSON object instead of text
  --profile FILE    write a per-node profile of the timed runs (Chrome trace
                    JSON, as ONNX Runtime's profiler writes) and print the
                    nodes that took longest
  --top N           nodes to print with --profile (default 15)
  --opt-level N     graph optimization: 0 none, 1 basic, 2 all (default 2)
`

// benchResult is what bench --json prints. Times are in milliseconds.
type benchResult struct {
	Model        string  `json:"model"`
	Threads      int     `json:"threads"`
	Runs         int     `json:"runs"`
	Warmup       int     `json:"warmup"`
	LoadMS       float64 `json:"load_ms"`
	PrepareMS    float64 `json:"prepare_ms"`
	MedianMS     float64 `json:"median_ms"`
	P90MS        float64 `json:"p90_ms"`
	MinMS        float64 `json:"min_ms"`
	MaxMS        float64 `json:"max_ms"`
	MeanMS       float64 `json:"mean_ms"`
	PeakRSSBytes int64   `json:"peak_rss_bytes"`
	// CPUMS is the process's CPU time (user plus system, all threads) per
	// timed run: on a busy machine a steadier measure of the work than
	// wall time.
	CPUMS float64 `json:"cpu_ms"`
}

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer recoverTo(stderr, "bench", &code)
	var o runOptions
	runs, warmup, asJSON := 10, 2, false
	f := newFlagSet()
	f.valueFlag(func(v string) error { o.profile = v; return nil }, "profile")
	o.top, o.optLevel = 15, -1
	f.intFlag(&o.top, "top")
	f.intFlag(&o.optLevel, "opt-level")
	commonFlags(f, &o)
	f.intFlag(&runs, "runs", "n")
	f.intFlag(&warmup, "warmup")
	f.boolFlag(&asJSON, "json")
	pos, help, err := f.parse(args)
	if help {
		fmt.Fprint(stdout, benchUsage+limitUsage)
		return exitOK
	}
	switch {
	case err != nil:
	case len(pos) == 0:
		err = fmt.Errorf("%w: no model given", errUsage)
	case runs < 1 || warmup < 0:
		err = fmt.Errorf("%w: --runs must be at least 1 and --warmup at least 0", errUsage)
	case o.threads < 0:
		err = fmt.Errorf("%w: --threads must be at least 0", errUsage)
	}
	if err != nil {
		fmt.Fprint(stderr, benchUsage)
		return fail(stderr, "bench", err)
	}
	o.model, o.inputs = pos[0], pos[1:]
	bctx, cancel := o.limit.context(ctx)
	defer cancel()
	o.stderr = stderr
	res, err := bench(bctx, &o, runs, warmup)
	if err != nil {
		return fail(stderr, "bench", cliError(o.limit.stopped(err)))
	}
	if asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
		return exitOK
	}
	fmt.Fprintf(stdout, "%s: %d threads, %d runs after %d warm-up\n", res.Model, res.Threads, res.Runs, res.Warmup)
	fmt.Fprintf(stdout, "  load     %10.3f ms\n  prepare  %10.3f ms\n", res.LoadMS, res.PrepareMS)
	fmt.Fprintf(stdout, "  median   %10.3f ms\n  p90      %10.3f ms\n  min      %10.3f ms\n  max      %10.3f ms\n", res.MedianMS, res.P90MS, res.MinMS, res.MaxMS)
	fmt.Fprintf(stdout, "  CPU/run  %10.3f ms\n", res.CPUMS)
	fmt.Fprintf(stdout, "  peak RSS %10.1f MiB\n", float64(res.PeakRSSBytes)/(1<<20))
	if o.prof != nil {
		o.prof.top(stdout, o.top)
		fmt.Fprintf(stdout, "profile written to %s\n", o.profile)
	}
	return exitOK
}

func bench(ctx context.Context, o *runOptions, runs, warmup int) (*benchResult, error) {
	threads := o.threads
	if threads > 0 {
		runtime.GOMAXPROCS(threads)
	} else {
		threads = runtime.GOMAXPROCS(0)
	}
	res := &benchResult{Model: o.model, Threads: threads, Runs: runs, Warmup: warmup}
	if _, err := os.Stat(o.model); err != nil {
		return nil, err
	}
	t0 := time.Now()
	m, err := graph.Load(o.model)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	res.LoadMS = ms(time.Since(t0))
	t1 := time.Now()
	sopts := append(o.limit.options(), onnxrun.WithThreads(o.threads), onnxrun.WithTuning(!o.noTune))
	if o.optLevel >= 0 {
		sopts = append(sopts, onnxrun.WithOptimization(optimize.Level(o.optLevel)))
	}
	if o.profile != "" {
		o.prof = newProfiler()
		sopts = append(sopts, onnxrun.WithProfile(o.prof.record))
	}
	s, err := onnxrun.FromModel(m, sopts...)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	res.PrepareMS = ms(time.Since(t1))
	in, err := loadInputs(s, o)
	if err != nil {
		return nil, err
	}
	for range warmup {
		if _, err := s.RunValues(ctx, in); err != nil {
			return nil, err
		}
	}
	if o.prof != nil {
		o.prof.start()
	}
	bar := newProgress(o.stderr, runs, "bench")
	cpu0 := processCPU()
	times := make([]float64, runs)
	for i := range times {
		t := time.Now()
		if _, err := s.RunValues(ctx, in); err != nil {
			return nil, err
		}
		times[i] = ms(time.Since(t))
		bar.add()
	}
	bar.done()
	res.CPUMS = ms(processCPU()-cpu0) / float64(runs)
	if o.prof != nil {
		if err := o.prof.writeTrace(o.profile); err != nil {
			return nil, err
		}
	}
	sort.Float64s(times)
	res.MinMS, res.MaxMS = times[0], times[len(times)-1]
	res.MedianMS = quantile(times, 0.5)
	res.P90MS = quantile(times, 0.9)
	for _, t := range times {
		res.MeanMS += t / float64(len(times))
	}
	res.PeakRSSBytes = peakRSS()
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// quantile interpolates linearly between the sorted samples.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (pos-float64(i))*(sorted[i+1]-sorted[i])
}

// peakRSS returns the process's peak resident set size in bytes (VmHWM
// from /proc/self/status), or 0 where the system does not tell it.
func peakRSS() int64 {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				fields := strings.Fields(rest)
				if len(fields) == 2 && fields[1] == "kB" {
					if kb, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
						return kb << 10
					}
				}
			}
		}
	}
	return 0
}
