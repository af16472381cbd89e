//go:build gocv

package kioske2e

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"gocv.io/x/gocv"
)

// Video frames are what a 720p webcam gives.
const (
	frameW, frameH = 1280, 720
	fps            = 30
)

// segment is a run of frames in a test video: blank (code "") or showing one code.
type segment struct {
	code   string
	frames int
}

// qrMat renders text as a QR symbol about size pixels square (level M, 4-module quiet zone).
func qrMat(t testing.TB, text string, size int) gocv.Mat {
	t.Helper()
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: "M",
		gozxing.EncodeHintType_MARGIN:           4,
	}
	bm, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, size, size, hints)
	if err != nil {
		t.Fatal(err)
	}
	b := bm.Bounds()
	g := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if bm.Get(x, y) {
				g.SetGray(x, y, colorBlack)
			} else {
				g.SetGray(x, y, colorWhite)
			}
		}
	}
	m, err := gocv.ImageGrayToMatGray(g)
	if err != nil {
		t.Fatal(err)
	}
	c := gocv.NewMat()
	gocv.CvtColor(m, &c, gocv.ColorGrayToBGR)
	m.Close()
	return c
}

// writeVideo writes a 1280×720 MJPG AVI of the segments at 30 fps: a grey background, the code
// (if any) in the middle, as a phone held up to the camera.
func writeVideo(t testing.TB, path string, segs []segment) {
	t.Helper()
	vw, err := gocv.VideoWriterFile(path, "MJPG", fps, frameW, frameH, true)
	if err != nil {
		t.Fatal(err)
	}
	defer vw.Close()
	codes := map[string]gocv.Mat{}
	defer func() {
		for _, m := range codes {
			m.Close()
		}
	}()
	blank := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(190, 195, 200, 0), frameH, frameW, gocv.MatTypeCV8UC3)
	defer blank.Close()
	for _, s := range segs {
		frame := blank.Clone()
		if s.code != "" {
			m, ok := codes[s.code]
			if !ok {
				m = qrMat(t, s.code, 420)
				codes[s.code] = m
			}
			x, y := (frameW-m.Cols())/2, (frameH-m.Rows())/2
			roi := frame.Region(image.Rect(x, y, x+m.Cols(), y+m.Rows()))
			m.CopyTo(&roi)
			roi.Close()
		}
		for range s.frames {
			if err := vw.Write(frame); err != nil {
				t.Fatal(err)
			}
		}
		frame.Close()
	}
}

// aviFrameEnds returns, for each video frame chunk of the AVI file in order, the byte offset
// just past it.
func aviFrameEnds(path string) ([]int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "AVI " {
		return nil, errors.New("not an AVI file")
	}
	le := binary.LittleEndian.Uint32
	for off := 12; off+12 <= len(b); {
		id, size := string(b[off:off+4]), int(le(b[off+4:]))
		if id == "LIST" && string(b[off+8:off+12]) == "movi" {
			var ends []int64
			end := min(off+8+size, len(b))
			for p := off + 12; p+8 <= end; {
				cid, csize := b[p:p+4], int(le(b[p+4:]))
				next := p + 8 + csize + csize&1
				if cid[2] == 'd' && (cid[3] == 'c' || cid[3] == 'b') {
					ends = append(ends, int64(min(next, end)))
				}
				p = next
			}
			return ends, nil
		}
		off += 8 + size + size&1
	}
	return nil, errors.New("AVI without a movi list")
}

// feeder plays a video file into a named pipe that the kiosk opens as its --video, frame by
// frame as the test releases them: the test decides when the person holds the code up.
type feeder struct {
	fifo    string
	release chan int // frames to play up to
	done    chan error
}

func newFeeder(t testing.TB, dir, video string) *feeder {
	t.Helper()
	ends, err := aviFrameEnds(video)
	if err != nil {
		t.Fatal(err)
	}
	f := &feeder{fifo: filepath.Join(dir, "camera.avi"), release: make(chan int, 16), done: make(chan error, 1)}
	if err := syscall.Mkfifo(f.fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		f.done <- f.play(video, ends)
	}()
	t.Cleanup(func() {
		close(f.release)
		// Unblock an open that no reader ever met.
		if r, err := os.OpenFile(f.fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			r.Close()
		}
		<-f.done
	})
	return f
}

func (f *feeder) play(video string, ends []int64) error {
	w, err := os.OpenFile(f.fifo, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer w.Close()
	src, err := os.Open(video)
	if err != nil {
		return err
	}
	defer src.Close()
	var sent int64
	for n := range f.release {
		upto := int64(-1) // all
		if n < len(ends) {
			upto = ends[n-1]
		}
		var err error
		if upto < 0 {
			_, err = io.Copy(w, src)
		} else if upto > sent {
			_, err = io.CopyN(w, src, upto-sent)
			sent = upto
		}
		if err != nil {
			return fmt.Errorf("feeder: %w", err)
		}
		if upto < 0 {
			return nil
		}
	}
	return nil
}

// playTo lets the kiosk read the video's first n frames (all of it when n is past the end).
func (f *feeder) playTo(n int) { f.release <- n }

var (
	colorBlack = grey(0)
	colorWhite = grey(255)
)

func grey(v uint8) color.Gray { return color.Gray{Y: v} }
