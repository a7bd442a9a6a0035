package onnxrun

import "github.com/onnxrun/onnxrun/ops"

// Option configures a Session when it is opened.
type Option func(*config)

type config struct {
	ops ops.Options
	// copyOutputs copies every output instead of sharing fresh results.
	copyOutputs bool
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
