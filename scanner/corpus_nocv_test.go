//go:build !gocv

package scanner

// corpusDecoder is the decoder this build ships: the pure-Go cascade.
func corpusDecoder() (*Decoder, error) { return NewDecoder(Options{}) }

// corpusFloors for the pure-Go cascade. It meets the text target and reads every monitor image
// but not zxing-cpp's boofcv-dev count; the gocv build (WeChat fallback) is the one that does.
func corpusFloors() floors {
	return floors{textExact: 282, boofcv: 177, monitor: 9, category: map[string]int{"close": 20, "nominal": 30, "perspective": 15, "rotations": 22}}
}
