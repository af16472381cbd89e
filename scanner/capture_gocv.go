//go:build gocv

package scanner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gocv.io/x/gocv"
)

// Capture is a Source over OpenCV's VideoCapture: a webcam, or a video file through exactly the
// same capture loop (which is how the tests exercise it without a camera). A camera that cannot
// be opened is retried every CameraConfig.Retry; one that stops giving frames (unplugged) is
// closed and reopened the same way. Everything opened is released before Frames returns.
type Capture struct {
	cfg  CameraConfig
	file string // non-empty for a video file
	live bool   // a video file played at its own frame rate, as a camera delivers it
}

// NewCamera returns a camera Source; the device is opened when Frames runs.
func NewCamera(cfg CameraConfig) (*Capture, error) {
	cfg = cfg.withDefaults()
	if _, err := strconv.Atoi(cfg.Device); err != nil {
		if _, err := os.Stat(cfg.Device); err != nil {
			return nil, fmt.Errorf("scanner: new camera: %w", err)
		}
	}
	return &Capture{cfg: cfg}, nil
}

// NewVideo returns a Source that plays a video file once, frame by frame, as fast as the
// consumer takes the frames.
func NewVideo(path string) (*Capture, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("scanner: new video: %w", err)
	}
	return &Capture{cfg: CameraConfig{Device: path}.withDefaults(), file: path}, nil
}

// NewLiveVideo returns a Source that plays a video file once at its own frame rate, the way a
// camera delivers frames: it waits for each frame's time, and when the consumer falls behind it
// skips the frames it missed (as a camera with a one-frame buffer does). Frame.Index is then the
// frame's number in the file.
func NewLiveVideo(path string) (*Capture, error) {
	c, err := NewVideo(path)
	if err != nil {
		return nil, err
	}
	c.live = true
	return c, nil
}

// errLost ends one capture session of a camera that stopped giving frames.
var errLost = errors.New("camera stopped giving frames")

// maxEmpty is how many failed reads in a row mean a camera is gone; a healthy camera fails a
// read only occasionally.
const maxEmpty = 10

