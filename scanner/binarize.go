package scanner

import (
	"encoding/binary"

	"github.com/makiuchi-d/gozxing"
)

// binarizer holds reusable memory for hybridMatrix.
type binarizer struct {
	black  []int             // one black point per 8×8 block
	thresh []int             // per-block threshold of one block row
	row    *gozxing.BitArray // one output row, copied into the matrix
	matrix *gozxing.BitMatrix
}

const (
	blockPower = 3
	blockSize  = 1 << blockPower
	minRange   = 24 // MIN_DYNAMIC_RANGE
)

// hybridMatrix is zxing's HybridBinarizer (a black point per 8×8 block, thresholds averaged over
// the surrounding 5×5 blocks) computed straight from the plane, with the same output bit for
// bit. gozxing's version sets one bit at a time through method calls and allocates on every
// frame; this one fills whole 32-bit words of a row and reuses its memory, which roughly halves
// the cost of the first cascade step. The returned matrix is overwritten by the next call.
func (b *binarizer) hybridMatrix(g Grey) (*gozxing.BitMatrix, error) {
	w, h := g.Width, g.Height
	if w < blockSize*5 || h < blockSize*5 {
		return b.globalMatrix(g)
	}
	subW := (w + blockSize - 1) >> blockPower
	subH := (h + blockSize - 1) >> blockPower
	b.blackPoints(g, subW, subH)
	if err := b.ensure(w, h); err != nil {
		return nil, err
	}
	words := b.row.GetBitArray()
	if cap(b.thresh) < subW {
		b.thresh = make([]int, subW)
	}
	thresh := b.thresh[:subW]
	maxX, maxY := w-blockSize, h-blockSize
	// Threshold per block, then each pixel row: a pixel is black when it is at or below the
	// threshold of any block covering it (the last block of a row or column is shifted inwards
	// to stay inside the image, so it can overlap its neighbour, as in zxing).
	for by := 0; by < subH; by++ {
		top := clampInt(by, 2, subH-3)
		for bx := 0; bx < subW; bx++ {
			left := clampInt(bx, 2, subW-3)
			sum := 0
			for z := -2; z <= 2; z++ {
				r := b.black[(top+z)*subW+left-2 : (top+z)*subW+left+3]
				sum += r[0] + r[1] + r[2] + r[3] + r[4]
			}
			thresh[bx] = sum / 25
		}
		y0 := min(by<<blockPower, maxY)
		for y := y0; y < y0+blockSize; y++ {
			clear(words)
			if by == subH-1 && y < (subH-1)<<blockPower {
				// The shifted last block row overlaps rows the previous one already set.
				prev := b.matrix.GetRow(y, nil).GetBitArray()
				copy(words, prev)
			}
			row := g.Row(y)
			for bx := 0; bx < subW; bx++ {
				x0 := min(bx<<blockPower, maxX)
				t := thresh[bx]
				px := row[x0 : x0+blockSize : x0+blockSize]
				if x0&(blockSize-1) == 0 {
					// An aligned block is one byte of the row's bit words.
					words[x0>>5] |= le8(px, t) << (x0 & 31)
					continue
				}
				for i, v := range px {
					x := x0 + i
					words[x>>5] |= b2u(int(v) <= t) << (x & 31)
				}
			}
			b.matrix.SetRow(y, b.row)
		}
	}
	return b.matrix, nil
}

// blackPoints computes zxing's per-block black point estimates into b.black.
func (b *binarizer) blackPoints(g Grey, subW, subH int) {
	if cap(b.black) < subW*subH {
		b.black = make([]int, subW*subH)
	}
	bp := b.black[:subW*subH]
	maxX, maxY := g.Width-blockSize, g.Height-blockSize
	for by := 0; by < subH; by++ {
		y0 := min(by<<blockPower, maxY)
		for bx := 0; bx < subW; bx++ {
			x0 := min(bx<<blockPower, maxX)
			// The first row decides most blocks: with contrast in it, the rest only adds to
			// the sum. A flat first row means the whole block's range is needed: the other
			// rows' minimum and maximum are taken four pixels at a time in 16-bit lanes.
			o := y0*g.Stride + x0
			px := g.Pix[o : o+blockSize : o+blockSize]
			sum, lo, hi := sum8(px), 255, 0
			for _, v := range px {
				lo = min(lo, int(v))
				hi = max(hi, int(v))
			}
			if hi-lo > minRange {
				for yy := 1; yy < blockSize; yy++ {
					o += g.Stride
					sum += sum8(g.Pix[o : o+blockSize : o+blockSize])
				}
			} else {
				v := binary.LittleEndian.Uint64(px)
				a, b := spread4(uint32(v)), spread4(uint32(v>>32))
				mnA, mxA, mnB, mxB := a, a, b, b
				for yy := 1; yy < blockSize; yy++ {
					o += g.Stride
					r := g.Pix[o : o+blockSize : o+blockSize]
					sum += sum8(r)
					v := binary.LittleEndian.Uint64(r)
					a, b := spread4(uint32(v)), spread4(uint32(v>>32))
					mnA, mxA = laneMin(mnA, a), laneMax(mxA, a)
					mnB, mxB = laneMin(mnB, b), laneMax(mxB, b)
				}
				lo = foldMin(laneMin(mnA, mnB))
				hi = foldMax(laneMax(mxA, mxB))
			}
			avg := sum >> (2 * blockPower)
			if hi-lo <= minRange {
				// A flat block: assume background, unless the neighbours' black points say the
				// whole area is dark.
				avg = lo / 2
				if by > 0 && bx > 0 {
					nb := (bp[(by-1)*subW+bx] + 2*bp[by*subW+bx-1] + bp[(by-1)*subW+bx-1]) / 4
					if lo < nb {
						avg = nb
					}
				}
			}
			bp[by*subW+bx] = avg
		}
	}
}

