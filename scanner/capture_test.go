package scanner

import (
	"math"
	"testing"
	"time"
)

func TestVideoClock(t *testing.T) {
	start := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	read := func(i int) time.Time { return start.Add(time.Duration(i) * 5 * time.Millisecond) } // read faster than played

	// A container file: the position is the clock.
	c := videoClock{start: start}
	for i := range 5 {
		pos := float64(i) * 1000 / 30
		if got, want := c.at(pos, read(i)), start.Add(time.Duration(pos*float64(time.Millisecond))); !got.Equal(want) {
			t.Fatalf("frame %d at %v; want the video's clock %v", i, got.Sub(start), want.Sub(start))
		}
	}

	// No timestamps: a position that stays at 0, or none at all. From the frame that shows it
	// on, frames carry the time they were read, and stay on that clock.
	for _, pos := range []float64{0, -1, math.NaN()} {
		c := videoClock{start: start}
		for i := range 5 {
			got := c.at(pos, read(i))
			if i == 0 && pos == 0 {
				if !got.Equal(start) {
					t.Errorf("pos %v: the first frame at %v; want the start", pos, got.Sub(start))
				}
				continue
			}
			if !got.Equal(read(i)) {
				t.Errorf("pos %v: frame %d at %v; want when it was read, %v", pos, i, got.Sub(start), read(i).Sub(start))
			}
		}
	}
	c = videoClock{start: start}
	c.at(0, read(0))
	c.at(40, read(1))
	c.at(40, read(2)) // stuck: no more timestamps
	if got := c.at(80, read(3)); !got.Equal(read(3)) {
		t.Errorf("after a stuck position the clock went back to the file's: %v", got.Sub(start))
	}
}
