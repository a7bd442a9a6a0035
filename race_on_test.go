//go:build race

package onnxrun_test

// raceEnabled slows everything down several times over.
const raceEnabled = true
