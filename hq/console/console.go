// Package console serves HQ's operator console under /admin/: operators log in with a name, a
// password and a TOTP code, and see and change what HQ's core holds according to their role
// (admin, health, ops, viewer). Every change it makes goes to the audit log. It holds no rules
// of HQ's own: it calls the same core (package hq) as the admin API.
//
// Security: sessions live in the database (idle 15 minutes, at most 8 hours; the cookie is
// HttpOnly, SameSite=Strict, Secure over TLS); every state-changing request must come from the
// console's own origin (http.CrossOriginProtection); pages carry a CSP without 'unsafe-inline'
// and frame-ancestors 'none'.
package console

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/internal/httpx"
	"github.com/yongji-county/checkpoint/hq/internal/page"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// Prefix is where the console is mounted.
const Prefix = "/admin/"

// Config holds what the console depends on.
type Config struct {
	Core *hq.Server
	// ClientIP is HQ's client address (which honours trusted proxies); nil: RemoteAddr's host.
	ClientIP func(*http.Request) string
	// Secure says the console is served over TLS: cookies get Secure and the __Host- prefix.
	Secure bool
	Logger *slog.Logger
	Now    func() time.Time
	// HashSlots bounds the argon2id hashes running at once (64 MiB each). Zero: 2.
	HashSlots int
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

type handler struct {
	cfg    Config
	core   *hq.Server
	db     *sqldb.DB
	log    *slog.Logger
	acc    *accounts
	pages  *page.Engine
	cookie string
	path   string // the cookie's path

	ovMu sync.Mutex // one 总览 computation at a time, cached for overviewTTL
	ov   Overview
	ovAt time.Time
}

// New returns the handler of everything under /admin/.
func New(cfg Config) (http.Handler, error) {
	h, err := newHandler(cfg)
	if err != nil {
		return nil, err
	}
	return h.routes(), nil
}

func newHandler(cfg Config) (*handler, error) {
	if cfg.Core == nil {
		return nil, errors.New("console: no core")
	}
	if cfg.Now == nil {
		cfg.Now = cfg.Core.Now
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
	eng, err := page.New(page.Config{Templates: tmpl, Static: static, StaticPrefix: Prefix + "static/",
		Strings: map[page.Lang]page.Strings{page.Zh: zh, page.En: en}, Secure: cfg.Secure, CookieName: "hq_console_lang",
		Funcs: template.FuncMap{"dt": fmtTime, "day": fmtDay, "region": regionName,
			"statuses": func() []string { return []string{"green", "yellow", "red"} }, "staffCell": staffCell}})
	if err != nil {
		return nil, err
	}
	h := &handler{cfg: cfg, core: cfg.Core, db: cfg.Core.DB(), log: cfg.Logger, acc: newAccounts(cfg.Core.DB(), cfg.Now, cfg.HashSlots),
		pages: eng, cookie: "hq_console", path: Prefix}
	if cfg.Secure {
		h.cookie, h.path = "__Host-hq_console", "/" // the browser then insists on Secure, Path=/ and no Domain
	}
	return h, nil
}

// route is one console route: perm "" is a read any operator may make; public routes need no
// session.
type route struct {
	pattern string
	perm    Perm
	public  bool
	passive bool // a page's automatic refresh: checks the session without extending it
	h       func(w http.ResponseWriter, r *http.Request, op Operator)
}

func (h *handler) table() []route {
	return []route{
		{pattern: "GET /admin/login", public: true, h: h.loginPage},
		{pattern: "POST /admin/login", public: true, h: h.loginPost},
		{pattern: "GET /admin/setup", public: true, h: h.setupPage},
		{pattern: "POST /admin/setup", public: true, h: h.setupPost},
		{pattern: "POST /admin/logout", h: h.logoutPost},
		{pattern: "GET /admin/{$}", h: h.overview},
		{pattern: "GET /admin/overview.json", passive: true, h: h.overviewJSON},
		{pattern: "GET /admin/risk", h: h.riskPage},
		{pattern: "POST /admin/risk/save", perm: PermRisk, h: h.riskSave},
		{pattern: "POST /admin/risk/end", perm: PermRisk, h: h.riskEnd},
		{pattern: "POST /admin/risk/import", perm: PermRisk, h: h.riskImport},
		{pattern: "POST /admin/risk/import/apply", perm: PermRisk, h: h.riskApply},
		{pattern: "GET /admin/people", h: h.peoplePage},
		{pattern: "POST /admin/people/find", perm: PermPeople, h: h.peopleFind},
		{pattern: "POST /admin/people/status", perm: PermPeople, h: h.peopleStatus},
		{pattern: "POST /admin/codes/revoke", perm: PermPeople, h: h.codeRevoke},
		{pattern: "POST /admin/people/card", perm: PermPeople, h: h.peopleCard},
		{pattern: "GET /admin/devices", h: h.devicesPage},
		{pattern: "POST /admin/devices/revoke", perm: PermDevices, h: h.deviceRevoke},
		{pattern: "POST /admin/enroll-codes", perm: PermDevices, h: h.enrollCode},
		{pattern: "GET /admin/sites", h: h.sitesPage},
		{pattern: "POST /admin/sites/save", perm: PermSites, h: h.siteSave},
		{pattern: "POST /admin/sites/active", perm: PermSites, h: h.siteActive},
		{pattern: "POST /admin/staff/add", perm: PermSites, h: h.staffAdd},
		{pattern: "POST /admin/staff/move", perm: PermSites, h: h.staffMove},
		{pattern: "GET /admin/held", h: h.heldPage},
		{pattern: "GET /admin/held.csv", h: h.heldCSV},
		{pattern: "POST /admin/held/accept", perm: PermHeld, h: h.heldDecide(true)},
		{pattern: "POST /admin/held/reject", perm: PermHeld, h: h.heldDecide(false)},
		{pattern: "GET /admin/settings", h: h.settingsPage},
		{pattern: "POST /admin/settings", perm: PermSettings, h: h.settingsSave},
		{pattern: "GET /admin/keys", h: h.keysPage},
		{pattern: "POST /admin/keys/new", perm: PermKeys, h: h.keyNew},
		{pattern: "POST /admin/keys/retire", perm: PermKeys, h: h.keyState(false)},
		{pattern: "POST /admin/keys/distrust", perm: PermKeys, h: h.keyState(true)},
		{pattern: "GET /admin/audit", h: h.auditPage},
		{pattern: "GET /admin/audit.csv", h: h.auditCSV},
		{pattern: "GET /admin/operators", perm: PermOperators, h: h.operatorsPage},
		{pattern: "POST /admin/operators/add", perm: PermOperators, h: h.operatorAdd},
		{pattern: "POST /admin/operators/reset", perm: PermOperators, h: h.operatorReset},
		{pattern: "POST /admin/operators/role", perm: PermOperators, h: h.operatorRole},
		{pattern: "POST /admin/operators/disable", perm: PermOperators, h: h.operatorActive(false)},
		{pattern: "POST /admin/operators/enable", perm: PermOperators, h: h.operatorActive(true)},
	}
}

func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range h.table() {
		mux.Handle(rt.pattern, h.wrap(rt))
	}
	mux.Handle("GET "+Prefix+"static/", h.pages.Static())
	mux.HandleFunc(Prefix, h.notFound)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusForbidden, "err_cross_origin")
	}))
	return h.guard(cop.Handler(mux))
}

