package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Prefs keeps the kiosk's own settings (the store's prefs table; *store.DB implements it).
type Prefs interface {
	Pref(ctx context.Context, key string) (value string, ok bool, err error)
	SetPref(ctx context.Context, key, value string) error
}

// Keys of the settings kept in Prefs. The sound switch is kept by Settings.SetSound.
const (
	PrefLang       = "lang"       // LangZH or LangEN; applied at once
	PrefFullScreen = "fullscreen" // "on" or "off"; applied at once
	PrefCamera     = "camera"     // CameraAuto, CameraDemo, CameraNone or a device path; applied at the next start
	PrefResolution = "resolution" // one of Resolutions; applied at the next start
)

// Values of PrefCamera besides a device path.
const (
	CameraAuto = "auto" // the first attached camera; the demo video in demo mode when none is
	CameraDemo = "demo" // the demo video: a phone showing a demo code
	CameraNone = "none" // no camera: handheld scanner and typing only
)

// Resolutions are the camera sizes the settings screen offers; the first is the default.
var Resolutions = []string{"640x480", "1280x720", "1920x1080"}

// ParseResolution reads "1280x720"; ok is false for anything not in Resolutions.
func ParseResolution(s string) (w, h int, ok bool) {
	for _, r := range Resolutions {
		if s == r {
			a, b, _ := strings.Cut(r, "x")
			w, _ = strconv.Atoi(a)
			h, _ = strconv.Atoi(b)
			return w, h, true
		}
	}
	return 0, 0, false
}

// resolutionLabel is "1280×720" as shown.
func resolutionLabel(r string) string { return strings.Replace(r, "x", "×", 1) }

// CameraOption is one attached camera the settings screen offers.
type CameraOption struct {
	Path string // e.g. /dev/video0, the value kept
	Name string // the driver's name, may be empty
}

func (c CameraOption) label() string {
	if c.Name == "" {
		return c.Path
	}
	return fmt.Sprintf("%s (%s)", c.Path, c.Name)
}

// pref reads a kept setting; "" when unset, unreadable or without Prefs.
func (u *UI) pref(key string) string {
	if u.deps.Prefs == nil {
		return ""
	}
	v, ok, err := u.deps.Prefs.Pref(u.ctx(), key)
	if err != nil || !ok {
		return ""
	}
	return v
}

// setPref keeps a setting; without Prefs it is kept for this run only.
func (u *UI) setPref(key, value string) error {
	if u.deps.Prefs == nil {
		return nil
	}
	return u.deps.Prefs.SetPref(u.ctx(), key, value)
}
