//go:build gocv

package scanner

// corpusDecoder is the decoder this build ships: the cascade with the WeChat fallback.
func corpusDecoder() (*Decoder, error) { return NewDefaultDecoder() }

// corpusFloors for the cascade with the WeChat fallback: the targets.
func corpusFloors() floors { return floors{textExact: 290, boofcv: 190, monitor: 9} }
