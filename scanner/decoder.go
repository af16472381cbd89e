package scanner

import (
	"fmt"
	"image"
	"math"
	"slices"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	multidetector "github.com/makiuchi-d/gozxing/multi/qrcode/detector"
	qrdecoder "github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// Fallback is a slower second decoder that the Decoder tries only when its own cascade found
// nothing (the OpenCV WeChat decoder in builds with the gocv tag). Implementations need not be
// safe for concurrent use; the Decoder calls it from one goroutine at a time.
type Fallback interface {
	Decode(g Grey) ([]Result, error)
	Close() error
}

// Options configures a Decoder. The zero value is the default cascade with no fallback.
type Options struct {
	// Fallback runs when the cascade found nothing; nil means none.
	Fallback Fallback
	// Steps replaces the default cascade with the named steps, in order (see StepNames). It
	// exists to measure what each step is worth on a corpus. When it names a "fallback" step,
	// the fallback runs there and not again after the last step.
	Steps []string
}

// Decoder turns a grey plane into the QR codes it shows, trying cheap ways first and harder ones
// only when the cheap ones found nothing. A Decoder reuses scratch memory between calls and is
// not safe for concurrent use: give each goroutine its own.
type Decoder struct {
	small    []step // cascade for small pictures
	large    []step // cascade for camera frames and photos
	fallback Fallback
	qr       *qrdecoder.Decoder
	bin      binarizer
	scratch  [2][]byte
	turn     int // DecodeFrame's rotation through the costly steps
	// autoFallback runs the fallback after the last step (unless a step places it).
	autoFallback bool
	// half caches the 2× downscaled plane for the steps that work on it; halfOK says it is of
	// the current plane.
	half   Grey
	halfOK bool
	// candidates are symbols the detector located but the decoder could not read, in frame
	// coordinates, from the steps run so far on the current plane: where the fallback looks
	// first.
	candidates [][]Point
	// roiTried are the crops fallbackROI handed to the fallback on the current plane.
	roiTried []image.Rectangle
	// spots are boxes, in frame coordinates, around finder patterns too few to form a symbol (one
	// or two: a small or curved code whose third pattern the finder missed), where
	// fallbackSpots looks.
	spots []image.Rectangle
	// ringFinder labels the components of the "rings" step; its buffers are kept between planes.
	ringFinder ringFinder
	// resampleLeft is what resample may still sample on the current plane, in modules.
	resampleLeft int
	// fallbackLeft and fallbackCalls are what the fallback may still be handed on the current
	// plane: searched pixels and calls (spendFallback).
	fallbackLeft, fallbackCalls int
}

// newPlane forgets what the steps found on the previous plane.
func (d *Decoder) newPlane() {
	d.candidates = d.candidates[:0]
	d.roiTried = d.roiTried[:0]
	d.spots = d.spots[:0]
	d.halfOK = false
	d.resampleLeft = resampleBudget
	d.fallbackLeft, d.fallbackCalls = fallbackPixelBudget, fallbackMaxCalls
}

// spendFallback reports whether the fallback may still search px pixels on the current plane,
// and if so counts them and the call against the plane's budget.
func (d *Decoder) spendFallback(px int) bool {
	if d.fallbackCalls <= 0 || px > d.fallbackLeft {
		return false
	}
	d.fallbackLeft -= px
	d.fallbackCalls--
	return true
}

// fallbackPixelBudget and fallbackMaxCalls bound the fallback's work on one plane, over
// fallbackROI's crops, fallbackSpots' crops and the whole picture together (a crop counts at the
// size it is searched at, doubled or shrunk; the whole picture at 720 px): a photo with no
// readable code otherwise had WeChat search up to 3 crops and then the whole picture, 2 s under
// load, 14× zxing-cpp's slowest. On boofcv-dev every image the fallback reads was read within
// 3 calls and 841,000 pixels (the largest: one 911×923 crop); five misses spent more (up to 5
// calls, 870,000 pixels). Counts, not a clock, so what is read does not depend on the load.
const (
	fallbackPixelBudget = 850_000
	fallbackMaxCalls    = 3
)

// roiCoversFrame reports whether fallbackROI already gave the fallback most of g (a crop of at
// least roiCoverFrame of its area, the whole of it for a code filling the picture): the
// whole-picture fallback would repeat that work.
func (d *Decoder) roiCoversFrame(g Grey) bool {
	return slices.ContainsFunc(d.roiTried, func(r image.Rectangle) bool {
		return float64(r.Dx()*r.Dy()) >= roiCoverFrame*float64(g.Width*g.Height)
	})
}

// roiCoverFrame is the share of the picture a crop must cover for fallbackROI's search of it to
// stand for the whole-picture fallback's.
const roiCoverFrame = 0.6

// halfOf returns g downscaled 2×, computed once per plane.
func (d *Decoder) halfOf(g Grey) Grey {
	if !d.halfOK {
		d.half = downscale2(d.half.Pix, g)
		d.halfOK = true
	}
	return d.half
}

// maxCandidates bounds the remembered undecodable detections per plane.
const maxCandidates = 8

func (d *Decoder) remember(pts []Point, back coordMap) {
	if len(pts) != 4 || len(d.candidates) >= maxCandidates {
		return
	}
	q := make([]Point, 4)
	for i, p := range pts {
		if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
			return
		}
		q[i].X, q[i].Y = back(p.X, p.Y)
	}
	d.candidates = append(d.candidates, q)
}

