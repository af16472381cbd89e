package main

import (
	"context"
	"errors"
	"image"
	"log/slog"
	"strings"
	"time"

	"github.com/yongji-county/checkpoint/scanner"
)

// camera feeds the UI: preview frames at a modest rate and every new code the pipeline reads.
type camera struct {
	preview chan image.Image
	codes   chan string
}

func (c *camera) Preview() <-chan image.Image { return c.preview }
func (c *camera) Codes() <-chan string        { return c.codes }

// openCamera starts the capture pipeline in the background (ended by ctx). It returns a nil
// camera and the reason when this kiosk has none: the scan screen then says so and the
// keyboard-wedge scanner and manual entry still work.
func openCamera(ctx context.Context, f runFlags, logger *slog.Logger) (*camera, error) {
	if f.camera == "none" && f.video == "" {
		return nil, errors.New("camera disabled (--camera none)")
	}
	src, err := cameraSource(f, logger)
	if err != nil {
		return nil, err
	}
	dec, err := newDecoder()
	if err != nil {
		return nil, err
	}
	c := &camera{preview: make(chan image.Image, 1), codes: make(chan string, 4)}
	p := &scanner.Pipeline{Decoder: dec, Dedupe: &scanner.Dedupe{}}
	var last time.Time
	preview := sourceFunc(func(ctx context.Context, fn func(scanner.Frame) error) error {
		return src.Frames(ctx, func(fr scanner.Frame) error {
			if now := time.Now(); now.Sub(last) > 100*time.Millisecond {
				last = now
				g := fr.Grey.Clone()
				img := &image.Gray{Pix: g.Pix, Stride: g.Stride, Rect: image.Rect(0, 0, g.Width, g.Height)}
				select {
				case c.preview <- img:
				default:
				}
			}
			return fn(fr)
		})
	})
	go func() {
		err := p.Run(ctx, preview, func(s scanner.Scan) {
			// Never wait for the UI: a capture loop blocked here would freeze the preview. With 4
			// codes not yet taken the window is busy; a dropped code is reported again once the
			// dedupe window has passed, while the person still holds it up.
			select {
			case c.codes <- s.Text:
			default:
				logger.Debug("camera: code dropped, the window has 4 waiting")
			}
		})
		if err != nil && !errors.Is(err, context.Canceled) {
			logger.Warn("camera pipeline stopped", "err", err)
		}
	}()
	return c, nil
}

// sourceFunc adapts a function to scanner.Source.
type sourceFunc func(ctx context.Context, fn func(scanner.Frame) error) error

func (f sourceFunc) Frames(ctx context.Context, fn func(scanner.Frame) error) error {
	return f(ctx, fn)
}

// cameraSource opens the video file or the webcam the flags name. Without the gocv build tag both
// fail with scanner.ErrNoCamera. A webcam is opened only when one is attached, so a kiosk with a
// handheld scanner alone shows no dead camera view.
func cameraSource(f runFlags, logger *slog.Logger) (scanner.Source, error) {
	if f.video != "" {
		return scanner.NewVideo(f.video)
	}
	cams, err := scanner.ListCameras(context.Background())
	if err != nil {
		return nil, err
	}
	if len(cams) == 0 && !strings.HasPrefix(f.camera, "/") {
		return nil, errors.New("no camera attached")
	}
	return scanner.NewCamera(scanner.CameraConfig{Device: f.camera, Width: 640, Height: 480, FPS: 30, Logger: logger})
}

func newDecoder() (*scanner.Decoder, error) { return scanner.NewDefaultDecoder() }
