// Command bench runs onnxrun and ONNX Runtime side by side over a folder of
// zoo models and writes BENCHMARKS.md.
//
// For each model and thread count it alternates processes of the two
// runtimes (onnxrun first in even rounds, ONNX Runtime first in odd ones),
// so that both see the same machine noise, and reports the median of the
// per-process median run times, their ratio, each runtime's peak RSS and
// the geometric mean of the ratios. It also runs the GEMM benchmarks of
// internal/gemm and compares them with this CPU's measured FMA peak.
//
// Usage (from the repository root):
//
//	go run ./bench -zoo DIR -ort NODE_MODULES [-threads 1,2] [-rounds 3] [-runs 5] [-out BENCHMARKS.md]
//
// DIR holds one folder per model (model.onnx, test_data_set_0/input_<i>.pb
// and .npy), as made by the zoo script; NODE_MODULES is a node_modules
// folder holding onnxruntime-node. Both may also come from the environment
// (ONNXRUN_ZOO, ORT_NODE_MODULES).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

type config struct {
	zoo, ortModules, out, onnxrun, node string
	models                              []string
	threads                             []int
	rounds, runs, warmup                int
	gemm                                bool
	timeout                             time.Duration
}

// sample is one process's report.
type sample struct {
	MedianMS     float64 `json:"median_ms"`
	MinMS        float64 `json:"min_ms"`
	LoadMS       float64 `json:"load_ms"`
	PeakRSSBytes int64   `json:"peak_rss_bytes"`
	CPUMS        float64 `json:"cpu_ms"`
}

// result is one model at one thread count.
type result struct {
	model        string
	threads      int
	ours, ort    []sample
	oursErr      string
	ortErr       string
	ratio        float64
	cpuRatio     float64
	oursCPU      float64
	ortCPU       float64
	oursMed      float64
	ortMed       float64
	oursRSS      int64
	ortRSS       int64
	ortFirstLoad float64
}

func main() {
	var c config
	var models, threads string
	flag.StringVar(&c.zoo, "zoo", os.Getenv("ONNXRUN_ZOO"), "folder of zoo models (env ONNXRUN_ZOO)")
	flag.StringVar(&c.ortModules, "ort", os.Getenv("ORT_NODE_MODULES"), "node_modules folder with onnxruntime-node (env ORT_NODE_MODULES)")
	flag.StringVar(&c.out, "out", "BENCHMARKS.md", "report to write")
	flag.StringVar(&c.onnxrun, "onnxrun", "", "onnxrun binary (default: built from ./cmd/onnxrun)")
	flag.StringVar(&c.node, "node", "node", "node.js binary")
	flag.StringVar(&models, "models", "", "comma-separated model names (default: every folder of -zoo)")
	flag.StringVar(&threads, "threads", "1,2", "comma-separated thread counts")
	flag.IntVar(&c.rounds, "rounds", 3, "alternating rounds per model and thread count")
	flag.IntVar(&c.runs, "runs", 5, "timed runs per process")
	flag.IntVar(&c.warmup, "warmup", 2, "untimed runs per process")
	flag.BoolVar(&c.gemm, "gemm", true, "run the GEMM benchmarks and the FMA peak measurement")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Minute, "limit per process")
	flag.Parse()
	if c.zoo == "" || c.ortModules == "" {
		fmt.Fprintln(os.Stderr, "bench: -zoo and -ort (or ONNXRUN_ZOO and ORT_NODE_MODULES) are required")
		os.Exit(2)
	}
	for _, t := range strings.Split(threads, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: bad thread count %q\n", t)
			os.Exit(2)
		}
		c.threads = append(c.threads, n)
	}
	if models != "" {
		c.models = strings.Split(models, ",")
	}
	if err := run(&c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(c *config) error {
	if c.models == nil {
		ents, err := os.ReadDir(c.zoo)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if _, err := os.Stat(filepath.Join(c.zoo, e.Name(), "model.onnx")); err == nil {
				c.models = append(c.models, e.Name())
			}
		}
	}
	tmp, err := os.MkdirTemp("", "onnxrun-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if c.onnxrun == "" {
		c.onnxrun = filepath.Join(tmp, "onnxrun")
		if out, err := exec.Command("go", "build", "-o", c.onnxrun, "./cmd/onnxrun").CombinedOutput(); err != nil {
			return fmt.Errorf("building onnxrun: %v\n%s", err, out)
		}
	}
	script, err := filepath.Abs(filepath.Join("bench", "ort_bench.js"))
	if err != nil {
		return err
	}
	start := time.Now()
	loadBefore := loadAvg()
	var results []*result
	for _, m := range c.models {
		for _, th := range c.threads {
			r := &result{model: m, threads: th}
			for round := 0; round < c.rounds; round++ {
				steps := []func(){
					func() { oursOnce(c, r) },
					func() { ortOnce(c, script, r) },
				}
				if round%2 == 1 {
					steps[0], steps[1] = steps[1], steps[0]
				}
				for _, s := range steps {
					s()
				}
			}
			r.summarize()
			fmt.Fprintf(os.Stderr, "%-16s %d threads: onnxrun %s, ORT %s, ratio %s\n", m, th,
				msText(r.oursMed), msText(r.ortMed), ratioText(r.ratio))
			results = append(results, r)
		}
	}
	loadAfter := loadAvg()
	var gemmLines []string
	peak := ""
	if c.gemm {
		gemmLines = gemmBench(c)
		peak = fmaPeak(tmp)
	}
	var b bytes.Buffer
	report(&b, c, results, gemmLines, peak, loadBefore, loadAfter, time.Since(start))
	return os.WriteFile(c.out, b.Bytes(), 0o644)
}

