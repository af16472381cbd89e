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
	"net/netip"
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
	s.route(mux, "POST /api/v1/people/status", s.device(s.handlePeopleStatus))
	// Admin token, or the issue token.
	s.route(mux, "POST /api/v1/codes", s.issuing(s.handleIssueCode))
	// Admin token.
	s.route(mux, "GET /api/v1/admin/rechecks", s.admin(s.handleRechecks))
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

// clientIP is the address rate limits and lockouts count against: RemoteAddr, or behind a
// trusted proxy the rightmost X-Forwarded-For hop that is not a trusted proxy (the leftmost
// hops are whatever the client chose to send). A peer that is not a trusted proxy cannot
// choose its address by sending the header.
func (s *Server) clientIP(r *http.Request) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	a, err := netip.ParseAddr(peer)
	if err != nil {
		return peer
	}
	a = a.Unmap()
	if !s.trustedProxy(a) {
		return a.String()
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		h, ok := parseHop(hops[i])
		if !ok {
			// Not an address, so no trusted proxy wrote it: the nearest trusted hop is all
			// that is known.
			return a.String()
		}
		if !s.trustedProxy(h) {
			return h.String()
		}
		a = h
	}
	return a.String()
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a port.
func parseHop(v string) (netip.Addr, bool) {
	v = strings.TrimSpace(v)
	if a, err := netip.ParseAddr(v); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// limited takes a token from l for key, answering 429 with Retry-After when there is none.
func (s *Server) limited(w http.ResponseWriter, l *limiter, key string) bool {
	ok, wait := l.allow(key)
	if ok {
		return false
	}
	s.metrics.add(cntRateLimited, 1)
	secs := retrySeconds(wait)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, http.StatusTooManyRequests, "rate_limited",
		fmt.Sprintf("请求过于频繁，请 %d 秒后重试 / too many requests, retry after %d s", secs, secs))
	return true
}

func retrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// rateLimited takes a token from the per-device bucket for key.
func (s *Server) rateLimited(w http.ResponseWriter, key string) bool {
	return s.limited(w, s.limiter, key)
}

// preAuth runs before any credential is looked at: a locked-out client address is refused
// outright, and every address has a token bucket. It returns the client address, and true
// when it has already answered.
func (s *Server) preAuth(w http.ResponseWriter, r *http.Request) (string, bool) {
	ip := s.clientIP(r)
	if left, locked := s.lockout.locked("ip:" + ip); locked {
		s.metrics.add(cntLockedOut, 1)
		secs := retrySeconds(left)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, "locked_out",
			fmt.Sprintf("凭证错误次数过多，已暂停 %d 秒 / too many wrong credentials from this address: locked for %d s", secs, secs))
		return ip, true
	}
	return ip, s.limited(w, s.clientLimiter, "ip:"+ip)
}

// authFailed counts a wrong credential from ip towards its lockout.
func (s *Server) authFailed(ip string) {
	if s.lockout.fail("ip:" + ip) {
		s.log.Warn("hq: client address locked out after repeated wrong credentials", slog.String("remote", ip))
	}
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
		ip, done := s.preAuth(w, r)
		if done {
			return
		}
		tok, ok := bearer(r)
		if !ok {
			s.metrics.add(cntNoCredential, 1)
			w.Header().Set("WWW-Authenticate", `Bearer realm="checkpoint-device"`)
			writeError(w, http.StatusUnauthorized, "no_credential", "缺少设备凭证，请先登记设备 / missing device credential: enroll this device first")
			return
		}
		id, secret, _ := strings.Cut(tok, ".")
		if id == "" || secret == "" || len(id) > checkpoint.MaxIDLen || len(secret) > 128 {
			s.forged(w, ip)
			return
		}
		dev, err := s.db.Device(r.Context(), id)
		if errors.Is(err, sqldb.ErrNotFound) {
			s.forged(w, ip)
			return
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if !dev.CheckSecret(secret) {
			s.forged(w, ip)
			return
		}
		if s.rateLimited(w, "dev:"+dev.ID) {
			return
		}
		// Every answer to a device carries HQ's epoch: a kiosk that sees it change (HQ
		// restored from a backup) resends what it still holds and pulls everything again.
		epoch, err := s.Epoch(r.Context())
		if err != nil {
			s.internal(w, r, err)
			return
		}
		w.Header().Set(checkpoint.EpochHeader, epoch)
		h(w, r.WithContext(context.WithValue(r.Context(), deviceKey, dev.ID)), dev)
	}
}

