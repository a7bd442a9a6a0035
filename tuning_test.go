package onnxrun

import "testing"

func TestWithTuning(t *testing.T) {
	var c config
	if c.ops.NoTune {
		t.Fatal("tuning is off by default")
	}
	WithTuning(false)(&c)
	if !c.ops.NoTune {
		t.Fatal("WithTuning(false) left tuning on")
	}
	WithTuning(true)(&c)
	if c.ops.NoTune {
		t.Fatal("WithTuning(true) left tuning off")
	}
}
