package fonts_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/font/opentype"

	"github.com/yongji-county/checkpoint/assets/fonts"
)

func parse(t *testing.T, name string, b []byte) *font.Face {
	t.Helper()
	f, err := font.ParseTTF(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

// onCurve is the bounding box (x0, y0, x1, y1) of a glyph's on-curve points, their count and
// the number of contours: the points a quadratic and the cubic drawing the same curve share.
func onCurve(f *font.Face, g font.GID) (box [4]float32, n, contours int) {
	out, ok := f.GlyphData(g).(font.GlyphOutline)
	if !ok {
		return box, 0, 0
	}
	box = [4]float32{math.MaxFloat32, math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32}
	for _, s := range out.Segments {
		args := s.ArgsSlice()
		p := args[len(args)-1]
		box = [4]float32{min(box[0], p.X), min(box[1], p.Y), max(box[2], p.X), max(box[3], p.Y)}
		n++
		if s.Op == opentype.SegmentOpMoveTo {
			contours++
		}
	}
	return box, n, contours
}

// TestCFFMatchesTTF: the kiosk's CFF font draws every character the TrueType original has, with
// the same advance, and the same outline: the same contours and on-curve points, within the same bounds to a
// unit of the 256-unit grid: a character a
// person's name needs is never lost to the conversion.
func TestCFFMatchesTTF(t *testing.T) {
	ttf, cff := parse(t, "TTF", fonts.TTF), parse(t, "CFF", fonts.CFF)
	if ttf.Upem() != cff.Upem() {
		t.Fatalf("units per em: TTF %d, CFF %d", ttf.Upem(), cff.Upem())
	}
	var runes, outlined int
	for r := rune(0x20); r <= 0x10FFFF; r++ {
		tg, ok := ttf.NominalGlyph(r)
		if !ok {
			if _, in := cff.NominalGlyph(r); in {
				t.Errorf("U+%04X: in the CFF font but not the TTF", r)
			}
			continue
		}
		runes++
		cg, ok := cff.NominalGlyph(r)
		if !ok {
			t.Errorf("U+%04X %q: missing from the CFF font", r, r)
			continue
		}
		if ta, ca := ttf.HorizontalAdvance(tg), cff.HorizontalAdvance(cg); ta != ca {
			t.Errorf("U+%04X %q: advance TTF %v, CFF %v", r, r, ta, ca)
		}
		tb, tn, tc := onCurve(ttf, tg)
		cb, cn, cc := onCurve(cff, cg)
		// A contour's closing line back to its start may be implicit in one form: one point each.
		if tc != cc || cn > tn || tn-cn > tc {
			t.Errorf("U+%04X %q: %d contours, %d on-curve points in the TTF; %d, %d in the CFF", r, r, tc, tn, cc, cn)
			continue
		}
		if tn > 0 {
			outlined++
		}
		for i := range tb {
			if math.Abs(float64(tb[i]-cb[i])) > 1 {
				t.Errorf("U+%04X %q: outline bounds TTF %v, CFF %v", r, r, tb, cb)
				break
			}
		}
	}
	if runes < 28000 || outlined < 27000 {
		t.Errorf("only %d characters (%d drawn) in the TTF: want the whole of Droid Sans Fallback", runes, outlined)
	}
	t.Logf("%d characters, %d with outlines, equal in both forms", runes, outlined)
}