// maxSpots bounds the finder-pattern spots remembered per plane.
const maxSpots = 4

// rememberSpot keeps a box around one or two lone finder patterns: the patterns and a margin
// of their distance or 30 modules, whichever is more, on every side (the code's extent is
// unknown: the patterns may be neighbours or diagonal, and its version any).
func (d *Decoder) rememberSpot(centres []*detector.FinderPattern, back coordMap) {
	if len(centres) == 0 || len(centres) > 2 || len(d.spots) >= maxSpots {
		return
	}
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	m := 0.0
	for _, c := range centres {
		x, y := back(c.GetX(), c.GetY())
		x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
		bx, _ := back(c.GetX()+c.GetEstimatedModuleSize(), c.GetY())
		m = max(m, bx-x)
	}
	grow := max(x1-x0, y1-y0, 30*m)
	if math.IsNaN(grow) || math.IsInf(grow, 0) {
		return
	}
	r := image.Rect(int(x0-grow), int(y0-grow), int(x1+grow)+1, int(y1+grow)+1)
	if slices.ContainsFunc(d.spots, func(t image.Rectangle) bool { return sameCrop(t, r) }) {
		return
	}
	d.spots = append(d.spots, r)
}

// step is one attempt of the cascade: prepare a plane, binarize it, detect, decode. apply says
// whether the step is worth running on an image of this size.
type step struct {
	name  string
	apply func(g Grey) bool
	run   func(d *Decoder, g Grey) []Result
}

func always(Grey) bool { return true }

// The default cascades, ordered by what each step adds per millisecond on the corpus
// (tools/qrbench -analyze, docs/BENCHMARKS.md); a later step runs only when all earlier ones
// found nothing. Small pictures (a cropped code) start at full resolution; camera frames and
// photos start at half resolution, where a global threshold is cheap and already reads most
// codes (and screen moiré averages out). The fallback steps do nothing without a Fallback.
var (
	smallSteps = []string{"hybrid", "global", "down2-multi", "down2-global", "invert", "up2", "multi", "widen-x", "squash-x", "rings", "fallback-roi", "fallback-spots", "fallback"}
	largeSteps = []string{"down2-global", "down2", "down4", "hybrid", "down2-multi", "widen-x", "squash-x", "multi", "down3", "global", "stretch", "rings", "fallback-roi", "fallback-spots", "fallback"}
)

// largeSide is the shorter side from which a plane counts as a camera frame or photo.
const largeSide = 400

