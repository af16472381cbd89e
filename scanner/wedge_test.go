package scanner

import (
	"context"
	"testing"
	"time"
)

// typeKeys feeds text to w with the given gaps between keys (the last gap is before Enter) and
// returns what the final Enter produced.
func typeKeys(w *Wedge, start time.Time, text string, gaps func(i int) time.Duration) (string, bool, time.Time) {
	t := start
	i := 0
	for _, r := range text {
		if i > 0 {
			t = t.Add(gaps(i))
		}
		w.Key(r, t)
		i++
	}
	t = t.Add(gaps(i))
	got, ok := w.Key('\r', t)
	return got, ok, t
}

func every(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }

func TestWedge(t *testing.T) {
	t0 := time.Date(2022, 4, 1, 8, 0, 0, 0, time.UTC)
	const code = "HC1:6BFOXN*TS0BI$ZDFRH"
	for _, tc := range []struct {
		name string
		cfg  WedgeConfig
		text string
		gaps func(int) time.Duration
		want bool
	}{
		{"scanner at 2 ms a key", WedgeConfig{}, code, every(2 * time.Millisecond), true},
		{"slow scanner at 15 ms a key", WedgeConfig{}, code, every(15 * time.Millisecond), true},
		{"scanner with one 35 ms USB hiccup", WedgeConfig{}, code, func(i int) time.Duration {
			if i == 7 {
				return 35 * time.Millisecond
			}
			return 3 * time.Millisecond
		}, true},
		{"person typing at 120 ms a key", WedgeConfig{}, "13800138000", every(120 * time.Millisecond), false},
		{"fast typist at 60 ms a key", WedgeConfig{}, "13800138000", every(60 * time.Millisecond), false},
		{"typist with a fast roll, slow Enter", WedgeConfig{}, "abcdef", func(i int) time.Duration {
			if i == 6 {
				return 300 * time.Millisecond
			}
			return 20 * time.Millisecond
		}, false},
		{"typist just under the gap limit", WedgeConfig{}, "abcdefgh", every(38 * time.Millisecond), false},
		{"too short", WedgeConfig{}, "ab", every(2 * time.Millisecond), false},
		{"short codes allowed by config", WedgeConfig{MinLength: 2}, "ab", every(2 * time.Millisecond), true},
		{"slow scanner allowed by config", WedgeConfig{MaxGap: 80 * time.Millisecond, MaxMeanGap: 60 * time.Millisecond}, code, every(50 * time.Millisecond), true},
	} {
		w := NewWedge(tc.cfg)
		got, ok, _ := typeKeys(w, t0, tc.text, tc.gaps)
		if ok != tc.want || (ok && got != tc.text) {
			t.Errorf("%s: Key(Enter) = %q, %v; want %v", tc.name, got, ok, tc.want)
		}
	}
}

func TestWedgeTypingThenScan(t *testing.T) {
	t0 := time.Date(2022, 4, 1, 8, 0, 0, 0, time.UTC)
	w := NewWedge(WedgeConfig{})
	// A person types half a phone number, pauses, then a scan arrives: only the scan counts.
	tm := t0
	for _, r := range "138001" {
		tm = tm.Add(150 * time.Millisecond)
		if _, ok := w.Key(r, tm); ok {
			t.Fatal("typing produced a scan")
		}
	}
	got, ok, _ := typeKeys(w, tm.Add(2*time.Second), "ID:220221", every(4*time.Millisecond))
	if !ok || got != "ID:220221" {
		t.Fatalf("scan after typing = %q, %v; want ID:220221", got, ok)
	}
	// Enter alone, and Enter long after the last key, are not scans.
	if _, ok := w.Key('\n', tm.Add(10*time.Second)); ok {
		t.Error("lone Enter is a scan")
	}
}

func TestRunWedge(t *testing.T) {
	t0 := time.Date(2022, 4, 1, 8, 0, 0, 0, time.UTC)
	keys := make(chan KeyEvent, 100)
	send := func(text string, at time.Time) {
		for _, r := range text + "\r" {
			at = at.Add(3 * time.Millisecond)
			keys <- KeyEvent{Rune: r, At: at}
		}
	}
	send("CODE-ONE", t0)
	send("CODE-ONE", t0.Add(time.Second))           // same code within the window: once
	send("CODE-TWO", t0.Add(1500*time.Millisecond)) // a different code: at once
	close(keys)
	var got []string
	err := RunWedge(context.Background(), keys, NewWedge(WedgeConfig{}), &Dedupe{}, func(s Scan) {
		if s.Frame != -1 {
			t.Errorf("wedge scan frame = %d; want -1", s.Frame)
		}
		got = append(got, s.Text)
	})
	if err != nil || len(got) != 2 || got[0] != "CODE-ONE" || got[1] != "CODE-TWO" {
		t.Fatalf("RunWedge = %v, %v; want [CODE-ONE CODE-TWO], nil", got, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := RunWedge(ctx, make(chan KeyEvent), NewWedge(WedgeConfig{}), nil, func(Scan) {}); err != context.Canceled {
		t.Fatalf("RunWedge after cancel = %v; want context.Canceled", err)
	}
}
