//go:build !unix

package graph

import "errors"

// mkfifo reports that this system has no named pipes.
func mkfifo(string) error { return errors.New("no named pipes on this system") }
