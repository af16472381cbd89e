package scanner

import (
	"errors"
	"fmt"
	"image"
	"image/color"
)

// ErrBadFrame reports a grey plane whose size, stride and buffer do not fit together.
var ErrBadFrame = errors.New("scanner: bad frame geometry")

// Grey is an 8-bit luminance plane: pixel (x, y) is Pix[y*Stride+x], 0 black, 255 white.
// It is what every Source produces and what the Decoder reads, so a camera frame is decoded
// without any per-pixel image.Image conversion.
type Grey struct {
	Width, Height, Stride int
	Pix                   []byte
}

// NewGrey allocates a zeroed plane of the given size.
func NewGrey(width, height int) Grey {
	if width < 0 || height < 0 {
		width, height = 0, 0
	}
	return Grey{Width: width, Height: height, Stride: width, Pix: make([]byte, width*height)}
}

// Validate reports whether the geometry is consistent; decoding an invalid plane would index
// out of range.
func (g Grey) Validate() error {
	switch {
	case g.Width <= 0 || g.Height <= 0:
		return fmt.Errorf("%w: size %dx%d", ErrBadFrame, g.Width, g.Height)
	case g.Stride < g.Width:
		return fmt.Errorf("%w: stride %d < width %d", ErrBadFrame, g.Stride, g.Width)
	case g.Height > (1<<31)/g.Stride:
		return fmt.Errorf("%w: %dx%d too large", ErrBadFrame, g.Width, g.Height)
	case len(g.Pix) < (g.Height-1)*g.Stride+g.Width:
		return fmt.Errorf("%w: buffer %d bytes for %dx%d stride %d", ErrBadFrame, len(g.Pix), g.Width, g.Height, g.Stride)
	}
	return nil
}

// Row returns the pixels of row y.
func (g Grey) Row(y int) []byte {
	o := y * g.Stride
	return g.Pix[o : o+g.Width : o+g.Width]
}

// Compact returns the plane with Stride == Width, copying only when needed.
func (g Grey) Compact() Grey {
	if g.Stride == g.Width {
		return g
	}
	out := NewGrey(g.Width, g.Height)
	for y := 0; y < g.Height; y++ {
		copy(out.Pix[y*g.Width:], g.Row(y))
	}
	return out
}

// Clone returns a compact copy that does not share memory with g, for keeping a frame beyond
// the callback that received it.
func (g Grey) Clone() Grey {
	out := NewGrey(g.Width, g.Height)
	for y := 0; y < g.Height; y++ {
		copy(out.Pix[y*g.Width:], g.Row(y))
	}
	return out
}

// GreyFromImage converts a decoded picture to luminance. The common concrete types (grey, YCbCr
// from JPEG, RGBA/NRGBA and paletted from PNG) take fast paths; a YCbCr image shares its Y plane.
// Transparent pixels count as white, as a screen or paper behind them would be.
func GreyFromImage(img image.Image) Grey {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return Grey{}
	}
	switch m := img.(type) {
	case *image.Gray:
		return Grey{Width: w, Height: h, Stride: m.Stride, Pix: m.Pix[m.PixOffset(b.Min.X, b.Min.Y):]}
	case *image.YCbCr:
		return Grey{Width: w, Height: h, Stride: m.YStride, Pix: m.Y[m.YOffset(b.Min.X, b.Min.Y):]}
	case *image.RGBA:
		g := NewGrey(w, h)
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := g.Pix[y*w : y*w+w]
			for x := range dst {
				p := src[4*x : 4*x+4 : 4*x+4]
				// Premultiplied: composite over white by adding the missing alpha.
				dst[x] = clampByte(lum(p[0], p[1], p[2]) + 255 - int(p[3]))
			}
		}
		return g
	case *image.NRGBA:
		g := NewGrey(w, h)
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := g.Pix[y*w : y*w+w]
			for x := range dst {
				p := src[4*x : 4*x+4 : 4*x+4]
				a := int(p[3])
				dst[x] = byte((lum(p[0], p[1], p[2])*a + 255*(255-a) + 127) / 255)
			}
		}
		return g
	case *image.Paletted:
		var pal [256]byte
		for i, c := range m.Palette {
			if i < 256 {
				pal[i] = colorLum(c)
			}
		}
		g := NewGrey(w, h)
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := g.Pix[y*w : y*w+w]
			for x := range dst {
				dst[x] = pal[src[x]]
			}
		}
		return g
	default:
		g := NewGrey(w, h)
		for y := 0; y < h; y++ {
			dst := g.Pix[y*w : y*w+w]
			for x := range dst {
				dst[x] = colorLum(img.At(b.Min.X+x, b.Min.Y+y))
			}
		}
		return g
	}
}

// lum is the Rec. 601 luma of 8-bit RGB, the weighting zxing-cpp uses.
func lum(r, g, b byte) int {
	return (306*int(r) + 601*int(g) + 117*int(b) + 0x200) >> 10
}

func colorLum(c color.Color) byte {
	r, g, b, a := c.RGBA() // premultiplied, 16-bit
	l := (306*int(r>>8) + 601*int(g>>8) + 117*int(b>>8) + 0x200) >> 10
	return clampByte(l + 255 - int(a>>8))
}

func clampByte(v int) byte {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return byte(v)
}
