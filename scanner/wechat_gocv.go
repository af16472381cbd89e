//go:build gocv

package scanner

/*
#cgo pkg-config: opencv4
#cgo CXXFLAGS: -std=c++14
#include <stdlib.h>
#include "wechat.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unicode/utf8"
	"unsafe"

	"github.com/makiuchi-d/gozxing/common"
)

// WeChat is OpenCV's WeChat QR decoder (opencv_contrib wechat_qrcode) used as a Decoder
// fallback: slower than the gozxing cascade (about 20 ms on a 1280-pixel photo, far more on
// dense ones) but it reads many damaged, curved and screen-shown codes the cascade cannot.
// Without its CNN detector models it treats the whole plane as the code's region and reports no
// position; the wrapper then asks OpenCV's geometric QR detector for candidate quadrangles and
// keeps the one from which WeChat reads the same text (else the whole plane is reported). Not
// safe for concurrent use.
type WeChat struct {
	h unsafe.Pointer
	// MaxSide, when positive, bounds the work on a large plane: one whose longer side exceeds
	// it is shrunk to it before WeChat searches it (WeChat tries the plane at two scales and
	// with four binarizers, seconds on a 1280-pixel photo with no code).
	MaxSide int
}

// DefaultWeChatMaxSide is the MaxSide NewWeChat sets. On the 25 boofcv-dev photos the
// whole-picture fallback used to read, WeChat took 11.0 s in all (max 4.1 s) at full size and
// read 22; at 720 px 5.4 s (max 0.9 s) and 20; at 640 px 3.0 s and 19 (docs/BENCHMARKS.md).
const DefaultWeChatMaxSide = 720

// NewWeChat creates the decoder, with MaxSide set to DefaultWeChatMaxSide.
func NewWeChat() (*WeChat, error) {
	h := C.wechat_new()
	if h == nil {
		return nil, errors.New("scanner: new wechat decoder: OpenCV could not create it")
	}
	return &WeChat{h: h, MaxSide: DefaultWeChatMaxSide}, nil
}

// Decode implements Fallback.
func (w *WeChat) Decode(g Grey) ([]Result, error) {
	return w.DecodeAt(g, w.MaxSide)
}

// DecodeAt is Decode with maxSide in place of MaxSide (0: the plane as it is).
func (w *WeChat) DecodeAt(g Grey, maxSide int) ([]Result, error) {
	if w.h == nil {
		return nil, errors.New("scanner: wechat decode: decoder closed")
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("scanner: wechat decode: %w", err)
	}
	if g.Width <= 20 || g.Height <= 20 {
		return nil, nil // OpenCV returns nothing for these anyway
	}
	r := C.wechat_decode(w.h, (*C.uchar)(unsafe.Pointer(&g.Pix[0])), C.int(g.Width), C.int(g.Height), C.int(g.Stride), C.int(maxSide))
	defer C.wechat_results_free(r)
	if r.error != nil {
		return nil, fmt.Errorf("scanner: wechat decode: %s", C.GoString(r.error))
	}
	n := int(r.n)
	if n == 0 {
		return nil, nil
	}
	texts := unsafe.Slice(r.texts, n)
	lens := unsafe.Slice(r.lens, n)
	pts := unsafe.Slice(r.points, 8*n)
	out := make([]Result, 0, n)
	for i := range n {
		res := Result{Text: textOf(C.GoBytes(unsafe.Pointer(texts[i]), lens[i])), Step: "wechat"}
		for k := range 4 {
			res.Points = append(res.Points, Point{float64(pts[8*i+2*k]), float64(pts[8*i+2*k+1])})
		}
		out = append(out, res)
	}
	return out, nil
}

// Close releases the decoder.
func (w *WeChat) Close() error {
	if w.h != nil {
		C.wechat_free(w.h)
		w.h = nil
	}
	return nil
}

// textOf turns WeChat's payload bytes into text. WeChat returns byte-mode payloads without the
// character-set conversion zxing does (Shift_JIS bytes come back raw), so bytes that are not
// UTF-8 get zxing's guess (ISO-8859-1 or Shift_JIS).
func textOf(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	enc, err := common.StringUtils_guessCharset(b, nil)
	if err != nil || enc == nil {
		return string(b)
	}
	s, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(s)
}
