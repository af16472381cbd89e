package scanner

import (
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
)

// TestHybridMatrixMatchesGozxing checks the rewritten binarizer bit for bit against gozxing's
// HybridBinarizer, on sizes that are and are not multiples of the block size, twice in a row
// (the matrix is reused).
func TestHybridMatrixMatchesGozxing(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b binarizer
	code := qrGrey(t, "binarizer", 203, 4)
	for _, g := range []Grey{code, code, blank(64, 40, 255), noisy(rng, 333, 251, 40), noisy(rng, 333, 251, 40), noisy(rng, 640, 480, 255), noisy(rng, 41, 47, 255)} {
		want, err := gozxing.NewHybridBinarizer(newGreySource(g)).GetBlackMatrix()
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.hybridMatrix(g)
		if err != nil {
			t.Fatal(err)
		}
		for y := range g.Height {
			for x := range g.Width {
				if got.Get(x, y) != want.Get(x, y) {
					t.Fatalf("%dx%d: bit (%d,%d) = %v; gozxing %v", g.Width, g.Height, x, y, got.Get(x, y), want.Get(x, y))
				}
			}
		}
	}
}

func TestGlobalMatrixMatchesGozxing(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var b binarizer
	code := qrGrey(t, "global", 203, 4)
	for _, g := range []Grey{code, noisy(rng, 333, 251, 60), code, noisy(rng, 13, 29, 255), blank(50, 50, 128)} {
		want, werr := gozxing.NewGlobalHistgramBinarizer(newGreySource(g)).GetBlackMatrix()
		got, err := b.globalMatrix(g)
		if (err != nil) != (werr != nil) {
			t.Fatalf("%dx%d: error %v; gozxing %v", g.Width, g.Height, err, werr)
		}
		if err != nil {
			continue
		}
		for y := range g.Height {
			for x := range g.Width {
				if got.Get(x, y) != want.Get(x, y) {
					t.Fatalf("%dx%d: bit (%d,%d) = %v; gozxing %v", g.Width, g.Height, x, y, got.Get(x, y), want.Get(x, y))
				}
			}
		}
	}
}

// noisy is a plane of smooth gradients plus noise of the given amplitude.
func noisy(rng *rand.Rand, w, h, amp int) Grey {
	g := NewGrey(w, h)
	for y := range h {
		for x := range w {
			v := (x*3+y*2)%200 + rng.IntN(amp+1)
			g.Pix[y*w+x] = clampByte(v)
		}
	}
	return g
}

func TestLe8(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	px := make([]byte, 8)
	for range 100000 {
		for i := range px {
			px[i] = byte(rng.IntN(256))
		}
		th := rng.IntN(256)
		var want uint32
		for i, v := range px {
			if int(v) <= th {
				want |= 1 << i
			}
		}
		if got := le8(px, th); got != want {
			t.Fatalf("le8(%v, %d) = %08b; want %08b", px, th, got, want)
		}
	}
}
