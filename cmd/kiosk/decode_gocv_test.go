//go:build gocv

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// TestDecodeVideo writes a short MJPG clip: 5 blank frames, then 10 frames showing a code.
func TestDecodeVideo(t *testing.T) {
	dir := t.TempDir()
	png := writeQRPNG(t, dir, "code.png", "VIDEO-CODE")
	code := gocv.IMRead(png, gocv.IMReadColor)
	defer code.Close()
	path := filepath.Join(dir, "clip.avi")
	vw, err := gocv.VideoWriterFile(path, "MJPG", 30, 640, 480, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 15 {
		frame := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(200, 200, 200, 0), 480, 640, gocv.MatTypeCV8UC3)
		if i >= 5 {
			roi := frame.Region(image.Rect(200, 120, 200+code.Cols(), 120+code.Rows()))
			code.CopyTo(&roi)
			roi.Close()
		}
		vw.Write(frame)
		frame.Close()
	}
	vw.Close()

	var out, errb bytes.Buffer
	if rc := runDecode(context.Background(), []string{"--video", path}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d, stderr %q", rc, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("output %q; want one line (the code, once)", out.String())
	}
	var l struct {
		Frame int     `json:"frame"`
		Text  string  `json:"text"`
		MS    float64 `json:"ms"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &l); err != nil || l.Frame != 5 || l.Text != "VIDEO-CODE" {
		t.Fatalf("line %q (%v); want frame 5, VIDEO-CODE", lines[0], err)
	}
}

func TestCamerasLists(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runCameras(context.Background(), nil, &out, &errb); code != 0 || out.Len() == 0 {
		t.Fatalf("cameras: exit %d, stdout %q, stderr %q; want 0 and a list or \"none\"", code, out.String(), errb.String())
	}
	t.Logf("kiosk cameras: %s", out.String())
}
