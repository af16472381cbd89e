// Package web serves 吉事办, the citizen side of HQ: the pages where a citizen registers with an
// SMS code, logs in and shows a live 吉祥码 from a phone browser, and the citizen JSON API they
// call. It holds no rules of its own: hq/citizen decides, this package maps its answers to HTTP.
package web

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/yongji-county/checkpoint/hq/citizen"
	"github.com/yongji-county/checkpoint/hq/internal/page"
)

// Citizens is the citizen core as the pages use it; *citizen.Service satisfies it.
type Citizens interface {
	SendCode(ctx context.Context, phone string, purpose citizen.Purpose, clientIP string) (time.Duration, error)
	Register(ctx context.Context, in citizen.RegisterInput, clientIP string) (citizen.Session, error)
	Login(ctx context.Context, phone, password, clientIP string) (citizen.Session, error)
	Reset(ctx context.Context, phone, smsCode, password, clientIP string) error
	Logout(ctx context.Context, token string) error
	Session(ctx context.Context, token string) (citizen.Account, error)
	Code(ctx context.Context, acct citizen.Account) (citizen.CodeView, error)
}

var _ Citizens = (*citizen.Service)(nil) // the core keeps this method set

// Config holds what the handler depends on.
type Config struct {
	Citizens Citizens
	// ClientIP is HQ's client address (which honours trusted proxies); nil: RemoteAddr's host.
	ClientIP func(*http.Request) string
	Secure   bool // served over TLS: cookies get Secure (and the session cookie the __Host- prefix)
	// Demo adds GET /api/v1/dev/sms and a "demo SMS" link on the pages; DemoSMS is its outbox.
	Demo    bool
	DemoSMS func(phone string) []DemoMessage
	Logger  *slog.Logger
	Now     func() time.Time
}

// DemoMessage is one SMS of the demo outbox.
type DemoMessage struct {
	Text, Code, Purpose string
	SentAt              time.Time
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

type handler struct {
	cfg    Config
	log    *slog.Logger
	pages  *page.Engine
	cookie string // the session cookie's name
	qr     qrCache
}

// New returns the handler of "/", "/static/", "/api/v1/citizen/" and "/api/v1/dev/".
func New(cfg Config) (http.Handler, error) {
	if cfg.Citizens == nil {
		return nil, errors.New("web: no citizen core")
	}
	if cfg.Demo && cfg.DemoSMS == nil {
		return nil, errors.New("web: demo mode needs the demo SMS outbox")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = remoteHost
	}
	tmpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	eng, err := page.New(page.Config{Templates: tmpl, Static: static, Strings: map[page.Lang]page.Strings{page.Zh: zh, page.En: en},
		Secure: cfg.Secure, CookieName: "jsb_lang"})
	if err != nil {
		return nil, err
	}
	h := &handler{cfg: cfg, log: cfg.Logger, pages: eng, cookie: "jsb_session"}
	if cfg.Secure {
		h.cookie = "__Host-jsb_session" // the browser then insists on Secure, Path=/ and no Domain
	}
	return h.routes(), nil
}

// APIRoutes are the JSON routes New serves (the demo's only when demo is true), for HQ's route
// list and its check against docs/api/openapi.yaml.
func APIRoutes(demo bool) []string {
	r := []string{"POST /api/v1/citizen/sms", "POST /api/v1/citizen/register", "POST /api/v1/citizen/login",
		"POST /api/v1/citizen/logout", "POST /api/v1/citizen/reset", "GET /api/v1/citizen/code"}
	if demo {
		r = append(r, "GET /api/v1/dev/sms")
	}
	return r
}

func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()
	// Pages.
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /me", h.me)
	mux.HandleFunc("GET /login", h.login)
	mux.HandleFunc("GET /register", h.register)
	mux.HandleFunc("GET /reset", h.reset)
	mux.HandleFunc("GET /code", h.code)
	mux.Handle("GET /static/", h.pages.Static())
	mux.HandleFunc("/", h.notFound)
	// The citizen API.
	mux.HandleFunc("POST /api/v1/citizen/sms", h.apiSMS)
	mux.HandleFunc("POST /api/v1/citizen/register", h.apiRegister)
	mux.HandleFunc("POST /api/v1/citizen/login", h.apiLogin)
	mux.HandleFunc("POST /api/v1/citizen/logout", h.apiLogout)
	mux.HandleFunc("POST /api/v1/citizen/reset", h.apiReset)
	mux.HandleFunc("GET /api/v1/citizen/code", h.apiCode)
	mux.HandleFunc("/api/v1/citizen/", apiNotFound)
	if h.cfg.Demo {
		mux.HandleFunc("GET /api/v1/dev/sms", h.apiDemoSMS)
	}
	mux.HandleFunc("/api/v1/dev/", apiNotFound)

	// Every state-changing request must come from our own origin (Sec-Fetch-Site / Origin).
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, errorBody{Error: "cross_origin", Message: "拒绝跨站请求 / cross-origin request refused"})
	}))
	return h.guard(cop.Handler(mux))
}

// guard sets the headers every response carries (a page replaces the CSP with its own, nonce
// included) and turns a panic into a 500 that names no personal data.
func (h *handler) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				h.log.Error("web: panic", slog.String("method", r.Method), slog.Any("panic", p))
				writeError(w, http.StatusInternalServerError, errorBody{Error: "internal", Message: "服务器内部错误 / internal server error"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func apiNotFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, errorBody{Error: "not_found", Message: "没有这个接口 / no such endpoint"})
}
