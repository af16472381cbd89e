//go:build gocv

package scanner

// corpusDecoder is the decoder this build ships: the cascade with the WeChat fallback.
func corpusDecoder() (*Decoder, error) { return NewDefaultDecoder() }

// corpusFloors for the cascade with the WeChat fallback: what it reads (docs/BENCHMARKS.md); the
// categories are the ones where it was behind zxing-cpp (close, nominal, perspective, rotations,
// curved; zxing-cpp 20, 30, 13, 22, 17).
func corpusFloors() floors {
	return floors{textExact: 291, boofcv: 214, monitor: 9, category: map[string]int{
		"close": 20, "nominal": 31, "perspective": 15, "rotations": 22, "curved": 18,
	}}
}
