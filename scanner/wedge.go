package scanner

import (
	"context"
	"strings"
	"time"
)

// WedgeConfig holds the thresholds that tell a keyboard-wedge scanner from a person. USB
// scanners in keyboard mode "type" a whole code at one key every 1-15 ms and press Enter; the
// fastest typists average 60-100 ms per key and rarely string more than a few keys under 40 ms.
type WedgeConfig struct {
	// MaxGap is the longest pause between two keys of one scan (Enter included); zero means 40 ms.
	MaxGap time.Duration
	// MinLength is the fewest characters a scan has; zero means 4.
	MinLength int
	// MaxMeanGap bounds the average pause over the whole burst; zero means 25 ms. It rejects a
	// person whose keys happen to stay just under MaxGap.
	MaxMeanGap time.Duration
}

func (c WedgeConfig) withDefaults() WedgeConfig {
	if c.MaxGap <= 0 {
		c.MaxGap = 40 * time.Millisecond
	}
	if c.MinLength <= 0 {
		c.MinLength = 4
	}
	if c.MaxMeanGap <= 0 {
		c.MaxMeanGap = 25 * time.Millisecond
	}
	return c
}

// Wedge is the burst detector for keyboard-wedge scanners. Feed it every key the station
// receives, with the time it arrived; it reports a scan when Enter ends a fast burst. Keys that
// are not part of a scan are the application's (a person typing in a form). Not safe for
// concurrent use.
type Wedge struct {
	cfg   WedgeConfig
	buf   strings.Builder
	start time.Time // first key of the current burst
	last  time.Time // latest key
}

// NewWedge returns a detector with the given thresholds (zero fields take the defaults).
func NewWedge(cfg WedgeConfig) *Wedge {
	return &Wedge{cfg: cfg.withDefaults()}
}

// Enter is the rune a Wedge treats as the end of a scan ('\r' and '\n' both count).
const Enter = '\n'

// Key records one key. It returns the scanned text and true when this key was the Enter that
// ends a scanner burst.
func (w *Wedge) Key(r rune, t time.Time) (string, bool) {
	gap := t.Sub(w.last)
	fast := !w.last.IsZero() && gap >= 0 && gap <= w.cfg.MaxGap
	if r == '\r' || r == '\n' {
		text := w.buf.String()
		burst := t.Sub(w.start)
		keys := len([]rune(text))
		w.reset()
		if !fast || keys < w.cfg.MinLength {
			return "", false
		}
		// keys characters plus the Enter make keys gaps.
		if burst > w.cfg.MaxMeanGap*time.Duration(keys) {
			return "", false
		}
		return text, true
	}
	if !fast {
		// A pause: whatever came before was typed by a person; this key may start a burst.
		w.buf.Reset()
		w.start = t
	}
	if r >= ' ' && r != 0x7f {
		w.buf.WriteRune(r)
	}
	w.last = t
	return "", false
}

func (w *Wedge) reset() {
	w.buf.Reset()
	w.start, w.last = time.Time{}, time.Time{}
}

// KeyEvent is one key from the station's keyboard input, stamped when it arrived.
type KeyEvent struct {
	Rune rune
	At   time.Time
}

// RunWedge reads keys until ctx is done or keys is closed and calls emit for each scan, after
// the Dedupe window (nil: no dedupe). It returns ctx.Err() or nil when keys closes.
func RunWedge(ctx context.Context, keys <-chan KeyEvent, w *Wedge, dd *Dedupe, emit func(Scan)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case k, ok := <-keys:
			if !ok {
				return nil
			}
			text, scan := w.Key(k.Rune, k.At)
			if !scan || (dd != nil && !dd.Fresh(text, k.At)) {
				continue
			}
			emit(Scan{Result: Result{Text: text, Step: "wedge"}, Frame: -1, At: k.At})
		}
	}
}
