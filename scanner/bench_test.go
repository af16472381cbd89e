package scanner

import (
	"testing"

	"github.com/yongji-county/checkpoint/scanner/qrcorpus"
)

// BenchmarkDecodeGenerated decodes one clean generated code in a 640×480 frame, the easy case a
// station sees most.
func BenchmarkDecodeGenerated(b *testing.B) {
	g := blank(640, 480, 210)
	paste(g, qrGrey(b, "HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH-R6IOO6+IUKRG*I.I1", 260, 2), 190, 110)
	benchPlanes(b, []Grey{g}, func() (*Decoder, error) { return NewDecoder(Options{}) })
}

// BenchmarkDecodeEmptyFrame is the cost of a 640×480 frame with no code (most camera frames):
// the whole cascade runs and finds nothing.
func BenchmarkDecodeEmptyFrame(b *testing.B) {
	g := blank(640, 480, 128)
	for i := range g.Pix {
		g.Pix[i] = byte(i*7919>>3) | 0x40
	}
	benchPlanes(b, []Grey{g}, func() (*Decoder, error) { return NewDecoder(Options{}) })
}

// BenchmarkDecodeCorpusText decodes every text-corpus image once per iteration; ns/op is per image.
func BenchmarkDecodeCorpusText(b *testing.B) {
	benchCorpus(b, qrcorpus.Text, corpusDecoder)
}

// BenchmarkDecodeCorpusBoofCV does the same over the boofcv-dev photos.
func BenchmarkDecodeCorpusBoofCV(b *testing.B) {
	benchCorpus(b, qrcorpus.Positions, corpusDecoder)
}

func benchCorpus(b *testing.B, load func(string) ([]qrcorpus.Item, error), newDec func() (*Decoder, error)) {
	dir, err := qrcorpus.Dir()
	if err != nil {
		b.Skipf("shared QR corpus not found: %v", err)
	}
	items, err := load(dir)
	if err != nil {
		b.Fatal(err)
	}
	planes := make([]Grey, 0, len(items))
	for _, it := range items {
		g, err := ReadImage(it.Path)
		if err != nil {
			b.Fatal(err)
		}
		planes = append(planes, g.Compact())
	}
	benchPlanes(b, planes, newDec)
}

func benchPlanes(b *testing.B, planes []Grey, newDec func() (*Decoder, error)) {
	d, err := newDec()
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := d.Decode(planes[i%len(planes)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkHybridMatrix is the binarizer alone on a 1280×960 photo-like plane.
func BenchmarkHybridMatrix(b *testing.B) {
	g := NewGrey(1280, 960)
	for i := range g.Pix {
		x, y := i%1280, i/1280
		g.Pix[i] = byte((x*3+y*2)%200 + (x*y)%37)
	}
	var bin binarizer
	for b.Loop() {
		bin.hybridMatrix(g)
	}
}
