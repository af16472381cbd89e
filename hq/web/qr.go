package web

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sync"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// qrScale is the pixels per module of the PNG. The page shows it at a whole number of device
// pixels per module, so a phone's screen gets sharp module edges.
const qrScale = 8

// qrPNG renders text as a QR symbol at error-correction level M with the 4-module quiet zone,
// qrScale pixels per module, in a two-colour PNG. It returns the PNG and the symbol's width in
// modules, quiet zone included.
func qrPNG(text string) ([]byte, int, error) {
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: "M",
		gozxing.EncodeHintType_MARGIN:           4,
	}
	// Width and height 0: one pixel per module, which we scale by a whole number ourselves.
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		return nil, 0, fmt.Errorf("web: qr: %w", err)
	}
	n := m.GetWidth()
	img := image.NewPaletted(image.Rect(0, 0, n*qrScale, n*qrScale), color.Palette{color.White, color.Black})
	for y := range n {
		for x := range n {
			if !m.Get(x, y) {
				continue
			}
			for dy := range qrScale {
				row := img.Pix[(y*qrScale+dy)*img.Stride:]
				for dx := range qrScale {
					row[x*qrScale+dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, 0, fmt.Errorf("web: qr png: %w", err)
	}
	return buf.Bytes(), n, nil
}

// qrCacheMax bounds the PNGs kept; past it the cache starts afresh.
const qrCacheMax = 4096

// qrCache keeps the PNGs of the codes shown lately: the core hands out the same code for up to a
// minute, and a page (or many, behind one account) may ask for it again meanwhile.
type qrCache struct {
	mu sync.Mutex
	m  map[string]qrEntry
}

type qrEntry struct {
	png     []byte
	modules int
}

// get returns the PNG of text, rendering it on a miss.
func (c *qrCache) get(text string) ([]byte, int, error) {
	c.mu.Lock()
	e, ok := c.m[text]
	c.mu.Unlock()
	if ok {
		return e.png, e.modules, nil
	}
	png, n, err := qrPNG(text)
	if err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= qrCacheMax {
		c.m = make(map[string]qrEntry)
	}
	c.m[text] = qrEntry{png: png, modules: n}
	c.mu.Unlock()
	return png, n, nil
}
