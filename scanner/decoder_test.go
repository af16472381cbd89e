package scanner

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// qrGrey renders text as a QR code of size×size pixels (quiet zone included) with gozxing's
// encoder: the project's own test images, so the basics are covered without the shared corpus.
func qrGrey(t testing.TB, text string, size, margin int) Grey {
	t.Helper()
	hints := map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: margin, gozxing.EncodeHintType_ERROR_CORRECTION: "M"}
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, size, size, hints)
	if err != nil {
		t.Fatalf("encode %q: %v", text, err)
	}
	g := NewGrey(m.GetWidth(), m.GetHeight())
	for y := 0; y < g.Height; y++ {
		for x := 0; x < g.Width; x++ {
			if !m.Get(x, y) {
				g.Pix[y*g.Stride+x] = 255
			}
		}
	}
	return g
}

// paste copies src into dst at (x0, y0).
func paste(dst, src Grey, x0, y0 int) {
	for y := 0; y < src.Height; y++ {
		copy(dst.Pix[(y0+y)*dst.Stride+x0:], src.Row(y))
	}
}

func blank(w, h int, v byte) Grey {
	g := NewGrey(w, h)
	for i := range g.Pix {
		g.Pix[i] = v
	}
	return g
}

func mustDecoder(t testing.TB, opts Options) *Decoder {
	t.Helper()
	d, err := NewDecoder(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestDecodeGenerated(t *testing.T) {
	const text = "HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH-R6IOO6+IUKRG*I.I1"
	plain := qrGrey(t, text, 300, 4)
	inverted := invert(nil, plain)
	small := qrGrey(t, text, 90, 1)
	framed := blank(640, 480, 200)
	paste(framed, qrGrey(t, text, 200, 2), 380, 40)
	strided := Grey{Width: 300, Height: 300, Stride: 320, Pix: make([]byte, 320*300)}
	for y := range 300 {
		copy(strided.Pix[y*320:], plain.Row(y))
	}
	for _, tc := range []struct {
		name string
		g    Grey
	}{
		{"plain", plain},
		{"inverted (dark mode)", inverted},
		{"small", small},
		{"off-centre in a frame", framed},
		{"stride wider than width", strided},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := mustDecoder(t, Options{}).Decode(tc.g)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 || rs[0].Text != text {
				t.Fatalf("Decode = %+v; want %q", rs, text)
			}
			if len(rs[0].Points) != 4 {
				t.Fatalf("points = %v; want 4 corners", rs[0].Points)
			}
		})
	}
}

func TestDecodeCorners(t *testing.T) {
	// A 29-module code (version 3) at 10 px per module with a 4-module quiet zone: the symbol
	// spans 40..330 px.
	g := qrGrey(t, strings.Repeat("CHECKPOINT", 5), 370, 4)
	rs, err := mustDecoder(t, Options{}).Decode(g)
	if err != nil || len(rs) == 0 {
		t.Fatalf("Decode = %v, %v", rs, err)
	}
	want := []Point{{40, 40}, {330, 40}, {330, 330}, {40, 330}}
	for i, p := range rs[0].Points {
		if math.Hypot(p.X-want[i].X, p.Y-want[i].Y) > 6 {
			t.Errorf("corner %d = %v; want %v ± 6 px", i, p, want[i])
		}
	}
}

func TestDecodeNothing(t *testing.T) {
	d := mustDecoder(t, Options{})
	for _, g := range []Grey{blank(640, 480, 0), blank(640, 480, 255), blank(21, 21, 128), blank(1, 1, 0)} {
		rs, err := d.Decode(g)
		if err != nil || len(rs) != 0 {
			t.Errorf("Decode(%dx%d blank) = %v, %v; want nothing", g.Width, g.Height, rs, err)
		}
	}
}

func TestDecodeBadGeometry(t *testing.T) {
	d := mustDecoder(t, Options{})
	for _, g := range []Grey{
		{},
		{Width: 10, Height: 10, Stride: 10, Pix: make([]byte, 99)},
		{Width: 10, Height: 10, Stride: 5, Pix: make([]byte, 100)},
		{Width: -1, Height: 10, Stride: 10, Pix: make([]byte, 100)},
		{Width: 1 << 20, Height: 1 << 20, Stride: 1 << 20, Pix: make([]byte, 10)},
	} {
		if _, err := d.Decode(g); err == nil {
			t.Errorf("Decode(%dx%d stride %d, %d bytes) = nil error; want ErrBadFrame", g.Width, g.Height, g.Stride, len(g.Pix))
		}
	}
}

