package scanner

import "time"

// DefaultWindow is how long the same code is kept quiet after it was last seen.
const DefaultWindow = 3 * time.Second

// Dedupe keeps a code held in front of the camera from being reported on every frame: a text is
// reported when it has not been seen for Window; seeing it again within the window extends the
// quiet period (so a phone held still for a minute is one scan), while a different text is
// reported at once. The zero value uses DefaultWindow. Not safe for concurrent use.
type Dedupe struct {
	// Window is the quiet period; zero means DefaultWindow.
	Window time.Duration
	last   map[string]time.Time
}

// Fresh records that text was seen at t and reports whether it should be reported.
func (d *Dedupe) Fresh(text string, t time.Time) bool {
	w := d.Window
	if w <= 0 {
		w = DefaultWindow
	}
	if d.last == nil {
		d.last = make(map[string]time.Time)
	}
	for k, seen := range d.last {
		if t.Sub(seen) >= w || seen.After(t.Add(w)) { // expired, or the clock went back
			delete(d.last, k)
		}
	}
	_, quiet := d.last[text]
	d.last[text] = t
	return !quiet
}

// Reset forgets every code, e.g. when the station returns to scanning after a result screen and
// the same person may legitimately scan again.
func (d *Dedupe) Reset() { clear(d.last) }
