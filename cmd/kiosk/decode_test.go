package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// writeQRPNG writes text as a QR code PNG (made with gozxing's encoder) and returns its path.
func writeQRPNG(t *testing.T, dir, name, text string) string {
	t.Helper()
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 240, 240, nil)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, m.GetWidth(), m.GetHeight()))
	for y := range m.GetHeight() {
		for x := range m.GetWidth() {
			if !m.Get(x, y) {
				img.Pix[y*img.Stride+x] = 255
			}
		}
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return path
}

func runDecodeTest(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = runDecode(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDecodeJSON(t *testing.T) {
	dir := t.TempDir()
	good := writeQRPNG(t, dir, "code.png", "HC1:KIOSK-DECODE")
	garbage := filepath.Join(dir, "garbage.png")
	os.WriteFile(garbage, []byte("not an image"), 0o644)
	missing := filepath.Join(dir, "missing.png")
	blankPNG := filepath.Join(dir, "blank.png")
	f, _ := os.Create(blankPNG)
	png.Encode(f, image.NewGray(image.Rect(0, 0, 50, 50)))
	f.Close()

	code, stdout, stderr := runDecodeTest("--json", good, garbage, missing, blankPNG)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q; want 0", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines; want one per file:\n%s", len(lines), stdout)
	}
	type line struct {
		File  string `json:"file"`
		Codes []struct {
			Text   string       `json:"text"`
			Points [][2]float64 `json:"points"`
		} `json:"codes"`
		MS    *float64 `json:"ms"`
		Error string   `json:"error"`
	}
	var ls []line
	for _, l := range lines {
		var v line
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		ls = append(ls, v)
	}
	if ls[0].File != good || len(ls[0].Codes) != 1 || ls[0].Codes[0].Text != "HC1:KIOSK-DECODE" || len(ls[0].Codes[0].Points) != 4 || ls[0].MS == nil || ls[0].Error != "" {
		t.Errorf("good file: %+v", ls[0])
	}
	for _, l := range ls[1:3] {
		if l.Error == "" || len(l.Codes) != 0 {
			t.Errorf("unreadable file %s: %+v; want an error", l.File, l)
		}
	}
	if ls[3].Error != "" || len(ls[3].Codes) != 0 || ls[3].Codes == nil {
		t.Errorf("blank image: %+v; want no codes, no error", ls[3])
	}
	if !strings.Contains(lines[3], `"codes":[]`) {
		t.Errorf("blank image line %s; want \"codes\":[]", lines[3])
	}
}

func TestDecodeText(t *testing.T) {
	good := writeQRPNG(t, t.TempDir(), "code.png", "plain output")
	code, stdout, _ := runDecodeTest(good)
	if code != 0 || !strings.Contains(stdout, `"plain output"`) {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
}

func TestDecodeUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--json"},
		{"--bogus", "x.png"},
		{"--video", "a.avi", "b.png"},
	} {
		code, stdout, stderr := runDecodeTest(args...)
		if code != 2 || stdout != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || stderr == "" {
			t.Errorf("decode %q: exit %d, stdout %q, stderr %q; want 2 and one line on stderr", args, code, stdout, stderr)
		}
	}
}
