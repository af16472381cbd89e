// Package httpx is HQ's HTTP plumbing shared by its web audiences (kiosk API, citizen pages,
// console): JSON and error writers, request bodies with size limits and strict JSON, the
// client address behind trusted proxies, token-bucket rate limits and lockouts, and the
// request log. It knows nothing of HQ's core.
package httpx

import (
	"encoding/json"
	"log/slog"
	"net/http"

	checkpoint "github.com/yongji-county/checkpoint"
)

// WriteJSON answers status with v as JSON, never cached. A value that cannot be encoded
// answers 500 instead.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "internal", "服务器内部错误 / internal server error")
		return
	}
	write(w, status, b)
}

// WriteError answers with a checkpoint.ErrorResponse {"error": code, "message": msg}. msg is
// Chinese first, then English ("中文 / English").
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(checkpoint.ErrorResponse{Error: code, Message: msg})
	write(w, status, b)
}

func write(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// APINotFound answers an unknown path under /api/ with a JSON 404 rather than the mux's text
// page.
func APINotFound(w http.ResponseWriter, r *http.Request) {
	WriteError(w, http.StatusNotFound, "not_found", "没有这个接口 / no such endpoint")
}

// Internal logs err (which must carry no personal data) with the method on log and answers
// 500 internal.
func Internal(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	log.Error("hq: internal error", slog.String("method", r.Method), slog.Any("err", err))
	WriteError(w, http.StatusInternalServerError, "internal", "服务器内部错误，请稍后重试 / internal server error, try again later")
}
