//go:build unix

package graph

import (
	"fmt"
	"math"
	"os"
	"syscall"
)

// mapFile maps the regular file at path copy-on-write, or reads it when it
// cannot be mapped. The closer (nil for a read file) unmaps it.
func mapFile(path string) ([]byte, *mapping, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if size == 0 {
		return []byte{}, nil, nil
	}
	if size > math.MaxInt {
		return nil, nil, fmt.Errorf("%s: file too large", path)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		b, err := os.ReadFile(path)
		return b, nil, err
	}
	return b, &mapping{b: b}, nil
}

// mapping is a memory map to release.
type mapping struct{ b []byte }

// Close unmaps the memory.
func (m *mapping) Close() error {
	if m.b == nil {
		return nil
	}
	b := m.b
	m.b = nil
	return syscall.Munmap(b)
}

// linkCount is the number of hard links to the file fi describes.
func linkCount(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