// wrap checks the session and the route's permission.
func (h *handler) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.public {
			rt.h(w, r, Operator{})
			return
		}
		op, ok := h.operator(w, r, rt.passive)
		if !ok {
			if r.Method == http.MethodGet && r.URL.Path == Prefix+"overview.json" {
				httpx.WriteError(w, http.StatusUnauthorized, "session_ended", "未登录或会话已结束 / not logged in or session ended")
				return
			}
			if r.Method == http.MethodGet {
				to := Prefix + "login?next=" + url.QueryEscape(localNext(r.URL.RequestURI()))
				if h.token(r) != "" {
					to += "&done=expired" // there was a session, and it ended
				}
				http.Redirect(w, r, to, http.StatusSeeOther)
				return
			}
			h.fail(w, r, http.StatusUnauthorized, "err_session")
			return
		}
		if rt.perm != "" && !op.Role.Can(rt.perm) {
			h.fail(w, r, http.StatusForbidden, "err_forbidden")
			return
		}
		rt.h(w, r, op)
	})
}

// guard sets the headers every response carries (a page replaces the CSP with its own, nonce
// included) and turns a panic into a 500.
func (h *handler) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-store")
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				h.log.Error("console: panic", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("panic", p))
				http.Error(w, "服务器内部错误 / internal server error", http.StatusInternalServerError)
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

// fmtTime shows t in China time to the second ("" for zero).
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(checkpoint.ChinaTime).Format("2006-01-02 15:04:05")
}

// fmtDay shows a calendar day in China time ("" for zero).
func fmtDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(checkpoint.ChinaTime).Format("2006-01-02")
}

func regionName(code string) string {
	n, _ := checkpoint.RegionName(code)
	return n
}
