package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hostileEntry is one entry of testdata/hostile/manifest.json.
type hostileEntry struct {
	File   string            `json:"file"`
	Error  string            `json:"error"`
	Why    string            `json:"why"`
	Inputs map[string]string `json:"inputs"`
	Setup  string            `json:"setup"`
	Flags  []string          `json:"flags"`
}

// TestHostileCLI runs the command on every model of the hostile corpus, as
// a separate process: each must exit with status 1 and a one-line error
// within seconds, its peak resident memory under 1 GiB.
func TestHostileCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and runs it once per hostile model")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads peak memory from rusage (Linux reports it in KiB)")
	}
	src := filepath.Join("..", "..", "testdata", "hostile")
	b, err := os.ReadFile(filepath.Join(src, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []hostileEntry
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	bin := buildCLI(t)
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.File, ".onnx"), func(t *testing.T) {
			dir := t.TempDir()
			for _, name := range []string{c.File, "weights.bin"} {
				data, err := os.ReadFile(filepath.Join(src, name))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
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
			args := []string{"run", filepath.Join(dir, c.File)}
			for name, file := range c.Inputs {
				abs, _ := filepath.Abs(filepath.Join(src, file))
				args = append(args, name+"="+abs)
			}
			args = append(args, c.Flags...)
			cmd := exec.Command(bin, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
			err := cmd.Wait()
			timer.Stop()
			elapsed := time.Since(start)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("%s: want exit status 1, got %v\nstdout: %s\nstderr: %s", c.Why, err, stdout.String(), stderr.String())
			}
			msg := stderr.String()
			if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "onnxrun run: ") {
				t.Errorf("want one line starting %q, got %q", "onnxrun run: ", msg)
			}
			if !strings.Contains(msg, c.Error) {
				t.Errorf("error %q does not contain %q", msg, c.Error)
			}
			rss := int64(0)
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				rss = ru.Maxrss << 10
			}
			t.Logf("%s: %v, peak RSS %d MiB: %s", c.Why, elapsed.Round(time.Millisecond), rss>>20, strings.TrimSpace(msg))
			if rss > 1<<30 {
				t.Errorf("peak RSS %d MiB, want under 1 GiB", rss>>20)
			}
			if elapsed > 30*time.Second {
				t.Errorf("took %v", elapsed)
			}
		})
	}
}

// TestInterrupt sends SIGINT to a run of a model that loops for ever: the
// command must stop within a second or two with a one-line error and exit
// status 1.
func TestInterrupt(t *testing.T) {
	if testing.Short() || runtime.GOOS != "linux" {
		t.Skip("builds the command and signals it")
	}
	bin := buildCLI(t)
	src := filepath.Join("..", "..", "testdata", "hostile")
	cmd := exec.Command(bin, "run", filepath.Join(src, "loop_runaway_constant.onnx"), "--max-loop", "-1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	sent := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("want exit status 1, got %v (%s)", err, stderr.String())
	}
	if d := time.Since(sent); d > 2*time.Second {
		t.Errorf("stopped %v after the interrupt", d)
	}
	if msg := stderr.String(); strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "interrupted") {
		t.Errorf("want one line saying it was interrupted, got %q", msg)
	}
}

var (
	cliOnce sync.Once
	cliBin  string
	cliErr  error
)

// buildCLI builds the command once for the tests that run it as a process.
func buildCLI(t *testing.T) string {
	cliOnce.Do(func() {
		dir, err := os.MkdirTemp("", "onnxrun-cli")
		if err != nil {
			cliErr = err
			return
		}
		cliBin = filepath.Join(dir, "onnxrun")
		if out, err := exec.Command("go", "build", "-o", cliBin, ".").CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliBin
}

// TestMain removes the command buildCLI built.
func TestMain(m *testing.M) {
	code := m.Run()
	if cliBin != "" {
		os.RemoveAll(filepath.Dir(cliBin))
	}
	os.Exit(code)
}
