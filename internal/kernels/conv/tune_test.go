package conv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// tuneParams is a 3×3 stride-1 layer: im2col, both Winograd forms and
// taps apply.
var tuneParams = Params{N: 1, C: 8, M: 8, Group: 1, In: []int{10, 10}, Kernel: []int{3, 3}, Out: []int{10, 10},
	Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{1, 1}}

func readEntries(t *testing.T, dir string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, tuneFile))
	if err != nil {
		t.Fatal(err)
	}
	var f tuneFileData
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Entries
}

func TestTuneRoundTrip(t *testing.T) {
	dir := t.TempDir()
	pl, err := NewPlan[float32](tuneParams)
	if err != nil {
		t.Fatal(err)
	}
	got := Tune(pl, nil, dir)
	key := TuneKey[float32](&pl.P)
	e := readEntries(t, dir)
	if e[key] != got.Algo.String() {
		t.Fatalf("cache holds %q for the key, Tune chose %v", e[key], got.Algo)
	}
	// Another process (simulated by dropping the in-memory choices) reads
	// the file instead of measuring: force a different recorded choice.
	other := Winograd
	if got.Algo == Winograd {
		other = Im2col
	}
	e[key] = other.String()
	b, _ := json.Marshal(tuneFileData{Version: tuneVersion, Entries: e})
	if err := os.WriteFile(filepath.Join(dir, tuneFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	forget(dir)
	for i := 0; i < 3; i++ {
		if a := Tune(pl, nil, dir).Algo; a != other {
			t.Fatalf("run %d: chose %v, the cache says %v", i, a, other)
		}
	}
	// The recorded choice is kept: a new measurement does not replace it.
	if v := recordTune(dir, key, Winograd43.String()); v != other.String() {
		t.Fatalf("recordTune replaced %v by %v", other, v)
	}
	forget(dir)
	if v := readEntries(t, dir)[key]; v != other.String() {
		t.Fatalf("file now holds %q, want %v", v, other)
	}
}

func forget(dir string) {
	tuneCache.Lock()
	delete(tuneCache.dirs, dir)
	tuneCache.Unlock()
}

func TestTuneCorruptCacheIgnored(t *testing.T) {
	for _, content := range []string{"", "{", "\x00\xff garbage", `{"version":99,"entries":{}}`,
		`{"version":3,"entries":{"x":"nonsense"}}`, `[1,2,3]`} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, tuneFile), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		pl, err := NewPlan[float32](tuneParams)
		if err != nil {
			t.Fatal(err)
		}
		a := Tune(pl, nil, dir).Algo
		if a != Im2col && a != Winograd && a != Winograd43 && a != Taps {
			t.Fatalf("%q: chose %v", content, a)
		}
		// The file is rewritten whole and valid.
		forget(dir)
		if v := readEntries(t, dir)[TuneKey[float32](&pl.P)]; v != a.String() {
			t.Fatalf("%q: file holds %q, want %v", content, v, a)
		}
	}
}

func TestTuneUnwritableDirAndSingleCandidate(t *testing.T) {
	// A directory that cannot be created (its parent is a file).
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	pl, err := NewPlan[float32](tuneParams)
	if err != nil {
		t.Fatal(err)
	}
	a := Tune(pl, nil, filepath.Join(f, "sub")).Algo
	if b := Tune(pl, nil, filepath.Join(f, "sub")).Algo; a != b {
		t.Fatalf("choices differ within the process: %v then %v", a, b)
	}
	// Depthwise has one candidate: no measuring, no file.
	dir := t.TempDir()
	dp := Params{N: 1, C: 4, M: 4, Group: 4, In: []int{9, 9}, Kernel: []int{3, 3}, Out: []int{9, 9},
		Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{1, 1}}
	dpl, err := NewPlan[float32](dp)
	if err != nil {
		t.Fatal(err)
	}
	if got := Tune(dpl, nil, dir); got != dpl {
		t.Fatalf("Tune changed a single-candidate plan to %v", got.Algo)
	}
	if _, err := os.Stat(filepath.Join(dir, tuneFile)); !os.IsNotExist(err) {
		t.Fatalf("cache file written for a single candidate: %v", err)
	}
}

// TestTunedPlanMatchesReference checks that the tuned plan computes the
// convolution.
func TestTunedPlanMatchesReference(t *testing.T) {
	p := tuneParams
	pl, err := NewPlan[float32](p)
	if err != nil {
		t.Fatal(err)
	}
	pl = Tune(pl, nil, t.TempDir())
	x := make([]float32, p.N*p.C*prod(p.In))
	w := make([]float32, p.M*p.C*9)
	for i := range x {
		x[i] = float32(i%11) / 7
	}
	for i := range w {
		w[i] = float32(i%5) / 3
	}
	want := make([]float32, p.N*p.M*prod(p.Out))
	Reference(&p, x, w, nil, want)
	y, check := guarded(len(want))
	if err := pl.Run(x, w, nil, y, 1); err != nil {
		t.Fatal(err)
	}
	check(t)
	closeAll(t, pl.Algo.String(), y, want)
}

// TestTuneConcurrentFirstRuns: goroutines tuning the same new problem at
// once all end with the choice recorded first.
func TestTuneConcurrentFirstRuns(t *testing.T) {
	dir := t.TempDir()
	pl, err := NewPlan[float32](tuneParams)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]Algo, 6)
	done := make(chan int)
	for i := range got {
		go func() {
			got[i] = Tune(pl, nil, dir).Algo
			done <- i
		}()
	}
	for range got {
		<-done
	}
	for i, a := range got {
		if a != got[0] {
			t.Fatalf("goroutine %d chose %v, goroutine 0 %v", i, a, got[0])
		}
	}
	forget(dir)
	if v := readEntries(t, dir)[TuneKey[float32](&pl.P)]; v != got[0].String() {
		t.Fatalf("file holds %q, the runs chose %v", v, got[0])
	}
}
