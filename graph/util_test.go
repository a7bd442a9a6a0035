package graph

import (
	"bytes"
	"fmt"
)

func fmtSscanf(s, format string, args ...any) (int, error) { return fmt.Sscanf(s, format, args...) }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