// sum8 adds eight bytes at once: pairwise sums in 16-bit lanes, then one multiply folds the
// four lanes into the top one.
func sum8(px []byte) int {
	v := binary.LittleEndian.Uint64(px)
	const m = 0x00ff00ff00ff00ff
	v = v&m + (v>>8)&m
	return int((v * 0x0001000100010001) >> 48)
}

// laneHigh is the top bit of each 16-bit lane.
const laneHigh = 0x8000800080008000

// laneGE has 0xffff in each 16-bit lane where a >= b (lanes hold bytes, so no lane overflows).
func laneGE(a, b uint64) uint64 {
	return (((a | laneHigh) - b) & laneHigh) >> 15 * 0xffff
}

func laneMin(a, b uint64) uint64 { m := laneGE(a, b); return b&m | a&^m }
func laneMax(a, b uint64) uint64 { m := laneGE(a, b); return a&m | b&^m }

func foldMin(v uint64) int {
	v = laneMin(v, v>>32)
	v = laneMin(v, v>>16)
	return int(v & 0xff)
}

func foldMax(v uint64) int {
	v = laneMax(v, v>>32)
	v = laneMax(v, v>>16)
	return int(v & 0xff)
}

// le8 returns a bit per byte of px (bit i for px[i]) set when the byte is at most t, eight at a
// time: each byte goes into a 16-bit lane holding 0x100+t-v, whose bit 8 survives exactly when
// v <= t, and a multiply gathers the four lane bits of each half.
func le8(px []byte, t int) uint32 {
	v := binary.LittleEndian.Uint64(px)
	tt := uint64(0x100+t) * 0x0001000100010001
	return le4(tt, spread4(uint32(v))) | le4(tt, spread4(uint32(v>>32)))<<4
}

// spread4 moves the four bytes of v into the low halves of four 16-bit lanes.
func spread4(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000ffff0000ffff
	return (x | x<<8) & 0x00ff00ff00ff00ff
}

func le4(tt, lanes uint64) uint32 {
	y := ((tt - lanes) >> 8) & 0x0001000100010001
	return uint32((y*(1<<45|1<<30|1<<15|1))>>45) & 0xf
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// globalMatrix is zxing's GlobalHistogramBinarizer: one black point for the whole plane, from a
// histogram of four rows through the middle, computed straight from the plane like hybridMatrix
// (same bits as gozxing's, at a fraction of the cost). The matrix is reused as in hybridMatrix.
func (b *binarizer) globalMatrix(g Grey) (*gozxing.BitMatrix, error) {
	w, h := g.Width, g.Height
	var buckets [32]int
	for y := 1; y < 5; y++ {
		row := g.Row(h * y / 5)
		for _, v := range row[w/5 : w*4/5] {
			buckets[v>>3]++
		}
	}
	black, ok := estimateBlackPoint(buckets[:])
	if !ok {
		return nil, gozxing.NewNotFoundException()
	}
	if err := b.ensure(w, h); err != nil {
		return nil, err
	}
	words := b.row.GetBitArray()
	for y := 0; y < h; y++ {
		clear(words)
		row := g.Row(y)
		x := 0
		for ; x+8 <= w; x += 8 {
			words[x>>5] |= le8(row[x:x+8], black-1) << (x & 31)
		}
		for ; x < w; x++ {
			words[x>>5] |= b2u(int(row[x]) < black) << (x & 31)
		}
		b.matrix.SetRow(y, b.row)
	}
	return b.matrix, nil
}

// ensure makes b.matrix and b.row fit a w×h plane.
func (b *binarizer) ensure(w, h int) error {
	if b.matrix != nil && b.matrix.GetWidth() == w && b.matrix.GetHeight() == h {
		return nil
	}
	m, err := gozxing.NewBitMatrix(w, h)
	if err != nil {
		return err
	}
	b.matrix = m
	b.row = gozxing.NewBitArray(w)
	return nil
}

// estimateBlackPoint is zxing's: the valley between the two main histogram peaks, nearer the
// light one; false when the picture has too little contrast.
func estimateBlackPoint(buckets []int) (int, bool) {
	n := len(buckets)
	maxCount, first, firstSize := 0, 0, 0
	for x, c := range buckets {
		if c > firstSize {
			first, firstSize = x, c
		}
		maxCount = max(maxCount, c)
	}
	second, secondScore := 0, 0
	for x, c := range buckets {
		d := x - first
		if score := c * d * d; score > secondScore {
			second, secondScore = x, score
		}
	}
	if first > second {
		first, second = second, first
	}
	if second-first <= n/16 {
		return 0, false
	}
	best, bestScore := second-1, -1
	for x := second - 1; x > first; x-- {
		f := x - first
		if score := f * f * (second - x) * (maxCount - buckets[x]); score > bestScore {
			best, bestScore = x, score
		}
	}
	return best << 3, true
}
