package tensorio

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The header of a .npy file is a Python literal. pyParser reads the subset
// numpy writes: dicts, tuples and lists, single- or double-quoted strings
// without escapes beyond \' \" \\, decimal integers, True, False and None.
// Values come back as pyDict, pyTuple, pyList, string, int64, bool and
// pyNone.
type pyParser struct {
	s []byte
	i int
}

type (
	pyDict  map[string]any
	pyTuple []any
	pyList  []any
	pyNone  struct{}
)

// maxDepth bounds the nesting of the literal (a structured descr nests
// lists in tuples; numpy's own headers nest at most a few levels).
const maxDepth = 16

var errEnd = errors.New("unexpected end of header")

func (p *pyParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *pyParser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("literal nested more than %d deep", maxDepth)
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, errEnd
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.dict(depth)
	case c == '(':
		p.i++
		items, err := p.items(')', depth)
		if err != nil {
			return nil, err
		}
		return pyTuple(items), nil
	case c == '[':
		p.i++
		items, err := p.items(']', depth)
		if err != nil {
			return nil, err
		}
		return pyList(items), nil
	case c == '\'' || c == '"':
		return p.str()
	case c == '-' || c == '+' || (c >= '0' && c <= '9'):
		return p.integer()
	default:
		for _, w := range []struct {
			word string
			v    any
		}{{"True", true}, {"False", false}, {"None", pyNone{}}} {
			if strings.HasPrefix(string(p.s[p.i:min(len(p.s), p.i+len(w.word))]), w.word) {
				p.i += len(w.word)
				return w.v, nil
			}
		}
		return nil, fmt.Errorf("unexpected %q at offset %d", clip(p.s[p.i:]), p.i)
	}
}

// items parses comma-separated values up to the closing byte, which the
// caller has opened; a trailing comma is allowed.
func (p *pyParser) items(closing byte, depth int) ([]any, error) {
	var out []any
	for {
		p.space()
		if p.i >= len(p.s) {
			return nil, errEnd
		}
		if p.s[p.i] == closing {
			p.i++
			return out, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if err := p.sep(closing); err != nil {
			return nil, err
		}
	}
}

// sep consumes a comma, or checks that the closing byte comes next.
func (p *pyParser) sep(closing byte) error {
	p.space()
	if p.i >= len(p.s) {
		return errEnd
	}
	switch p.s[p.i] {
	case ',':
		p.i++
		return nil
	case closing:
		return nil
	}
	return fmt.Errorf("expected ',' or %q at offset %d, found %q", closing, p.i, clip(p.s[p.i:]))
}

func (p *pyParser) dict(depth int) (any, error) {
	p.i++ // '{'
	d := pyDict{}
	for {
		p.space()
		if p.i >= len(p.s) {
			return nil, errEnd
		}
		if p.s[p.i] == '}' {
			p.i++
			return d, nil
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("dictionary key at offset %d is not a string", p.i)
		}
		p.space()
		if p.i >= len(p.s) {
			return nil, errEnd
		}
		if p.s[p.i] != ':' {
			return nil, fmt.Errorf("expected ':' at offset %d, found %q", p.i, clip(p.s[p.i:]))
		}
		p.i++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, dup := d[key]; dup {
			return nil, fmt.Errorf("key %q appears twice", key)
		}
		d[key] = v
		if err := p.sep('}'); err != nil {
			return nil, err
		}
	}
}

func (p *pyParser) str() (any, error) {
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch c {
		case q:
			return b.String(), nil
		case '\\':
			if p.i >= len(p.s) {
				return nil, errEnd
			}
			e := p.s[p.i]
			p.i++
			if e != '\\' && e != '\'' && e != '"' {
				return nil, fmt.Errorf("unsupported escape \\%c in a string", e)
			}
			b.WriteByte(e)
		case '\n':
			return nil, fmt.Errorf("newline inside a string")
		default:
			b.WriteByte(c)
		}
	}
	return nil, errEnd
}

func (p *pyParser) integer() (any, error) {
	start := p.i
	if c := p.s[p.i]; c == '-' || c == '+' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	// numpy writes shapes as Python ints, which may carry an 'L' suffix
	// in files from Python 2.
	lit := string(p.s[start:p.i])
	if p.i < len(p.s) && p.s[p.i] == 'L' {
		p.i++
	}
	if p.i == digits {
		return nil, fmt.Errorf("malformed number at offset %d", start)
	}
	n, err := strconv.ParseInt(lit, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("number %s does not fit in 64 bits", clip([]byte(lit)))
	}
	return n, nil
}
