//go:build !unix

package graph

import "os"

// mapFile reads the file at path (no memory maps on this system).
func mapFile(path string) ([]byte, *mapping, error) {
	b, err := os.ReadFile(path)
	return b, nil, err
}

// mapping is a memory map to release (none on this system).
type mapping struct{}

// Close does nothing.
func (m *mapping) Close() error { return nil }

// linkCount is 1: this system does not report link counts.
func linkCount(fi os.FileInfo) uint64 { return 1 }
