package hq

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// maxSmallBody bounds every request body but a batch.
const maxSmallBody = 64 << 10

// route registers a handler and remembers its pattern.
func (s *Server) route(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	mux.Handle(pattern, s.logged(pattern, h))
}

func (s *Server) buildRoutes() http.Handler {
	mux := http.NewServeMux()
	// Unauthenticated.
	s.route(mux, "GET /api/v1/health", s.handleHealth)
	s.route(mux, "POST /api/v1/enroll", s.handleEnroll)
	// Device credential.
	s.route(mux, "POST /api/v1/batches", s.device(s.handleBatches))
	s.route(mux, "GET /api/v1/config", s.device(s.handleConfig))
	s.route(mux, "GET /api/v1/codes/{id}/status", s.device(s.handleCodeStatus))
	// Admin token.
	s.route(mux, "POST /api/v1/codes", s.admin(s.handleIssueCode))
	s.route(mux, "GET /api/v1/admin/metrics", s.admin(s.handleMetrics))
	s.route(mux, "GET /api/v1/admin/risk-areas", s.admin(s.handleGetRisk))
	s.route(mux, "PUT /api/v1/admin/risk-areas", s.admin(s.handlePutRisk))
	s.route(mux, "POST /api/v1/admin/people/status", s.admin(s.handlePersonStatus))
	s.route(mux, "POST /api/v1/admin/codes/{id}/revoke", s.admin(s.handleRevoke))
	s.route(mux, "GET /api/v1/admin/sites", s.admin(s.handleListSites))
	s.route(mux, "POST /api/v1/admin/sites", s.admin(s.handleCreateSite))
	s.route(mux, "PUT /api/v1/admin/sites/{id}", s.admin(s.handleUpdateSite))
	s.route(mux, "GET /api/v1/admin/staff", s.admin(s.handleListStaff))
	s.route(mux, "POST /api/v1/admin/staff", s.admin(s.handleCreateStaff))
	s.route(mux, "POST /api/v1/admin/enroll-codes", s.admin(s.handleEnrollCode))
	s.route(mux, "GET /api/v1/admin/devices", s.admin(s.handleListDevices))
	s.route(mux, "GET /api/v1/admin/held", s.admin(s.handleListHeld))
	s.route(mux, "POST /api/v1/admin/devices/{id}/revoke", s.admin(s.handleRevokeDevice))
	s.route(mux, "GET /api/v1/admin/keys", s.admin(s.handleListKeys))
	s.route(mux, "POST /api/v1/admin/keys", s.admin(s.handleNewKey))
	s.route(mux, "POST /api/v1/admin/keys/{kid}/retire", s.admin(s.handleRetireKey))
	s.route(mux, "POST /api/v1/admin/keys/{kid}/distrust", s.admin(s.handleDistrustKey))
	s.route(mux, "GET /api/v1/admin/settings", s.admin(s.handleGetSettings))
	s.route(mux, "PUT /api/v1/admin/settings", s.admin(s.handlePutSettings))
	// Anything else under /api/ is a JSON 404, not the mux's text page.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "没有这个接口 / no such endpoint")
	})
	return mux
}

// statusWriter remembers the status code for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

type ctxKey int

const deviceKey ctxKey = 1

// logged logs one line per request: the route pattern (never the path, which may carry a code
// id), the status and the time taken. No bodies, no personal data.
func (s *Server) logged(pattern string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("hq: panic", slog.String("route", pattern), slog.Any("panic", p))
				if sw.status == 0 {
					writeError(sw, http.StatusInternalServerError, "internal", "服务器内部错误 / internal server error")
				}
			}
			lvl := slog.LevelDebug
			if sw.status >= 400 {
				lvl = slog.LevelInfo
			}
			if sw.status >= 500 {
				lvl = slog.LevelError
			}
			s.log.Log(r.Context(), lvl, "hq: request", slog.String("route", pattern), slog.Int("status", sw.status),
				slog.Duration("took", time.Since(start)))
		}()
		h.ServeHTTP(sw, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "服务器内部错误 / internal server error")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError answers with an ErrorResponse. msg is Chinese first, then English.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(checkpoint.ErrorResponse{Error: code, Message: msg})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("hq: internal error", slog.String("method", r.Method), slog.Any("err", err))
	writeError(w, http.StatusInternalServerError, "internal", "服务器内部错误，请稍后重试 / internal server error, try again later")
}

var errTooLarge = errors.New("hq: body too large")

// capReader fails with errTooLarge once more than n bytes have been read.
type capReader struct {
	r io.Reader
	n int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > c.n+1 {
		p = p[:c.n+1]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	if c.n < 0 {
		return n, errTooLarge
	}
	return n, err
}

// readBody reads a request body of at most limit bytes, before and after gzip decoding.
// On failure it has already answered (413 or 400) and counted.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	var body io.Reader = &capReader{r: http.MaxBytesReader(w, r.Body, limit), n: limit}
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			if s.tooLarge(w, err, limit) {
				return nil, false
			}
			s.metrics.add(cntBadRequest, 1)
			writeError(w, http.StatusBadRequest, "bad_encoding", "请求体不是有效的 gzip 数据 / body is not valid gzip")
			return nil, false
		}
		defer zr.Close()
		body = &capReader{r: zr, n: limit}
	default:
		s.metrics.add(cntBadRequest, 1)
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_encoding",
			fmt.Sprintf("不支持的内容编码 / unsupported Content-Encoding %q (use gzip or none)", enc))
		return nil, false
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(body); err != nil {
		if s.tooLarge(w, err, limit) {
			return nil, false
		}
		s.metrics.add(cntBadRequest, 1)
		writeError(w, http.StatusBadRequest, "bad_body", "无法读取请求体 / cannot read the request body")
		return nil, false
	}
	return buf.Bytes(), true
}

