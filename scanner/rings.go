package scanner

import (
	"math"

	"github.com/makiuchi-d/gozxing"
)

// The "rings" step finds finder patterns by their topology instead of their run lengths: a
// black core inside a white ring inside a black ring, each touching only its neighbours. That
// survives any affine distortion, where the finder's 1:1:3:1:1 cross checks fail once a code is
// seen so obliquely, along a diagonal, that a pattern's horizontal and vertical extents differ by
// more than 40 % (widen-x and squash-x only cover codes foreshortened along the plane's axes).
// Three such patterns of one code give the code's local affine shape (the second moments of each
// 7×7 pattern), and the step resamples the code into a plane where its modules are square again,
// 4 px wide, for the usual detector and decoder.

// ringModulePx is the module width of the resampled plane.
const ringModulePx = 4

// maxRingPatterns bounds the patterns considered per plane (triples are tried among them).
const maxRingPatterns = 12

// ringPattern is one finder pattern found by topology: its centre and the covariance of its
// 7×7-module square, in the plane's pixels.
type ringPattern struct {
	cx, cy        float64
	sxx, sxy, syy float64
	area          float64
}

// blob accumulates a connected component's moments and up to two neighbouring components.
type blob struct {
	black            bool
	n                float64 // pixels
	sx, sy           float64
	sxx, sxy, syy    float64
	nb1, nb2         int32 // neighbours (indexes into the finder's blobs), -1 when none
	manyNeighbours   bool
	touchesPlaneEdge bool
}

func (b *blob) addNeighbour(r int32) {
	switch {
	case b.manyNeighbours || r == b.nb1 || r == b.nb2:
	case b.nb1 < 0:
		b.nb1 = r
	case b.nb2 < 0:
		b.nb2 = r
	default:
		b.manyNeighbours = true
	}
}

// run is a horizontal run of one colour in one row of the binarized plane.
type run struct {
	y, x0, x1 int32 // x1 exclusive
	black     bool
}

// ringFinder labels the runs of a bit matrix into connected components and finds the finder
// patterns among them. Its slices are kept between planes.
type ringFinder struct {
	runs     []run
	rowStart []int32 // the index of each row's first run, and len(runs) at the end
	parent   []int32
	blobOf   []int32 // a run's component, as an index into blobs
	blobs    []blob
}

// maxRingRuns bounds the runs the step labels (the corpus' photos have 4,000-35,000 at full size,
// a few more than 150,000): a plane that breaks into more is noise, not a code, and is left
// alone. It also bounds what the finder keeps between planes: 24 bytes a run and 72 a component,
// 5.6 MB at the most on the corpus.
const maxRingRuns = 200_000

// touching calls fn for each pair of runs that touch: neighbours in a row, and runs of
// consecutive rows that share a column. Black runs that touch only at a corner count too
// (8-connected black, 4-connected white: a thin diagonal edge of a finder's ring, seen steeply,
// stays one ring and still encloses the white inside it).
func (f *ringFinder) touching(fn func(a, b int32)) {
	for y := 1; y < len(f.rowStart); y++ {
		start, end := f.rowStart[y-1], f.rowStart[y]
		for i := start + 1; i < end; i++ {
			fn(i-1, i)
		}
		if y == 1 {
			continue
		}
		p := f.rowStart[y-2]
		for i := start; i < end; i++ {
			r := f.runs[i]
			for p < start && f.runs[p].x1 < r.x0 {
				p++
			}
			for q := p; q < start && f.runs[q].x0 <= r.x1; q++ {
				if o := f.runs[q]; (o.x1 > r.x0 && o.x0 < r.x1) || (o.black && r.black) {
					fn(q, i)
				}
			}
		}
	}
}

func (f *ringFinder) find(parent int32) int32 {
	for f.parent[parent] != parent {
		f.parent[parent] = f.parent[f.parent[parent]]
		parent = f.parent[parent]
	}
	return parent
}