func TestDecodeSeveralCodesLargestFirst(t *testing.T) {
	g := blank(800, 600, 255)
	paste(g, qrGrey(t, "small poster", 150, 2), 20, 20)
	paste(g, qrGrey(t, "the presented code", 330, 2), 300, 180)
	rs, err := mustDecoder(t, Options{Steps: []string{"multi"}}).Decode(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Text != "the presented code" || rs[1].Text != "small poster" {
		t.Fatalf("Decode = %v; want the presented code first, then the poster", texts(rs))
	}
}

func texts(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Text)
	}
	return out
}

func TestRank(t *testing.T) {
	sq := func(cx, cy, half float64, text string) Result {
		return Result{Text: text, Points: []Point{{cx - half, cy - half}, {cx + half, cy - half}, {cx + half, cy + half}, {cx - half, cy + half}}}
	}
	for _, tc := range []struct {
		name string
		in   []Result
		want string
	}{
		{"larger wins", []Result{sq(320, 240, 20, "small"), sq(320, 240, 80, "large")}, "large"},
		{"same size: central wins", []Result{sq(40, 40, 30, "corner"), sq(330, 230, 30, "centre")}, "centre"},
		{"much larger at the edge still wins", []Result{sq(320, 240, 20, "centre"), sq(100, 100, 90, "edge")}, "edge"},
	} {
		rank(tc.in, 640, 480)
		if tc.in[0].Text != tc.want {
			t.Errorf("%s: rank first = %q; want %q", tc.name, tc.in[0].Text, tc.want)
		}
	}
}

func TestNewDecoderUnknownStep(t *testing.T) {
	if _, err := NewDecoder(Options{Steps: []string{"hybrid", "nonsense"}}); err == nil {
		t.Fatal("NewDecoder with an unknown step: nil error")
	}
}

func TestJoinAppend(t *testing.T) {
	parts := []Result{
		{Text: "c", Append: &Append{Index: 2, Total: 3, Parity: 7}},
		{Text: "a", Append: &Append{Index: 0, Total: 3, Parity: 7}},
		{Text: "b", Append: &Append{Index: 1, Total: 3, Parity: 7}},
	}
	if got, ok := JoinAppend(parts); !ok || got != "abc" {
		t.Errorf("JoinAppend = %q, %v; want abc, true", got, ok)
	}
	if _, ok := JoinAppend(parts[:2]); ok {
		t.Error("JoinAppend with a part missing: ok")
	}
}

func TestGreyFromImage(t *testing.T) {
	r := image.Rect(0, 0, 4, 3)
	rgba := image.NewRGBA(r)
	nrgba := image.NewNRGBA(r)
	gray := image.NewGray(r)
	pal := image.NewPaletted(r, color.Palette{color.Black, color.White})
	ycc := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	for y := range 3 {
		for x := range 4 {
			v := uint8(60 * x)
			rgba.Set(x, y, color.RGBA{v, v, v, 255})
			nrgba.Set(x, y, color.NRGBA{v, v, v, 255})
			gray.SetGray(x, y, color.Gray{v})
			ycc.Y[ycc.YOffset(x, y)] = v
			pal.SetColorIndex(x, y, uint8(x&1))
		}
	}
	for _, img := range []image.Image{rgba, nrgba, gray, ycc, image.NewGray16(r)} {
		g := GreyFromImage(img)
		if err := g.Validate(); err != nil || g.Width != 4 || g.Height != 3 {
			t.Fatalf("GreyFromImage(%T) = %dx%d, %v", img, g.Width, g.Height, err)
		}
	}
	for _, img := range []image.Image{rgba, nrgba, gray, ycc} {
		g := GreyFromImage(img)
		if got := g.Row(1)[2]; got < 118 || got > 122 {
			t.Errorf("GreyFromImage(%T) at (2,1) = %d; want 120", img, got)
		}
	}
	if g := GreyFromImage(pal); g.Row(0)[0] != 0 || g.Row(0)[1] != 255 {
		t.Errorf("GreyFromImage(paletted) row 0 = %v", g.Row(0))
	}
	// Transparent pixels are white, as the paper behind them.
	clear(nrgba.Pix)
	if g := GreyFromImage(nrgba); g.Row(0)[0] != 255 {
		t.Errorf("transparent NRGBA pixel = %d; want 255", g.Row(0)[0])
	}
	if g := GreyFromImage(image.NewRGBA(image.Rect(0, 0, 0, 0))); g.Validate() == nil {
		t.Error("empty image gave a valid plane")
	}
}

