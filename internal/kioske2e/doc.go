// Package kioske2e drives the real kiosk binary as a person does: it builds cmd/kiosk and cmd/hq,
// runs `hq serve` on SQLite, enrolls a kiosk, opens its window on a virtual display (Xvfb) with a
// video in place of the camera, and types and clicks with xdotool. It also measures the kiosk
// over a shift: frame-in → verdict latency, memory while the camera runs, and warm start. It has
// no non-test code; the tests build only with the gocv tag.
package kioske2e
