package console

import (
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/internal/dbtest"
)

const testAdminToken = "console-test-admin-token-0123456789abcdefghijklmnop"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// tenv is HQ's core with the console at /admin/ and the core's API at /api/, on a real
// SQLite file and a real HTTP server.
type tenv struct {
	t    *testing.T
	clk  *clock
	core *hq.Server
	h    *handler
	ts   *httptest.Server
	dsn  string // "sqlite:" and the file's path
	root ed25519.PrivateKey
	// kiosk is the first kiosk seedKiosks enrolled.
	kiosk checkpoint.EnrollResponse
}

func newTenv(t *testing.T, secure bool) *tenv {
	t.Helper()
	return newTenvOn(t, secure, dbtest.SQLiteDSN(t))
}

// eachBackend runs fn on a console over SQLite and, when CHECKPOINT_PG_DSN is set, PostgreSQL.
func eachBackend(t *testing.T, fn func(t *testing.T, e *tenv)) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, newTenvOn(t, false, b.DSN(t))) })
	}
}

// newTenvOn is newTenv over the database at dsn.
func newTenvOn(t *testing.T, secure bool, dsn string) *tenv {
	t.Helper()
	clk := &clock{t: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)}
	root, err := checkpoint.GenerateRootKey()
	if err != nil {
		t.Fatal(err)
	}
	core, err := hq.New(hq.Config{DSN: dsn, AdminToken: testAdminToken, Now: clk.Now, ClientRate: 1e6, ClientBurst: 1e6,
		DeviceRate: 1e6, DeviceBurst: 1e6, RootKey: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	h, err := newHandler(Config{Core: core, Secure: secure, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", h.routes())
	mux.Handle("/api/", core.Handler())
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return &tenv{t: t, clk: clk, core: core, h: h, ts: ts, dsn: dsn, root: root}
}

// client is a browser-like client: a cookie jar, no redirects followed.
func (e *tenv) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type resp struct {
	status int
	body   string
	hdr    http.Header
}

func (e *tenv) get(c *http.Client, path string) resp {
	e.t.Helper()
	r, err := c.Get(e.ts.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, string(b), r.Header}
}

func (e *tenv) post(c *http.Client, path string, form url.Values, hdr ...string) resp {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, string(b), r.Header}
}

var secretRE = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)

// setup adds an operator and goes through the setup page: it returns the TOTP secret. The
// clock then moves on a step, so that the next code is a fresh one.
func (e *tenv) setup(name string, role Role, password string) string {
	e.t.Helper()
	tok, err := AddOperator(context.Background(), e.core.DB(), name, role, e.clk.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	c := e.client()
	p := e.get(c, "/admin/setup?token="+url.QueryEscape(tok))
	m := secretRE.FindStringSubmatch(p.body)
	if p.status != 200 || m == nil || !strings.Contains(p.body, `src="data:image/png;base64,`) {
		e.t.Fatalf("setup page: %d %s", p.status, p.body)
	}
	code, _ := totp.GenerateCode(m[1], e.clk.Now())
	r := e.post(c, "/admin/setup", url.Values{"token": {tok}, "password": {password}, "password2": {password}, "code": {code}})
	if r.status != http.StatusSeeOther || r.hdr.Get("Location") != "/admin/login?done=setup" {
		e.t.Fatalf("setup post: %d %s", r.status, r.body)
	}
	e.clk.Add(30 * time.Second)
	return m[1]
}

func (e *tenv) login(c *http.Client, name, password, secret string) resp {
	e.t.Helper()
	code, _ := totp.GenerateCode(secret, e.clk.Now())
	return e.post(c, "/admin/login", url.Values{"name": {name}, "password": {password}, "code": {code}})
}

// as sets up an operator of role and returns a logged-in client.
func (e *tenv) as(role Role) *http.Client {
	e.t.Helper()
	name := "op-" + string(role)
	secret := e.setup(name, role, "correct horse battery")
	c := e.client()
	if r := e.login(c, name, "correct horse battery", secret); r.status != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d %s", role, r.status, r.body)
	}
	e.clk.Add(30 * time.Second)
	return c
}

// TestTOTPFlow: setup with a first code, login with a fresh code, a wrong code and a reused
// code refused; the setup link works once.
func TestTOTPFlow(t *testing.T) {
	e := newTenv(t, false)
	tok, err := AddOperator(context.Background(), e.core.DB(), "li", RoleAdmin, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := e.client()
	p := e.get(c, "/admin/setup?token="+tok)
	secret := secretRE.FindStringSubmatch(p.body)[1]
	if again := secretRE.FindStringSubmatch(e.get(c, "/admin/setup?token="+tok).body); again == nil || again[1] != secret {
		t.Fatalf("reload showed another secret")
	}
	if !strings.Contains(p.body, `href="/admin/setup?token=`+tok+`&amp;lang=en"`) {
		t.Fatal("the language switch of the setup page loses the token")
	}
	if en := e.get(e.client(), "/admin/setup?token="+tok+"&lang=en"); en.status != 200 || !strings.Contains(en.body, "Set up your account") {
		t.Fatalf("English setup page: %d", en.status)
	}
	wrong := e.post(c, "/admin/setup", url.Values{"token": {tok}, "password": {"long enough pw"}, "password2": {"long enough pw"}, "code": {"000000"}})
	if wrong.status != http.StatusBadRequest || !strings.Contains(wrong.body, zh["err_code"]) {
		t.Fatalf("setup with a wrong code: %d", wrong.status)
	}
	code, _ := totp.GenerateCode(secret, e.clk.Now())
	ok := e.post(c, "/admin/setup", url.Values{"token": {tok}, "password": {"long enough pw"}, "password2": {"long enough pw"}, "code": {code}})
	if ok.status != http.StatusSeeOther {
		t.Fatalf("setup: %d %s", ok.status, ok.body)
	}
	if r := e.get(c, "/admin/setup?token="+tok); r.status != http.StatusNotFound {
		t.Fatalf("setup link used twice: %d", r.status)
	}
	// The code that confirmed the setup does not log in.
	if r := e.post(c, "/admin/login", url.Values{"name": {"li"}, "password": {"long enough pw"}, "code": {code}}); r.status != http.StatusUnauthorized {
		t.Fatalf("login with the setup's code: %d", r.status)
	}
	e.clk.Add(30 * time.Second)
	if r := e.post(c, "/admin/login", url.Values{"name": {"li"}, "password": {"long enough pw"}, "code": {"123456"}}); r.status != http.StatusUnauthorized ||
		!strings.Contains(r.body, zh["err_login"]) {
		t.Fatalf("login with a wrong code: %d", r.status)
	}
	if r := e.post(c, "/admin/login", url.Values{"name": {"li"}, "password": {"wrong password"}, "code": {mustCode(t, secret, e.clk.Now())}}); r.status != http.StatusUnauthorized {
		t.Fatalf("login with a wrong password: %d", r.status)
	}
	e.clk.Add(30 * time.Second)
	code = mustCode(t, secret, e.clk.Now().Add(-30*time.Second)) // the previous step: allowed once
	r := e.post(c, "/admin/login", url.Values{"name": {"li"}, "password": {"long enough pw"}, "code": {code}})
	if r.status != http.StatusSeeOther || r.hdr.Get("Location") != "/admin/" {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	if p := e.get(c, "/admin/"); p.status != 200 || !strings.Contains(p.body, `id="op-name">li<`) {
		t.Fatalf("overview after login: %d", p.status)
	}
	other := e.client()
	if r := e.post(other, "/admin/login", url.Values{"name": {"li"}, "password": {"long enough pw"}, "code": {code}}); r.status != http.StatusUnauthorized {
		t.Fatalf("reused code logged in: %d", r.status)
	}
	// The next step's code works (±1 step), and then the current one is older: refused.
	next := mustCode(t, secret, e.clk.Now().Add(30*time.Second))
	if r := e.post(other, "/admin/login", url.Values{"name": {"li"}, "password": {"long enough pw"}, "code": {next}}); r.status != http.StatusSeeOther {
		t.Fatalf("next step's code: %d", r.status)
	}
	if r := e.post(e.client(), "/admin/login", url.Values{"name": {"li"}, "password": {"long enough pw"}, "code": {mustCode(t, secret, e.clk.Now())}}); r.status != http.StatusUnauthorized {
		t.Fatalf("a code older than the last accepted one logged in: %d", r.status)
	}
}

func mustCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLockout: 5 failures of a name within 15 minutes lock it, right password and code or
// not; the lock ends as the window passes. An unknown name locks the same way.
func TestLockout(t *testing.T) {
	e := newTenv(t, false)
	secret := e.setup("zhao", RoleViewer, "zhao's password")
	c := e.client()
	for i := range LoginLimit {
		r := e.post(c, "/admin/login", url.Values{"name": {"zhao"}, "password": {"guess"}, "code": {"000000"}})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, r.status)
		}
		e.clk.Add(time.Minute)
	}
	r := e.login(c, "zhao", "zhao's password", secret)
	if r.status != http.StatusTooManyRequests || r.hdr.Get("Retry-After") == "" || !strings.Contains(r.body, zh["err_locked"]) {
		t.Fatalf("locked name: %d %q", r.status, r.hdr.Get("Retry-After"))
	}
	e.clk.Add(LoginWindow - 4*time.Minute) // the first failure leaves the window
	if r := e.login(c, "zhao", "zhao's password", secret); r.status != http.StatusSeeOther {
		t.Fatalf("after the window: %d", r.status)
	}
	for range LoginLimit {
		e.post(c, "/admin/login", url.Values{"name": {"nobody"}, "password": {"x"}, "code": {"1"}})
	}
	if r := e.post(c, "/admin/login", url.Values{"name": {"nobody"}, "password": {"x"}, "code": {"1"}}); r.status != http.StatusTooManyRequests {
		t.Fatalf("unknown name not locked: %d", r.status)
	}
	// One address trying many names is stopped too (each name below its own limit).
	e.clk.Add(LoginWindow)
	for i := range AddrLoginLimit {
		e.post(c, "/admin/login", url.Values{"name": {"name" + strconv.Itoa(i)}, "password": {"x"}, "code": {"1"}})
	}
	if r := e.login(c, "zhao", "zhao's password", secret); r.status != http.StatusTooManyRequests {
		t.Fatalf("address not stopped after %d failures: %d", AddrLoginLimit, r.status)
	}
}

// TestRoleBoundaries: a viewer changes nothing (every POST route that changes something is
// 403), health changes risk areas but may not touch keys or devices, ops may not change risk
// areas.
func TestRoleBoundaries(t *testing.T) {
	e := newTenv(t, false)
	viewer := e.as(RoleViewer)
	var changing []string
	for _, rt := range e.h.table() {
		if !strings.HasPrefix(rt.pattern, "POST ") || rt.public || rt.pattern == "POST /admin/logout" {
			continue
		}
		if rt.perm == "" {
			t.Errorf("%s changes something without a permission", rt.pattern)
		}
		changing = append(changing, strings.TrimPrefix(rt.pattern, "POST "))
	}
	if len(changing) < 4 {
		t.Fatalf("only %d changing routes: %v", len(changing), changing)
	}
	form := url.Values{"code": {"220100"}, "level": {"high"}, "from": {"2026-12-01"}, "csv": {"220100,high,2026-12-01"}}
	for _, p := range changing {
		if r := e.post(viewer, p, form); r.status != http.StatusForbidden || !strings.Contains(r.body, zh["err_forbidden"]) {
			t.Errorf("viewer POST %s: %d; want 403", p, r.status)
		}
	}
	if l, _ := e.core.RiskAreas(context.Background()); len(l) != 0 {
		t.Fatalf("a viewer changed the risk list: %v", l)
	}
	if p := e.get(viewer, "/admin/risk"); p.status != 200 || strings.Contains(p.body, `action="/admin/risk/save"`) {
		t.Fatalf("viewer's risk page: %d, shows the form: %v", p.status, strings.Contains(p.body, "/admin/risk/save"))
	}
	for _, p := range []string{"/admin/", "/admin/audit", "/admin/audit.csv", "/admin/overview.json"} {
		if r := e.get(viewer, p); r.status != 200 {
			t.Errorf("viewer GET %s: %d", p, r.status)
		}
	}

	health := e.as(RoleHealth)
	version := listVersion(checkpoint.RiskList{})
	if r := e.post(health, "/admin/risk/save", url.Values{"code": {"220100"}, "level": {"high"}, "from": {"2026-12-01"}, "version": {version}}); r.status != http.StatusSeeOther {
		t.Fatalf("health adds a risk area: %d %s", r.status, r.body)
	}
	ids := e.seedKiosks(0)
	for _, p := range []string{"/admin/keys/new", "/admin/keys/retire", "/admin/keys/distrust", "/admin/devices/revoke", "/admin/enroll-codes"} {
		if r := e.post(health, p, url.Values{"valid_days": {"30"}, "id": {ids[0]}, "site_id": {"s1"}, "ttl_hours": {"24"}, "kid": {"k"}, "confirm": {"1"}}); r.status != http.StatusForbidden {
			t.Errorf("health POST %s: %d; want 403", p, r.status)
		}
	}
	if ks, _ := e.core.DB().Keys(context.Background()); len(ks) != 0 {
		t.Fatalf("health made a key: %d", len(ks))
	}
	if d, _ := e.core.DB().Device(context.Background(), ids[0]); d.Revoked {
		t.Fatal("health revoked a kiosk")
	}
	for _, p := range []Perm{PermKeys, PermDevices, PermSites, PermSettings, PermHeld} {
		if RoleHealth.Can(p) {
			t.Errorf("health may %s", p)
		}
	}
	ops := e.as(RoleOps)
	l, _ := e.core.RiskAreas(context.Background())
	if r := e.post(ops, "/admin/risk/save", url.Values{"code": {"220200"}, "level": {"low"}, "from": {"2026-12-01"}, "version": {listVersion(l)}}); r.status != http.StatusForbidden {
		t.Fatalf("ops changed risk areas: %d", r.status)
	}
	if r := e.post(ops, "/admin/risk/end", url.Values{"key": {"220100|2026-12-01"}, "version": {listVersion(l)}}); r.status != http.StatusForbidden {
		t.Fatalf("ops ended a risk area: %d", r.status)
	}
	if r := e.post(ops, "/admin/keys/new", url.Values{"valid_days": {"30"}}); r.status != http.StatusForbidden {
		t.Fatalf("ops made a key: %d", r.status)
	}
	if r := e.post(ops, "/admin/devices/revoke", url.Values{"id": {ids[1]}}); r.status != http.StatusSeeOther {
		t.Fatalf("ops revokes a kiosk: %d %s", r.status, r.body)
	}
	for _, p := range []Perm{PermDevices, PermSites, PermHeld} {
		if !RoleOps.Can(p) {
			t.Errorf("ops may not %s", p)
		}
	}
	if RoleOps.Can(PermRisk) || RoleOps.Can(PermKeys) || RoleViewer.Can(PermRisk) {
		t.Error("a role may more than it should")
	}
	// 操作员 is the admin's alone: every other role gets 403 on the page and on every change, and
	// no nav entry.
	var opRoutes []string
	for _, rt := range e.h.table() {
		if strings.Contains(rt.pattern, " /admin/operators") {
			if rt.perm != PermOperators {
				t.Errorf("%s needs %q; want %q", rt.pattern, rt.perm, PermOperators)
			}
			opRoutes = append(opRoutes, rt.pattern)
		}
	}
	if len(opRoutes) != 6 {
		t.Errorf("operator routes = %v; want the page and 5 changes", opRoutes)
	}
	for _, c := range []*http.Client{viewer, health, ops} {
		if p := e.get(c, "/admin/"); p.status != 200 || strings.Contains(p.body, "/admin/operators") {
			t.Errorf("a non-admin's nav: %d, shows 操作员: %v", p.status, strings.Contains(p.body, "/admin/operators"))
		}
		if p := e.get(c, "/admin/operators"); p.status != http.StatusForbidden {
			t.Errorf("a non-admin GET /admin/operators: %d; want 403", p.status)
		}
		for _, p := range opRoutes {
			if path, ok := strings.CutPrefix(p, "POST "); ok {
				if r := e.post(c, path, url.Values{"name": {"op-viewer"}, "role": {"admin"}}); r.status != http.StatusForbidden {
					t.Errorf("a non-admin POST %s: %d; want 403", path, r.status)
				}
			}
		}
	}
	if o, _ := e.core.DB().Operator(context.Background(), "op-viewer"); o.Role != string(RoleViewer) || !o.Active || o.PasswordHash == "" {
		t.Errorf("a non-admin changed an operator: %+v", o)
	}
	for _, r := range []Role{RoleHealth, RoleOps, RoleViewer} {
		if r.Can(PermOperators) {
			t.Errorf("%s may manage operators", r)
		}
	}
	if p := e.get(e.as(RoleAdmin), "/admin/"); !strings.Contains(p.body, `href="/admin/operators"`) {
		t.Error("the admin's nav has no 操作员")
	}
	for _, p := range []Perm{PermRisk, PermPeople, PermSites, PermDevices, PermHeld, PermKeys, PermSettings, PermOperators} {
		if !RoleAdmin.Can(p) {
			t.Errorf("admin may not %s", p)
		}
	}
	if l, _ := e.core.RiskAreas(context.Background()); len(l) != 1 || l[0].Code != "220100" {
		t.Fatalf("risk list = %v", l)
	}
	// A change of role, and a disabled operator, count from the next request.
	if err := e.core.DB().SetOperatorRole(context.Background(), "op-health", string(RoleViewer), e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	l, _ = e.core.RiskAreas(context.Background())
	if r := e.post(health, "/admin/risk/end", url.Values{"key": {"220100|2026-12-01"}, "version": {listVersion(l)}}); r.status != http.StatusForbidden {
		t.Fatalf("health made viewer still changes risk areas: %d", r.status)
	}
	if err := e.core.DB().SetOperatorActive(context.Background(), "op-viewer", false, e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if r := e.get(viewer, "/admin/"); r.status != http.StatusSeeOther {
		t.Fatalf("disabled operator's page: %d", r.status)
	}
}

// TestCSRFAndHeaders: a cross-origin POST is refused before it reaches the handler; pages carry
// a CSP without 'unsafe-inline' and frame-ancestors 'none'; the session cookie is HttpOnly,
// SameSite=Strict, and Secure with the __Host- prefix over TLS.
func TestCSRFAndHeaders(t *testing.T) {
	e := newTenv(t, false)
	secret := e.setup("qian", RoleAdmin, "qian's password")
	c := e.client()
	code := mustCode(t, secret, e.clk.Now())
	form := url.Values{"name": {"qian"}, "password": {"qian's password"}, "code": {code}}
	if r := e.post(c, "/admin/login", form, "Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden || !strings.Contains(r.body, zh["err_cross_origin"]) {
		t.Fatalf("cross-site login: %d", r.status)
	}
	if r := e.post(c, "/admin/login", form, "Origin", "http://evil.example"); r.status != http.StatusForbidden {
		t.Fatalf("foreign-origin login: %d", r.status)
	}
	r := e.post(c, "/admin/login", form, "Sec-Fetch-Site", "same-origin")
	if r.status != http.StatusSeeOther {
		t.Fatalf("same-origin login: %d %s", r.status, r.body)
	}
	sc := r.hdr.Get("Set-Cookie")
	for _, want := range []string{"hq_console=", "HttpOnly", "SameSite=Strict", "Path=/admin/"} {
		if !strings.Contains(sc, want) {
			t.Errorf("cookie %q lacks %q", sc, want)
		}
	}
	if strings.Contains(sc, "Secure") {
		t.Errorf("cookie over plain HTTP is Secure: %q", sc)
	}
	l, _ := e.core.RiskAreas(context.Background())
	if r := e.post(c, "/admin/risk/save", url.Values{"code": {"220100"}, "level": {"high"}, "from": {"2026-12-01"}, "version": {listVersion(l)}},
		"Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden {
		t.Fatalf("cross-site change: %d", r.status)
	}
	if l, _ := e.core.RiskAreas(context.Background()); len(l) != 0 {
		t.Fatal("a cross-site POST changed the list")
	}
	p := e.get(c, "/admin/risk")
	csp := p.hdr.Get("Content-Security-Policy")
	if p.status != 200 || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "'nonce-") {
		t.Fatalf("risk page: %d, CSP %q", p.status, csp)
	}
	if p.hdr.Get("X-Frame-Options") != "DENY" || p.hdr.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: %v", p.hdr)
	}
	if strings.Contains(p.body, "<script>") || strings.Contains(p.body, " style=") || strings.Contains(p.body, "onclick") {
		t.Error("a page has inline script or style")
	}

	s := newTenv(t, true)
	secret = s.setup("sun", RoleViewer, "sun's password!")
	r = s.login(s.client(), "sun", "sun's password!", secret)
	sc = r.hdr.Get("Set-Cookie")
	for _, want := range []string{"__Host-hq_console=", "HttpOnly", "SameSite=Strict", "Secure", "Path=/"} {
		if !strings.Contains(sc, want) {
			t.Errorf("TLS cookie %q lacks %q", sc, want)
		}
	}
}

// TestIdleTimeout: a session unused for 15 minutes ends; one in use lasts at most 8 hours.
func TestIdleTimeout(t *testing.T) {
	e := newTenv(t, false)
	if r := e.get(e.client(), "/admin/"); r.status != http.StatusSeeOther || r.hdr.Get("Location") != "/admin/login?next=%2Fadmin%2F" {
		t.Fatalf("no session: %d %q", r.status, r.hdr.Get("Location"))
	}
	c := e.as(RoleViewer)
	e.clk.Add(14 * time.Minute)
	if r := e.get(c, "/admin/"); r.status != 200 {
		t.Fatalf("after 14 min: %d", r.status)
	}
	e.clk.Add(16 * time.Minute)
	r := e.get(c, "/admin/audit")
	if r.status != http.StatusSeeOther || r.hdr.Get("Location") != "/admin/login?next=%2Fadmin%2Faudit&done=expired" {
		t.Fatalf("after 16 idle min: %d %q", r.status, r.hdr.Get("Location"))
	}
	if r := e.get(c, "/admin/overview.json"); r.status != http.StatusUnauthorized {
		t.Fatalf("poll after the session ended: %d", r.status)
	}
	// 总览's automatic refresh does not keep an unattended session alive.
	c = e.as(RoleOps)
	for i := range 3 { // 30 s after the login, then every 4 minutes
		e.clk.Add(4 * time.Minute)
		if r := e.get(c, "/admin/overview.json"); r.status != 200 {
			t.Fatalf("poll %d: %d", i, r.status)
		}
	}
	e.clk.Add(3 * time.Minute) // 15.5 minutes after the login
	if r := e.get(c, "/admin/overview.json"); r.status != http.StatusUnauthorized {
		t.Fatalf("polls kept the session alive past 15 idle minutes: %d", r.status)
	}
	c = e.as(RoleAdmin)
	for range 8 * 4 { // every 15 minutes for 8 hours, each within the idle limit
		e.clk.Add(14*time.Minute + 59*time.Second)
		if r := e.get(c, "/admin/audit"); r.status != 200 {
			break
		}
	}
	if r := e.get(c, "/admin/audit"); r.status != http.StatusSeeOther {
		t.Fatalf("a session in use outlived 8 hours: %d", r.status)
	}
}

// TestAuditEntries: a console change and an admin-API change both land in 审计日志 with the
// state before and after, newest first, and in the CSV export.
func TestAuditEntries(t *testing.T) {
	e := newTenv(t, false)
	admin := e.as(RoleAdmin)
	if r := e.post(admin, "/admin/risk/save", url.Values{"code": {"220100"}, "level": {"high"}, "from": {"2026-12-01"}, "version": {listVersion(checkpoint.RiskList{})}}); r.status != http.StatusSeeOther {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	e.clk.Add(time.Second)
	l, _ := e.core.RiskAreas(context.Background())
	r := e.post(admin, "/admin/risk/save", url.Values{"key": {"220100|2026-12-01"}, "code": {"220100"}, "level": {"medium"}, "from": {"2026-12-01"}, "to": {"2026-12-31"}, "version": {listVersion(l)}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", r.status, r.body)
	}
	e.clk.Add(time.Second)
	req, _ := http.NewRequest("PUT", e.ts.URL+"/api/v1/admin/risk-areas", strings.NewReader(`[{"code":"220200","level":"low","from":"2026-11-01"}]`))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	req.Header.Set("Content-Type", "application/json")
	ar, err := http.DefaultClient.Do(req)
	if err != nil || ar.StatusCode != 200 {
		t.Fatalf("admin API put: %v %v", ar, err)
	}
	ar.Body.Close()
	es, err := e.core.DB().Audit(context.Background(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) < 3 || es[0].Action != hq.AuditRiskAreasPut || es[0].Operator != hq.AuditAdminToken ||
		!strings.Contains(es[0].Before, `"medium"`) || !strings.Contains(es[0].After, `"220200"`) {
		t.Fatalf("newest entry = %+v", es[0])
	}
	if es[1].Action != AuditRiskEdit || es[1].Operator != "op-admin" || es[1].Role != "admin" || es[1].ClientAddr != "127.0.0.1" ||
		!strings.Contains(es[1].Before, `"level":"high"`) || !strings.Contains(es[1].After, `"level":"medium"`) || !strings.Contains(es[1].After, `"to":"2026-12-31"`) {
		t.Fatalf("edit entry = %+v", es[1])
	}
	if es[2].Action != AuditRiskAdd || es[2].Before != "" || !strings.Contains(es[2].After, `"220100"`) {
		t.Fatalf("add entry = %+v", es[2])
	}
	p := e.get(admin, "/admin/audit")
	iPut, iEdit := strings.Index(p.body, `data-action="risk_areas.put"`), strings.Index(p.body, `data-action="risk_area.edit"`)
	if p.status != 200 || iPut < 0 || iEdit < 0 || iPut > iEdit || !strings.Contains(p.body, "admin-token") {
		t.Fatalf("audit page: %d, put at %d, edit at %d", p.status, iPut, iEdit)
	}
	viewer := e.as(RoleViewer)
	cv := e.get(viewer, "/admin/audit.csv")
	if cv.status != 200 || !strings.HasPrefix(cv.hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d", cv.status)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(cv.body, "\ufeff"))).ReadAll()
	if err != nil || len(rows) < 4 || rows[0][4] != "action" {
		t.Fatalf("csv rows: %v %v", rows, err)
	}
	found := false
	for _, row := range rows[1:] {
		if row[4] == AuditRiskEdit && row[2] == "op-admin" && strings.Contains(row[6], "high") && strings.Contains(row[7], "medium") {
			found = true
		}
	}
	if !found {
		t.Fatalf("the edit is not in the CSV: %v", rows)
	}
}

// TestImportPreview: every bad row is named and nothing changes; a good import is applied only
// on confirmation, and refused if the list changed since the preview.
func TestImportPreview(t *testing.T) {
	e := newTenv(t, false)
	health := e.as(RoleHealth)
	bad := "code,level,from,to\n220100,high,2026-12-01,\n991234,high,2026-12-01\n220200,severe,2026-12-01\n220300,low,2026-13-01\n220400,low,2026-12-05,2026-12-01\n220100,high,2026-12-01\n220500,low\n"
	r := e.post(health, "/admin/risk/import", url.Values{"csv": {bad}})
	if r.status != http.StatusUnprocessableEntity || strings.Contains(r.body, `action="/admin/risk/import/apply"`) {
		t.Fatalf("bad import: %d, offers apply: %v", r.status, strings.Contains(r.body, "import/apply"))
	}
	for line, key := range map[int]string{3: "imp_code", 4: "imp_level", 5: "imp_from", 6: "imp_order", 7: "imp_dup", 8: "imp_columns"} {
		row := regexp.MustCompile(`(?s)<tr class="bad" data-line="` + strconv.Itoa(line) + `">.*?</tr>`).FindString(r.body)
		if row == "" || !strings.Contains(row, zh[key]) {
			t.Errorf("line %d not named as %s: %q", line, key, row)
		}
	}
	if strings.Contains(r.body, `class="bad" data-line="2"`) {
		t.Error("the good line 2 is marked bad")
	}
	if l, _ := e.core.RiskAreas(context.Background()); len(l) != 0 {
		t.Fatalf("a bad import changed the list: %v", l)
	}
	good := "220100,高,2026-12-01,2026-12-31\n220200,low,2026-11-20\n"
	r = e.post(health, "/admin/risk/import", url.Values{"csv": {good}})
	if r.status != 200 || !strings.Contains(r.body, `action="/admin/risk/import/apply"`) {
		t.Fatalf("good import preview: %d", r.status)
	}
	if l, _ := e.core.RiskAreas(context.Background()); len(l) != 0 {
		t.Fatal("the preview applied the import")
	}
	v0 := listVersion(checkpoint.RiskList{})
	if r := e.post(health, "/admin/risk/import/apply", url.Values{"csv": {good}, "version": {"stale"}}); r.status != http.StatusConflict {
		t.Fatalf("apply against a stale list: %d", r.status)
	}
	if r := e.post(health, "/admin/risk/import/apply", url.Values{"csv": {good}, "version": {v0}}); r.status != http.StatusSeeOther {
		t.Fatalf("apply: %d %s", r.status, r.body)
	}
	l, _ := e.core.RiskAreas(context.Background())
	if len(l) != 2 || l[0].Level != checkpoint.RiskHigh || l[1].Code != "220200" {
		t.Fatalf("after import: %v", l)
	}
	e.clk.Add(time.Second)
	// End: the area's last day becomes yesterday, so it no longer matches today.
	if r := e.post(health, "/admin/risk/end", url.Values{"key": {"220200|2026-11-20"}, "version": {listVersion(l)}}); r.status != http.StatusSeeOther {
		t.Fatalf("end: %d", r.status)
	}
	l, _ = e.core.RiskAreas(context.Background())
	if _, ok := l.Match("220200", e.clk.Now()); ok || l[1].To.IsZero() {
		t.Fatalf("ended area still in force: %v", l)
	}
	es, _ := e.core.DB().Audit(context.Background(), 0, 2)
	if es[0].Action != AuditRiskEnd || es[1].Action != AuditRiskImport || !strings.Contains(es[1].After, "220200") {
		t.Fatalf("audit = %+v", es)
	}
}
