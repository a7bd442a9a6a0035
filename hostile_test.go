package onnxrun_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onnxrun/onnxrun"
	"github.com/onnxrun/onnxrun/ops"
	"github.com/onnxrun/onnxrun/tensorio"
)

// hostileCase is one entry of testdata/hostile/manifest.json.
type hostileCase struct {
	File   string            `json:"file"`
	Stage  string            `json:"stage"` // "open" or "run": where the error must come
	Error  string            `json:"error"` // text the error must contain ("": any error)
	Why    string            `json:"why"`
	Inputs map[string]string `json:"inputs"`
	Setup  string            `json:"setup"` // "symlink" or "hardlink"
	Flags  []string          `json:"flags"`
}

func readHostile(t testing.TB) []hostileCase {
	b, err := os.ReadFile(filepath.Join("testdata", "hostile", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cs []hostileCase
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// stageHostile copies a case's model and the shared weights file into a
// fresh folder and makes the links the case asks for; it returns the
// model's path there.
func stageHostile(t testing.TB, c hostileCase) string {
	dir := t.TempDir()
	for _, name := range []string{c.File, "weights.bin"} {
		b, err := os.ReadFile(filepath.Join("testdata", "hostile", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	switch c.Setup {
	case "symlink":
		if err := os.Symlink("weights.bin", filepath.Join(dir, "link.bin")); err != nil {
			t.Skip(err)
		}
	case "hardlink":
		if err := os.Link(filepath.Join(dir, "weights.bin"), filepath.Join(dir, "hard.bin")); err != nil {
			t.Skip(err)
		}
	}
	return filepath.Join(dir, c.File)
}

// hostileOptions turns a case's CLI flags into session options and a
// timeout.
func hostileOptions(t testing.TB, flags []string) ([]onnxrun.Option, time.Duration) {
	var l onnxrun.Limits
	var timeout time.Duration
	for i := 0; i+1 < len(flags); i += 2 {
		switch flags[i] {
		case "--timeout":
			d, err := time.ParseDuration(flags[i+1])
			if err != nil {
				t.Fatal(err)
			}
			timeout = d
		case "--max-loop":
			if flags[i+1] == "-1" {
				l.MaxLoopIterations = -1
			}
		default:
			t.Fatalf("flag %s not understood by the test", flags[i])
		}
	}
	return []onnxrun.Option{onnxrun.WithLimits(l)}, timeout
}

// TestHostile runs every model of the hostile corpus: each must give its
// error, at the stage the manifest says, within 30 seconds (the slowest,
// 2^20 Loop iterations, takes about 6).
func TestHostile(t *testing.T) {
	for _, c := range readHostile(t) {
		t.Run(strings.TrimSuffix(c.File, ".onnx"), func(t *testing.T) {
			if testing.Short() && c.File == "loop_runaway.onnx" {
				t.Skip("runs 2^20 Loop iterations")
			}
			path := stageHostile(t, c)
			opts, timeout := hostileOptions(t, c.Flags)
			start := time.Now()
			done := make(chan error, 1)
			stage := "open"
			go func() {
				s, err := onnxrun.Open(path, opts...)
				if err != nil {
					done <- err
					return
				}
				defer s.Close()
				stage = "run"
				in := map[string]ops.Value{}
				for name, file := range c.Inputs {
					g, err := tensorio.ReadNPYFile(filepath.Join("testdata", "hostile", file))
					if err != nil {
						done <- err
						return
					}
					v, err := ops.FromGraph(g)
					if err != nil {
						done <- err
						return
					}
					in[name] = v
				}
				ctx := context.Background()
				if timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, timeout)
					defer cancel()
				}
				_, err = s.RunValues(ctx, in)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("%s: no answer after 30s", c.Why)
			}
			elapsed := time.Since(start)
			if err == nil {
				t.Fatalf("%s: no error", c.Why)
			}
			t.Logf("%s (%s, %v): %v", c.Why, stage, elapsed.Round(time.Millisecond), err)
			if !strings.Contains(err.Error(), c.Error) {
				t.Errorf("error %q does not contain %q", err, c.Error)
			}
			if stage != c.Stage {
				t.Errorf("failed at %s, want at %s", stage, c.Stage)
			}
			if strings.Contains(err.Error(), "internal error") || strings.Contains(err.Error(), "panic") {
				t.Errorf("error reports a recovered panic: %v", err)
			}
			var le *onnxrun.LimitError
			if strings.Contains(c.Error, "limit") && !errors.As(err, &le) && !strings.Contains(c.File, "nested") {
				t.Errorf("error does not wrap a *LimitError")
			}
			if limit := 30 * time.Second; elapsed > limit && !raceEnabled {
				t.Errorf("took %v", elapsed)
			}
		})
	}
}