// allSteps are the steps a cascade can be built from.
var allSteps = map[string]step{
	"hybrid": {apply: always, run: func(d *Decoder, g Grey) []Result {
		return d.attempt(g, hybrid, false, identity)
	}},
	"multi": {apply: always, run: func(d *Decoder, g Grey) []Result {
		return d.attempt(g, hybrid, true, identity)
	}},
	"global": {apply: always, run: func(d *Decoder, g Grey) []Result {
		return d.attempt(g, global, false, identity)
	}},
	"down2": {apply: minSide(160), run: func(d *Decoder, g Grey) []Result {
		s := d.halfOf(g)
		return d.attempt(s, hybrid, false, scaleBy(2))
	}},
	"down2-global": {apply: minSide(160), run: func(d *Decoder, g Grey) []Result {
		s := d.halfOf(g)
		return d.attempt(s, global, false, scaleBy(2))
	}},
	"down3": {apply: minSide(480), run: func(d *Decoder, g Grey) []Result {
		s := downscaleBy(d.scratch[0], g, 3)
		d.scratch[0] = s.Pix
		return d.attempt(s, hybrid, false, scaleBy(3))
	}},
	"down4": {apply: minSide(640), run: func(d *Decoder, g Grey) []Result {
		s := downscale2(d.scratch[0], d.halfOf(g))
		d.scratch[0] = s.Pix
		return d.attempt(s, hybrid, false, scaleBy(4))
	}},
	"invert": {apply: always, run: func(d *Decoder, g Grey) []Result {
		s := invert(d.scratch[0], g)
		d.scratch[0] = s.Pix
		return d.attempt(s, hybrid, false, identity)
	}},
	"up2": {apply: maxSide(800), run: func(d *Decoder, g Grey) []Result {
		s := upscale2(d.scratch[0], g)
		d.scratch[0] = s.Pix
		return d.attempt(s, hybrid, false, scaleBy(0.5))
	}},
	"stretch": {apply: always, run: func(d *Decoder, g Grey) []Result {
		s, ok := stretch(d.scratch[0], g)
		if !ok {
			return nil
		}
		d.scratch[0] = s.Pix
		return d.attempt(s, global, false, identity)
	}},
	"down2-invert": {apply: minSide(160), run: func(d *Decoder, g Grey) []Result {
		s := d.halfOf(g)
		s = invert(d.scratch[1], s)
		d.scratch[1] = s.Pix
		return d.attempt(s, hybrid, false, scaleBy(2))
	}},
	"down2-stretch": {apply: minSide(160), run: func(d *Decoder, g Grey) []Result {
		s := d.halfOf(g)
		s, ok := stretch(d.scratch[1], s)
		if !ok {
			return nil
		}
		d.scratch[1] = s.Pix
		return d.attempt(s, global, false, scaleBy(2))
	}},
	"down2-multi": {apply: minSide(160), run: func(d *Decoder, g Grey) []Result {
		s := d.halfOf(g)
		return d.attempt(s, hybrid, true, scaleBy(2))
	}},
	"fallback": {apply: always, run: func(d *Decoder, g Grey) []Result {
		return d.fallbackOn(g, 1)
	}},
	"fallback-roi": {apply: always, run: func(d *Decoder, g Grey) []Result {
		return d.fallbackROI(g)
	}},
	"fallback-spots": {apply: func(g Grey) bool { return max(g.Width, g.Height) >= minSpotPlane }, run: func(d *Decoder, g Grey) []Result {
		return d.fallbackSpots(g)
	}},
	"fallback-half": {apply: minSide(160), run: func(d *Decoder, g Grey) []Result {
		s := d.halfOf(g)
		return d.fallbackOn(s, 2)
	}},
	"fallback-quarter": {apply: minSide(320), run: func(d *Decoder, g Grey) []Result {
		s := downscaleBy(d.scratch[0], g, 4)
		d.scratch[0] = s.Pix
		return d.fallbackOn(s, 4)
	}},
	"squash-y": {apply: minSide(160), run: func(d *Decoder, g Grey) []Result {
		s := squashY(d.scratch[0], g)
		d.scratch[0] = s.Pix
		return d.attempt(s, hybrid, false, scaleXY(1, 2))
	}},
	"squash-x": {apply: minSide(160), run: func(d *Decoder, g Grey) []Result {
		s := squashX(d.scratch[0], g)
		d.scratch[0] = s.Pix
		return d.attempt(s, hybrid, false, scaleXY(2, 1))
	}},
	"widen-x": {apply: maxSide(1400), run: func(d *Decoder, g Grey) []Result {
		s := widenX(d.scratch[0], g)
		d.scratch[0] = s.Pix
		return d.attempt(s, hybrid, false, scaleXY(0.5, 1))
	}},
	"rings": {apply: always, run: func(d *Decoder, g Grey) []Result {
		return d.rings(g)
	}},
	"harder": {apply: always, run: func(d *Decoder, g Grey) []Result {
		return d.attempt(g, hybrid|harder, false, identity)
	}},
}

// StepNames lists the cascade steps available to Options.Steps, and the default cascades for
// small pictures and for camera frames and photos.
func StepNames() (all, small, large []string) {
	for n := range allSteps {
		all = append(all, n)
	}
	slices.Sort(all)
	return all, slices.Clone(smallSteps), slices.Clone(largeSteps)
}

// fallbackOn runs the fallback decoder as a cascade step on a plane 1/k the frame's size.
func (d *Decoder) fallbackOn(g Grey, k float64) []Result {
	if d.fallback == nil || (k == 1 && d.roiCoversFrame(g)) || !d.spendFallback(searchedPixels(image.Rect(0, 0, g.Width, g.Height), 720)) {
		return nil
	}
	rs, err := d.fallback.Decode(g)
	if err != nil {
		return nil
	}
	for i := range rs {
		for j, p := range rs[i].Points {
			rs[i].Points[j] = Point{p.X * k, p.Y * k}
		}
	}
	return rs
}

