package scanner

import (
	"math"
	"sort"
)

// Point is a position in frame pixels (x right, y down).
type Point struct{ X, Y float64 }

// Append describes a structured-append part: the Index-th of Total symbols (0-based) that
// together carry one message; Parity is the same for all parts of that message.
type Append struct {
	Index, Total, Parity int
}

// Result is one decoded code.
type Result struct {
	// Text is the payload as text (UTF-8); byte-mode payloads without an ECI designator go
	// through the usual QR character-set guess (ISO-8859-1, UTF-8, Shift_JIS).
	Text string
	// Points are the code's four corners in frame pixels: top-left, top-right, bottom-right,
	// bottom-left as the code reads (a mirrored code is reported as seen). A decoder that
	// cannot locate the code (the WeChat fallback on a whole frame) reports the region it
	// searched.
	Points []Point
	// Append is set for a structured-append part.
	Append *Append
	// Step names the cascade step that decoded it ("hybrid", "wechat", ...), for diagnostics
	// and for measuring which steps pay.
	Step string
}

// Centre is the mean of the corner points.
func (r Result) Centre() Point {
	var c Point
	if len(r.Points) == 0 {
		return c
	}
	for _, p := range r.Points {
		c.X += p.X
		c.Y += p.Y
	}
	n := float64(len(r.Points))
	return Point{c.X / n, c.Y / n}
}

// Area is the area of the polygon through the points (shoelace formula).
func (r Result) Area() float64 {
	n := len(r.Points)
	if n < 3 {
		return 0
	}
	var a float64
	for i := range n {
		p, q := r.Points[i], r.Points[(i+1)%n]
		a += p.X*q.Y - q.X*p.Y
	}
	return math.Abs(a) / 2
}

// rank orders results so that the code the person is presenting comes first: larger and closer
// to the frame centre wins. The score is the area discounted by up to half for a code at the
// frame's corner, so a much larger code at the edge still beats a small one in the middle.
func rank(rs []Result, width, height int) {
	if len(rs) < 2 {
		return
	}
	cx, cy := float64(width)/2, float64(height)/2
	half := math.Hypot(cx, cy)
	score := func(r Result) float64 {
		c := r.Centre()
		d := math.Hypot(c.X-cx, c.Y-cy) / half
		if d > 1 {
			d = 1
		}
		return r.Area() * (1 - d/2)
	}
	sort.SliceStable(rs, func(i, j int) bool { return score(rs[i]) > score(rs[j]) })
}
