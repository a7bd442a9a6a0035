package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/onnxrun/onnxrun"
)

// limitUsage documents the flags limitFlags adds to run and bench.
const limitUsage = `
Limits (a model is a program: these bound what it may make a run use):
  --timeout D             stop the run after duration D (e.g. 5s, 2m; default none)
  --max-tensor-bytes N    bytes for one tensor (default 512Mi; suffixes K, M, G, Ki, Mi, Gi)
  --max-memory N          bytes of all tensors live at once (default half the memory available)
  --max-depth N           nesting of subgraphs and function calls (default 64)
  --max-loop N            iterations of one Loop node (default 1048576)
  (0 keeps a default, -1 removes the limit)
`

// limitOptions are the parsed limit flags.
type limitOptions struct {
	limits  onnxrun.Limits
	timeout time.Duration
}

// limitFlags registers the limit flags on f.
func limitFlags(f *flagSet, o *limitOptions) {
	f.valueFlag(func(s string) error {
		v, err := parseBytes(s)
		o.limits.MaxTensorBytes = v
		return err
	}, "max-tensor-bytes")
	f.valueFlag(func(s string) error {
		v, err := parseBytes(s)
		o.limits.MaxLiveBytes = v
		return err
	}, "max-memory", "max-live-bytes")
	f.valueFlag(func(s string) error {
		v, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("not an integer: %q", s)
		}
		o.limits.MaxDepth = v
		return nil
	}, "max-depth")
	f.valueFlag(func(s string) error {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("not an integer: %q", s)
		}
		o.limits.MaxLoopIterations = v
		return nil
	}, "max-loop")
	f.valueFlag(func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return fmt.Errorf("want a duration such as 5s or 2m, got %q", s)
		}
		o.timeout = d
		return nil
	}, "timeout")
}

// options returns the session options the flags ask for.
func (o *limitOptions) options() []onnxrun.Option {
	return []onnxrun.Option{onnxrun.WithLimits(o.limits)}
}

// context returns ctx bounded by --timeout.
func (o *limitOptions) context(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, o.timeout)
}

// stopped rewrites the error of a run that ctx stopped into one line that
// says why: the --timeout, or an interrupt.
func (o *limitOptions) stopped(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("stopped after --timeout %s: %w", o.timeout, err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("interrupted: %w", err)
	}
	return err
}

// parseBytes parses a byte count: a plain integer, or one with a suffix K,
// M, G, T (powers of 1000) or Ki, Mi, Gi, Ti (powers of 1024), optionally
// followed by B. -1 means no limit.
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "b")
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"K", 1e3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}} {
		if strings.HasSuffix(t, u.suf) {
			t, mult = strings.TrimSuffix(t, u.suf), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || (v < 0 && v != -1) {
		return 0, fmt.Errorf("want a byte count such as 512M or 2Gi, got %q", s)
	}
	if v == -1 {
		return -1, nil
	}
	f := v * float64(mult)
	if f >= math.MaxInt64 {
		return math.MaxInt64, nil
	}
	return int64(f), nil
}

// safeDispatch is dispatch with a panic reported as a one-line error and
// exit status 1 instead of a crash.
func safeDispatch(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "onnxrun: internal error: %v\n", strings.ReplaceAll(fmt.Sprint(r), "\n", " "))
			code = exitFail
		}
	}()
	return dispatch(ctx, args, stdout, stderr)
}