// fallbackROI runs the fallback decoder on crops around the symbols earlier steps located but
// could not decode (blurred, damaged, curved codes): a crop is far cheaper to search than the
// frame, and the located corners become the result's points.
func (d *Decoder) fallbackROI(g Grey) []Result {
	if d.fallback == nil {
		return nil
	}
	slices.SortFunc(d.candidates, func(a, b []Point) int {
		return cmpFloat(Result{Points: b}.Area(), Result{Points: a}.Area())
	})
	tried := d.roiTried[:0]
	defer func() { d.roiTried = tried }()
	frame := image.Rect(0, 0, g.Width, g.Height)
	budget := roiPixelBudget
	for _, q := range d.candidates {
		r := boundsOf(q, g.Width, g.Height)
		if 5*r.Dx()*r.Dy() >= 4*g.Width*g.Height {
			r = frame // a crop this large reads worse than the frame
		}
		if r.Dx() < 21 || r.Dy() < 21 || slices.ContainsFunc(tried, func(t image.Rectangle) bool { return sameCrop(t, r) }) {
			continue
		}
		if len(tried) == maxROICrops {
			break
		}
		cost := searchedPixels(r, roiMaxSide)
		if r == frame {
			cost = searchedPixels(r, 720) // searched as the whole picture, at WeChat's default MaxSide
		}
		if cost > budget || !d.spendFallback(cost) {
			continue
		}
		budget -= cost
		tried = append(tried, r)
		crop := Grey{Width: r.Dx(), Height: r.Dy(), Stride: g.Stride, Pix: g.Pix[r.Min.Y*g.Stride+r.Min.X:]}
		var rs []Result
		var err error
		if sf, ok := d.fallback.(sizedFallback); ok && r != frame {
			rs, err = sf.DecodeAt(crop, roiMaxSide)
		} else {
			rs, err = d.fallback.Decode(crop)
		}
		if err != nil || len(rs) == 0 {
			continue
		}
		for i := range rs {
			rs[i].Points = placeIn(rs[i].Points, r, q)
		}
		return rs
	}
	return nil
}

// maxROICrops bounds the crops fallbackROI hands to the fallback (the largest first): a textured
// photo yields many false detections, and each crop costs WeChat tens to hundreds of
// milliseconds.
const maxROICrops = 4

// placeIn maps the corners the fallback reported in crop r back to the frame. A fallback that
// could not place the code reports the whole crop; the symbol located before, q, stands in then.
// (The located symbol can be a false pairing of finder patterns of different codes, so the code
// read in the crop need not lie at q's centre.)
func placeIn(pts []Point, r image.Rectangle, q []Point) []Point {
	w, h := float64(r.Dx()), float64(r.Dy())
	whole := len(pts) == 4
	for _, p := range pts {
		whole = whole && (p.X < 1 || p.X > w-1) && (p.Y < 1 || p.Y > h-1)
	}
	if len(pts) != 4 || whole {
		return slices.Clone(q)
	}
	out := make([]Point, 4)
	for i, p := range pts {
		out[i] = Point{p.X + float64(r.Min.X), p.Y + float64(r.Min.Y)}
	}
	return out
}

// fallbackSpots runs the fallback on crops around lone finder patterns (Decoder.spots), at full
// resolution and a small crop at twice that: a code of 2 pixels a module in a large photo,
// which the whole-picture fallback sees shrunk, and whose third finder pattern the cascade's
// finder missed (curved, or a logo). Nothing without a sizedFallback.
func (d *Decoder) fallbackSpots(g Grey) []Result {
	sf, ok := d.fallback.(sizedFallback)
	if !ok {
		return nil
	}
	frame := image.Rect(0, 0, g.Width, g.Height)
	tried := 0
	for _, r := range d.spots {
		r = r.Intersect(frame)
		if r.Dx() < 21 || r.Dy() < 21 || max(r.Dx(), r.Dy()) > maxSpotSide {
			continue
		}
		if tried == maxSpotCrops {
			break
		}
		tried++
		crop := Grey{Width: r.Dx(), Height: r.Dy(), Stride: g.Stride, Pix: g.Pix[r.Min.Y*g.Stride+r.Min.X:]}
		k := 1.0
		if max(r.Dx(), r.Dy()) < spotUpscaleBelow {
			if !d.spendFallback(searchedPixels(image.Rect(0, 0, 2*r.Dx(), 2*r.Dy()), roiMaxSide)) {
				continue
			}
			crop = upscale2(d.scratch[1], crop)
			d.scratch[1] = crop.Pix
			k = 0.5
		} else if !d.spendFallback(searchedPixels(r, roiMaxSide)) {
			continue
		}
		rs, err := sf.DecodeAt(crop, roiMaxSide)
		if err != nil || len(rs) == 0 {
			continue
		}
		for i := range rs {
			for j, p := range rs[i].Points {
				rs[i].Points[j] = Point{p.X*k + float64(r.Min.X), p.Y*k + float64(r.Min.Y)}
			}
		}
		return rs
	}
	return nil
}

// spotUpscaleBelow is the crop size under which fallbackSpots doubles a crop before the
// fallback sees it.
const spotUpscaleBelow = 400

// maxSpotSide and maxSpotCrops bound fallbackSpots' work: it is for small codes (the ones it
// reads on the corpus are 45–65 px, their spots 120–170 px), which the whole-picture fallback
// sees shrunk; a larger spot is a larger code that the whole-picture fallback searches anyway.
// Each crop costs WeChat tens of milliseconds doubled, hundreds at 1024 px.
// On a plane under minSpotPlane on its longer side (a cropped code) the whole-picture fallback
// already sees every code at full size, and WeChat spends 300–600 ms on a doubled crop (it
// searches a small plane at several scales): no read on the text sets, the slowest images there.
const (
	maxSpotSide  = 320
	maxSpotCrops = 2
	minSpotPlane = 500
)

