package scanner

import "testing"

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
