package main

import (
	"errors"
	"flag"
	"reflect"
	"testing"
)

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		pos   []string
		json  bool
		out   string
		usage bool
		help  bool
	}{
		{args: nil, pos: nil},
		{args: []string{"m"}, pos: []string{"m"}},
		{args: []string{"--json", "m"}, pos: []string{"m"}, json: true},
		{args: []string{"m", "--json"}, pos: []string{"m"}, json: true},
		{args: []string{"a", "-o", "dir", "b", "-json"}, pos: []string{"a", "b"}, json: true, out: "dir"},
		{args: []string{"a", "--", "-o", "--json"}, pos: []string{"a", "-o", "--json"}},
		{args: []string{"--", "--"}, pos: []string{"--"}},
		{args: []string{"-", "m"}, pos: []string{"-", "m"}},
		{args: []string{"m", "--nope"}, usage: true},
		{args: []string{"m", "-o"}, usage: true},
		{args: []string{"--json=x"}, usage: true},
		{args: []string{"m", "-h"}, help: true},
		{args: []string{"--help"}, help: true},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		js := fs.Bool("json", false, "")
		out := fs.String("o", "", "")
		pos, err := parseFlags(fs, tc.args)
		switch {
		case tc.help:
			if !errors.Is(err, flag.ErrHelp) {
				t.Errorf("%q: %v, want flag.ErrHelp", tc.args, err)
			}
		case tc.usage:
			if !errors.Is(err, errUsage) {
				t.Errorf("%q: %v, want a usage error", tc.args, err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case !reflect.DeepEqual(pos, tc.pos) || *js != tc.json || *out != tc.out:
			t.Errorf("%q: positional %q json %v o %q, want %q %v %q", tc.args, pos, *js, *out, tc.pos, tc.json, tc.out)
		}
	}
}