func (f *ringFinder) union(a, b int32) {
	ra, rb := f.find(a), f.find(b)
	if ra != rb {
		f.parent[max(ra, rb)] = min(ra, rb)
	}
}

// patterns returns the finder patterns of m: components whose nesting and areas are a finder's.
func (f *ringFinder) patterns(m *gozxing.BitMatrix) []ringPattern {
	w, h := m.GetWidth(), m.GetHeight()
	f.runs, f.rowStart = f.runs[:0], f.rowStart[:0]
	var row *gozxing.BitArray
	for y := range h {
		row = m.GetRow(y, row)
		f.rowStart = append(f.rowStart, int32(len(f.runs)))
		x0 := 0
		for x0 < w {
			if len(f.runs) == maxRingRuns {
				return nil
			}
			c := row.Get(x0)
			var x1 int
			if c {
				x1 = row.GetNextUnset(x0)
			} else {
				x1 = row.GetNextSet(x0)
			}
			x1 = min(x1, w)
			f.runs = append(f.runs, run{y: int32(y), x0: int32(x0), x1: int32(x1), black: c})
			x0 = x1
		}
	}
	f.rowStart = append(f.rowStart, int32(len(f.runs)))
	n := len(f.runs)
	f.parent = grow32(f.parent, n)
	for i := range f.parent {
		f.parent[i] = int32(i)
	}
	f.touching(func(a, b int32) {
		if f.runs[a].black == f.runs[b].black {
			f.union(a, b)
		}
	})
	// One blob per component, numbered in the order of their first run.
	f.blobOf = grow32(f.blobOf, n)
	f.blobs = f.blobs[:0]
	for i := range f.runs {
		if r := f.find(int32(i)); r == int32(i) {
			f.blobOf[i] = int32(len(f.blobs))
			f.blobs = append(f.blobs, blob{nb1: -1, nb2: -1})
		} else {
			f.blobOf[i] = f.blobOf[r] // r < i: numbered already
		}
	}
	for i, r := range f.runs {
		b := &f.blobs[f.blobOf[i]]
		b.black = r.black
		k := float64(r.x1 - r.x0)
		x0, x1, y := float64(r.x0), float64(r.x1-1), float64(r.y)
		sx := k * (x0 + x1) / 2
		sxx := (x1*(x1+1)*(2*x1+1) - (x0-1)*x0*(2*x0-1)) / 6
		b.n += k
		b.sx += sx
		b.sy += k * y
		b.sxx += sxx
		b.sxy += sx * y
		b.syy += k * y * y
		if r.x0 == 0 || int(r.x1) == w || r.y == 0 || int(r.y) == h-1 {
			b.touchesPlaneEdge = true
		}
	}
	f.touching(func(i, j int32) {
		if a, b := f.blobOf[i], f.blobOf[j]; a != b {
			f.blobs[a].addNeighbour(b)
			f.blobs[b].addNeighbour(a)
		}
	})
	var out []ringPattern
	for i := range f.blobs {
		core := &f.blobs[i]
		// A core: black, inside one white component only.
		if !core.black || core.n < 9 || core.touchesPlaneEdge || core.manyNeighbours || core.nb1 < 0 || core.nb2 >= 0 {
			continue
		}
		inner := &f.blobs[core.nb1]
		// Its white ring touches the core and one black component, the outer ring.
		if inner.black || inner.manyNeighbours || inner.nb2 < 0 || inner.touchesPlaneEdge {
			continue
		}
		outerID := inner.nb1
		if outerID == int32(i) {
			outerID = inner.nb2
		}
		outer := &f.blobs[outerID]
		if !outer.black || outer.touchesPlaneEdge {
			continue
		}
		// Areas in modules: core 9, white ring 16, black ring 24; any affine map keeps the ratios.
		ri, ro := inner.n/core.n, outer.n/core.n
		if ri < 0.8 || ri > 3.6 || ro < 1.3 || ro > 5.2 {
			continue
		}
		// Concentric: the three centroids within a module or so of each other.
		ccx, ccy := core.sx/core.n, core.sy/core.n
		tol := 0.25 * core.n // (about half the core's width) squared
		if sq(inner.sx/inner.n-ccx)+sq(inner.sy/inner.n-ccy) > tol || sq(outer.sx/outer.n-ccx)+sq(outer.sy/outer.n-ccy) > tol {
			continue
		}
		a := core.n + inner.n + outer.n
		mx, my := (core.sx+inner.sx+outer.sx)/a, (core.sy+inner.sy+outer.sy)/a
		out = append(out, ringPattern{
			cx: mx, cy: my, area: a,
			sxx: (core.sxx+inner.sxx+outer.sxx)/a - mx*mx + 1.0/12, // + a pixel's own spread
			sxy: (core.sxy+inner.sxy+outer.sxy)/a - mx*my,
			syy: (core.syy+inner.syy+outer.syy)/a - my*my + 1.0/12,
		})
		if len(out) == maxRingPatterns {
			break
		}
	}
	return out
}

