package main

import "testing"

func TestNoTuneFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"m"}, false},
		{[]string{"m", "--no-tune"}, true},
		{[]string{"--no-tune", "m", "--threads", "1"}, true},
	} {
		var o runOptions
		f := newFlagSet()
		commonFlags(f, &o)
		if _, _, err := f.parse(tc.args); err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if o.noTune != tc.want {
			t.Errorf("%q: noTune %v, want %v", tc.args, o.noTune, tc.want)
		}
	}
}
