//go:build gocv

package scanner

import (
	"context"
	"errors"
	"image"
	"image/color"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// phoneVideo describes a generated clip of a phone showing a health code to the camera: the
// phone is held up from the first frame, its screen shows the code from frame Appear on, and
// every frame has perspective, hand shake, the screen's pixel grid (moiré once resampled),
// blur, glare and sensor noise.
type phoneVideo struct {
	Text           string
	Frames, Appear int
	Width, Height  int
}

// write renders the clip to an MJPG .avi (what a webcam delivers) at 30 fps.
func (v phoneVideo) write(t testing.TB, path string) {
	t.Helper()
	vw, err := gocv.VideoWriterFile(path, "MJPG", 30, v.Width, v.Height, true)
	if err != nil {
		t.Fatalf("video writer: %v", err)
	}
	defer vw.Close()
	rng := rand.New(rand.NewPCG(7, 11))
	blankScreen, codeScreen := v.screen(t, false), v.screen(t, true)
	defer blankScreen.Close()
	defer codeScreen.Close()
	bg := v.background()
	defer bg.Close()
	for i := range v.Frames {
		screen := blankScreen
		if i >= v.Appear {
			screen = codeScreen
		}
		frame := v.frame(screen, bg, rng)
		if err := vw.Write(frame); err != nil {
			t.Fatalf("write frame %d: %v", i, err)
		}
		frame.Close()
	}
}

// screen is the phone (bezel and screen) as a BGR Mat: a header bar, lines of text, and the
// code; the screen's pixels are a grid with dark gaps every third row and column.
func (v phoneVideo) screen(t testing.TB, withCode bool) gocv.Mat {
	const pw, ph = 400, 760
	pix := make([]byte, pw*ph*3)
	set := func(x, y int, b, g, r byte) {
		o := (y*pw + x) * 3
		pix[o], pix[o+1], pix[o+2] = b, g, r
	}
	for y := range ph {
		for x := range pw {
			switch {
			case x < 16 || x >= pw-16 || y < 50 || y >= ph-60: // bezel
				set(x, y, 25, 25, 28)
			case y < 130: // green header, as a health-code page has
				set(x, y, 90, 170, 40)
			case y > 600 && y < 616 && x > 60 && x < 340, y > 640 && y < 656 && x > 60 && x < 280:
				set(x, y, 90, 90, 90) // lines of text
			default:
				set(x, y, 246, 246, 242)
			}
		}
	}
	if withCode {
		code := qrGrey(t, v.Text, 330, 3)
		for y := range code.Height {
			for x := range code.Width {
				c := code.Row(y)[x]
				if c < 128 {
					set(35+x, 215+y, 20, 20, 20)
				}
			}
		}
	}
	// The screen's pixel grid: every third row and column is a little darker.
	for y := 50; y < ph-60; y++ {
		for x := 16; x < pw-16; x++ {
			if x%3 == 0 || y%3 == 0 {
				o := (y*pw + x) * 3
				for c := range 3 {
					pix[o+c] = byte(int(pix[o+c]) * 65 / 100)
				}
			}
		}
	}
	m, err := gocv.NewMatFromBytes(ph, pw, gocv.MatTypeCV8UC3, pix)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// background is a desk and wall: gradients and a few edges.
func (v phoneVideo) background() gocv.Mat {
	pix := make([]byte, v.Width*v.Height*3)
	for y := range v.Height {
		for x := range v.Width {
			l := 120 + 60*x/v.Width - 40*y/v.Height
			if y > v.Height*3/4 {
				l = 90 + (x/40)%2*10 // desk planks
			}
			o := (y*v.Width + x) * 3
			pix[o], pix[o+1], pix[o+2] = byte(l), byte(l+5), byte(l+12)
		}
	}
	m, _ := gocv.NewMatFromBytes(v.Height, v.Width, gocv.MatTypeCV8UC3, pix)
	return m
}

// frame warps the phone into the scene with a tilt and a hand shake, then blurs, adds a glare
// spot on the screen and noise.
func (v phoneVideo) frame(phone, bg gocv.Mat, rng *rand.Rand) gocv.Mat {
	shake := func() float64 { return rng.Float64()*6 - 3 }
	w, h := float64(v.Width), float64(v.Height)
	dst := []image.Point{
		{int(0.36*w + shake()), int(0.04*h + shake())},
		{int(0.66*w + shake()), int(0.09*h + shake())},
		{int(0.70*w + shake()), int(0.97*h + shake())},
		{int(0.31*w + shake()), int(0.93*h + shake())},
	}
	src := gocv.NewPointVectorFromPoints([]image.Point{{0, 0}, {phone.Cols(), 0}, {phone.Cols(), phone.Rows()}, {0, phone.Rows()}})
	defer src.Close()
	dv := gocv.NewPointVectorFromPoints(dst)
	defer dv.Close()
	m := gocv.GetPerspectiveTransform(src, dv)
	defer m.Close()
	out := bg.Clone()
	gocv.WarpPerspectiveWithParams(phone, &out, m, image.Pt(v.Width, v.Height), gocv.InterpolationLinear, gocv.BorderTransparent, color.RGBA{})
	gocv.GaussianBlur(out, &out, image.Pt(5, 5), 1.1, 1.1, gocv.BorderDefault)
	pix := out.ToBytes()
	// Glare: a soft bright spot over the upper right of the code.
	gx, gy := 0.58*w, 0.36*h
	for y := range v.Height {
		for x := range v.Width {
			d := math.Hypot(float64(x)-gx, float64(y)-gy)
			boost := 0.0
			if d < 60 {
				boost = 110 * (1 - d/60)
			}
			o := (y*v.Width + x) * 3
			for c := range 3 {
				n := float64(pix[o+c]) + boost + rng.NormFloat64()*8
				pix[o+c] = clampByte(int(n))
			}
		}
	}
	out.Close()
	res, _ := gocv.NewMatFromBytes(v.Height, v.Width, gocv.MatTypeCV8UC3, pix)
	return res
}

// healthCodeText is as long as a signed health code in base45 (DESIGN §3: up to QR version 10
// at level M): version 8 here, 49 modules, about 3.5 px per module in the 640×480 frame.
const healthCodeText = "HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH-R6IOO6+IUKRG*I.I1%6IBZ4T6NHK9%ST0I5L2Q2QA:70JT8N$H6R8K6L4IA7SHFDQ74KR0*D4OL57BZ8WM9SFS7A3AI*KT7F2/P0G7I/LGY4M$EL.FA:HR2"

func TestVideoPhoneScreen(t *testing.T) {
	v := phoneVideo{Text: healthCodeText, Frames: 45, Appear: 15, Width: 640, Height: 480}
	path := filepath.Join(t.TempDir(), "phone.avi")
	v.write(t, path)
	src, err := NewVideo(path)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDefaultDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	p := Pipeline{Decoder: dec, Dedupe: &Dedupe{}}
	var scans []Scan
	frames := 0
	counted := sourceFunc(func(ctx context.Context, fn func(Frame) error) error {
		return src.Frames(ctx, func(f Frame) error {
			frames++
			if f.Width != 640 || f.Height != 480 {
				t.Errorf("frame %dx%d; want 640x480", f.Width, f.Height)
			}
			return fn(f)
		})
	})
	if err := p.Run(context.Background(), counted, func(s Scan) { scans = append(scans, s) }); err != nil {
		t.Fatal(err)
	}
	if frames != v.Frames {
		t.Errorf("read %d frames; the video has %d", frames, v.Frames)
	}
	if len(scans) != 1 {
		t.Fatalf("scans = %+v; want the code once", scans)
	}
	s := scans[0]
	if s.Text != v.Text || s.Frame < v.Appear || s.Frame > v.Appear+2 {
		t.Fatalf("scan %q at frame %d (step %s); want %q within 3 frames of frame %d", s.Text, s.Frame, s.Step, v.Text, v.Appear)
	}
	t.Logf("read at frame %d (code appeared at %d) by step %s in %v", s.Frame, v.Appear, s.Step, s.Took)
}

// sourceFunc adapts a function to Source.
type sourceFunc func(ctx context.Context, fn func(Frame) error) error

func (f sourceFunc) Frames(ctx context.Context, fn func(Frame) error) error { return f(ctx, fn) }

// logRecords is a slog handler that keeps messages.
type logRecords struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }
func (l *logRecords) count(prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if strings.HasPrefix(m, prefix) {
			n++
		}
	}
	return n
}

