package scanner

import (
	"fmt"

	"github.com/makiuchi-d/gozxing"
)

// greySource is a gozxing.LuminanceSource over a Grey plane, the input for gozxing's own
// binarizers that the tests compare scanner's binarizers with. Rows and the matrix are served from
// the plane's bytes (no copy at all when the plane is compact), unlike gozxing's image.Image
// source, which converts pixel by pixel through color.Color.
type greySource struct {
	gozxing.LuminanceSourceBase
	g Grey
}

func newGreySource(g Grey) *greySource {
	return &greySource{LuminanceSourceBase: gozxing.LuminanceSourceBase{Width: g.Width, Height: g.Height}, g: g}
}

func (s *greySource) GetRow(y int, row []byte) ([]byte, error) {
	if y < 0 || y >= s.g.Height {
		return nil, fmt.Errorf("scanner: row %d outside image", y)
	}
	if len(row) < s.g.Width {
		row = make([]byte, s.g.Width)
	}
	copy(row, s.g.Row(y))
	return row, nil
}

func (s *greySource) GetMatrix() []byte {
	if s.g.Stride == s.g.Width {
		return s.g.Pix[:s.g.Width*s.g.Height]
	}
	s.g = s.g.Compact()
	return s.g.Pix
}

func (s *greySource) IsCropSupported() bool { return true }

func (s *greySource) Crop(left, top, width, height int) (gozxing.LuminanceSource, error) {
	if left < 0 || top < 0 || width <= 0 || height <= 0 || left+width > s.g.Width || top+height > s.g.Height {
		return nil, fmt.Errorf("scanner: crop %d,%d %dx%d outside %dx%d", left, top, width, height, s.g.Width, s.g.Height)
	}
	c := Grey{Width: width, Height: height, Stride: s.g.Stride, Pix: s.g.Pix[top*s.g.Stride+left:]}
	return newGreySource(c), nil
}

func (s *greySource) Invert() gozxing.LuminanceSource { return gozxing.NewInvertedLuminanceSource(s) }

func (s *greySource) String() string { return gozxing.LuminanceSourceString(s) }
