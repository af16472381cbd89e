package scanner

import (
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // image files a station may be handed
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"time"
)

// ErrNoCamera is returned by the camera and video functions of a build without the gocv tag.
var ErrNoCamera = errors.New("scanner: this build has no camera or video support (rebuild with -tags gocv)")

// Frame is one picture from a Source.
type Frame struct {
	Grey
	// Index counts frames from 0 since the source started.
	Index int
	// At is when the frame was taken: the wall clock for a camera, the start time plus the
	// position in the file for a video, so dedupe windows follow the video's own clock.
	At time.Time
	// Grabbed is when the capture loop started reading this frame (after any wait for it);
	// zero when the source does not say. Pipeline.OnFrame measures the loop's time from it.
	Grabbed time.Time
}

// Source produces frames. Frames calls fn for each frame, in order, until ctx is done (it then
// returns ctx.Err()), fn returns an error (returned as is), or the source ends (nil). The
// frame's pixels belong to the source and are valid only during the call; Clone them to keep
// them. A Source releases whatever it opened before Frames returns.
type Source interface {
	Frames(ctx context.Context, fn func(Frame) error) error
}

// MaxImagePixels bounds the images ReadImage accepts, so a hostile file cannot make the station
// allocate gigabytes.
const MaxImagePixels = 64 << 20

// ReadImage reads and decodes an image file (PNG, JPEG, GIF) into a grey plane.
func ReadImage(path string) (Grey, error) {
	f, err := os.Open(path)
	if err != nil {
		return Grey{}, fmt.Errorf("scanner: read image: %w", err)
	}
	defer f.Close()
	g, err := DecodeImage(f)
	if err != nil {
		return Grey{}, fmt.Errorf("scanner: read image %s: %w", path, err)
	}
	return g, nil
}

// DecodeImage decodes an image stream into a grey plane.
func DecodeImage(r io.ReadSeeker) (Grey, error) {
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return Grey{}, fmt.Errorf("decode image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxImagePixels/max(cfg.Height, 1) {
		return Grey{}, fmt.Errorf("decode image: %dx%d pixels is not a usable picture", cfg.Width, cfg.Height)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return Grey{}, fmt.Errorf("decode image: %w", err)
	}
	img, _, err := image.Decode(r)
	if err != nil {
		return Grey{}, fmt.Errorf("decode image: %w", err)
	}
	g := GreyFromImage(img)
	if err := g.Validate(); err != nil {
		return Grey{}, fmt.Errorf("decode image: %w", err)
	}
	return g, nil
}

// ImageFiles is a Source that yields each image file once, in order. A file that cannot be read
// ends Frames with its error.
type ImageFiles []string

// Frames implements Source.
func (fs ImageFiles) Frames(ctx context.Context, fn func(Frame) error) error {
	for i, p := range fs {
		if err := ctx.Err(); err != nil {
			return err
		}
		g, err := ReadImage(p)
		if err != nil {
			return err
		}
		if err := fn(Frame{Grey: g, Index: i, At: time.Now()}); err != nil {
			return err
		}
	}
	return nil
}