// sizedFallback is a Fallback that can be told the largest plane to search (a larger one is
// shrunk first): fallbackROI searches crops at a finer scale than the whole picture.
type sizedFallback interface {
	DecodeAt(g Grey, maxSide int) ([]Result, error)
}

// roiMaxSide is the longest side at which fallbackROI has a crop searched; a larger one is
// shrunk to it. The whole-picture fallback searches at WeChat.MaxSide (720 px), too coarse for
// a small code in a 1280-px photo, and a crop around the located symbol costs far less.
const roiMaxSide = 1024

// roiPixelBudget bounds the pixels fallbackROI has searched on one plane (a crop counts at the
// scale it is searched at): with maxROICrops it keeps a photo of many false detections from
// costing seconds.
const roiPixelBudget = 1_000_000

// searchedPixels is the area of r once shrunk to maxSide on its longer side.
func searchedPixels(r image.Rectangle, maxSide int) int {
	w, h := r.Dx(), r.Dy()
	if l := max(w, h); l > maxSide {
		w, h = w*maxSide/l, h*maxSide/l
	}
	return w * h
}

// boundsOf is the bounding box of q grown by a fifth of its size (the quiet zone and the error
// of corners extrapolated from finder patterns), clipped to the frame.
func boundsOf(q []Point, w, h int) image.Rectangle {
	x0, y0, x1, y1 := q[0].X, q[0].Y, q[0].X, q[0].Y
	for _, p := range q[1:] {
		x0, y0, x1, y1 = min(x0, p.X), min(y0, p.Y), max(x1, p.X), max(y1, p.Y)
	}
	m := max(x1-x0, y1-y0)/5 + 4
	r := image.Rect(int(x0-m), int(y0-m), int(x1+m)+1, int(y1+m)+1)
	return r.Intersect(image.Rect(0, 0, w, h))
}

// sameCrop reports whether two boxes mostly cover the same area (their intersection is more than
// half their union). A small box inside a large one is not the same crop: the fallback reads a
// small code in a tight crop that it misses in a wide one.
func sameCrop(a, b image.Rectangle) bool {
	i := a.Intersect(b)
	area := func(r image.Rectangle) int { return r.Dx() * r.Dy() }
	return area(i)*2 > area(a)+area(b)-area(i)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func minSide(n int) func(Grey) bool {
	return func(g Grey) bool { return min(g.Width, g.Height) >= n }
}

func maxSide(n int) func(Grey) bool {
	return func(g Grey) bool { return max(g.Width, g.Height) <= n }
}

// NewDecoder returns a Decoder with the given options.
func NewDecoder(opts Options) (*Decoder, error) {
	d := &Decoder{fallback: opts.Fallback, qr: qrdecoder.NewDecoder(), autoFallback: true}
	small, large := smallSteps, largeSteps
	if opts.Steps != nil {
		small, large = opts.Steps, opts.Steps
	}
	var err error
	if d.small, err = d.parseSteps(small); err != nil {
		return nil, err
	}
	if d.large, err = d.parseSteps(large); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Decoder) parseSteps(names []string) ([]step, error) {
	var out []step
	for _, n := range names {
		if strings.HasPrefix(n, "fallback") {
			d.autoFallback = false
		}
		s, ok := allSteps[n]
		if !ok {
			return nil, fmt.Errorf("scanner: new decoder: unknown step %q", n)
		}
		s.name = n
		out = append(out, s)
	}
	return out, nil
}

// stepsFor picks the cascade for a plane of this size.
func (d *Decoder) stepsFor(g Grey) []step {
	if min(g.Width, g.Height) >= largeSide {
		return d.large
	}
	return d.small
}

// Close releases the fallback decoder, if any.
func (d *Decoder) Close() error {
	if d.fallback == nil {
		return nil
	}
	if err := d.fallback.Close(); err != nil {
		return fmt.Errorf("scanner: close decoder: %w", err)
	}
	return nil
}

// Decode returns the codes in g, the presented one first (largest and most central), or none.
// An error means the plane itself is unusable; finding no code is not an error.
func (d *Decoder) Decode(g Grey) ([]Result, error) {
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("scanner: decode: %w", err)
	}
	d.newPlane()
	for _, s := range d.stepsFor(g) {
		if rs := d.runStep(s, g); len(rs) > 0 {
			return rs, nil
		}
	}
	if d.fallback != nil && d.autoFallback {
		return d.runFallback(g)
	}
	return nil, nil
}

// streamEvery are the steps DecodeFrame runs on every frame: cheap, and between them they read
// most codes a person holds up to a camera.
var streamEvery = map[string]bool{"down2-global": true, "hybrid": true}

// DecodeFrame is Decode for a stream of similar frames (a camera or a video), where a code that
// is hard to read now is still there in the next frame. The cheap steps (streamEvery) run on
// every frame; of the costly rest, including the fallback, one runs per frame in turn, so every
// step still gets its chance within a few frames. Pipeline splits the two halves between its
// capture loop and a worker (frameCheap, frameCostly) so that the loop's work stays bounded.
func (d *Decoder) DecodeFrame(g Grey) ([]Result, error) {
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("scanner: decode frame: %w", err)
	}
	if rs := d.frameCheap(g); len(rs) > 0 {
		return rs, nil
	}
	return d.frameCostly(g)
}