func sq(v float64) float64 { return v * v }

func grow32(b []int32, n int) []int32 {
	if cap(b) < n {
		return make([]int32, n)
	}
	return b[:n]
}

// affine2 is x' = a·x + b·y + c, y' = d·x + e·y + f.
type affine2 struct{ a, b, c, d, e, f float64 }

func (t affine2) apply(x, y float64) (float64, float64) {
	return t.a*x + t.b*y + t.c, t.d*x + t.e*y + t.f
}

func (t affine2) inverse() (affine2, bool) {
	det := t.a*t.e - t.b*t.d
	if math.Abs(det) < 1e-12 {
		return affine2{}, false
	}
	a, b, d, e := t.e/det, -t.b/det, -t.d/det, t.a/det
	return affine2{a: a, b: b, c: -(a*t.c + b*t.f), d: d, e: e, f: -(d*t.c + e*t.f)}, true
}

// whitening is the symmetric inverse square root of a 2×2 covariance: the linear map that
// makes a pattern of that covariance round.
func whitening(sxx, sxy, syy float64) (a, b, d float64, ok bool) {
	// Σ = V diag(l1, l2) Vᵀ; Σ^-½ = V diag(l1^-½, l2^-½) Vᵀ.
	tr, det := sxx+syy, sxx*syy-sxy*sxy
	if det <= 0 {
		return 0, 0, 0, false
	}
	disc := math.Sqrt(max(0, tr*tr/4-det))
	l1, l2 := tr/2+disc, tr/2-disc
	if l2 <= 0 {
		return 0, 0, 0, false
	}
	var vx, vy float64
	if math.Abs(sxy) > 1e-12 {
		vx, vy = l1-syy, sxy
	} else if sxx >= syy {
		vx, vy = 1, 0
	} else {
		vx, vy = 0, 1
	}
	n := math.Hypot(vx, vy)
	vx, vy = vx/n, vy/n
	i1, i2 := 1/math.Sqrt(l1), 1/math.Sqrt(l2)
	return i1*vx*vx + i2*vy*vy, (i1 - i2) * vx * vy, i1*vy*vy + i2*vx*vx, true
}

