package scanner

import (
	"log/slog"
	"math"
	"time"
)

// CameraConfig selects and sets up a webcam.
type CameraConfig struct {
	// Device is a camera index ("0") or a device path ("/dev/video2").
	Device string
	// Width, Height and FPS are requested from the camera; zero leaves the camera's default.
	// The camera may choose the nearest mode it supports.
	Width, Height int
	FPS           float64
	// Retry is the pause between attempts to open or reopen the camera; zero means 3 s.
	Retry time.Duration
	// Logger receives open failures and reconnects (once per outage); nil discards them.
	Logger *slog.Logger
}

// CameraInfo describes one attached camera.
type CameraInfo struct {
	Index int    // the index to pass as CameraConfig.Device
	Path  string // /dev/videoN
	Name  string // what the driver calls it
	// Usable reports whether it opened and gave a frame; Width, Height and FPS are then its
	// default mode.
	Usable        bool
	Width, Height int
	FPS           float64
}

// videoClock gives each frame of a video file the time it was taken: the session's start plus
// the frame's position while the file has timestamps (so dedupe windows follow the video's own
// clock), and the wall-clock time the frame was read once the file shows it has none. A raw
// MJPEG stream (JPEG after JPEG from a pipe or file, no container) reports no position, or one
// that does not advance; its frames would otherwise all be taken at the same instant and a code
// shown once would stay quiet for good.
type videoClock struct {
	start  time.Time
	last   float64 // the previous frame's position, ms
	frames int
	wall   bool
}

// at returns the time of the frame at position posMsec, read at grabbed.
func (c *videoClock) at(posMsec float64, grabbed time.Time) time.Time {
	if !c.wall && (math.IsNaN(posMsec) || math.IsInf(posMsec, 0) || posMsec < 0 || c.frames > 0 && posMsec <= c.last) {
		c.wall = true
	}
	c.frames++
	c.last = posMsec
	if c.wall {
		return grabbed
	}
	return c.start.Add(time.Duration(posMsec * float64(time.Millisecond)))
}
