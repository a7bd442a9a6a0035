package conv

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/cpu"
)

// Tuning: a Plan's default algorithm (Choose) is a guess from the shape;
// Tune measures every algorithm in Candidates on the real shape with
// scratch data and keeps the fastest.
//
// Determinism: the choice must not depend on the thread count, and once
// made it must not change, because algorithms round differently (Winograd
// and im2col give outputs that differ in the last bits). So candidates are
// measured single-threaded whatever the run's thread count, and the first
// choice for a key is kept: in memory for the life of the process, and in
// a JSON file that later processes read before measuring. A key already in
// the file is never overwritten (concurrent first runs agree on whichever
// choice was recorded first). Without a writable cache, choices persist
// only within the process.

// tuneReps is the number of timed runs per candidate (after one warm-up);
// the minimum counts.
const tuneReps = 3

// tuneMaxRun bounds the measuring: when the default algorithm's warm-up
// run takes longer, the default is kept without trying the others.
const tuneMaxRun = 2 * time.Second

// TuneCacheEnv names the environment variable that overrides the
// directory of the tuning cache (default: os.UserCacheDir()/onnxrun).
const TuneCacheEnv = "ONNXRUN_TUNE_CACHE"

// tuneFile is the cache's file name inside its directory.
const tuneFile = "conv-tune.json"

// tuneVersion is stored in the file; a file of another version is ignored.
// It changes when an algorithm's speed changes enough that recorded
// choices no longer hold (3: im2col with weights packed once and patches
// packed straight into the GEMM's panels; float32 Winograd with vectorized
// transforms and packed weights).
const tuneVersion = 3

type tuneFileData struct {
	Version int               `json:"version"`
	Entries map[string]string `json:"entries"`
}

// tuneCache holds the choices of this process, keyed by directory.
var tuneCache = struct {
	sync.Mutex
	dirs map[string]map[string]string
}{dirs: map[string]map[string]string{}}

// TuneDir returns the directory of the tuning cache, or "" when there is
// none.
func TuneDir() string {
	if d := os.Getenv(TuneCacheEnv); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "onnxrun")
}

// cpuID names this CPU for the cache: its model and the features the
// kernels use, and whether the assembly kernels are built in.
var cpuID = sync.OnceValue(func() string {
	model := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	flags := fmt.Sprintf("avx2=%t,fma=%t,avx512f=%t,asm=%t", cpu.X86.HasAVX2, cpu.X86.HasFMA, cpu.X86.HasAVX512F, hasDWAsm)
	return model + " " + flags
})

// TuneKey returns the cache key of a problem for element type T: the CPU,
// then a hash of the convolution parameters, the element type and the
// candidate list (so a new algorithm invalidates old choices).
func TuneKey[T Num](p *Params) string {
	var z T
	h := sha256.Sum256(fmt.Appendf(nil, "%T n%d c%d m%d g%d in%v k%v out%v s%v d%v p%v cand%v",
		z, p.N, p.C, p.M, p.Group, p.In, p.Kernel, p.Out, p.Strides, p.Dilations, p.Pads, Candidates[T](p)))
	return cpuID() + "|" + hex.EncodeToString(h[:12])
}

// loadTuneDir returns the choices recorded in dir (read once per process;
// a missing, unreadable or corrupt file gives none). The caller holds
// tuneCache's lock.
func loadTuneDir(dir string) map[string]string {
	if m, ok := tuneCache.dirs[dir]; ok {
		return m
	}
	m := readTuneFile(dir)
	tuneCache.dirs[dir] = m
	return m
}

func readTuneFile(dir string) map[string]string {
	m := map[string]string{}
	if dir == "" {
		return m
	}
	b, err := os.ReadFile(filepath.Join(dir, tuneFile))
	if err != nil {
		return m
	}
	var f tuneFileData
	if json.Unmarshal(b, &f) != nil || f.Version != tuneVersion {
		return m
	}
	for k, v := range f.Entries {
		if _, ok := ParseAlgo(v); ok {
			m[k] = v
		}
	}
	return m
}