// Frames implements Source.
func (c *Capture) Frames(ctx context.Context, fn func(Frame) error) error {
	index := 0
	log := c.cfg.Logger.With(slog.String("device", c.cfg.Device))
	failing := false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		vc, err := c.open()
		if err == nil {
			if failing {
				log.Info("scanner: camera back")
				failing = false
			}
			err = c.session(ctx, vc, fn, &index)
			vc.Close()
			if c.file != "" || !errors.Is(err, errLost) {
				return err // end of file, ctx done, or the consumer's error
			}
		} else if c.file != "" {
			return err
		}
		if !failing {
			log.Warn("scanner: camera unavailable, retrying", slog.Duration("every", c.cfg.Retry), slog.Any("err", err))
			failing = true
		}
		t := time.NewTimer(c.cfg.Retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// open opens the device or file and applies the requested settings.
func (c *Capture) open() (*gocv.VideoCapture, error) {
	var vc *gocv.VideoCapture
	var err error
	if n, aerr := strconv.Atoi(c.cfg.Device); aerr == nil && c.file == "" {
		vc, err = gocv.VideoCaptureDevice(n)
	} else {
		vc, err = gocv.VideoCaptureFile(c.cfg.Device)
	}
	if err != nil || !vc.IsOpened() {
		if vc != nil {
			vc.Close() // gocv allocates the capture object even when opening fails
		}
		return nil, fmt.Errorf("scanner: open %s: cannot open (missing, busy or unsupported)", c.cfg.Device)
	}
	if c.file == "" {
		vc.Set(gocv.VideoCaptureBufferSize, 1) // decode the newest frame, not a queued one
		if c.cfg.Width > 0 && c.cfg.Height > 0 {
			vc.Set(gocv.VideoCaptureFrameWidth, float64(c.cfg.Width))
			vc.Set(gocv.VideoCaptureFrameHeight, float64(c.cfg.Height))
		}
		if c.cfg.FPS > 0 {
			vc.Set(gocv.VideoCaptureFPS, c.cfg.FPS)
		}
	}
	return vc, nil
}

// session reads frames until the stream ends or fails, converting each to grey in a reused Mat.
func (c *Capture) session(ctx context.Context, vc *gocv.VideoCapture, fn func(Frame) error, index *int) error {
	img := gocv.NewMat()
	defer img.Close()
	grey := gocv.NewMat()
	defer grey.Close()
	start := time.Now()
	clock := videoClock{start: start}
	empty := 0
	period := time.Second / 30
	if fps := vc.Get(gocv.VideoCaptureFPS); fps > 0 {
		period = time.Duration(float64(time.Second) / fps)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.live {
			if err := c.pace(ctx, vc, start, period, index); err != nil {
				return err
			}
		}
		grabbed := time.Now()
		if !vc.Read(&img) || img.Empty() {
			if c.file != "" {
				return nil // end of the video
			}
			empty++
			if empty >= maxEmpty {
				return errLost
			}
			continue
		}
		empty = 0
		at := grabbed
		if c.file != "" {
			at = clock.at(vc.Get(gocv.VideoCapturePosMsec), grabbed)
		}
		g, err := greyOf(img, &grey)
		if err != nil {
			continue // an odd frame format: skip it like an empty frame
		}
		if err := fn(Frame{Grey: g, Index: *index, At: at, Grabbed: grabbed}); err != nil {
			return err
		}
		*index++
	}
}

// pace waits until frame *index of a live video is due, or skips the frames already past due.
func (c *Capture) pace(ctx context.Context, vc *gocv.VideoCapture, start time.Time, period time.Duration, index *int) error {
	for {
		due := start.Add(time.Duration(*index) * period)
		late := time.Since(due)
		if late < period {
			if late >= 0 {
				return nil
			}
			t := time.NewTimer(-late)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
		vc.Grab(1) // past the end this does nothing, and the next Read reports the end
		*index++
	}
}

// greyOf returns img's luminance as a Grey over Mat memory (grey's, or img's when it is already
// one channel). The plane is valid until the Mats change.
func greyOf(img gocv.Mat, grey *gocv.Mat) (Grey, error) {
	src := img
	switch img.Channels() {
	case 1:
	case 3:
		gocv.CvtColor(img, grey, gocv.ColorBGRToGray)
		src = *grey
	case 4:
		gocv.CvtColor(img, grey, gocv.ColorBGRAToGray)
		src = *grey
	default:
		return Grey{}, fmt.Errorf("scanner: frame with %d channels", img.Channels())
	}
	if src.Type() != gocv.MatTypeCV8UC1 {
		return Grey{}, fmt.Errorf("scanner: frame type %v", src.Type())
	}
	pix, err := src.DataPtrUint8()
	if err != nil {
		return Grey{}, fmt.Errorf("scanner: frame: %w", err)
	}
	g := Grey{Width: src.Cols(), Height: src.Rows(), Stride: src.Step(), Pix: pix}
	return g, g.Validate()
}

// ListCameras lists the V4L2 video nodes and tries each: a node that opens and gives a frame is
// Usable, with its default mode. A camera in use by another program is listed as not usable.
func ListCameras(ctx context.Context) ([]CameraInfo, error) {
	devs := v4l2Devices()
	for i := range devs {
		if ctx.Err() != nil {
			return devs, ctx.Err()
		}
		vc, err := gocv.VideoCaptureDevice(devs[i].Index)
		if err != nil || !vc.IsOpened() {
			if vc != nil {
				vc.Close()
			}
			continue
		}
		m := gocv.NewMat()
		if vc.Read(&m) && !m.Empty() {
			devs[i].Usable = true
			devs[i].Width, devs[i].Height = m.Cols(), m.Rows()
			devs[i].FPS = vc.Get(gocv.VideoCaptureFPS)
		}
		m.Close()
		vc.Close()
	}
	return devs, nil
}

// NewDefaultDecoder returns the best Decoder of this build: the gozxing cascade with OpenCV's
// WeChat decoder as the fallback.
func NewDefaultDecoder() (*Decoder, error) {
	w, err := NewWeChat()
	if err != nil {
		return nil, err
	}
	return NewDecoder(Options{Fallback: w})
}

func (c CameraConfig) withDefaults() CameraConfig {
	if c.Retry <= 0 {
		c.Retry = 3 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Device == "" {
		c.Device = "0"
	}
	return c
}

// v4l2Devices lists /dev/videoN capture nodes with their driver names, in index order.
func v4l2Devices() []CameraInfo {
	paths, _ := filepath.Glob("/sys/class/video4linux/video*")
	var out []CameraInfo
	for _, p := range paths {
		n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(p), "video"))
		if err != nil {
			continue
		}
		name, _ := os.ReadFile(filepath.Join(p, "name"))
		out = append(out, CameraInfo{Index: n, Path: "/dev/" + filepath.Base(p), Name: strings.TrimSpace(string(name))})
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Index < out[j-1].Index; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
