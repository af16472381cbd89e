package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/yongji-county/checkpoint/scanner"
	"github.com/yongji-county/checkpoint/ui"
)

// codesWaiting is how many read codes may wait for the window before new ones are dropped.
const codesWaiting = 4

// camera feeds the UI: preview frames at a modest rate and every new code the pipeline reads.
// Both hand-offs are bounded and never make the capture loop wait: the preview is a one-frame
// mailbox in which the newest frame replaces one not yet shown, and up to codesWaiting codes
// wait for the window.
type camera struct {
	preview chan image.Image
	codes   chan string
}

func newCamera() *camera {
	return &camera{preview: make(chan image.Image, 1), codes: make(chan string, codesWaiting)}
}

func (c *camera) Preview() <-chan image.Image { return c.preview }
func (c *camera) Codes() <-chan string        { return c.codes }

// offerFrame puts img in the preview mailbox without waiting: a frame the window has not taken
// yet is replaced, so the window always gets the newest one. One producer only.
func (c *camera) offerFrame(img image.Image) {
	select {
	case c.preview <- img:
		return
	default:
	}
	select {
	case <-c.preview: // the older frame, not shown: drop it
	default:
	}
	select {
	case c.preview <- img:
	default:
	}
}

// offerCode hands a read code to the window without waiting; false when codesWaiting codes are
// already waiting and this one is dropped.
func (c *camera) offerCode(text string) bool {
	select {
	case c.codes <- text:
		return true
	default:
		return false
	}
}

// Camera kinds of a cameraPlan.
const (
	camNone   = "none"
	camDevice = "device"
	camVideo  = "video"
	camDemo   = "demo"
)

// cameraPlan is what feeds the scan screen, chosen at start from the flags, the kept settings
// (设置 → 摄像头, 分辨率) and the cameras attached.
type cameraPlan struct {
	kind          string // camNone, camDevice, camVideo or camDemo
	device        string // camDevice: an index or a /dev/video path
	video         string // camVideo: the file
	loop          bool   // camVideo: play it again and again at its own frame rate
	width, height int
	// reason says why there is no camera (camNone); auto says the demo video stands in for a
	// camera because none is attached.
	reason string
	auto   bool
}

// planCamera chooses the camera: --video, then an explicit --camera, then the kept setting, then
// the first attached camera; with none attached the demo video in demo mode, else none. set
// holds the flags given on the command line; devices are the /dev/video* nodes.
func planCamera(f runFlags, set map[string]bool, prefCamera, prefResolution string, devices []string, demo bool) cameraPlan {
	p := cameraPlan{width: 640, height: 480}
	if w, h, ok := ui.ParseResolution(prefResolution); ok {
		p.width, p.height = w, h
	}
	switch {
	case f.video != "":
		p.kind, p.video, p.loop = camVideo, f.video, f.loop
		return p
	case set["camera"] && f.camera == camNone:
		p.kind, p.reason = camNone, "camera disabled (--camera none)"
		return p
	case set["camera"]:
		p.kind, p.device = camDevice, f.camera
		return p
	}
	switch prefCamera {
	case ui.CameraNone:
		p.kind, p.reason = camNone, "camera turned off in 设置"
		return p
	case ui.CameraDemo:
		p.kind = camDemo
		return p
	case "", ui.CameraAuto:
	default:
		for _, d := range devices {
			if d == prefCamera {
				p.kind, p.device = camDevice, d
				return p
			}
		}
		// The kept camera is not attached now: take what is.
	}
	if len(devices) > 0 {
		p.kind, p.device = camDevice, devices[0]
		return p
	}
	if demo {
		p.kind, p.auto = camDemo, true
		return p
	}
	p.kind, p.reason = camNone, "no camera attached"
	return p
}

