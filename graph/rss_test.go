package graph

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestLoadPeakRSS loads the model named by ONNX_RSS_MODEL, reads every
// initializer's data, and checks that the process's peak resident memory
// stays near the file's size (Load maps the file and aliases it rather than
// copying). Run it alone, e.g.
//
//	ONNX_RSS_MODEL=/tmp/vgg11.onnx go test -run TestLoadPeakRSS ./graph
func TestLoadPeakRSS(t *testing.T) {
	path := os.Getenv("ONNX_RSS_MODEL")
	if path == "" {
		t.Skip("set ONNX_RSS_MODEL to a large model file to measure peak memory")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/status")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	before := peakRSS(t)
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, init := range m.Graph.Initializers {
		d, err := init.Data()
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := d.([]float32); ok {
			for _, v := range f {
				sum += float64(v)
			}
		}
	}
	peak := peakRSS(t)
	m.Close()
	t.Logf("file %d MiB; peak RSS %d MiB (%d MiB before loading); checksum %g", fi.Size()>>20, peak>>20, before>>20, sum)
	if limit := before + fi.Size() + fi.Size()/20 + 32<<20; peak > limit {
		t.Errorf("peak RSS %d MiB exceeds %d MiB", peak>>20, limit>>20)
	}
}

// peakRSS is the process's peak resident set size in bytes (VmHWM).
func peakRSS(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("no VmHWM in /proc/self/status")
	return 0
}