// oursOnce runs one onnxrun bench process.
func oursOnce(c *config, r *result) {
	dir := filepath.Join(c.zoo, r.model)
	args := []string{"bench", filepath.Join(dir, "model.onnx")}
	ins, _ := filepath.Glob(filepath.Join(dir, "test_data_set_0", "input_*.pb"))
	sort.Slice(ins, func(i, j int) bool { return inputIndex(ins[i]) < inputIndex(ins[j]) })
	args = append(args, ins...)
	args = append(args, "--threads", strconv.Itoa(r.threads), "--runs", strconv.Itoa(c.runs),
		"--warmup", strconv.Itoa(c.warmup), "--json")
	s, err := runJSON(c, nil, c.onnxrun, args...)
	if err != nil {
		r.oursErr = err.Error()
		return
	}
	r.ours = append(r.ours, s)
}

// ortOnce runs one ONNX Runtime process.
func ortOnce(c *config, script string, r *result) {
	env := []string{"NODE_PATH=" + c.ortModules}
	s, err := runJSON(c, env, c.node, script, filepath.Join(c.zoo, r.model), "--threads", strconv.Itoa(r.threads),
		"--runs", strconv.Itoa(c.runs), "--warmup", strconv.Itoa(c.warmup))
	if err != nil {
		r.ortErr = err.Error()
		return
	}
	r.ort = append(r.ort, s)
}

var inputRE = regexp.MustCompile(`input_(\d+)\.pb$`)

