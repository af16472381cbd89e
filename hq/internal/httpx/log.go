package httpx

import (
	"log/slog"
	"net/http"
	"time"
)

// StatusWriter remembers the status code of the answer, for the request log.
type StatusWriter struct {
	http.ResponseWriter
	Status int // 0 until the handler writes
}

// WriteHeader records code (the first one) and passes it on.
func (w *StatusWriter) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records 200 if nothing was recorded yet and passes b on.
func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Logged logs one line per request on log: the route pattern (never the path or the query,
// which may carry a code id or a phone number), the status and the time taken — no bodies, no
// personal data. A panic in h is logged and, if nothing was written yet, answered 500 JSON.
// prefix starts the messages ("hq" gives "hq: request").
func Logged(log *slog.Logger, prefix, pattern string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &StatusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				log.Error(prefix+": panic", slog.String("route", pattern), slog.Any("panic", p))
				if sw.Status == 0 {
					WriteError(sw, http.StatusInternalServerError, "internal", "服务器内部错误 / internal server error")
				}
			}
			lvl := slog.LevelDebug
			if sw.Status >= 400 {
				lvl = slog.LevelInfo
			}
			if sw.Status >= 500 {
				lvl = slog.LevelError
			}
			log.Log(r.Context(), lvl, prefix+": request", slog.String("route", pattern), slog.Int("status", sw.Status),
				slog.Duration("took", time.Since(start)))
		}()
		h.ServeHTTP(sw, r)
	})
}