func TestCameraOpenFailureRetries(t *testing.T) {
	logs := &logRecords{}
	cam, err := NewCamera(CameraConfig{Device: "57", Retry: 20 * time.Millisecond, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = cam.Frames(ctx, func(Frame) error { t.Error("frame from a missing camera"); return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Frames = %v; want to keep retrying until the context ends", err)
	}
	if n := logs.count("scanner: camera unavailable"); n != 1 {
		t.Errorf("logged the outage %d times; want once", n)
	}
	if _, err := NewCamera(CameraConfig{Device: "/dev/no-such-camera"}); err == nil {
		t.Error("NewCamera with a missing device path: nil error")
	}
}

// TestCameraReconnect plays a video file as if it were a camera: when the "camera" stops giving
// frames (the end of the file, like an unplugged webcam) the capture reopens it and frames go on.
func TestCameraReconnect(t *testing.T) {
	v := phoneVideo{Text: "reconnect", Frames: 6, Appear: 0, Width: 320, Height: 240}
	path := filepath.Join(t.TempDir(), "cam.avi")
	v.write(t, path)
	logs := &logRecords{}
	cam, err := NewCamera(CameraConfig{Device: path, Retry: 10 * time.Millisecond, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	errEnough := errors.New("enough")
	var indexes []int
	err = cam.Frames(context.Background(), func(f Frame) error {
		indexes = append(indexes, f.Index)
		if len(indexes) == 2*v.Frames+2 {
			return errEnough
		}
		return nil
	})
	if !errors.Is(err, errEnough) {
		t.Fatalf("Frames = %v; want the consumer's error", err)
	}
	for i, n := range indexes {
		if n != i {
			t.Fatalf("frame indexes %v; want 0,1,2,... across the reconnects", indexes)
		}
	}
	if logs.count("scanner: camera unavailable") < 1 || logs.count("scanner: camera back") < 1 {
		t.Errorf("log %v; want the outage and the recovery", logs.msgs)
	}
}

func TestNewVideoMissing(t *testing.T) {
	if _, err := NewVideo(filepath.Join(t.TempDir(), "missing.avi")); err == nil {
		t.Fatal("NewVideo(missing) = nil error")
	}
}

func TestWeChatFallback(t *testing.T) {
	w, err := NewWeChat()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	g := blank(640, 480, 255)
	paste(g, qrGrey(t, "wechat", 200, 2), 400, 50)
	rs, err := w.Decode(g)
	if err != nil || len(rs) != 1 || rs[0].Text != "wechat" {
		t.Fatalf("WeChat.Decode = %+v, %v", rs, err)
	}
	c := rs[0].Centre()
	if math.Hypot(c.X-500, c.Y-150) > 20 {
		t.Errorf("WeChat located the code at %v; want near (500,150)", c)
	}
	if rs, err := w.Decode(blank(10, 10, 0)); err != nil || len(rs) != 0 {
		t.Errorf("WeChat.Decode(tiny) = %v, %v", rs, err)
	}
	w.Close()
	if _, err := w.Decode(g); err == nil {
		t.Error("Decode after Close: nil error")
	}
}

// BenchmarkPipelineVideo is the whole capture loop on a 640×480 MJPG clip of a phone showing a
// code (capture → grey → DecodeFrame → dedupe); frames/s is what one core sustains.
func BenchmarkPipelineVideo(b *testing.B) {
	v := phoneVideo{Text: healthCodeText, Frames: 60, Appear: 30, Width: 640, Height: 480}
	path := filepath.Join(b.TempDir(), "bench.avi")
	v.write(b, path)
	dec, err := NewDefaultDecoder()
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()
	frames := 0
	start := time.Now()
	for b.Loop() {
		src, err := NewVideo(path)
		if err != nil {
			b.Fatal(err)
		}
		p := Pipeline{Decoder: dec, Dedupe: &Dedupe{}}
		count := sourceFunc(func(ctx context.Context, fn func(Frame) error) error {
			return src.Frames(ctx, func(f Frame) error { frames++; return fn(f) })
		})
		if err := p.Run(context.Background(), count, func(Scan) {}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(frames)/time.Since(start).Seconds(), "frames/s")
}

// writeRawMJPEG writes frames as a raw MJPEG stream (JPEG after JPEG, no container): what a
// camera's MJPEG output piped to a file or FIFO looks like. A raw stream has no timestamps.
func writeRawMJPEG(t testing.TB, path string, frames []Grey) {
	t.Helper()
	var out []byte
	for _, g := range frames {
		m, err := gocv.NewMatFromBytes(g.Height, g.Width, gocv.MatTypeCV8UC1, g.Pix)
		if err != nil {
			t.Fatal(err)
		}
		buf, err := gocv.IMEncode(gocv.JPEGFileExt, m)
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, buf.GetBytes()...)
		buf.Close()
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRawMJPEGFramesCarryWallClock: frames of a raw MJPEG stream, which has no timestamps,
// carry the wall-clock time they were read, so the dedupe window is real time: a code shown,
// taken away for longer than the window and shown again is reported twice. A container file
// (AVI) keeps its own clock.
func TestRawMJPEGFramesCarryWallClock(t *testing.T) {
	const w, h = 320, 240
	empty := blank(w, h, 200)
	code := blank(w, h, 200)
	paste(code, qrGrey(t, "raw-mjpeg", 160, 4), 80, 40)
	var frames []Grey
	for i := range 30 {
		if i < 8 || i >= 22 { // the code, gone for 14 frames, the code again
			frames = append(frames, code)
		} else {
			frames = append(frames, empty)
		}
	}
	path := filepath.Join(t.TempDir(), "camera.mjpg")
	writeRawMJPEG(t, path, frames)

	src, err := NewVideo(path)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	var ats []time.Time
	if err := src.Frames(context.Background(), func(f Frame) error {
		if now := time.Now(); f.At.Before(f.Grabbed) || f.At.After(now) {
			t.Errorf("frame %d At %v; want when it was read (grabbed %v, handed over %v)", f.Index, f.At.Sub(before), f.Grabbed.Sub(before), now.Sub(before))
		}
		ats = append(ats, f.At)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	if len(ats) != len(frames) {
		t.Fatalf("%d frames read of %d", len(ats), len(frames))
	}
	for i, at := range ats {
		if at.Before(before) || at.After(after) || i > 0 && at.Before(ats[i-1]) {
			t.Fatalf("frame %d At %v; want the wall clock between %v and %v, in order (all: %v)", i, at.Sub(before), 0, after.Sub(before), ats)
		}
	}

	live, err := NewLiveVideo(path)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	// The code is away for 14 frames (over 0.4 s at the stream's rate): longer than the window.
	p := &Pipeline{Decoder: dec, Dedupe: &Dedupe{Window: 250 * time.Millisecond}}
	var reads []int
	if err := p.Run(context.Background(), live, func(s Scan) { reads = append(reads, s.Frame) }); err != nil {
		t.Fatal(err)
	}
	if len(reads) != 2 {
		t.Errorf("code reported at frames %v; want twice (shown, away past the dedupe window, shown again)", reads)
	}

	avi := filepath.Join(t.TempDir(), "clip.avi")
	phoneVideo{Text: "clock", Frames: 10, Appear: 0, Width: w, Height: h}.write(t, avi)
	vid, err := NewVideo(avi)
	if err != nil {
		t.Fatal(err)
	}
	ats = ats[:0]
	if err := vid.Frames(context.Background(), func(f Frame) error { ats = append(ats, f.At); return nil }); err != nil {
		t.Fatal(err)
	}
	if span := ats[len(ats)-1].Sub(ats[0]); span < 250*time.Millisecond || span > 350*time.Millisecond {
		t.Errorf("an AVI's frames span %v; want the video's own clock (9 frames at 30 fps = 300 ms)", span)
	}
}