func TestReadImage(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "code.png")
	writePNG(t, good, qrGrey(t, "file test", 200, 4))
	bad := filepath.Join(dir, "bad.png")
	os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
	g, err := ReadImage(good)
	if err != nil || g.Width != 200 {
		t.Fatalf("ReadImage(good) = %dx%d, %v", g.Width, g.Height, err)
	}
	for _, p := range []string{bad, filepath.Join(dir, "missing.png"), dir} {
		if _, err := ReadImage(p); err == nil {
			t.Errorf("ReadImage(%s) = nil error", filepath.Base(p))
		}
	}
}

func writePNG(t testing.TB, path string, g Grey) {
	t.Helper()
	img := &image.Gray{Pix: g.Pix, Stride: g.Stride, Rect: image.Rect(0, 0, g.Width, g.Height)}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func TestTransforms(t *testing.T) {
	g := NewGrey(5, 3)
	for i := range g.Pix {
		g.Pix[i] = byte(10 * i)
	}
	if d := downscale2(nil, g); d.Width != 2 || d.Height != 1 || d.Pix[0] != byte((0+10+50+60+2)/4) {
		t.Errorf("downscale2 = %+v", d)
	}
	if d := downscaleBy(nil, g, 3); d.Width != 1 || d.Height != 1 || d.Pix[0] != 60 {
		t.Errorf("downscaleBy 3 = %+v", d)
	}
	if u := upscale2(nil, g); u.Width != 10 || u.Height != 6 || u.Pix[0] != 0 || u.Pix[len(u.Pix)-1] != 140 {
		t.Errorf("upscale2 = %+v", u)
	}
	if inv := invert(nil, g); inv.Pix[0] != 255 {
		t.Errorf("invert = %+v", inv)
	}
	dim := blank(50, 50, 100)
	for i := range 25 * 50 {
		dim.Pix[i] = 140
	}
	if s, ok := stretch(nil, dim); !ok || s.Pix[0] != 255 || s.Pix[len(s.Pix)-1] != 0 {
		t.Errorf("stretch = %v, %v", ok, s.Pix[:2])
	}
}

// FuzzDecode feeds arbitrary planes to the cascade: nothing may panic on any input.
func FuzzDecode(f *testing.F) {
	code := qrGrey(f, "fuzz", 60, 1)
	f.Add(60, 60, code.Pix)
	f.Add(30, 20, make([]byte, 600))
	d, err := NewDecoder(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, w, h int, pix []byte) {
		if w > 0 && h > 0 && w*h > 1<<20 {
			return
		}
		d.Decode(Grey{Width: w, Height: h, Stride: max(w, 0), Pix: pix})
	})
}

// countingFallback records the planes the Decoder hands its fallback and reads nothing.
type countingFallback struct{ sizes [][2]int }

func (c *countingFallback) Decode(g Grey) ([]Result, error) {
	c.sizes = append(c.sizes, [2]int{g.Width, g.Height})
	return nil, nil
}
func (c *countingFallback) Close() error { return nil }

// TestFallbackOnceForFramefillingCode: a located but unreadable code that fills the picture is
// handed to the fallback once, as the whole frame, and not again by the whole-picture fallback.
func TestFallbackOnceForFramefillingCode(t *testing.T) {
	code := qrGrey(t, "https://example.org/a-code-that-fills-the-whole-picture", 440, 1)
	// Wipe the data region between the finder patterns so that Reed-Solomon fails but the
	// detector still locates the symbol.
	for y := 120; y < 320; y++ {
		for x := 120; x < 320; x++ {
			code.Pix[y*code.Stride+x] = byte(255 * ((x / 13) % 2))
		}
	}
	fb := &countingFallback{}
	d := mustDecoder(t, Options{Fallback: fb})
	rs, err := d.Decode(code)
	if err != nil || len(rs) != 0 {
		t.Fatalf("decoded %v, %v from a wiped code", rs, err)
	}
	if len(d.candidates) == 0 {
		t.Fatal("the detector did not locate the wiped code: the test shows nothing")
	}
	if len(fb.sizes) != 1 || fb.sizes[0] != [2]int{code.Width, code.Height} {
		t.Errorf("fallback saw planes %v; want the %dx%d frame once", fb.sizes, code.Width, code.Height)
	}
}

// spotFallback is a sizedFallback that reports a code at the centre of every crop DecodeAt is
// given (as WeChat places it, in the crop's coordinates) and records the crops; Decode (the
// whole picture) reads nothing.
type spotFallback struct {
	countingFallback
	crops [][3]int // width, height, maxSide
}

