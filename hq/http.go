package hq

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/internal/httpx"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// route registers a handler and remembers its pattern.
func (s *Server) route(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	mux.Handle(pattern, httpx.Logged(s.log, "hq", pattern, h))
}

func (s *Server) buildRoutes() http.Handler {
	mux := http.NewServeMux()
	// Unauthenticated (GET /api/v1/health is in hq/api).
	s.route(mux, "POST /api/v1/enroll", s.handleEnroll)
	// Device credential.
	s.route(mux, "POST /api/v1/batches", s.device(s.handleBatches))
	s.route(mux, "GET /api/v1/config", s.device(s.handleConfig))
	s.route(mux, "GET /api/v1/codes/{id}/status", s.device(s.handleCodeStatus))
	s.route(mux, "POST /api/v1/people/status", s.device(s.handlePeopleStatus))
	s.route(mux, "POST /api/v1/assist/sms", s.device(s.handleAssistSMS))
	s.route(mux, "POST /api/v1/assist/verify", s.device(s.handleAssistVerify))
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
	s.route(mux, "POST /api/v1/admin/devices/{id}/revoke", s.admin(s.handleRevokeDevice))
	s.route(mux, "GET /api/v1/admin/keys", s.admin(s.handleListKeys))
	s.route(mux, "POST /api/v1/admin/keys", s.admin(s.handleNewKey))
	s.route(mux, "POST /api/v1/admin/keys/{kid}/retire", s.admin(s.handleRetireKey))
	s.route(mux, "POST /api/v1/admin/keys/{kid}/distrust", s.admin(s.handleDistrustKey))
	s.route(mux, "GET /api/v1/admin/settings", s.admin(s.handleGetSettings))
	s.route(mux, "PUT /api/v1/admin/settings", s.admin(s.handlePutSettings))
	// Anything else under /api/ is a JSON 404, not the mux's text page.
	mux.HandleFunc("/api/", httpx.APINotFound)
	return mux
}

type ctxKey int

const deviceKey ctxKey = 1

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	httpx.Internal(s.log, w, r, err)
}

// readBody reads a request body of at most limit bytes (httpx.ReadBody). On failure it has
// already answered (413, 415 or 400) and counted.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	data, err := httpx.ReadBody(w, r, limit)
	if err != nil {
		s.countBodyError(err)
		return nil, false
	}
	return data, true
}

func (s *Server) countBodyError(err error) {
	if errors.Is(err, httpx.ErrTooLarge) {
		s.metrics.add(cntTooLarge, 1)
	} else {
		s.metrics.add(cntBadRequest, 1)
	}
}

// readJSON reads a small strict JSON body into v. On failure it has answered and counted.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := httpx.ReadJSON(w, r, httpx.MaxSmallBody, v); err != nil {
		s.countBodyError(err)
		return false
	}
	return true
}

// limited takes a token from l for key, answering 429 with Retry-After when there is none.
func (s *Server) limited(w http.ResponseWriter, l *httpx.Limiter, key string) bool {
	ok, wait := l.Allow(key)
	if ok {
		return false
	}
	s.metrics.add(cntRateLimited, 1)
	httpx.WriteRateLimited(w, wait)
	return true
}

// rateLimited takes a token from the per-device bucket for key.
func (s *Server) rateLimited(w http.ResponseWriter, key string) bool {
	return s.limited(w, s.limiter, key)
}

// preAuth runs before any credential is looked at: a locked-out client address is refused
// outright, and every address has a token bucket. It returns the client address, and true
// when it has already answered.
func (s *Server) preAuth(w http.ResponseWriter, r *http.Request) (string, bool) {
	ip := s.clientAddr.Of(r)
	if left, locked := s.lockout.Locked("ip:" + ip); locked {
		s.metrics.add(cntLockedOut, 1)
		secs := httpx.RetrySeconds(left)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		httpx.WriteError(w, http.StatusTooManyRequests, "locked_out",
			fmt.Sprintf("凭证错误次数过多，已暂停 %d 秒 / too many wrong credentials from this address: locked for %d s", secs, secs))
		return ip, true
	}
	return ip, s.limited(w, s.clientLimiter, "ip:"+ip)
}

// authFailed counts a wrong credential from ip towards its lockout.
func (s *Server) authFailed(ip string) {
	if s.lockout.Fail("ip:" + ip) {
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
			httpx.WriteError(w, http.StatusUnauthorized, "no_credential", "缺少设备凭证，请先登记设备 / missing device credential: enroll this device first")
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
	httpx.WriteError(w, http.StatusUnauthorized, "bad_credential", "设备凭证无效或已停用 / device credential invalid or revoked")
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

// Admin wraps a handler of hq/api that needs the admin token: the client address's bucket
// and lockout, then the token (401, or 503 with no admin token configured). It is here until
// the credential checks move to hq/api.
func (s *Server) Admin(h http.HandlerFunc) http.HandlerFunc { return s.admin(h) }

// issuing wraps a handler that the admin token or the issue token may call.
func (s *Server) issuing(h http.HandlerFunc) http.HandlerFunc { return s.operator(scopeIssue, h) }

func (s *Server) operator(need scope, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ip, done := s.preAuth(w, r)
		if done {
			return
		}
		if s.adminToken == "" && (need == scopeAdmin || s.issueToken == "") {
			httpx.WriteError(w, http.StatusServiceUnavailable, "admin_disabled", "管理接口未启用（未设置管理令牌）/ admin API disabled: no admin token configured")
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
			httpx.WriteError(w, http.StatusUnauthorized, "admin_denied", "管理令牌缺失或错误 / missing or wrong admin token")
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
