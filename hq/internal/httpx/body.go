package httpx

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MaxSmallBody bounds every request body but a kiosk's record batch.
const MaxSmallBody = 64 << 10

// ErrTooLarge is returned (wrapped) when a body is over its limit, compressed or not: the
// answer was 413. Other body errors were answered 400 or 415.
var ErrTooLarge = errors.New("httpx: body too large")

// capReader fails with ErrTooLarge once more than n bytes have been read.
type capReader struct {
	r io.Reader
	n int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > c.n+1 {
		p = p[:c.n+1]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	if c.n < 0 {
		return n, ErrTooLarge
	}
	return n, err
}

// ReadBody reads a request body of at most limit bytes, before and after gzip decoding
// (Content-Encoding gzip, identity or none). On failure it has already answered — 413 with
// an error wrapping ErrTooLarge, 415 for another encoding, 400 otherwise — and returns the
// error for the caller to count.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	var body io.Reader = &capReader{r: http.MaxBytesReader(w, r.Body, limit), n: limit}
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			if tooLarge(w, err, limit) {
				return nil, fmt.Errorf("%w: %w", ErrTooLarge, err)
			}
			WriteError(w, http.StatusBadRequest, "bad_encoding", "请求体不是有效的 gzip 数据 / body is not valid gzip")
			return nil, fmt.Errorf("httpx: gzip: %w", err)
		}
		defer zr.Close()
		body = &capReader{r: zr, n: limit}
	default:
		WriteError(w, http.StatusUnsupportedMediaType, "unsupported_encoding",
			fmt.Sprintf("不支持的内容编码 / unsupported Content-Encoding %q (use gzip or none)", enc))
		return nil, fmt.Errorf("httpx: unsupported Content-Encoding %q", enc)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(body); err != nil {
		if tooLarge(w, err, limit) {
			return nil, fmt.Errorf("%w: %w", ErrTooLarge, err)
		}
		WriteError(w, http.StatusBadRequest, "bad_body", "无法读取请求体 / cannot read the request body")
		return nil, fmt.Errorf("httpx: read body: %w", err)
	}
	return buf.Bytes(), nil
}

// tooLarge answers 413 when err says the body went over limit.
func tooLarge(w http.ResponseWriter, err error, limit int64) bool {
	var mbe *http.MaxBytesError
	if errors.Is(err, ErrTooLarge) || errors.As(err, &mbe) {
		WriteError(w, http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("请求体过大（上限 %d 字节）/ request body too large (limit %d bytes, compressed or not)", limit, limit))
		return true
	}
	return false
}

// Unmarshal decodes one JSON value into v: unknown fields and trailing data are errors.
func Unmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON value")
	}
	if err == nil {
		if _, e := dec.Token(); e != io.EOF {
			err = errors.New("unexpected data after the JSON value")
		}
	}
	return err
}

// DecodeStrict decodes one JSON value into v as Unmarshal does. On failure it has answered
// 400 and returns the error.
func DecodeStrict(w http.ResponseWriter, data []byte, v any) error {
	if err := Unmarshal(data, v); err != nil {
		WriteError(w, http.StatusBadRequest, "bad_json", "请求体不是有效的 JSON 或含有未知字段 / invalid JSON request body: "+JSONErrText(err))
		return err
	}
	return nil
}

// ReadJSON reads a strict JSON body of at most limit bytes into v (ReadBody, DecodeStrict).
// On failure it has answered and returns the error.
func ReadJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	data, err := ReadBody(w, r, limit)
	if err != nil {
		return err
	}
	return DecodeStrict(w, data, v)
}

// JSONErrText shortens a decoding error to something safe and useful to echo.
func JSONErrText(err error) string {
	t := err.Error()
	t = strings.TrimPrefix(t, "json: ")
	if len(t) > 200 {
		t = t[:200] + "…"
	}
	return t
}
