package onnxrun

import (
	"github.com/onnxrun/onnxrun/ops"
	"github.com/onnxrun/onnxrun/optimize"
)

// Option configures a Session when it is opened.
type Option func(*config)

type config struct {
	ops ops.Options
	// copyOutputs copies every output instead of sharing fresh results.
	copyOutputs bool
	// optLevel is the graph optimization level (optSet: given by an option;
	// otherwise optimize.LevelAll).
	optLevel optimize.Level
	optSet   bool
}

// WithThreads sets how many goroutines one operator may use while running
// (n <= 0: GOMAXPROCS, the default). Concurrent Run calls each use up to n.
func WithThreads(n int) Option {
	return func(c *config) {
		if n < 0 {
			n = 0
		}
		c.ops.Threads = n
	}
}

// WithCopiedOutputs makes Run return outputs in freshly allocated memory
// always. By default an output shares the memory the executor computed it
// in (it is copied only when it would otherwise alias an input or a weight
// of the model), which saves a copy per output.
func WithCopiedOutputs() Option {
	return func(c *config) { c.copyOutputs = true }
}

// WithOptimization sets the graph optimization level applied when the
// session is created (the default is optimize.LevelAll): see package
// optimize for the passes. The model given to FromModel is not modified.
func WithOptimization(level optimize.Level) Option {
	return func(c *config) {
		c.optLevel = level
		c.optSet = true
	}
}

// WithoutOptimization runs the model's graph as it is.
func WithoutOptimization() Option { return WithOptimization(optimize.LevelNone) }

func (c *config) optimization() optimize.Level {
	if !c.optSet {
		return optimize.LevelAll
	}
	return c.optLevel
}

// WithProfile calls f after each node of every run, with the node, its
// kernel, its inputs and outputs and its wall time (see ops.NodeEvent).
// f is called from the running goroutine and must be safe for concurrent
// use when runs are. Without it profiling costs nothing.
func WithProfile(f func(ops.NodeEvent)) Option {
	return func(c *config) { c.ops.Profile = f }
}

// WithTuning turns the measuring of convolution algorithms on (the
// default) or off. With it on, each Conv node times the algorithms that
// apply to its shape on its first run for that shape (single-threaded) and
// keeps the fastest; the choice is recorded in a cache file (under
// os.UserCacheDir()/onnxrun, or $ONNXRUN_TUNE_CACHE) so that the next load
// of the same model on the same CPU makes the same choice without
// measuring.
func WithTuning(on bool) Option {
	return func(c *config) { c.ops.NoTune = !on }
}