// recordTune keeps algo for key unless a choice is already recorded (in
// this process or, re-read now, in the file), and returns the choice that
// stands. It writes the file atomically (temporary file, then rename);
// failing to write only costs the next process a measurement.
func recordTune(dir, key, algo string) string {
	tuneCache.Lock()
	defer tuneCache.Unlock()
	m := loadTuneDir(dir)
	if v, ok := m[key]; ok {
		return v
	}
	disk := readTuneFile(dir)
	if v, ok := disk[key]; ok {
		m[key] = v
		return v
	}
	m[key] = algo
	if dir == "" {
		return algo
	}
	for k, v := range m {
		if _, ok := disk[k]; !ok {
			disk[k] = v
		}
	}
	b, err := json.MarshalIndent(tuneFileData{Version: tuneVersion, Entries: disk}, "", " ")
	if err != nil {
		return algo
	}
	if os.MkdirAll(dir, 0o755) != nil {
		return algo
	}
	tmp, err := os.CreateTemp(dir, tuneFile+".*.tmp")
	if err != nil {
		return algo
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), filepath.Join(dir, tuneFile)) != nil {
		os.Remove(tmp.Name())
	}
	return algo
}

// ParseAlgo is the inverse of Algo.String.
func ParseAlgo(s string) (Algo, bool) {
	for a := Pointwise; a <= Taps; a++ {
		if a.String() == s {
			return a, true
		}
	}
	return 0, false
}

// Tune returns pl with the algorithm that measured fastest for its
// problem on this CPU, using the recorded choice when the cache in dir
// (see TuneDir; "" for none) has one. w are the weights in the
// [M, C/Group, Kernel...] layout (nil: scratch weights are used). With a
// single candidate it returns pl as is.
func Tune[T Num](pl *Plan[T], w []T, dir string) *Plan[T] {
	cands := Candidates[T](&pl.P)
	if len(cands) < 2 {
		return pl
	}
	key := TuneKey[T](&pl.P)
	tuneCache.Lock()
	v, ok := loadTuneDir(dir)[key]
	tuneCache.Unlock()
	if !ok {
		v = recordTune(dir, key, measure(pl, cands, w).String())
	}
	if a, ok := ParseAlgo(v); ok {
		for _, c := range cands {
			if c == a {
				return pl.WithAlgo(a)
			}
		}
	}
	return pl
}

// timeRun returns the CPU time f takes on this thread (f runs on the
// calling goroutine only), or its wall time where no thread clock is read.
func timeRun(f func()) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0, ok0 := threadTime()
	start := time.Now()
	f()
	wall := time.Since(start)
	if t1, ok1 := threadTime(); ok0 && ok1 && t1 > t0 {
		return t1 - t0
	}
	return wall
}

// measure times each candidate single-threaded (thread CPU time, so that
// a loaded machine does not skew the choice) and returns the fastest (the
// first on ties).
func measure[T Num](pl *Plan[T], cands []Algo, w []T) Algo {
	p := &pl.P
	x := make([]T, p.N*p.C*pl.in)
	for i := range x {
		x[i] = T((i*7919)%13) - 6
	}
	if len(w) != p.M*pl.ck {
		w = make([]T, p.M*pl.ck)
		for i := range w {
			w[i] = T((i*104729)%7) - 3
		}
	}
	y := make([]T, p.N*p.M*pl.out)
	best, bestT := cands[0], time.Duration(-1)
	for i, a := range cands {
		q := pl.WithAlgo(a)
		packed, err := q.PackWeights(w)
		if err != nil {
			continue
		}
		start := time.Now()
		if q.RunPacked(x, packed, nil, y, 1) != nil {
			continue
		}
		if i == 0 && time.Since(start) > tuneMaxRun {
			return a
		}
		d := time.Duration(-1)
		for r := 0; r < tuneReps; r++ {
			e := timeRun(func() { _ = q.RunPacked(x, packed, nil, y, 1) })
			if d < 0 || e < d {
				d = e
			}
		}
		if bestT < 0 || d < bestT {
			best, bestT = a, d
		}
	}
	return best
}
