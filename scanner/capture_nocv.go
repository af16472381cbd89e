//go:build !gocv

package scanner

import "context"

// Capture is a camera or video-file Source. This build has no OpenCV, so it cannot be created.
type Capture struct{}

// NewCamera reports ErrNoCamera: this build has no camera support.
func NewCamera(cfg CameraConfig) (*Capture, error) { return nil, ErrNoCamera }

// NewVideo reports ErrNoCamera: this build has no video support.
func NewVideo(path string) (*Capture, error) { return nil, ErrNoCamera }

// NewLiveVideo reports ErrNoCamera: this build has no video support.
func NewLiveVideo(path string) (*Capture, error) { return nil, ErrNoCamera }

// Frames implements Source; it always reports ErrNoCamera.
func (c *Capture) Frames(ctx context.Context, fn func(Frame) error) error { return ErrNoCamera }

// ListCameras reports ErrNoCamera: this build cannot open cameras.
func ListCameras(ctx context.Context) ([]CameraInfo, error) { return nil, ErrNoCamera }

// NewDefaultDecoder returns the best Decoder of this build: the pure-Go cascade.
func NewDefaultDecoder() (*Decoder, error) { return NewDecoder(Options{}) }
