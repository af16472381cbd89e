package scanner

import (
	"testing"
	"time"
)

func TestDedupe(t *testing.T) {
	t0 := time.Date(2022, 4, 1, 8, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var d Dedupe // zero value: 3 s window
	steps := []struct {
		text string
		ms   int
		want bool
	}{
		{"A", 0, true},
		{"A", 33, false},    // next frame
		{"A", 2900, false},  // still within 3 s
		{"B", 2950, true},   // a different code at once
		{"A", 5000, false},  // A was last seen at 2.9 s: the window slides while it is held up
		{"A", 8100, true},   // gone for more than 3 s: a new scan
		{"B", 8200, true},   // B last seen at 2.95 s
		{"B", 8000, false},  // clock went back a little: still quiet
		{"C", 100000, true}, // expiry prunes the rest
		{"A", 100001, true},
	}
	for _, s := range steps {
		if got := d.Fresh(s.text, at(s.ms)); got != s.want {
			t.Errorf("Fresh(%q, +%dms) = %v; want %v", s.text, s.ms, got, s.want)
		}
	}
	if len(d.last) > 2 {
		t.Errorf("dedupe keeps %d codes; expired ones should be pruned", len(d.last))
	}
	d.Reset()
	if !d.Fresh("A", at(100002)) {
		t.Error("after Reset the same code is not fresh")
	}
	custom := Dedupe{Window: 500 * time.Millisecond}
	custom.Fresh("X", at(0))
	if !custom.Fresh("X", at(600)) {
		t.Error("custom 500 ms window: X at +600ms not fresh")
	}
}
