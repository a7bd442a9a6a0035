package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onnxrun/onnxrun/ops"
)

func TestBenchProfile(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "trace.json")
	code, out, errs := cli("bench", filepath.Join(tinyCNN, "model.onnx"), "--random", "--dim", "N=2", "--runs", "2",
		"--warmup", "1", "--profile", trace, "--top", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "top 3 nodes") || !strings.Contains(out, "FusedConv") {
		t.Errorf("no top-nodes table with fused convolutions in:\n%s", out)
	}
	b, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	if err := json.Unmarshal(b, &events); err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 {
		t.Fatal("no events")
	}
	convs := 0
	for _, e := range events {
		for _, k := range []string{"cat", "name", "ph", "ts", "dur", "pid", "tid", "args"} {
			if _, ok := e[k]; !ok {
				t.Fatalf("event without %q: %v", k, e)
			}
		}
		if e["ph"] != "X" || e["cat"] != "Node" {
			t.Errorf("event %v: want ph X and cat Node", e)
		}
		args := e["args"].(map[string]any)
		if args["op_name"] == "FusedConv" {
			convs++
			if a, _ := args["algorithm"].(string); !strings.Contains(a, "+") {
				t.Errorf("fused conv algorithm %q does not name its epilogue", a)
			}
			if f, _ := args["flops"].(float64); f <= 0 {
				t.Errorf("fused conv without a FLOP count: %v", args)
			}
		}
	}
	if convs == 0 {
		t.Error("no FusedConv events")
	}
}

func TestNodeFLOPs(t *testing.T) {
	x := ops.New([]int{1, 4, 8, 8}, make([]float32, 256))
	w := ops.New([]int{6, 2, 3, 3}, make([]float32, 108))
	y := ops.New([]int{1, 6, 8, 8}, make([]float32, 384))
	// Each output element: 2·(C/group)·kh·kw = 2·2·9 operations.
	if got := nodeFLOPs("Conv", []ops.Value{x, w}, []ops.Value{y}); got != 384*36 {
		t.Errorf("Conv: %d FLOPs, want %d", got, 384*36)
	}
	a := ops.New([]int{3, 5}, make([]float32, 15))
	bt := ops.New([]int{7, 5}, make([]float32, 35)) // transB
	c := ops.New([]int{3, 7}, make([]float32, 21))
	if got := nodeFLOPs("Gemm", []ops.Value{a, bt}, []ops.Value{c}); got != 2*3*7*5 {
		t.Errorf("Gemm: %d FLOPs, want %d", got, 2*3*7*5)
	}
	if got := nodeFLOPs("Relu", []ops.Value{c}, []ops.Value{c}); got != 21 {
		t.Errorf("Relu: %d, want 21", got)
	}
}
