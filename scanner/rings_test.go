package scanner

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// oblique is a 250-px code turned by rot degrees and then foreshortened to k of its size along
// the direction dir (degrees), centred in an 800×600 plane, and the corners of its picture.
func oblique(t testing.TB, text string, rot, dir, k float64) (Grey, [4][2]float64) {
	t.Helper()
	const side = 250.0
	c, s := math.Cos(rot*math.Pi/180), math.Sin(rot*math.Pi/180)
	dc, ds := math.Cos(dir*math.Pi/180), math.Sin(dir*math.Pi/180)
	var q [4][2]float64
	for i, p := range [4][2]float64{{0, 0}, {side, 0}, {side, side}, {0, side}} {
		x, y := p[0]-side/2, p[1]-side/2
		x, y = c*x-s*y, s*x+c*y
		u, v := dc*x+ds*y, -ds*x+dc*y
		u *= k
		q[i] = [2]float64{400 + dc*u - ds*v, 300 + ds*u + dc*v}
	}
	return warp(qrGrey(t, text, int(side), 4), 800, 600, q), q
}

// inQuad says whether p is inside the convex quadrilateral q.
func inQuad(p Point, q [4][2]float64) bool {
	sign := 0.0
	for i := range 4 {
		a, b := q[i], q[(i+1)%4]
		cross := (b[0]-a[0])*(p.Y-a[1]) - (b[1]-a[1])*(p.X-a[0])
		if cross*sign < 0 {
			return false
		}
		if cross != 0 {
			sign = cross
		}
	}
	return true
}

// TestDecodeRings: a code turned and foreshortened to 0.3 along a diagonal fails every finder
// cross check and every axis-aligned stretch of the cascade; the rings step finds its finder
// patterns by their nesting, squares its modules and reads it, with its corners back in the
// frame, inside the code's picture.
func TestDecodeRings(t *testing.T) {
	const text = "https://example.org/oblique"
	_, _, large := StepNames()
	without := slices.DeleteFunc(slices.Clone(large), func(s string) bool { return s == "rings" })
	for _, c := range [][3]float64{{30, 45, 0.3}, {10, 60, 0.35}, {30, 30, 0.3}} {
		g, quad := oblique(t, text, c[0], c[1], c[2])
		rs, err := mustDecoder(t, Options{}).Decode(g)
		if err != nil || len(rs) == 0 {
			t.Errorf("turned %v°, foreshortened to %v along %v°: default cascade read nothing (%v)", c[0], c[2], c[1], err)
			continue
		}
		if rs[0].Text != text || rs[0].Step != "rings" {
			t.Errorf("turned %v°, foreshortened to %v along %v°: read %q by %q; want the text by rings", c[0], c[2], c[1], rs[0].Text, rs[0].Step)
		}
		for _, p := range rs[0].Points {
			if !inQuad(p, quad) {
				t.Errorf("corner %v outside the code's picture %v", p, quad)
			}
		}
		if ctr := rs[0].Centre(); math.Hypot(ctr.X-400, ctr.Y-300) > 8 {
			t.Errorf("centre %v; the code's is (400, 300)", ctr)
		}
		if rs, _ := mustDecoder(t, Options{Steps: without}).Decode(g); len(rs) > 0 {
			t.Errorf("the cascade without rings read it (%q by %s): the test no longer shows the step matters", rs[0].Text, rs[0].Step)
		}
	}
}

// TestRingPatterns: a clean code has exactly its three finder patterns; noise, a blank plane
// and a checkerboard have none, and a plane that breaks into too many runs is left alone.
func TestRingPatterns(t *testing.T) {
	d := mustDecoder(t, Options{})
	patterns := func(g Grey) []ringPattern {
		m, err := d.bin.hybridMatrix(g)
		if err != nil {
			t.Fatal(err)
		}
		return d.ringFinder.patterns(m)
	}
	code := qrGrey(t, "three rings", 300, 4)
	ps := patterns(code)
	if len(ps) != 3 {
		t.Fatalf("%d patterns in a clean code; want 3: %+v", len(ps), ps)
	}
	for _, p := range ps {
		// A finder pattern's 7×7 square: variance (7m)²/12 along each axis, no covariance.
		m := math.Sqrt(p.area) / 7
		if v := 49 * m * m / 12; math.Abs(p.sxx-v) > 0.15*v || math.Abs(p.syy-v) > 0.15*v || math.Abs(p.sxy) > 0.05*v {
			t.Errorf("pattern %+v: want variances near %.1f and no covariance", p, v)
		}
	}
	if cs := ringCodes(ps); len(cs) != 1 {
		t.Errorf("%d codes from the three patterns; want 1", len(cs))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	if ps := patterns(noisy(rng, 640, 480, 120)); len(ps) != 0 {
		t.Errorf("%d patterns in noise", len(ps))
	}
	if ps := patterns(blank(640, 480, 200)); len(ps) != 0 {
		t.Errorf("%d patterns in a blank plane", len(ps))
	}
	board := blank(1000, 1000, 255)
	for y := range 1000 {
		for x := range 1000 {
			if (x+y)%2 == 0 {
				board.Pix[y*board.Stride+x] = 0
			}
		}
	}
	if ps := patterns(board); len(ps) != 0 {
		t.Errorf("%d patterns in a checkerboard", len(ps))
	}
	if len(d.ringFinder.runs) > maxRingRuns {
		t.Errorf("%d runs kept; the bound is %d", len(d.ringFinder.runs), maxRingRuns)
	}
}

// BenchmarkRings times the rings step alone on a 1280×720 frame without a code (what a camera
// frame costs the worker when every other step has failed) and on the oblique code.
func BenchmarkRings(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	code, _ := oblique(b, "bench", 30, 45, 0.3)
	frames := map[string]Grey{"empty-720p": noisy(rng, 1280, 720, 40), "oblique": code}
	for _, name := range []string{"empty-720p", "oblique"} {
		g := frames[name]
		b.Run(name, func(b *testing.B) {
			d := mustDecoder(b, Options{Steps: []string{"rings"}})
			for b.Loop() {
				_, _ = d.Decode(g)
			}
		})
	}
}
