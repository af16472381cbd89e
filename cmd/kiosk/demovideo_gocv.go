//go:build gocv

package main

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"gocv.io/x/gocv"
)

// videoSupport reports whether this build plays and writes video (the gocv tag).
const videoSupport = true

// writeDemoVideo renders the demo camera's clip to path (MJPG .avi, what a webcam delivers): one
// loop of demoLoopFrames frames at demoFPS in which a phone showing text as a QR code comes into
// view, is held up with the drift and tilt of a hand, and leaves; the scene then stays empty for
// longer than the scanner's dedupe window, so each loop reads the code afresh.
func writeDemoVideo(path, text string, w, h int) error {
	phone, err := demoPhone(text)
	if err != nil {
		return err
	}
	defer phone.Close()
	bg := demoBackground(w, h)
	defer bg.Close()
	tmp := path + ".tmp.avi"
	vw, err := gocv.VideoWriterFile(tmp, "MJPG", demoFPS, w, h, true)
	if err != nil {
		return fmt.Errorf("demo video: %w", err)
	}
	if !vw.IsOpened() {
		vw.Close()
		return errors.New("demo video: OpenCV cannot write MJPG video")
	}
	rng := rand.New(rand.NewPCG(3, 5))
	for i := range demoLoopFrames {
		f := demoFrame(phone, bg, i, rng)
		err := vw.Write(f)
		f.Close()
		if err != nil {
			vw.Close()
			os.Remove(tmp)
			return fmt.Errorf("demo video: frame %d: %w", i, err)
		}
	}
	if err := vw.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("demo video: %w", err)
	}
	return os.Rename(tmp, path)
}

// demoStill is one frame of the demo clip with the phone held up: the scan screen's preview in
// the screenshot tour, which must not depend on when the shot is taken.
func demoStill(text string, w, h int) (image.Image, error) {
	phone, err := demoPhone(text)
	if err != nil {
		return nil, err
	}
	defer phone.Close()
	bg := demoBackground(w, h)
	defer bg.Close()
	f := demoFrame(phone, bg, demoLoopFrames*35/100, rand.New(rand.NewPCG(3, 5)))
	defer f.Close()
	return f.ToImage()
}

// Phone picture size: a portrait screen with a bezel.
const demoPhoneW, demoPhoneH = 400, 700

// demoPhone draws the phone: a bezel, a green header as a health-code page has, the code on a
// white card and a few lines of text, with the screen's pixel grid.
func demoPhone(text string) (gocv.Mat, error) {
	const pw, ph = demoPhoneW, demoPhoneH
	hints := map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: 2, gozxing.EncodeHintType_ERROR_CORRECTION: "M"}
	code, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 356, 356, hints)
	if err != nil {
		return gocv.Mat{}, fmt.Errorf("demo video: encode the code: %w", err)
	}
	pix := make([]byte, pw*ph*3)
	set := func(x, y int, c [3]byte) { copy(pix[(y*pw+x)*3:], c[:]) }
	bezel, header, paper, ink := [3]byte{25, 25, 28}, [3]byte{78, 160, 34}, [3]byte{246, 246, 242}, [3]byte{20, 20, 20}
	for y := range ph {
		for x := range pw {
			switch {
			case x < 12 || x >= pw-12 || y < 36 || y >= ph-44:
				set(x, y, bezel)
			case y < 120:
				set(x, y, header)
			case y > 560 && y < 574 && x > 50 && x < 350, y > 594 && y < 608 && x > 50 && x < 270:
				set(x, y, [3]byte{110, 110, 110})
			default:
				set(x, y, paper)
			}
		}
	}
	ox, oy := (pw-code.GetWidth())/2, 150
	for y := range code.GetHeight() {
		for x := range code.GetWidth() {
			if code.Get(x, y) {
				set(ox+x, oy+y, ink)
			}
		}
	}
	for y := 36; y < ph-44; y++ {
		for x := 12; x < pw-12; x++ {
			if x%3 == 0 || y%3 == 0 {
				o := (y*pw + x) * 3
				for c := range 3 {
					pix[o+c] = byte(int(pix[o+c]) * 80 / 100)
				}
			}
		}
	}
	m, err := gocv.NewMatFromBytes(ph, pw, gocv.MatTypeCV8UC3, pix)
	if err != nil {
		return gocv.Mat{}, fmt.Errorf("demo video: %w", err)
	}
	white := color.RGBA{255, 255, 255, 0}
	gocv.PutText(&m, "DEMO", image.Pt(30, 92), gocv.FontHersheyDuplex, 1.6, white, 3)
	gocv.PutText(&m, "Health code", image.Pt(200, 88), gocv.FontHersheySimplex, 0.8, white, 2)
	return m, nil
}