func inputIndex(p string) int {
	m := inputRE.FindStringSubmatch(p)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// runJSON runs a command and decodes the last line of its output.
func runJSON(c *config, env []string, name string, args ...string) (sample, error) {
	var s sample
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if len(msg) > 160 {
			msg = msg[:160] + "…"
		}
		return s, fmt.Errorf("%v: %s", err, msg)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		return s, fmt.Errorf("output: %v", err)
	}
	if s.MedianMS <= 0 {
		return s, errors.New("no median in the output")
	}
	return s, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (r *result) summarize() {
	var a, b []float64
	for _, s := range r.ours {
		a = append(a, s.MedianMS)
		r.oursRSS = max(r.oursRSS, s.PeakRSSBytes)
	}
	for _, s := range r.ort {
		b = append(b, s.MedianMS)
		r.ortRSS = max(r.ortRSS, s.PeakRSSBytes)
	}
	r.oursMed, r.ortMed = median(a), median(b)
	var ca, cb []float64
	for _, s := range r.ours {
		ca = append(ca, s.CPUMS)
	}
	for _, s := range r.ort {
		cb = append(cb, s.CPUMS)
	}
	r.oursCPU, r.ortCPU = median(ca), median(cb)
	if r.oursCPU > 0 && r.ortCPU > 0 && r.oursErr == "" && r.ortErr == "" {
		r.cpuRatio = r.oursCPU / r.ortCPU
	}
	if r.oursMed > 0 && r.ortMed > 0 && r.oursErr == "" && r.ortErr == "" {
		r.ratio = r.oursMed / r.ortMed
	}
}

func msText(v float64) string {
	if v <= 0 {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func ratioText(v float64) string {
	if v <= 0 {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func mib(b int64) string {
	if b <= 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 0, 64)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// gemmBench runs the GEMM benchmarks and returns their result lines.
func gemmBench(c *config) []string {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "Sgemm", "-benchtime", "20x", "./internal/gemm")
	out, err := cmd.CombinedOutput()
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "Benchmark") && strings.Contains(l, "GFLOP/s") {
			lines = append(lines, strings.Join(strings.Fields(l), " "))
		}
	}
	if err != nil && len(lines) == 0 {
		lines = append(lines, "go test -bench failed: "+err.Error())
	}
	return lines
}

// fmaPeak measures one core's float32 FMA throughput with bench/peak/peak.c
// when a C compiler is at hand.
func fmaPeak(tmp string) string {
	bin := filepath.Join(tmp, "peak")
	if out, err := exec.Command("cc", "-O2", "-march=native", "-o", bin, filepath.Join("bench", "peak", "peak.c")).CombinedOutput(); err != nil {
		return "not measured (" + strings.TrimSpace(string(out)) + ")"
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		return "not measured (" + err.Error() + ")"
	}
	return strings.TrimSpace(string(out))
}

func report(b *bytes.Buffer, c *config, results []*result, gemmLines []string, peak, loadBefore, loadAfter string, took time.Duration) {
	fmt.Fprintf(b, "# Benchmarks: onnxrun vs ONNX Runtime\n\n")
	fmt.Fprintf(b, "Made by `go run ./bench` on %s (%s, %d logical CPUs, %s/%s), in %s.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), cpuName(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, took.Round(time.Second))
	fmt.Fprintf(b, "Load average (1, 5, 15 min) before: %s; after: %s. The machine was shared with other work while this ran:\n", loadBefore, loadAfter)
	fmt.Fprintf(b, "compare ratios, not absolute times.\n\n")
	fmt.Fprintf(b, "Each cell is the median of %d processes' median run time (%d timed runs after %d warm-up each); the\n", c.rounds, c.runs, c.warmup)
	fmt.Fprintf(b, "two runtimes' processes alternate (onnxrun first in even rounds, ONNX Runtime first in odd ones).\n")
	fmt.Fprintf(b, "ONNX Runtime is onnxruntime-node with graphOptimizationLevel \"all\", intra-op threads as given,\n")
	fmt.Fprintf(b, "sequential execution; its peak RSS includes node.js itself (about 40-50 MiB). Ratio is onnxrun / ORT\n")
	fmt.Fprintf(b, "(below 1: onnxrun faster). CPU ms is each process's CPU time (user + system, all threads) per timed run:\n")
	fmt.Fprintf(b, "on a loaded machine wall times stretch with the load while CPU time stays close to the work done.\n\n")
	for _, th := range c.threads {
		fmt.Fprintf(b, "## %d thread(s)\n\n", th)
		fmt.Fprintf(b, "| model | onnxrun ms | ORT ms | ratio | onnxrun CPU ms | ORT CPU ms | CPU ratio | onnxrun peak RSS MiB | ORT peak RSS MiB | note |\n")
		fmt.Fprintf(b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
		var logs, cpuLogs float64
		var cpuN int
		var n int
		over := 0
		for _, r := range results {
			if r.threads != th {
				continue
			}
			note := ""
			if r.oursErr != "" {
				note = "onnxrun: " + r.oursErr
			}
			if r.ortErr != "" {
				note = strings.TrimSpace(note + " ORT: " + r.ortErr)
			}
			note = strings.ReplaceAll(note, "|", "\\|")
			if r.ratio > 0 {
				logs += math.Log(r.ratio)
				n++
				if r.ratio > 3 {
					over++
				}
			}
			if r.cpuRatio > 0 {
				cpuLogs += math.Log(r.cpuRatio)
				cpuN++
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.model, msText(r.oursMed), msText(r.ortMed),
				ratioText(r.ratio), msText(r.oursCPU), msText(r.ortCPU), ratioText(r.cpuRatio), mib(r.oursRSS), mib(r.ortRSS), note)
		}
		if n > 0 {
			fmt.Fprintf(b, "\nGeometric mean ratio over the %d models both ran: **%.2f** (wall time), %.2f (CPU time); models above 3.0 (wall): %d.\n\n",
				n, math.Exp(logs/float64(n)), math.Exp(cpuLogs/float64(max(cpuN, 1))), over)
		}
	}
	if c.gemm {
		fmt.Fprintf(b, "## GEMM\n\n")
		fmt.Fprintf(b, "This CPU's measured float32 FMA peak on one core (bench/peak/peak.c): %s\n\n", peak)
		fmt.Fprintf(b, "`go test -run '^$' -bench Sgemm -benchtime 20x ./internal/gemm`:\n\n```\n")
		for _, l := range gemmLines {
			fmt.Fprintln(b, l)
		}
		fmt.Fprintf(b, "```\n\n")
	}
	fmt.Fprintf(b, "## Reproduce\n\n```\n")
	fmt.Fprintf(b, "/usr/bin/python3 ../shared/zoo/gen.py $ZOO      # the zoo models\n")
	fmt.Fprintf(b, "mkdir -p $ORT && cd $ORT && npm init -y && npm install --ignore-scripts onnxruntime-node@1.30.0 && cd -\n")
	fmt.Fprintf(b, "go run ./bench -zoo $ZOO -ort $ORT/node_modules -threads %s -rounds %d -runs %d -warmup %d",
		joinInts(c.threads), c.rounds, c.runs, c.warmup)
	if len(c.models) > 0 {
		fmt.Fprintf(b, " -models %s", strings.Join(c.models, ","))
	}
	fmt.Fprintf(b, "\n```\n")
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
