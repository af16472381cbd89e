package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/yongji-county/checkpoint/hq/internal/httpx"
)

// maxBody bounds every request body of the citizen API.
const maxBody = 4 << 10

// errorBody is HQ's error shape, plus the field a prompt belongs to.
type errorBody struct {
	Error       string `json:"error"`
	Message     string `json:"message"` // Chinese first, then English
	Field       string `json:"field,omitempty"`
	RetryAfterS int    `json:"retry_after_s,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }

func writeError(w http.ResponseWriter, status int, e errorBody) { httpx.WriteJSON(w, status, e) }

// readJSON decodes the one JSON object of a request body of at most maxBody bytes into v,
// refusing unknown fields and trailing data. On failure it has answered.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, errorBody{Error: "unsupported_media_type",
			Message: "请求体须为 JSON / body must be application/json"})
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.Decode(&struct{}{}) != io.EOF {
			err = errors.New("trailing data")
		}
	}
	if err == nil {
		return true
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, errorBody{Error: "too_large", Message: "请求体过大 / body too large"})
		return false
	}
	writeError(w, http.StatusBadRequest, errorBody{Error: "bad_json", Message: "请求格式不正确 / malformed JSON body"})
	return false
}