func (s *Server) tooLarge(w http.ResponseWriter, err error, limit int64) bool {
	var mbe *http.MaxBytesError
	if errors.Is(err, errTooLarge) || errors.As(err, &mbe) {
		s.metrics.add(cntTooLarge, 1)
		writeError(w, http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("请求体过大（上限 %d 字节）/ request body too large (limit %d bytes, compressed or not)", limit, limit))
		return true
	}
	return false
}

// decodeStrict decodes one JSON value into v: unknown fields and trailing data are errors.
// On failure it has answered 400 and counted.
func (s *Server) decodeStrict(w http.ResponseWriter, data []byte, v any) bool {
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
	if err != nil {
		s.metrics.add(cntBadRequest, 1)
		writeError(w, http.StatusBadRequest, "bad_json", "请求体不是有效的 JSON 或含有未知字段 / invalid JSON request body: "+jsonErrText(err))
		return false
	}
	return true
}

// jsonErrText shortens a decoding error to something safe and useful to echo.
func jsonErrText(err error) string {
	t := err.Error()
	t = strings.TrimPrefix(t, "json: ")
	if len(t) > 200 {
		t = t[:200] + "…"
	}
	return t
}

// readJSON reads a small strict JSON body into v.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	data, ok := s.readBody(w, r, maxSmallBody)
	if !ok {
		return false
	}
	return s.decodeStrict(w, data, v)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// rateLimited takes a token for key, answering 429 with Retry-After when there is none.
func (s *Server) rateLimited(w http.ResponseWriter, key string) bool {
	ok, wait := s.limiter.allow(key)
	if ok {
		return false
	}
	s.metrics.add(cntRateLimited, 1)
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, http.StatusTooManyRequests, "rate_limited",
		fmt.Sprintf("请求过于频繁，请 %d 秒后重试 / too many requests, retry after %d s", secs, secs))
	return true
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const p = "Bearer "
	if len(h) <= len(p) || !strings.EqualFold(h[:len(p)], p) {
		return "", false
	}
	return strings.TrimSpace(h[len(p):]), true
}

// device wraps a handler that needs a device credential ("Bearer DEVICE_ID.SECRET").
func (s *Server) device(h func(w http.ResponseWriter, r *http.Request, dev sqldb.Device)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		if !ok {
			s.metrics.add(cntNoCredential, 1)
			if s.rateLimited(w, "ip:"+clientIP(r)) {
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="checkpoint-device"`)
			writeError(w, http.StatusUnauthorized, "no_credential", "缺少设备凭证，请先登记设备 / missing device credential: enroll this device first")
			return
		}
		id, secret, _ := strings.Cut(tok, ".")
		if id == "" || secret == "" || len(id) > checkpoint.MaxIDLen || len(secret) > 128 {
			s.forged(w, r)
			return
		}
		dev, err := s.db.Device(r.Context(), id)
		if errors.Is(err, sqldb.ErrNotFound) {
			s.forged(w, r)
			return
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if !dev.CheckSecret(secret) {
			s.forged(w, r)
			return
		}
		if s.rateLimited(w, "dev:"+dev.ID) {
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), deviceKey, dev.ID)), dev)
	}
}

func (s *Server) forged(w http.ResponseWriter, r *http.Request) {
	s.metrics.add(cntForged, 1)
	if s.rateLimited(w, "ip:"+clientIP(r)) {
		return
	}
	// Logged after the rate limit, so a flood of forgeries cannot flood the log.
	s.log.Warn("hq: rejected device credential", slog.String("remote", clientIP(r)))
	w.Header().Set("WWW-Authenticate", `Bearer realm="checkpoint-device", error="invalid_token"`)
	writeError(w, http.StatusUnauthorized, "bad_credential", "设备凭证无效或已停用 / device credential invalid or revoked")
}

// admin wraps a handler that needs the admin token.
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.adminToken == "" {
			writeError(w, http.StatusServiceUnavailable, "admin_disabled", "管理接口未启用（未设置管理令牌）/ admin API disabled: no admin token configured")
			return
		}
		tok, ok := bearer(r)
		if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(s.adminToken)) != 1 {
			s.metrics.add(cntAdminDenied, 1)
			if s.rateLimited(w, "ip:"+clientIP(r)) {
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="checkpoint-admin"`)
			writeError(w, http.StatusUnauthorized, "admin_denied", "管理令牌缺失或错误 / missing or wrong admin token")
			return
		}
		h(w, r)
	}
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "server_time": s.now().UTC()})
}
