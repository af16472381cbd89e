// Package qrpng renders a QR symbol as a crisp PNG: whole pixels per module, the quiet zone
// included, two colours. The citizen pages show codes with it, the console the TOTP enrolment.
package qrpng

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Scale is the pixels per module of the PNG. The page shows it at a whole number of device
// pixels per module, so a phone's screen gets sharp module edges.
const Scale = 8

// Render renders text as a QR symbol at error-correction level M with the 4-module quiet zone,
// Scale pixels per module, in a two-colour PNG. It returns the PNG and the symbol's width in
// modules, quiet zone included.
func Render(text string) ([]byte, int, error) {
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: "M",
		gozxing.EncodeHintType_MARGIN:           4,
	}
	// Width and height 0: one pixel per module, which we scale by a whole number ourselves.
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		return nil, 0, fmt.Errorf("qrpng: %w", err)
	}
	n := m.GetWidth()
	img := image.NewPaletted(image.Rect(0, 0, n*Scale, n*Scale), color.Palette{color.White, color.Black})
	for y := range n {
		for x := range n {
			if !m.Get(x, y) {
				continue
			}
			for dy := range Scale {
				row := img.Pix[(y*Scale+dy)*img.Stride:]
				for dx := range Scale {
					row[x*Scale+dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, 0, fmt.Errorf("qrpng png: %w", err)
	}
	return buf.Bytes(), n, nil
}