// splitSteps separates a cascade into the steps a stream runs on every frame (the first step
// and the streamEvery ones) and the costly rest.
func splitSteps(steps []step) (every, rest []step) {
	for i, s := range steps {
		if i == 0 || streamEvery[s.name] {
			every = append(every, s)
		} else {
			rest = append(rest, s)
		}
	}
	return every, rest
}

// frameCheap starts a new plane and runs the cheap steps of the stream cascade on it.
func (d *Decoder) frameCheap(g Grey) []Result {
	d.newPlane()
	every, _ := splitSteps(d.stepsFor(g))
	for _, s := range every {
		if rs := d.runStep(s, g); len(rs) > 0 {
			return rs
		}
	}
	return nil
}

// frameCostlyOf is frameCostly on a plane whose cheap steps another Decoder ran: it starts a new
// plane with the symbols those steps located but could not read, for the fallback's crops.
func (d *Decoder) frameCostlyOf(g Grey, candidates [][]Point) ([]Result, error) {
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("scanner: decode frame: %w", err)
	}
	d.newPlane()
	d.candidates = append(d.candidates, candidates...)
	return d.frameCostly(g)
}

// frameCostly runs the next costly step of the stream cascade (the fallback counts as one) on
// the current plane.
func (d *Decoder) frameCostly(g Grey) ([]Result, error) {
	_, rest := splitSteps(d.stepsFor(g))
	n := len(rest)
	if d.fallback != nil && d.autoFallback {
		n++
	}
	if n == 0 {
		return nil, nil
	}
	k := d.turn % n
	d.turn++
	if k < len(rest) {
		return d.runStep(rest[k], g), nil
	}
	return d.runFallback(g)
}

func (d *Decoder) runStep(s step, g Grey) []Result {
	if !s.apply(g) {
		return nil
	}
	rs := s.run(d, g)
	for i := range rs {
		rs[i].Step = s.name
	}
	rank(rs, g.Width, g.Height)
	return rs
}

func (d *Decoder) runFallback(g Grey) ([]Result, error) {
	if d.roiCoversFrame(g) || !d.spendFallback(searchedPixels(image.Rect(0, 0, g.Width, g.Height), 720)) {
		return nil, nil
	}
	rs, err := d.fallback.Decode(g)
	if err != nil {
		return nil, fmt.Errorf("scanner: decode: %w", err)
	}
	rank(rs, g.Width, g.Height)
	return rs, nil
}

// mode selects the binarizer and detector variant of one attempt.
type mode int

const (
	hybrid mode = 1 << iota
	global
	harder
)

// coordMap maps a point of a prepared plane back to the frame.
type coordMap func(x, y float64) (float64, float64)

func identity(x, y float64) (float64, float64) { return x, y }

// scaleBy maps from a plane that is 1/k the size of the frame.
func scaleBy(k float64) coordMap {
	return func(x, y float64) (float64, float64) { return x * k, y * k }
}

// scaleXY maps from a plane shrunk by kx across and ky down.
func scaleXY(kx, ky float64) coordMap {
	return func(x, y float64) (float64, float64) { return x * kx, y * ky }
}

// attempt binarizes g, finds codes and decodes them. gozxing is a port of Java code that
// assumes well-formed input; a panic inside it on a hostile frame becomes "nothing found".
func (d *Decoder) attempt(g Grey, m mode, multi bool, back coordMap) (out []Result) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	var matrix *gozxing.BitMatrix
	var err error
	if m&global != 0 {
		matrix, err = d.bin.globalMatrix(g)
	} else {
		matrix, err = d.bin.hybridMatrix(g)
	}
	if err != nil {
		return nil
	}
	var hints map[gozxing.DecodeHintType]any
	if m&harder != 0 {
		hints = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	}
	var found []*common.DetectorResult
	if multi {
		found = detectMulti(matrix, hints)
	} else {
		// detector.Detect, with the finder's lone patterns kept when it finds fewer than three.
		f := detector.NewFinderPatternFinder(matrix, nil)
		if info, err := f.Find(hints); err == nil {
			if r, err := detector.NewDetector(matrix).ProcessFinderPatternInfo(info); err == nil {
				found = []*common.DetectorResult{r}
			}
		} else {
			d.rememberSpot(f.GetPossibleCenters(), back)
		}
	}
	retries := 0
	for _, det := range found {
		res, err := d.qr.Decode(det.GetBits(), hints)
		if err != nil && retries < maxResample {
			retries++
			var r *common.DetectorResult
			if res, r = d.resample(matrix, det, hints); res != nil {
				det, err = r, nil
			}
		}
		if err != nil {
			d.remember(corners(det.GetPoints(), det.GetBits().GetWidth()), back)
			continue
		}
		pts := det.GetPoints()
		if meta, ok := res.GetOther().(*qrdecoder.QRCodeDecoderMetaData); ok {
			meta.ApplyMirroredCorrection(pts)
		}
		out = append(out, newResult(res, corners(pts, det.GetBits().GetWidth()), back))
	}
	return dedupeTexts(out)
}

