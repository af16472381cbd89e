package scanner

import (
	"log/slog"
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
