package ui

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"
)

type fakeImages struct{ text string }

func (f fakeImages) DecodeImage(image.Image) (string, bool) { return f.text, f.text != "" }

func TestScanAimAndOpenImage(t *testing.T) {
	u, _ := newTestUI(t)
	u.deps.Images = fakeImages{text: "JXM:FROM-IMAGE"}
	login(t, u, "13800000002")
	u.showScan()
	s := u.screen.(*scanScreen)
	if s.aim == nil || s.aim.StrokeWidth == 0 || s.aim.MinSize() != aimSize {
		t.Errorf("aiming frame %+v; want a %v outline over the preview", s.aim, aimSize)
	}
	if s.open == nil {
		t.Fatal("no 打开图片 button with an image decoder")
	}
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)))
	s.openImage(bytes.NewReader(buf.Bytes()))
	if p, ok := u.screen.(*personScreen); !ok || p.view.Text != "JXM:FROM-IMAGE" {
		t.Fatalf("an image with a code opened %q; want 人员信息 for it", u.Current())
	}

	u.deps.Images = fakeImages{}
	u.showScan()
	s = u.screen.(*scanScreen)
	s.openImage(bytes.NewReader(buf.Bytes()))
	if u.Current() != "scan" || s.status.Text != u.T("scan.image_no_code") {
		t.Errorf("an image without a code: screen %q, status %q", u.Current(), s.status.Text)
	}
	s.openImage(strings.NewReader("not an image"))
	if s.status.Text != u.T("scan.image_unreadable") {
		t.Errorf("a file that is no image: status %q", s.status.Text)
	}
}