// videoDevices lists the /dev/video* nodes, in index order.
func videoDevices() []string {
	paths, _ := filepath.Glob("/dev/video*")
	var out []string
	for _, p := range paths {
		if n := strings.TrimPrefix(p, "/dev/video"); n != "" && strings.Trim(n, "0123456789") == "" {
			out = append(out, p)
		}
	}
	for i := 1; i < len(out); i++ { // /dev/video10 after /dev/video9
		for j := i; j > 0 && (len(out[j]) < len(out[j-1]) || len(out[j]) == len(out[j-1]) && out[j] < out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// openCamera starts the capture pipeline for plan in the background (ended by ctx). It returns
// a nil camera and the reason when this kiosk has none: the scan screen then says so and the
// keyboard-wedge scanner and manual entry still work. demoText is the code the demo video
// shows, dataDir where it is kept.
func openCamera(ctx context.Context, plan cameraPlan, demoText, dataDir string, logger *slog.Logger) (*camera, error) {
	src, err := cameraSource(plan, demoText, dataDir, logger)
	if err != nil {
		return nil, err
	}
	dec, err := newDecoder()
	if err != nil {
		return nil, err
	}
	c := newCamera()
	p := &scanner.Pipeline{Decoder: dec, Dedupe: &scanner.Dedupe{}}
	var last time.Time
	preview := sourceFunc(func(ctx context.Context, fn func(scanner.Frame) error) error {
		return src.Frames(ctx, func(fr scanner.Frame) error {
			if now := time.Now(); now.Sub(last) > 100*time.Millisecond {
				last = now
				c.offerFrame(previewImage(fr.Grey))
			}
			return fn(fr)
		})
	})
	go func() {
		defer dec.Close()
		start, first := time.Now(), true
		err := p.Run(ctx, preview, func(s scanner.Scan) {
			if first { // how long a newcomer waits for the camera path (never the code itself)
				first = false
				logger.Info("camera: first code read", "frame", s.Frame, "after", time.Since(start).Round(time.Millisecond))
			}
			// Never wait for the UI: a capture loop blocked here would freeze the preview. With
			// codesWaiting codes not yet taken the window is busy; a dropped code is reported
			// again once the dedupe window has passed, while the person still holds it up.
			if !c.offerCode(s.Text) {
				logger.Debug("camera: code dropped, the window has 4 waiting")
			}
		})
		if err != nil && !errors.Is(err, context.Canceled) {
			logger.Warn("camera pipeline stopped", "err", err)
		}
	}()
	return c, nil
}

// previewWidth is the widest preview frame handed to the window: the scan screen shows the
// preview about 640 px wide, so a 1280×720 camera's frames are halved (a quarter of the bytes
// allocated ten times a second).
const previewWidth = 800

// previewImage copies g for the preview, every second pixel of every second row (and so on)
// when it is wider than previewWidth.
func previewImage(g scanner.Grey) *image.Gray {
	step := (g.Width + previewWidth - 1) / previewWidth
	if step <= 1 {
		c := g.Clone()
		return &image.Gray{Pix: c.Pix, Stride: c.Stride, Rect: image.Rect(0, 0, c.Width, c.Height)}
	}
	w, h := g.Width/step, g.Height/step
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		src, dst := g.Row(y*step), img.Pix[y*img.Stride:y*img.Stride+w]
		for x := range dst {
			dst[x] = src[x*step]
		}
	}
	return img
}

// stillCamera shows one picture as the preview and reads no code: the demo camera in the
// screenshot tour, so the scan screen's shot shows the phone whenever it is taken.
func stillCamera(ctx context.Context, img image.Image) *camera {
	c := newCamera()
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			c.offerFrame(img)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return c
}

// sourceFunc adapts a function to scanner.Source.
type sourceFunc func(ctx context.Context, fn func(scanner.Frame) error) error

func (f sourceFunc) Frames(ctx context.Context, fn func(scanner.Frame) error) error {
	return f(ctx, fn)
}

// cameraSource opens what plan names. Without the gocv build tag every kind but none fails with
// scanner.ErrNoCamera.
func cameraSource(plan cameraPlan, demoText, dataDir string, logger *slog.Logger) (scanner.Source, error) {
	switch plan.kind {
	case camVideo:
		if plan.loop {
			if _, err := scanner.NewLiveVideo(plan.video); err != nil {
				return nil, err
			}
			return &loopVideo{prepare: func() (string, error) { return plan.video, nil }}, nil
		}
		return scanner.NewVideo(plan.video)
	case camDemo:
		if !videoSupport {
			return nil, scanner.ErrNoCamera
		}
		text := demoText
		if text == "" {
			text = demoPlaceholder
		}
		return &loopVideo{prepare: func() (string, error) {
			return ensureDemoVideo(dataDir, text, plan.width, plan.height)
		}}, nil
	case camDevice:
		return scanner.NewCamera(scanner.CameraConfig{Device: plan.device, Width: plan.width, Height: plan.height, FPS: 30, Logger: logger})
	}
	if plan.reason == "" {
		return nil, fmt.Errorf("camera: %s", plan.kind)
	}
	return nil, errors.New(plan.reason)
}

func newDecoder() (*scanner.Decoder, error) { return scanner.NewDefaultDecoder() }