// demoBackground is a wall and a desk: gradients and plank edges.
func demoBackground(w, h int) gocv.Mat {
	pix := make([]byte, w*h*3)
	for y := range h {
		for x := range w {
			l := 120 + 60*x/w - 40*y/h
			if y > h*3/4 {
				l = 90 + (x*16/w)%2*10
			}
			o := (y*w + x) * 3
			pix[o], pix[o+1], pix[o+2] = byte(l), byte(l+5), byte(l+12)
		}
	}
	m, _ := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, pix)
	return m
}

// demoPose is where the phone is in frame i: its centre (fractions of the frame), its height
// (fraction of the frame's), its turn (radians) and its tilt away from the camera; ok is false
// when the phone is out of view.
func demoPose(i int) (cx, cy, scale, turn, tilt float64, ok bool) {
	t := float64(i) / demoFPS // seconds into the loop
	const in, hold, out, gone = 0.5, 1.5, 6.0, 7.0
	if t < in || t >= gone {
		return 0, 0, 0, 0, 0, false
	}
	cx, cy = 0.5, 0.5
	switch {
	case t < hold: // comes up from the lower right
		p := 1 - (t-in)/(hold-in)
		cx, cy = 0.5+0.55*p*p, 0.5+0.6*p*p
	case t >= out: // goes away to the left
		p := (t - out) / (gone - out)
		cx = 0.5 - 0.8*p*p
	}
	drift := t - hold
	scale = 0.90 + 0.06*math.Sin(2*math.Pi*drift/3.1)
	turn = 0.11 * math.Sin(2*math.Pi*drift/4.3)
	tilt = 0.08 + 0.06*math.Sin(2*math.Pi*drift/2.7)
	cx += 0.03 * math.Sin(2*math.Pi*drift/3.7)
	return cx, cy, scale, turn, tilt, true
}

// demoFrame puts the phone into the scene at frame i's pose, with a little hand shake, blur and
// sensor noise.
func demoFrame(phone, bg gocv.Mat, i int, rng *rand.Rand) gocv.Mat {
	w, h := float64(bg.Cols()), float64(bg.Rows())
	out := bg.Clone()
	if cx, cy, scale, turn, tilt, ok := demoPose(i); ok {
		ph := scale * h
		pw := ph * demoPhoneW / demoPhoneH
		// Corners around the centre; the top edge is narrower (the phone leans back).
		local := [4][2]float64{
			{-pw / 2 * (1 - tilt), -ph / 2}, {pw / 2 * (1 - tilt), -ph / 2},
			{pw / 2 * (1 + tilt), ph / 2}, {-pw / 2 * (1 + tilt), ph / 2},
		}
		s, c := math.Sin(turn), math.Cos(turn)
		var dst []image.Point
		for _, p := range local {
			x := cx*w + p[0]*c - p[1]*s + rng.Float64()*3 - 1.5
			y := cy*h + p[0]*s + p[1]*c + rng.Float64()*3 - 1.5
			dst = append(dst, image.Pt(int(x), int(y)))
		}
		src := gocv.NewPointVectorFromPoints([]image.Point{{0, 0}, {phone.Cols(), 0}, {phone.Cols(), phone.Rows()}, {0, phone.Rows()}})
		dv := gocv.NewPointVectorFromPoints(dst)
		m := gocv.GetPerspectiveTransform(src, dv)
		gocv.WarpPerspectiveWithParams(phone, &out, m, image.Pt(bg.Cols(), bg.Rows()), gocv.InterpolationLinear, gocv.BorderTransparent, color.RGBA{})
		m.Close()
		dv.Close()
		src.Close()
	}
	gocv.GaussianBlur(out, &out, image.Pt(3, 3), 0.8, 0.8, gocv.BorderDefault)
	noise := gocv.NewMatWithSize(out.Rows(), out.Cols(), gocv.MatTypeCV8UC3)
	gocv.RandN(&noise, gocv.NewScalar(0, 0, 0, 0), gocv.NewScalar(6, 6, 6, 0))
	gocv.Add(out, noise, &out)
	noise.Close()
	return out
}
