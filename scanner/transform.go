package scanner

// Plane transforms used by the cascade. Each writes into a caller-owned buffer so that a
// Decoder working on a video stream reuses its memory from frame to frame.

// grow returns buf resized to n bytes, reallocating only when it is too small.
func grow(buf []byte, n int) []byte {
	if cap(buf) < n {
		return make([]byte, n)
	}
	return buf[:n]
}

// downscale2 halves both sides with a 2x2 box filter.
func downscale2(dst []byte, g Grey) Grey {
	w, h := g.Width/2, g.Height/2
	out := Grey{Width: w, Height: h, Stride: w, Pix: grow(dst, w*h)}
	for y := 0; y < h; y++ {
		r0 := g.Row(2 * y)
		r1 := g.Row(2*y + 1)
		o := out.Pix[y*w : y*w+w]
		for x := range o {
			o[x] = byte((int(r0[2*x]) + int(r0[2*x+1]) + int(r1[2*x]) + int(r1[2*x+1]) + 2) >> 2)
		}
	}
	return out
}

// downscaleBy shrinks by an integer factor k with a k×k box filter.
func downscaleBy(dst []byte, g Grey, k int) Grey {
	if k == 2 {
		return downscale2(dst, g)
	}
	w, h := g.Width/k, g.Height/k
	out := Grey{Width: w, Height: h, Stride: w, Pix: grow(dst, w*h)}
	acc := make([]int, w)
	n := k * k
	for y := 0; y < h; y++ {
		clear(acc)
		for dy := 0; dy < k; dy++ {
			r := g.Row(k*y + dy)
			for x := range acc {
				s := 0
				for _, v := range r[k*x : k*x+k] {
					s += int(v)
				}
				acc[x] += s
			}
		}
		o := out.Pix[y*w : y*w+w]
		for x := range o {
			o[x] = byte((acc[x] + n/2) / n)
		}
	}
	return out
}

// upscale2 doubles both sides with bilinear interpolation; small, low-resolution codes give the
// binarizer and the finder-pattern scan more pixels per module. Each output pixel lies a quarter
// of a source pixel from its nearest source pixel, so the weights are 3/4 and 1/4 in each
// direction: rows are first doubled horizontally (kept at 4× scale), then blended in pairs.
func upscale2(dst []byte, g Grey) Grey {
	w, h := g.Width*2, g.Height*2
	out := Grey{Width: w, Height: h, Stride: w, Pix: grow(dst, w*h)}
	hrows := [3][]uint16{make([]uint16, w), make([]uint16, w), make([]uint16, w)}
	widen := func(dst []uint16, y int) {
		r := g.Row(y)
		last := len(r) - 1
		for x, v := range r {
			c := 3 * uint16(v)
			dst[2*x] = c + uint16(r[max(x-1, 0)])
			dst[2*x+1] = c + uint16(r[min(x+1, last)])
		}
	}
	// hrows[0..2] hold the widened rows y-1, y, y+1 (clamped at the edges).
	widen(hrows[1], 0)
	copy(hrows[0], hrows[1])
	if g.Height > 1 {
		widen(hrows[2], 1)
	} else {
		copy(hrows[2], hrows[1])
	}
	for y := 0; y < g.Height; y++ {
		prev, cur, next := hrows[0], hrows[1], hrows[2]
		even := out.Pix[2*y*w : 2*y*w+w]
		odd := out.Pix[(2*y+1)*w : (2*y+1)*w+w]
		for x := range even {
			c := 3 * uint32(cur[x])
			even[x] = byte((c + uint32(prev[x]) + 8) >> 4)
			odd[x] = byte((c + uint32(next[x]) + 8) >> 4)
		}
		hrows[0], hrows[1], hrows[2] = cur, next, prev
		if y+2 < g.Height {
			widen(hrows[2], y+2)
		} else {
			copy(hrows[2], hrows[1])
		}
	}
	return out
}

// invert maps v to 255-v: light codes on a dark background (dark-mode screens).
func invert(dst []byte, g Grey) Grey {
	out := Grey{Width: g.Width, Height: g.Height, Stride: g.Width, Pix: grow(dst, g.Width*g.Height)}
	for y := 0; y < g.Height; y++ {
		r := g.Row(y)
		o := out.Pix[y*g.Width : y*g.Width+g.Width]
		for x, v := range r {
			o[x] = 255 - v
		}
	}
	return out
}

// stretch spreads the 1st..99th percentile of the histogram over 0..255: a dim or washed-out
// picture (screen glare, under-exposure) keeps its contrast for the global binarizer.
func stretch(dst []byte, g Grey) (Grey, bool) {
	var hist [256]int
	for y := 0; y < g.Height; y++ {
		for _, v := range g.Row(y) {
			hist[v]++
		}
	}
	n := g.Width * g.Height
	lo, hi := 0, 255
	for acc := 0; lo < 255; lo++ {
		acc += hist[lo]
		if acc > n/100 {
			break
		}
	}
	for acc := 0; hi > 0; hi-- {
		acc += hist[hi]
		if acc > n/100 {
			break
		}
	}
	if hi-lo < 8 || (lo < 16 && hi > 239) {
		return g, false // flat, or already full range: nothing to gain
	}
	var lut [256]byte
	for v := range lut {
		lut[v] = clampByte((v - lo) * 255 / (hi - lo))
	}
	out := Grey{Width: g.Width, Height: g.Height, Stride: g.Width, Pix: grow(dst, n)}
	for y := 0; y < g.Height; y++ {
		r := g.Row(y)
		o := out.Pix[y*g.Width : y*g.Width+g.Width]
		for x, v := range r {
			o[x] = lut[v]
		}
	}
	return out, true
}

// squashY halves the height only (2×1 box filter): a code seen at a slant, foreshortened across
// its width, becomes about square again, so the finder-pattern cross checks (which allow the
// vertical and horizontal extents of a pattern to differ by at most 40 %) accept it.
func squashY(dst []byte, g Grey) Grey {
	w, h := g.Width, g.Height/2
	out := Grey{Width: w, Height: h, Stride: w, Pix: grow(dst, w*h)}
	for y := 0; y < h; y++ {
		r0, r1 := g.Row(2*y), g.Row(2*y+1)
		o := out.Pix[y*w : y*w+w]
		for x := range o {
			o[x] = byte((int(r0[x]) + int(r1[x]) + 1) >> 1)
		}
	}
	return out
}

// squashX halves the width only: squashY for a code foreshortened along its height.
func squashX(dst []byte, g Grey) Grey {
	w, h := g.Width/2, g.Height
	out := Grey{Width: w, Height: h, Stride: w, Pix: grow(dst, w*h)}
	for y := 0; y < h; y++ {
		r := g.Row(y)
		o := out.Pix[y*w : y*w+w]
		for x := range o {
			o[x] = byte((int(r[2*x]) + int(r[2*x+1]) + 1) >> 1)
		}
	}
	return out
}

// widenX doubles the width only (linear interpolation): squashY for a code so narrow, seen this
// much at a slant, that halving its height would leave too few pixels per module across.
func widenX(dst []byte, g Grey) Grey {
	w, h := g.Width*2, g.Height
	out := Grey{Width: w, Height: h, Stride: w, Pix: grow(dst, w*h)}
	for y := 0; y < h; y++ {
		r := g.Row(y)
		o := out.Pix[y*w : y*w+w]
		last := len(r) - 1
		for x, v := range r {
			o[2*x] = v
			o[2*x+1] = byte((int(v) + int(r[min(x+1, last)]) + 1) >> 1)
		}
	}
	return out
}
