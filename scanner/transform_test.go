package scanner

import (
	"testing"

	"github.com/makiuchi-d/gozxing/common"
)

// TestUpscale2Bilinear checks the fast upscale against a direct bilinear formula.
func TestUpscale2Bilinear(t *testing.T) {
	g := NewGrey(7, 5)
	for i := range g.Pix {
		g.Pix[i] = byte(i * 37 % 251)
	}
	u := upscale2(nil, g)
	at := func(x, y int) int {
		x = min(max(x, 0), g.Width-1)
		y = min(max(y, 0), g.Height-1)
		return int(g.Row(y)[x])
	}
	for y := range u.Height {
		for x := range u.Width {
			sx, wx := x/2-1+(x&1), 3
			if x&1 == 1 {
				wx = 1
			}
			sy, wy := y/2-1+(y&1), 3
			if y&1 == 1 {
				wy = 1
			}
			a := at(sx, sy)*(4-wx) + at(sx+1, sy)*wx
			b := at(sx, sy+1)*(4-wx) + at(sx+1, sy+1)*wx
			want := (a*(4-wy) + b*wy + 8) >> 4
			if got := int(u.Row(y)[x]); got != want {
				t.Fatalf("upscale2 (%d,%d) = %d; want %d", x, y, got, want)
			}
		}
	}
}

func TestSquashWiden(t *testing.T) {
	g := NewGrey(4, 2)
	copy(g.Pix, []byte{0, 10, 20, 30, 40, 50, 60, 71})
	if s := squashY(nil, g); s.Width != 4 || s.Height != 1 || string(s.Pix) != string([]byte{20, 30, 40, 51}) {
		t.Errorf("squashY = %+v", s)
	}
	if s := squashX(nil, g); s.Width != 2 || s.Height != 2 || string(s.Pix) != string([]byte{5, 25, 45, 66}) {
		t.Errorf("squashX = %+v", s)
	}
	if s := widenX(nil, g); s.Width != 8 || s.Height != 2 || string(s.Pix[:8]) != string([]byte{0, 5, 10, 15, 20, 25, 30, 30}) {
		t.Errorf("widenX = %+v", s)
	}
}

// warp renders src onto a w×h white plane so that src's corners land on quad (top-left,
// top-right, bottom-right, bottom-left): a code photographed at a slant.
func warp(src Grey, w, h int, quad [4][2]float64) Grey {
	out := blank(w, h, 255)
	sw, sh := float64(src.Width), float64(src.Height)
	tr := common.PerspectiveTransform_QuadrilateralToQuadrilateral(
		quad[0][0], quad[0][1], quad[1][0], quad[1][1], quad[2][0], quad[2][1], quad[3][0], quad[3][1],
		0, 0, sw, 0, sw, sh, 0, sh)
	for y := range h {
		for x := range w {
			p := []float64{float64(x) + 0.5, float64(y) + 0.5}
			tr.TransformPoints(p)
			sx, sy := int(p[0]), int(p[1])
			if p[0] >= 0 && p[1] >= 0 && sx < src.Width && sy < src.Height {
				out.Pix[y*out.Stride+x] = src.Pix[sy*src.Stride+sx]
			}
		}
	}
	return out
}

// TestDecodeForeshortened: a code seen so much at a slant that it is 2.5 times taller than wide
// fails the finder-pattern cross checks; widening the plane reads it.
func TestDecodeForeshortened(t *testing.T) {
	code := qrGrey(t, "https://example.org/foreshortened", 250, 4)
	g := warp(code, 640, 480, [4][2]float64{{300, 100}, {400, 115}, {400, 355}, {300, 370}})
	rs, err := mustDecoder(t, Options{}).Decode(g)
	if err != nil || len(rs) == 0 {
		t.Fatalf("default cascade: %v, %v", rs, err)
	}
	if rs[0].Text != "https://example.org/foreshortened" || rs[0].Step != "widen-x" {
		t.Errorf("read %q by %q; want the text by widen-x", rs[0].Text, rs[0].Step)
	}
	if c := rs[0].Centre(); c.X < 300 || c.X > 400 || c.Y < 100 || c.Y > 370 {
		t.Errorf("centre %v outside the code", c)
	}
	old := []string{"down2-global", "down2", "down4", "hybrid", "down2-multi", "multi", "down3", "global", "stretch"}
	if rs, _ := mustDecoder(t, Options{Steps: old}).Decode(g); len(rs) > 0 {
		t.Errorf("the cascade without the anisotropic steps read it (%q): the test no longer shows they matter", rs[0].Text)
	}
}

// TestDecodeVersion1Keystone: a version 1 code (no alignment pattern) filling the frame at a
// slant; the parallelogram estimate of its fourth corner is several modules off, and only the
// wide resample reaches the right one.
func TestDecodeVersion1Keystone(t *testing.T) {
	code := qrGrey(t, "V1 close", 210, 0)
	g := warp(code, 640, 480, [4][2]float64{{220, 100}, {420, 100}, {470, 330}, {170, 330}})
	d := mustDecoder(t, Options{Steps: []string{"hybrid"}})
	rs, err := d.Decode(g)
	if err != nil || len(rs) == 0 {
		t.Fatalf("hybrid: %v, %v", rs, err)
	}
	if rs[0].Text != "V1 close" {
		t.Errorf("read %q", rs[0].Text)
	}
	wide := resampleOffsetsWide
	resampleOffsetsWide = resampleOffsets
	defer func() { resampleOffsetsWide = wide }()
	if rs, _ := d.Decode(g); len(rs) > 0 {
		t.Errorf("read %q with the fourth corner moved by 2 modules at most: the test no longer needs the wide resample", rs[0].Text)
	}
}
