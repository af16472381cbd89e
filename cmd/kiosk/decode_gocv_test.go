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
	path := writeCodeClip(t)
	var out, errb bytes.Buffer
	if rc := runDecode(context.Background(), []string{"--video", path}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d, stderr %q", rc, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("output %q; want one line (the code, once)", out.String())
	}
	checkCodeLine(t, lines[0])
}

// TestDecodeVideoStats: --stats keeps the code lines and ends with the capture loop's times.
func TestDecodeVideoStats(t *testing.T) {
	path := writeCodeClip(t)
	var out, errb bytes.Buffer
	if rc := runDecode(context.Background(), []string{"--video", path, "--stats"}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d, stderr %q", rc, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("output %q; want the code line and the stats line", out.String())
	}
	checkCodeLine(t, lines[0])
	var st map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &st); err != nil {
		t.Fatalf("stats line %q: %v", lines[1], err)
	}
	for _, k := range []string{"frames", "first_frame", "p50_ms", "p99_ms", "max_ms"} {
		if _, ok := st[k]; !ok {
			t.Errorf("stats line %s lacks %q", lines[1], k)
		}
	}
	if len(st) != 5 {
		t.Errorf("stats line %s; want exactly frames, first_frame, p50_ms, p99_ms, max_ms", lines[1])
	}
	p50, p99, mx := st["p50_ms"].(float64), st["p99_ms"].(float64), st["max_ms"].(float64)
	if ff := st["first_frame"].(float64); ff < 5 || ff > 7 || st["frames"].(float64) < 10 || st["frames"].(float64) > 15 || p50 <= 0 || p50 > p99 || p99 > mx {
		t.Errorf("stats line %s; want first_frame 5–7, 10–15 frames, 0 < p50 ≤ p99 ≤ max", lines[1])
	}
}

func checkCodeLine(t *testing.T, line string) {
	t.Helper()
	var l struct {
		Frame int     `json:"frame"`
		Text  string  `json:"text"`
		MS    float64 `json:"ms"`
	}
	// The code appears in frame 5; the capture loop's cheap steps usually read it there, the
	// decode worker (under load) within the next two frames.
	if err := json.Unmarshal([]byte(line), &l); err != nil || l.Frame < 5 || l.Frame > 7 || l.Text != "VIDEO-CODE" {
		t.Fatalf("line %q (%v); want frame 5–7, VIDEO-CODE", line, err)
	}
}

// writeCodeClip writes a 640×480 MJPG clip: 5 blank frames, then 10 showing a code.
func writeCodeClip(t *testing.T) string {
	t.Helper()
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
	return path
}

func TestCamerasLists(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runCameras(context.Background(), nil, &out, &errb); code != 0 || out.Len() == 0 {
		t.Fatalf("cameras: exit %d, stdout %q, stderr %q; want 0 and a list or \"none\"", code, out.String(), errb.String())
	}
	t.Logf("kiosk cameras: %s", out.String())
}
