package main

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMedian(t *testing.T) {
	assert.Equal(t, 0.0, median(nil))
	assert.Equal(t, 3.0, median([]float64{5, 3, 1}))
	assert.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
	v := []float64{3, 1, 2}
	median(v)
	assert.Equal(t, []float64{3, 1, 2}, v, "median must not reorder its argument")
}

func TestInputIndex(t *testing.T) {
	assert.Equal(t, 0, inputIndex("/zoo/m/test_data_set_0/input_0.pb"))
	assert.Equal(t, 12, inputIndex("input_12.pb"))
	assert.Equal(t, -1, inputIndex("output_0.pb"))
	assert.Equal(t, -1, inputIndex("input_0.npy"))
}

func TestSummarize(t *testing.T) {
	r := &result{
		ours: []sample{{MedianMS: 30, CPUMS: 31, PeakRSSBytes: 100}, {MedianMS: 10, CPUMS: 11, PeakRSSBytes: 300}, {MedianMS: 20, CPUMS: 21, PeakRSSBytes: 200}},
		ort:  []sample{{MedianMS: 8, CPUMS: 8}, {MedianMS: 12, CPUMS: 12, PeakRSSBytes: 50}},
	}
	r.summarize()
	assert.Equal(t, 20.0, r.oursMed)
	assert.Equal(t, 10.0, r.ortMed)
	assert.Equal(t, 2.0, r.ratio)
	assert.Equal(t, 21.0/10.0, r.cpuRatio)
	assert.Equal(t, int64(300), r.oursRSS, "peak RSS is the largest of the processes")
	assert.Equal(t, int64(50), r.ortRSS)

	// A model one runtime failed on gets no ratio, so it does not enter
	// the geometric mean.
	failed := &result{ours: []sample{{MedianMS: 5, CPUMS: 5}}, oursErr: "exit status 1: boom"}
	failed.summarize()
	assert.Zero(t, failed.ratio)
	assert.Zero(t, failed.cpuRatio)
}

// TestReportGeomean checks the figures the speed target is judged by: the
// geometric mean of the per-model ratios and the count of models above 3.
func TestReportGeomean(t *testing.T) {
	c := &config{threads: []int{1}, rounds: 1, runs: 1, warmup: 0}
	mk := func(model string, ours, ort float64) *result {
		r := &result{model: model, threads: 1, ours: []sample{{MedianMS: ours, CPUMS: ours}}, ort: []sample{{MedianMS: ort, CPUMS: ort}}}
		r.summarize()
		return r
	}
	results := []*result{mk("a", 4, 1), mk("b", 1, 4), mk("c", 9, 2), {model: "d", threads: 1, oursErr: "failed"}}
	var b bytes.Buffer
	report(&b, c, results, nil, "", "", "", 0)
	m := regexp.MustCompile(`over the (\d+) models both ran: \*\*([0-9.]+)\*\* \(wall time\), ([0-9.]+) \(CPU time\); models above 3\.0 \(wall\): (\d+)`).FindStringSubmatch(b.String())
	require.NotNil(t, m, "summary line missing from:\n%s", b.String())
	assert.Equal(t, "3", m[1])
	want := math.Cbrt(4 * 0.25 * 4.5)
	got, err := strconv.ParseFloat(m[2], 64)
	require.NoError(t, err)
	assert.InDelta(t, want, got, 0.005)
	assert.Equal(t, "2", m[4], "a (4.0) and c (4.5) are above 3.0, b (0.25) is not")
	assert.Contains(t, b.String(), "| d | — | — | — |")
}
