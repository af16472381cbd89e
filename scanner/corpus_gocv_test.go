//go:build gocv

package scanner

// corpusDecoder is the decoder this build ships: the cascade with the WeChat fallback.
func corpusDecoder() (*Decoder, error) { return NewDefaultDecoder() }

// corpusFloors for the cascade with the WeChat fallback: what it reads (docs/BENCHMARKS.md); the
// categories are the ones where it was behind zxing-cpp (close, nominal, perspective, rotations;
// zxing-cpp 20, 30, 13, 22) and curved, which the bounded WeChat fallback costs one image.
func corpusFloors() floors {
	return floors{textExact: 291, boofcv: 202, monitor: 9, category: map[string]int{
		"close": 20, "nominal": 29, "perspective": 12, "rotations": 22, "curved": 16,
	}}
}