func (s *spotFallback) DecodeAt(g Grey, maxSide int) ([]Result, error) {
	s.crops = append(s.crops, [3]int{g.Width, g.Height, maxSide})
	cx, cy := float64(g.Width)/2, float64(g.Height)/2
	return []Result{{Text: "spot", Points: []Point{{cx - 5, cy - 5}, {cx + 5, cy - 5}, {cx + 5, cy + 5}, {cx - 5, cy + 5}}}}, nil
}

// TestFallbackSpots: a small code whose third finder pattern is gone (a logo, a curve) in a
// large photo is found by none of the cascade's steps, but its two finder patterns are; the
// fallback is handed a crop around them, doubled, and the code is placed in the frame there.
func TestFallbackSpots(t *testing.T) {
	code := qrGrey(t, "HC1:SPOT", 84, 1) // version 1: 21 modules + quiet zone, 3.6 px a module
	mod := code.Width / 23
	for y := 0; y < 8*mod; y++ { // the top-right finder pattern
		for x := code.Width - 9*mod; x < code.Width; x++ {
			code.Pix[y*code.Stride+x] = 255
		}
	}
	g := blank(1280, 960, 230)
	paste(g, code, 700, 300)
	fb := &spotFallback{}
	d := mustDecoder(t, Options{Fallback: fb})
	rs, err := d.Decode(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Step != "fallback-spots" {
		t.Fatalf("decoded %+v; want one code from fallback-spots (spots %v, candidates %v)", rs, d.spots, d.candidates)
	}
	c := rs[0].Centre()
	if c.X < 700 || c.X > 700+float64(code.Width) || c.Y < 300 || c.Y > 300+float64(code.Height) {
		t.Errorf("code placed at %v; want inside the pasted code at (700,300)+%d", c, code.Width)
	}
	if len(fb.crops) == 0 || max(fb.crops[0][0], fb.crops[0][1]) > 2*spotUpscaleBelow || fb.crops[0][0] < 2*code.Width/2 {
		t.Errorf("crops %v: want a doubled crop around the code", fb.crops)
	}
	if len(fb.sizes) != 0 {
		t.Errorf("the whole-picture fallback ran (%v) after fallback-spots read the code", fb.sizes)
	}
}

// TestFallbackNoSpotsWithoutFinders: on a frame without finder patterns fallback-spots hands the
// fallback nothing, and the whole-picture fallback runs once.
func TestFallbackNoSpotsWithoutFinders(t *testing.T) {
	g := blank(1280, 960, 128)
	for i := range g.Pix {
		g.Pix[i] = byte(i*7919>>3) | 0x40
	}
	fb := &spotFallback{}
	d := mustDecoder(t, Options{Fallback: fb})
	if rs, _ := d.Decode(g); len(rs) != 0 {
		t.Fatalf("decoded %+v from noise", rs)
	}
	if len(fb.crops) > len(d.spots) || len(fb.sizes) != 1 {
		t.Errorf("crops %v for spots %v, whole-picture calls %v", fb.crops, d.spots, fb.sizes)
	}
}

func TestSameCrop(t *testing.T) {
	big := image.Rect(0, 400, 620, 1100)
	for _, c := range []struct {
		b    image.Rectangle
		want bool
	}{
		{image.Rect(10, 480, 650, 1060), true},  // nearly the same box
		{image.Rect(24, 546, 302, 777), false},  // a tight box inside the wide one
		{image.Rect(167, 424, 670, 729), false}, // mostly inside, a third of the area
		{image.Rect(700, 0, 900, 300), false},   // apart
	} {
		if got := sameCrop(big, c.b); got != c.want {
			t.Errorf("sameCrop(%v, %v) = %v; want %v", big, c.b, got, c.want)
		}
	}
}

func TestPlaceIn(t *testing.T) {
	r := image.Rect(100, 200, 300, 400)
	q := []Point{{1, 1}, {2, 1}, {2, 2}, {1, 2}}
	whole := []Point{{0, 0}, {200, 0}, {200, 200}, {0, 200}}
	if got := placeIn(whole, r, q); !slices.Equal(got, q) {
		t.Errorf("not placed by the fallback: %v; want the located symbol %v", got, q)
	}
	in := []Point{{10, 20}, {50, 20}, {50, 60}, {10, 60}}
	want := []Point{{110, 220}, {150, 220}, {150, 260}, {110, 260}}
	if got := placeIn(in, r, q); !slices.Equal(got, want) {
		t.Errorf("placed %v; want %v", got, want)
	}
}

// TestResampleBudget: a dense code that is located but does not decode is resampled until the
// plane's budget is spent, and no further.
func TestResampleBudget(t *testing.T) {
	code := qrGrey(t, strings.Repeat("HC1:A-DENSE-CODE-THAT-NEEDS-A-HIGH-VERSION ", 12), 900, 1)
	for y := 120; y < 780; y++ { // wipe the middle: the finder patterns stay, Reed-Solomon fails
		for x := 120; x < 780; x++ {
			code.Pix[y*code.Stride+x] = byte(255 * ((x / 7) % 2))
		}
	}
	d := mustDecoder(t, Options{})
	if rs, _ := d.Decode(code); len(rs) != 0 {
		t.Fatalf("decoded %v from a wiped code", texts(rs))
	}
	if len(d.candidates) == 0 {
		t.Fatal("the wiped code was not located: the test shows nothing")
	}
	// Spent: less is left than one sample of the largest grid (version 40, 177×177).
	if d.resampleLeft < 0 || d.resampleLeft >= 177*177 {
		t.Errorf("resample left %d of %d modules; want the budget spent and not overdrawn", d.resampleLeft, resampleBudget)
	}
}

// TestROICoversFrame: a crop covering most of the picture stands for the whole-picture
// fallback (WeChat would search the same pixels again); a smaller one does not.
func TestROICoversFrame(t *testing.T) {
	g := blank(240, 240, 200)
	d := mustDecoder(t, Options{})
	d.roiTried = []image.Rectangle{image.Rect(18, 5, 210, 237)} // 77 % of the picture
	if !d.roiCoversFrame(g) {
		t.Errorf("a crop of 77%% of the picture does not stand for it")
	}
	d.roiTried = []image.Rectangle{image.Rect(0, 0, 120, 240), image.Rect(120, 0, 240, 120)}
	if d.roiCoversFrame(g) {
		t.Errorf("crops of 50%% and 25%% of the picture stand for it")
	}
}

// blindFallback is a sizedFallback that reads nothing and records the planes it was handed
// (width, height, the longest side it was asked to search; 720 for Decode).
type blindFallback struct{ calls [][3]int }

func (b *blindFallback) Decode(g Grey) ([]Result, error) { return b.DecodeAt(g, 720) }
func (b *blindFallback) DecodeAt(g Grey, maxSide int) ([]Result, error) {
	b.calls = append(b.calls, [3]int{g.Width, g.Height, maxSide})
	return nil, nil
}
func (b *blindFallback) Close() error { return nil }

// TestFallbackBudgetPerPlane: on a photo with many located but unreadable symbols and lone
// finder patterns, none of which the fallback reads, the fallback is handed at most
// fallbackMaxCalls planes and fallbackPixelBudget searched pixels in all (crops, spots and the
// whole picture together), and the next plane gets a fresh budget.
func TestFallbackBudgetPerPlane(t *testing.T) {
	g := blank(1280, 960, 200)
	fb := &blindFallback{}
	d := mustDecoder(t, Options{Fallback: fb})
	square := func(x, y, s float64) []Point { return []Point{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}} }
	for plane := range 2 {
		fb.calls = nil
		d.newPlane()
		d.candidates = append(d.candidates, square(50, 50, 500), square(700, 50, 400), square(50, 600, 250), square(700, 600, 200))
		d.spots = append(d.spots, image.Rect(600, 500, 900, 800), image.Rect(100, 100, 300, 300))
		for _, s := range []func(Grey) []Result{d.fallbackROI, d.fallbackSpots, func(g Grey) []Result { return d.fallbackOn(g, 1) }} {
			if rs := s(g); len(rs) != 0 {
				t.Fatalf("plane %d: read %+v with a fallback that reads nothing", plane, rs)
			}
		}
		px := 0
		for _, c := range fb.calls {
			px += searchedPixels(image.Rect(0, 0, c[0], c[1]), c[2])
		}
		if len(fb.calls) == 0 || len(fb.calls) > fallbackMaxCalls || px > fallbackPixelBudget {
			t.Errorf("plane %d: fallback handed %v (%d pixels searched); want 1–%d calls within %d pixels", plane, fb.calls, px, fallbackMaxCalls, fallbackPixelBudget)
		}
		for _, c := range fb.calls {
			if c[0] == g.Width && c[1] == g.Height {
				t.Errorf("plane %d: the whole picture was searched after the crops had spent the budget (%v)", plane, fb.calls)
			}
		}
	}
	// Without candidates or spots the whole picture is searched.
	fb.calls = nil
	d.newPlane()
	d.fallbackOn(g, 1)
	if len(fb.calls) != 1 {
		t.Errorf("whole-picture fallback on a fresh plane: calls %v; want one", fb.calls)
	}
}