func (s *Server) forged(w http.ResponseWriter, ip string) {
	s.metrics.add(cntForged, 1)
	s.authFailed(ip)
	// The address's bucket and lockout bound how often this line can be logged.
	s.log.Warn("hq: rejected device credential", slog.String("remote", ip))
	w.Header().Set("WWW-Authenticate", `Bearer realm="checkpoint-device", error="invalid_token"`)
	writeError(w, http.StatusUnauthorized, "bad_credential", "设备凭证无效或已停用 / device credential invalid or revoked")
}

// scope is what an operator token may do.
type scope int

const (
	scopeNone  scope = iota
	scopeIssue       // POST /api/v1/codes only
	scopeAdmin       // everything under the admin token
)

// tokenScope compares tok with both operator tokens, each in constant time.
func (s *Server) tokenScope(tok string) scope {
	sc := scopeNone
	if s.issueToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.issueToken)) == 1 {
		sc = scopeIssue
	}
	if s.adminToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.adminToken)) == 1 {
		sc = scopeAdmin
	}
	return sc
}

// admin wraps a handler that needs the admin token.
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc { return s.operator(scopeAdmin, h) }

// issuing wraps a handler that the admin token or the issue token may call.
func (s *Server) issuing(h http.HandlerFunc) http.HandlerFunc { return s.operator(scopeIssue, h) }

func (s *Server) operator(need scope, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ip, done := s.preAuth(w, r)
		if done {
			return
		}
		if s.adminToken == "" && (need == scopeAdmin || s.issueToken == "") {
			writeError(w, http.StatusServiceUnavailable, "admin_disabled", "管理接口未启用（未设置管理令牌）/ admin API disabled: no admin token configured")
			return
		}
		tok, ok := bearer(r)
		sc := scopeNone
		if ok {
			sc = s.tokenScope(tok)
		}
		if sc < need {
			s.metrics.add(cntAdminDenied, 1)
			if sc == scopeNone {
				// A wrong token is a guess; the issue token on an admin route is not.
				s.authFailed(ip)
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="checkpoint-admin"`)
			writeError(w, http.StatusUnauthorized, "admin_denied", "管理令牌缺失或错误 / missing or wrong admin token")
			return
		}
		h(w, r)
	}
}

// MinTokenLen is the shortest admin or issue token HQ accepts: 32 random bytes in base64.
const MinTokenLen = 43

// ErrWeakToken is wrapped by CheckToken.
var ErrWeakToken = errors.New("token too weak")

// CheckToken refuses an operator token that is too short or too plain to be 32 random bytes
// (openssl rand -base64 32), or that cannot travel in an Authorization header.
func CheckToken(tok string) error {
	if len(tok) < MinTokenLen {
		return fmt.Errorf("%w: %d characters; want at least %d (32 random bytes, e.g. openssl rand -base64 32)", ErrWeakToken, len(tok), MinTokenLen)
	}
	distinct := map[rune]bool{}
	for _, c := range tok {
		if c <= ' ' || c > '~' {
			return fmt.Errorf("%w: only printable ASCII without spaces (e.g. openssl rand -base64 32)", ErrWeakToken)
		}
		distinct[c] = true
	}
	if len(distinct) < 10 {
		return fmt.Errorf("%w: too few different characters to be random (e.g. openssl rand -base64 32)", ErrWeakToken)
	}
	return nil
}

func checkTokens(admin, issue string) error {
	if admin != "" {
		if err := CheckToken(admin); err != nil {
			return fmt.Errorf("admin token: %w", err)
		}
	}
	if issue != "" {
		if err := CheckToken(issue); err != nil {
			return fmt.Errorf("issue token: %w", err)
		}
		if issue == admin {
			return fmt.Errorf("issue token: %w: the same as the admin token", ErrWeakToken)
		}
	}
	return nil
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "server_time": s.now().UTC()})
}
