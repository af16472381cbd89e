package main

import (
	"image"
	"testing"
	"time"

	"github.com/yongji-county/checkpoint/scanner"
	"github.com/yongji-county/checkpoint/ui"
)

// TestCameraMailbox: the capture loop's hand-off to the window never waits. With no window
// taking anything, a thousand frames and ten codes are offered in bounded time; the window then
// finds the newest frame only, and the first four codes in order (the rest dropped).
func TestCameraMailbox(t *testing.T) {
	c := newCamera()
	frames := make([]image.Image, 1000)
	for i := range frames {
		frames[i] = image.NewGray(image.Rect(0, 0, i+1, 1))
	}
	kept := make(chan []bool, 1)
	go func() {
		for _, f := range frames {
			c.offerFrame(f)
		}
		var ok []bool
		for _, s := range []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J"} {
			ok = append(ok, c.offerCode(s))
		}
		kept <- ok
	}()
	var ok []bool
	select {
	case ok = <-kept:
	case <-time.After(5 * time.Second):
		t.Fatal("offering frames and codes to a window that takes none blocked the capture loop")
	}
	for i, k := range ok {
		if k != (i < codesWaiting) {
			t.Errorf("code %d kept %v; want the first %d kept, the rest dropped", i, k, codesWaiting)
		}
	}
	select {
	case img := <-c.Preview():
		if w := img.Bounds().Dx(); w != len(frames) {
			t.Errorf("the window got frame %d; want the newest, %d", w, len(frames))
		}
	default:
		t.Fatal("no frame waiting for the window")
	}
	select {
	case img := <-c.Preview():
		t.Errorf("a second frame (%d) waited; want one", img.Bounds().Dx())
	default:
	}
	for _, want := range []string{"A", "B", "C", "D"} {
		select {
		case got := <-c.Codes():
			if got != want {
				t.Errorf("code %q; want %q (in order)", got, want)
			}
		default:
			t.Fatalf("code %q was dropped", want)
		}
	}
	// The window took them: the next code is kept again, and a frame offered while the window
	// reads concurrently still arrives.
	if !c.offerCode("K") {
		t.Error("a code offered to an emptied queue was dropped")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			<-c.Preview()
		}
	}()
	deadline := time.After(5 * time.Second)
	for i := 0; ; i++ {
		select {
		case <-done:
			return
		case <-deadline:
			t.Fatalf("a window reading frames got 200 of %d offered in 5 s", i)
		default:
			c.offerFrame(frames[i%len(frames)])
		}
	}
}

func TestPlanCamera(t *testing.T) {
	cams := []string{"/dev/video0", "/dev/video2"}
	for _, c := range []struct {
		name           string
		f              runFlags
		set            []string
		pref, res      string
		devices        []string
		demo           bool
		kind, device   string
		width, height  int
		auto, wantLoop bool
	}{
		{name: "demo without a camera plays the demo video", demo: true, kind: camDemo, width: 640, height: 480, auto: true},
		{name: "no demo, no camera", kind: camNone, width: 640, height: 480},
		{name: "first attached camera", devices: cams, demo: true, kind: camDevice, device: "/dev/video0", width: 640, height: 480},
		{name: "kept camera and resolution", pref: "/dev/video2", res: "1280x720", devices: cams, kind: camDevice, device: "/dev/video2", width: 1280, height: 720},
		{name: "kept camera unplugged", pref: "/dev/video4", devices: cams, kind: camDevice, device: "/dev/video0", width: 640, height: 480},
		{name: "kept demo video with a camera attached", pref: ui.CameraDemo, res: "1920x1080", devices: cams, kind: camDemo, width: 1920, height: 1080},
		{name: "kept none", pref: ui.CameraNone, devices: cams, demo: true, kind: camNone, width: 640, height: 480},
		{name: "--camera wins over the kept setting", f: runFlags{camera: "1"}, set: []string{"camera"}, pref: ui.CameraNone, kind: camDevice, device: "1", width: 640, height: 480},
		{name: "--camera none", f: runFlags{camera: "none"}, set: []string{"camera"}, devices: cams, demo: true, kind: camNone, width: 640, height: 480},
		{name: "--video wins", f: runFlags{video: "x.avi", loop: true}, set: []string{"video", "loop"}, pref: ui.CameraDemo, demo: true, kind: camVideo, width: 640, height: 480, wantLoop: true},
		{name: "a bad kept resolution is the default", res: "7x7", demo: true, kind: camDemo, width: 640, height: 480, auto: true},
	} {
		set := map[string]bool{}
		for _, s := range c.set {
			set[s] = true
		}
		p := planCamera(c.f, set, c.pref, c.res, c.devices, c.demo)
		if p.kind != c.kind || p.device != c.device || p.width != c.width || p.height != c.height || p.auto != c.auto || p.loop != c.wantLoop {
			t.Errorf("%s: plan %+v; want %s %q %dx%d auto %v loop %v", c.name, p, c.kind, c.device, c.width, c.height, c.auto, c.wantLoop)
		}
		if p.kind == camNone && p.reason == "" {
			t.Errorf("%s: no camera and no reason", c.name)
		}
	}
}

func TestPreviewImage(t *testing.T) {
	g := scanner.NewGrey(1280, 720)
	for y := range g.Height {
		for x := range g.Width {
			g.Pix[y*g.Stride+x] = byte(x + 3*y)
		}
	}
	img := previewImage(g)
	if b := img.Bounds(); b.Dx() != 640 || b.Dy() != 360 {
		t.Fatalf("preview of 1280×720 is %v; want 640×360", b)
	}
	for _, p := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {639, 359}, {100, 200}} {
		if got, want := img.GrayAt(p[0], p[1]).Y, byte(2*p[0]+3*2*p[1]); got != want {
			t.Errorf("preview pixel %v = %d; want the camera's pixel (%d,%d) = %d", p, got, 2*p[0], 2*p[1], want)
		}
	}
	small := scanner.NewGrey(640, 480)
	small.Pix[5] = 9
	img = previewImage(small)
	if b := img.Bounds(); b.Dx() != 640 || b.Dy() != 480 || img.Pix[5] != 9 {
		t.Errorf("preview of 640×480 is %v; want the frame as it is", b)
	}
	small.Pix[5] = 1
	if img.Pix[5] != 9 {
		t.Error("the preview shares the camera's pixels; want a copy")
	}
}
