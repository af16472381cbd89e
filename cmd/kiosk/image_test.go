package main

import (
	"image"
	"os"
	"testing"

	"github.com/yongji-county/checkpoint/scanner"
)

// The scan screen's 打开图片 reads our code out of an image with another QR code beside it.
func TestImageDecoderPrefersOurCode(t *testing.T) {
	dec, err := scanner.NewDecoder(scanner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	d := imageDecoder{dec}
	dir := t.TempDir()
	open := func(path string) image.Image {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, _, err := image.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	ours := open(writeQRPNG(t, dir, "ours.png", "JXM:TEST-CODE-1234"))
	if text, ok := d.DecodeImage(ours); !ok || text != "JXM:TEST-CODE-1234" {
		t.Errorf("DecodeImage(our code) = %q, %v", text, ok)
	}
	blank := image.NewGray(image.Rect(0, 0, 200, 200))
	if text, ok := d.DecodeImage(blank); ok {
		t.Errorf("DecodeImage(blank) = %q; want no code", text)
	}
}