// maxResample bounds how many undecodable detections per attempt get resampled.
const maxResample = 2

// resample retries a detection whose grid did not decode with the fourth corner moved: gozxing
// places the bottom-right of the grid at the alignment pattern or, without one (version 1, or
// not found), completes a parallelogram from the three finder patterns, which is wrong under
// perspective and for curved paper. A one-module step in each direction around the estimate, and
// the next version up and down, cost a grid sample and a failed Reed-Solomon check each
// (microseconds) and recover many photographed codes.
func (d *Decoder) resample(matrix *gozxing.BitMatrix, det *common.DetectorResult, hints map[gozxing.DecodeHintType]any) (*common.DecoderResult, *common.DetectorResult) {
	pts := det.GetPoints()
	if len(pts) < 3 {
		return nil, nil
	}
	bl, tl, tr := pts[0], pts[1], pts[2]
	dim := det.GetBits().GetWidth()
	brX, brY := tr.GetX()-tl.GetX()+bl.GetX(), tr.GetY()-tl.GetY()+bl.GetY()
	inset := 3.5 // the estimate stands for a fourth finder pattern's centre
	if len(pts) > 3 {
		brX, brY = pts[3].GetX(), pts[3].GetY()
		inset = 6.5 // the alignment pattern's centre
	}
	module := (gozxing.ResultPoint_Distance(tl, tr) + gozxing.ResultPoint_Distance(tl, bl)) / (2 * float64(dim-7))
	try := func(dim int, dx, dy float64) (*common.DecoderResult, *common.DetectorResult) {
		if dim < 21 || dim > 177 || dim%4 != 1 {
			return nil, nil
		}
		src := float64(dim) - inset
		if inset > 4 && dim == 21 {
			return nil, nil // version 1 has no alignment pattern
		}
		fx, fy := brX+dx*module, brY+dy*module
		t := common.PerspectiveTransform_QuadrilateralToQuadrilateral(
			3.5, 3.5, float64(dim)-3.5, 3.5, src, src, 3.5, float64(dim)-3.5,
			tl.GetX(), tl.GetY(), tr.GetX(), tr.GetY(), fx, fy, bl.GetX(), bl.GetY())
		bits, err := common.GridSampler_GetInstance().SampleGridWithTransform(matrix, dim, dim, t)
		if err != nil {
			return nil, nil
		}
		res, err := d.qr.Decode(bits, hints)
		if err != nil {
			return nil, nil
		}
		np := []gozxing.ResultPoint{bl, tl, tr}
		if inset > 4 {
			np = append(np, gozxing.NewResultPoint(fx, fy))
		}
		return res, common.NewDetectorResult(bits, np)
	}
	offsets := resampleOffsets
	if dim == 21 && inset < 4 {
		offsets = resampleOffsetsWide
	}
	for _, o := range offsets {
		if d.resampleLeft < dim*dim {
			return nil, nil
		}
		d.resampleLeft -= dim * dim
		if res, r := try(dim, o[0], o[1]); res != nil {
			return res, r
		}
	}
	for _, dd := range [...]int{4, -4} {
		if d.resampleLeft < (dim+dd)*(dim+dd) {
			return nil, nil
		}
		d.resampleLeft -= (dim + dd) * (dim + dd)
		if res, r := try(dim+dd, 0, 0); res != nil {
			return res, r
		}
	}

	return nil, nil
}

// resampleOffsets are the moves of the fourth corner resample tries, in modules, nearest first.
// A version 1 code has no alignment pattern, and the parallelogram estimate of its fourth
// corner is several modules off when the code fills the frame at a slant (a close-up): its
// offsets reach further (a 21×21 sample and a failed check cost ~10 µs each).
var (
	resampleOffsets     = ringOffsets(2)
	resampleOffsetsWide = ringOffsets(maxWideOffset)
)

// resampleBudget bounds what resample samples on one plane, in modules (a sample of a version v
// grid is (17+4v)² modules, and each costs a Reed-Solomon check that fails): a dense
// high-version code that the cascade locates but cannot read, once per step, used to cost
// hundreds of milliseconds in resampling alone. It is a count, not a clock, so what is read does
// not depend on the machine's load.
var resampleBudget = 1_000_000

// maxWideOffset is how far, in modules, resample moves a version 1 code's fourth corner.
const maxWideOffset = 8