// ringCodes returns, for each triple of patterns that can be one code's three finder patterns,
// the affine map from the frame to a plane where that code's modules are ringModulePx square,
// and that plane's size.
func ringCodes(ps []ringPattern) []ringCode {
	var out []ringCode
	for i := 0; i < len(ps); i++ {
		for j := i + 1; j < len(ps); j++ {
			for k := j + 1; k < len(ps); k++ {
				if c, ok := ringTriple(ps[i], ps[j], ps[k]); ok {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// ringCode is one code located by three ring patterns: to maps the plane into the square-module
// plane of w×h pixels.
type ringCode struct {
	to   affine2
	w, h int
}

// ringTriple checks three patterns for one code's finder patterns: alike in size and shape, and,
// once their shape is made round, at the corners of a right isosceles triangle.
func ringTriple(p, q, r ringPattern) (ringCode, bool) {
	three := [3]ringPattern{p, q, r}
	lo, hi := math.Inf(1), math.Inf(-1)
	var sxx, sxy, syy float64
	for _, t := range three {
		lo, hi = min(lo, t.area), max(hi, t.area)
		sxx, sxy, syy = sxx+t.sxx/3, sxy+t.sxy/3, syy+t.syy/3
	}
	if hi > 2.5*lo {
		return ringCode{}, false
	}
	wa, wb, wd, ok := whitening(sxx, sxy, syy)
	if !ok {
		return ringCode{}, false
	}
	// After whitening a 7-module square has unit variance along each axis: its side is √12, so a
	// module is √12/7 wide; scale that to ringModulePx.
	s := ringModulePx * 7 / math.Sqrt(12)
	lin := affine2{a: s * wa, b: s * wb, d: s * wb, e: s * wd}
	var pts [3][2]float64
	for n, t := range three {
		pts[n][0], pts[n][1] = lin.apply(t.cx, t.cy)
		// Each pattern must itself be about round after the common whitening.
		x, y, ok := whitenedSpread(lin, t)
		if !ok || x/y > 1.6 || y/x > 1.6 {
			return ringCode{}, false
		}
	}
	// The corner with the right angle is the top left; its two legs are as long as each other.
	for tl := range 3 {
		a, b := pts[(tl+1)%3], pts[(tl+2)%3]
		o := pts[tl]
		ux, uy, vx, vy := a[0]-o[0], a[1]-o[1], b[0]-o[0], b[1]-o[1]
		lu, lv := math.Hypot(ux, uy), math.Hypot(vx, vy)
		if lu == 0 || lv == 0 || max(lu, lv) > 1.25*min(lu, lv) || math.Abs(ux*vx+uy*vy)/(lu*lv) > 0.3 {
			continue
		}
		// Finder centres are dimension−7 modules apart: 21 to 177 modules wide codes.
		mods := (lu+lv)/2/ringModulePx + 7
		if mods < 19 || mods > 185 {
			return ringCode{}, false
		}
		// The code's four corners, 3.5 modules out from the finder centres, and a quiet zone of
		// 4 more: the plane to resample.
		m := 7.5 * ringModulePx
		ex, ey := ux/lu, uy/lu
		fx, fy := vx/lv, vy/lv
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, c := range [4][2]float64{
			{o[0] - m*ex - m*fx, o[1] - m*ey - m*fy},
			{a[0] + m*ex - m*fx, a[1] + m*ey - m*fy},
			{b[0] - m*ex + m*fx, b[1] - m*ey + m*fy},
			{a[0] + b[0] - o[0] + m*ex + m*fx, a[1] + b[1] - o[1] + m*ey + m*fy},
		} {
			x0, y0, x1, y1 = min(x0, c[0]), min(y0, c[1]), max(x1, c[0]), max(y1, c[1])
		}
		w, h := int(x1-x0)+1, int(y1-y0)+1
		lin.c, lin.f = -x0, -y0
		return ringCode{to: lin, w: w, h: h}, true
	}
	return ringCode{}, false
}

// whitenedSpread is the standard deviation of pattern t along each axis after lin.
func whitenedSpread(lin affine2, t ringPattern) (float64, float64, bool) {
	// Σ' = L Σ Lᵀ for the linear part L of lin.
	xx := lin.a*lin.a*t.sxx + 2*lin.a*lin.b*t.sxy + lin.b*lin.b*t.syy
	yy := lin.d*lin.d*t.sxx + 2*lin.d*lin.e*t.sxy + lin.e*lin.e*t.syy
	if xx <= 0 || yy <= 0 {
		return 0, 0, false
	}
	return math.Sqrt(xx), math.Sqrt(yy), true
}

// maxRingPlane bounds a resampled plane's side (a 185-module code at 4 px is 800 px).
const maxRingPlane = 1000

// resampleAffine fills a w×h plane from src through the inverse of to (bilinear).
func resampleAffine(dst []byte, src Grey, to affine2, w, h int) (Grey, bool) {
	inv, ok := to.inverse()
	if !ok || w <= 0 || h <= 0 || w > maxRingPlane || h > maxRingPlane {
		return Grey{}, false
	}
	out := Grey{Width: w, Height: h, Stride: w, Pix: grow(dst, w*h)}
	for y := range h {
		o := out.Pix[y*w : y*w+w]
		sx, sy := inv.apply(0.5, float64(y)+0.5)
		for x := range o {
			fx, fy := sx+float64(x)*inv.a-0.5, sy+float64(x)*inv.d-0.5
			ix, iy := int(math.Floor(fx)), int(math.Floor(fy))
			if ix < 0 || iy < 0 || ix >= src.Width-1 || iy >= src.Height-1 {
				o[x] = 255
				continue
			}
			ax, ay := fx-float64(ix), fy-float64(iy)
			r0, r1 := src.Pix[iy*src.Stride+ix:], src.Pix[(iy+1)*src.Stride+ix:]
			v := (1-ay)*((1-ax)*float64(r0[0])+ax*float64(r0[1])) + ay*((1-ax)*float64(r1[0])+ax*float64(r1[1]))
			o[x] = byte(v + 0.5)
		}
	}
	return out, true
}

// maxRingCodes bounds the codes the step resamples per plane.
const maxRingCodes = 3

// rings is the step: find ring patterns on half the frame for photos (where they are cheap to
// label), then on the frame itself if that outlined no code (a small or steeply foreshortened
// code's rings close up at half size), resample each code they outline from the full frame, and
// decode it.
func (d *Decoder) rings(g Grey) []Result {
	if min(g.Width, g.Height) >= largeSide {
		if codes := d.ringCodesOn(d.halfOf(g), 2); len(codes) > 0 {
			return d.ringDecode(g, codes)
		}
	}
	return d.ringDecode(g, d.ringCodesOn(g, 1))
}

// ringCodesOn finds the codes outlined by ring patterns on plane p, 1/k the size of the frame,
// in frame pixels.
func (d *Decoder) ringCodesOn(p Grey, k float64) []ringCode {
	m, err := d.bin.hybridMatrix(p)
	if err != nil {
		return nil
	}
	ps := d.ringFinder.patterns(m)
	if len(ps) < 3 {
		return nil
	}
	for i := range ps { // into frame pixels
		p := &ps[i]
		p.cx, p.cy, p.area = (p.cx+0.5)*k-0.5, (p.cy+0.5)*k-0.5, p.area*k*k
		p.sxx, p.sxy, p.syy = p.sxx*k*k, p.sxy*k*k, p.syy*k*k
	}
	return ringCodes(ps)
}

// ringDecode resamples each code (at most maxRingCodes) from the frame g and decodes it.
func (d *Decoder) ringDecode(g Grey, codes []ringCode) []Result {
	var out []Result
	for n, c := range codes {
		if n == maxRingCodes {
			break
		}
		plane, ok := resampleAffine(d.scratch[1], g, c.to, c.w, c.h)
		if !ok {
			continue
		}
		d.scratch[1] = plane.Pix
		inv, _ := c.to.inverse()
		// multi: the resampled plane holds the code's surroundings too (a card's edge, a
		// neighbour's finder), which the single detector's choice of three patterns trips on.
		out = append(out, d.attempt(plane, hybrid, true, inv.apply)...)
	}
	return dedupeTexts(out)
}
