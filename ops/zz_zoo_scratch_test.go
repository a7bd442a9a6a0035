package ops_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestZooScratch(t *testing.T) {
	dirs, _ := filepath.Glob(os.Getenv("ZOO"))
	for _, d := range dirs {
		start := time.Now()
		err := runGuarded(d)
		t.Logf("%s: %v (%v)", filepath.Base(d), err, time.Since(start))
	}
}