// ringOffsets lists the grid offsets on the square rings 1..n around the origin, nearest first.
func ringOffsets(n int) [][2]float64 {
	var out [][2]float64
	for r := 1.0; r <= float64(n); r++ {
		for dy := -r; dy <= r; dy++ {
			for dx := -r; dx <= r; dx++ {
				if max(math.Abs(dx), math.Abs(dy)) == r {
					out = append(out, [2]float64{dx, dy})
				}
			}
		}
	}
	return out
}

// maxMultiCandidates bounds the finder-pattern triples the multi detector tries to sample and
// decode. gozxing's MultiDetector tries every plausible triple, which on a textured photo can be
// thousands of decode attempts (seconds); the largest few are the ones that matter.
const maxMultiCandidates = 12

// detectMulti finds up to maxMultiCandidates symbols, the largest first.
func detectMulti(matrix *gozxing.BitMatrix, hints map[gozxing.DecodeHintType]any) []*common.DetectorResult {
	infos, err := multidetector.NewMultiFinderPatternFinder(matrix, nil).FindMulti(hints)
	if err != nil {
		return nil
	}
	size := func(i *detector.FinderPatternInfo) float64 {
		return gozxing.ResultPoint_Distance(i.GetTopLeft(), i.GetTopRight()) + gozxing.ResultPoint_Distance(i.GetTopLeft(), i.GetBottomLeft())
	}
	slices.SortStableFunc(infos, func(a, b *detector.FinderPatternInfo) int { return cmpFloat(size(b), size(a)) })
	det := detector.NewDetector(matrix)
	var out []*common.DetectorResult
	for _, info := range infos[:min(len(infos), maxMultiCandidates)] {
		if r, err := det.ProcessFinderPatternInfo(info); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// corners turns the detector's finder (and alignment) pattern centres into the four corners of
// the symbol, through the same module-grid transform the detector sampled with.
func corners(pts []gozxing.ResultPoint, dimension int) []Point {
	if len(pts) < 3 || dimension < 21 {
		out := make([]Point, len(pts))
		for i, p := range pts {
			out[i] = Point{p.GetX(), p.GetY()}
		}
		return out
	}
	bl, tl, tr := pts[0], pts[1], pts[2]
	dm := float64(dimension) - 3.5
	brX, brY := tr.GetX()-tl.GetX()+bl.GetX(), tr.GetY()-tl.GetY()+bl.GetY()
	sbr := dm
	if len(pts) > 3 {
		brX, brY = pts[3].GetX(), pts[3].GetY()
		sbr = dm - 3
	}
	t := common.PerspectiveTransform_QuadrilateralToQuadrilateral(
		3.5, 3.5, dm, 3.5, sbr, sbr, 3.5, dm,
		tl.GetX(), tl.GetY(), tr.GetX(), tr.GetY(), brX, brY, bl.GetX(), bl.GetY())
	n := float64(dimension)
	xy := []float64{0, 0, n, 0, n, n, 0, n}
	t.TransformPoints(xy)
	out := make([]Point, 4)
	for i := range out {
		out[i] = Point{xy[2*i], xy[2*i+1]}
	}
	return out
}

func newResult(res *common.DecoderResult, pts []Point, back coordMap) Result {
	r := Result{Text: res.GetText(), Points: pts}
	for i, p := range r.Points {
		r.Points[i].X, r.Points[i].Y = back(p.X, p.Y)
	}
	if res.HasStructuredAppend() {
		seq := res.GetStructuredAppendSequenceNumber()
		r.Append = &Append{Index: seq >> 4, Total: seq&0xf + 1, Parity: res.GetStructuredAppendParity()}
	}
	return r
}

// dedupeTexts drops repeated detections of the same symbol (the multi detector can find one
// code through several finder-pattern triples).
func dedupeTexts(rs []Result) []Result {
	if len(rs) < 2 {
		return rs
	}
	out := rs[:0]
	for _, r := range rs {
		if !slices.ContainsFunc(out, func(o Result) bool { return o.Text == r.Text && near(o, r) }) {
			out = append(out, r)
		}
	}
	return out
}

func near(a, b Result) bool {
	ca, cb := a.Centre(), b.Centre()
	return math.Hypot(ca.X-cb.X, ca.Y-cb.Y) < math.Sqrt(max(a.Area(), b.Area()))/2
}

// JoinAppend joins structured-append parts into the message they carry. It reports false unless
// every part of one message (same parity) is present.
func JoinAppend(rs []Result) (string, bool) {
	var parts []Result
	for _, r := range rs {
		if r.Append != nil {
			parts = append(parts, r)
		}
	}
	if len(parts) == 0 {
		return "", false
	}
	total, parity := parts[0].Append.Total, parts[0].Append.Parity
	byIndex := make([]*Result, total)
	for i := range parts {
		a := parts[i].Append
		if a.Total != total || a.Parity != parity || a.Index < 0 || a.Index >= total {
			continue
		}
		byIndex[a.Index] = &parts[i]
	}
	var sb strings.Builder
	for _, p := range byIndex {
		if p == nil {
			return "", false
		}
		sb.WriteString(p.Text)
	}
	return sb.String(), true
}
