package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/yongji-county/checkpoint/hq/citizen"
	"github.com/yongji-county/checkpoint/hq/internal/qrpng"
)

const (
	testPhone = "13800138000"
	testID    = "220221199001011234"
)

type env struct {
	t    *testing.T
	fake *fakeCitizens
	srv  *httptest.Server
	c    *http.Client // with a cookie jar
	down atomic.Bool  // the network is down: API requests get their connection dropped
}

func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	fake := newFake()
	cfg := Config{Citizens: fake, Demo: true, DemoSMS: fake.demoSMS}
	if mod != nil {
		mod(&cfg)
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, fake: fake}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.down.Load() && strings.HasPrefix(r.URL.Path, "/api/") {
			panic(http.ErrAbortHandler) // the connection drops: fetch fails as when offline
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	jar, _ := cookiejar.New(nil)
	e.c = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

// do sends a request as the page's own script would (same origin), body as JSON unless a string.
func (e *env) do(method, path string, body any, hdr ...string) (*http.Response, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := e.c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// register makes an account for phone through the API and returns the session cookie set.
func (e *env) register(phone string) *http.Cookie {
	e.t.Helper()
	if r, b := e.do("POST", "/api/v1/citizen/sms", map[string]string{"phone": phone, "purpose": "register"}); r.StatusCode != 202 {
		e.t.Fatalf("sms: %d %s", r.StatusCode, b)
	}
	r, b := e.do("POST", "/api/v1/citizen/register", map[string]string{"phone": phone, "sms_code": e.fake.lastCode(phone),
		"password": "correct horse", "name": "张三丰", "id_number": testID})
	if r.StatusCode != http.StatusCreated {
		e.t.Fatalf("register: %d %s", r.StatusCode, b)
	}
	return sessionCookie(e.t, r)
}

func sessionCookie(t *testing.T, r *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range r.Cookies() {
		if strings.HasSuffix(c.Name, "jsb_session") {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", r.Header.Values("Set-Cookie"))
	return nil
}

func errBody(t *testing.T, b []byte) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	return e
}

func TestErrorStatusMapping(t *testing.T) {
	cases := []struct {
		kind   citizen.Kind
		status int
	}{
		{citizen.KindInvalid, 400},
		{citizen.KindConflict, 409},
		{citizen.KindLimited, 429},
		{citizen.KindUnauthorized, 401},
		{citizen.KindUnavailable, 503},
	}
	for _, c := range cases {
		e := newEnv(t, nil)
		e.fake.fail = &citizen.Error{Kind: c.kind, Code: "x_code", Field: "id_number", Zh: "中文", En: "english", RetryAfter: 1500 * time.Millisecond}
		r, b := e.do("POST", "/api/v1/citizen/login", map[string]string{"phone": testPhone, "password": "p"})
		if r.StatusCode != c.status {
			t.Errorf("kind %d: status %d; want %d", c.kind, r.StatusCode, c.status)
		}
		eb := errBody(t, b)
		if eb.Error != "x_code" || eb.Field != "id_number" || eb.Message != "中文 / english" {
			t.Errorf("kind %d: body %+v", c.kind, eb)
		}
		if ra := r.Header.Get("Retry-After"); ra != "2" {
			t.Errorf("kind %d: Retry-After %q; want 2 (rounded up)", c.kind, ra)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("kind %d: Cache-Control %q", c.kind, cc)
		}
	}
	// A plain error is a 500 that tells nothing of it.
	e := newEnv(t, nil)
	e.fake.fail = errors.New("sqldb: disk on fire")
	r, b := e.do("POST", "/api/v1/citizen/login", map[string]string{"phone": testPhone, "password": "p"})
	if r.StatusCode != 500 || strings.Contains(string(b), "fire") {
		t.Errorf("plain error: %d %s", r.StatusCode, b)
	}
}

func TestSMSLimitedRetryAfter(t *testing.T) {
	e := newEnv(t, nil)
	r, b := e.do("POST", "/api/v1/citizen/sms", map[string]string{"phone": testPhone, "purpose": "register"})
	if r.StatusCode != 202 || !strings.Contains(string(b), `"retry_after_s":60`) {
		t.Fatalf("first sms: %d %s", r.StatusCode, b)
	}
	r, b = e.do("POST", "/api/v1/citizen/sms", map[string]string{"phone": testPhone, "purpose": "register"})
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("second sms: %d %v %s", r.StatusCode, r.Header, b)
	}
	if eb := errBody(t, b); eb.Field != "phone" || eb.RetryAfterS < 59 {
		t.Errorf("second sms body %+v", eb)
	}
	r, _ = e.do("POST", "/api/v1/citizen/sms", map[string]string{"phone": testPhone, "purpose": "assist"})
	if r.StatusCode != 400 {
		t.Errorf("purpose assist from a citizen page: %d; want 400", r.StatusCode)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	for _, secure := range []bool{false, true} {
		e := newEnv(t, func(c *Config) { c.Secure = secure })
		c := e.register(testPhone)
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure != secure {
			t.Errorf("secure=%v: cookie %+v", secure, c)
		}
		if secure != strings.HasPrefix(c.Name, "__Host-") {
			t.Errorf("secure=%v: cookie name %q", secure, c.Name)
		}
		if len(c.Value) < 43 {
			t.Errorf("token %d chars", len(c.Value))
		}
	}
}

func TestLoginRotatesSession(t *testing.T) {
	e := newEnv(t, nil)
	first := e.register(testPhone)
	r, b := e.do("POST", "/api/v1/citizen/login", map[string]string{"phone": testPhone, "password": "correct horse"})
	if r.StatusCode != 200 {
		t.Fatalf("login: %d %s", r.StatusCode, b)
	}
	second := sessionCookie(t, r)
	if second.Value == first.Value {
		t.Fatal("login kept the token")
	}
	if _, err := e.fake.Session(t.Context(), first.Value); err == nil {
		t.Error("the replaced session still works")
	}
	if r, b := e.do("GET", "/api/v1/citizen/code", nil); r.StatusCode != 200 {
		t.Errorf("code with the new session: %d %s", r.StatusCode, b)
	}
	r, b = e.do("POST", "/api/v1/citizen/login", map[string]string{"phone": testPhone, "password": "wrong"})
	if r.StatusCode != 401 || errBody(t, b).Error != "bad_login" {
		t.Errorf("wrong password: %d %s", r.StatusCode, b)
	}
}

func TestLogoutClears(t *testing.T) {
	e := newEnv(t, nil)
	c := e.register(testPhone)
	r, _ := e.do("POST", "/api/v1/citizen/logout", map[string]string{})
	if r.StatusCode != 200 {
		t.Fatalf("logout: %d", r.StatusCode)
	}
	cleared := sessionCookie(t, r)
	if cleared.MaxAge >= 0 || cleared.Value != "" {
		t.Errorf("logout cookie %+v; want cleared", cleared)
	}
	if _, err := e.fake.Session(t.Context(), c.Value); err == nil {
		t.Error("session alive after logout")
	}
	if r, _ := e.do("GET", "/api/v1/citizen/code", nil); r.StatusCode != 401 {
		t.Errorf("code after logout: %d; want 401", r.StatusCode)
	}
	if r, _ := e.do("GET", "/code", nil); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=/code" {
		t.Errorf("code page after logout: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}

func TestCrossOriginRefused(t *testing.T) {
	e := newEnv(t, nil)
	body := map[string]string{"phone": testPhone, "password": "x"}
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
	} {
		for _, path := range []string{"/api/v1/citizen/login", "/api/v1/citizen/sms", "/api/v1/citizen/register", "/api/v1/citizen/logout", "/api/v1/citizen/reset"} {
			r, b := e.do("POST", path, body, h...)
			if r.StatusCode != 403 || errBody(t, b).Error != "cross_origin" {
				t.Errorf("%s with %v: %d %s; want 403", path, h, r.StatusCode, b)
			}
		}
	}
	// Same origin, by either header, goes through (and fails on the password).
	for _, h := range [][]string{{"Sec-Fetch-Site", "same-origin"}, {"Sec-Fetch-Site", "", "Origin", e.srv.URL}} {
		if r, _ := e.do("POST", "/api/v1/citizen/login", body, h...); r.StatusCode != 401 {
			t.Errorf("same origin %v: %d; want 401", h, r.StatusCode)
		}
	}
}

var nonceRE = regexp.MustCompile(`script-src 'self' 'nonce-([A-Za-z0-9_-]+)'`)

func TestCSPOnEveryPage(t *testing.T) {
	e := newEnv(t, nil)
	paths := []string{"/", "/me", "/login", "/register", "/reset", "/login?lang=en", "/no-such-page"}
	for _, logged := range []bool{false, true} {
		if logged {
			e.register(testPhone)
			paths = append(paths, "/code", "/me", "/")
		}
		for _, p := range paths {
			r, b := e.do("GET", p, nil)
			csp := r.Header.Get("Content-Security-Policy")
			if r.StatusCode != 200 && !(p == "/no-such-page" && r.StatusCode == 404) {
				t.Errorf("%s: status %d", p, r.StatusCode)
			}
			for _, want := range []string{"default-src 'self'", "style-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("%s: CSP %q lacks %q", p, csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("%s: CSP %q allows inline", p, csp)
			}
			m := nonceRE.FindStringSubmatch(csp)
			if m == nil || !strings.Contains(string(b), `nonce="`+m[1]+`"`) {
				t.Errorf("%s: the page's script does not carry the CSP nonce", p)
			}
			if strings.Contains(string(b), " style=") || strings.Contains(string(b), "<style") || regexp.MustCompile(`<script(?: [^>]*)?>[^<]`).Match(b) ||
				regexp.MustCompile(` on[a-z]+=`).Match(b) {
				t.Errorf("%s: inline style or script in the page", p)
			}
			for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
				if got := r.Header.Get(h); got != want {
					t.Errorf("%s: %s %q; want %q", p, h, got, want)
				}
			}
		}
	}
	// Two responses never share a nonce.
	r1, _ := e.do("GET", "/login", nil)
	r2, _ := e.do("GET", "/login", nil)
	if r1.Header.Get("Content-Security-Policy") == r2.Header.Get("Content-Security-Policy") {
		t.Error("the nonce repeats")
	}
	// The API has a CSP too, and the strictest.
	r, _ := e.do("GET", "/api/v1/citizen/code", nil)
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("api CSP %q", csp)
	}
}

func TestLanguageSwitchRemembered(t *testing.T) {
	e := newEnv(t, nil)
	_, b := e.do("GET", "/login", nil)
	if !strings.Contains(string(b), "没有账号？立即注册") || !strings.Contains(string(b), `lang="zh-CN"`) {
		t.Error("default page is not Chinese")
	}
	_, b = e.do("GET", "/login?lang=en", nil)
	if !strings.Contains(string(b), "No account? Register now") {
		t.Error("?lang=en is not English")
	}
	_, b = e.do("GET", "/register", nil)
	if !strings.Contains(string(b), `lang="en"`) || strings.Contains(string(b), "获取验证码") {
		t.Error("English is not remembered")
	}
}

func TestDemoOutbox(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Demo = false; c.DemoSMS = nil })
	e.do("POST", "/api/v1/citizen/sms", map[string]string{"phone": testPhone, "purpose": "register"})
	if r, _ := e.do("GET", "/api/v1/dev/sms?phone="+testPhone, nil); r.StatusCode != 404 {
		t.Errorf("outbox without demo: %d; want 404", r.StatusCode)
	}
	if _, b := e.do("GET", "/register", nil); strings.Contains(string(b), "demo SMS") {
		t.Error("demo link shown outside demo mode")
	}
	e = newEnv(t, nil)
	e.do("POST", "/api/v1/citizen/sms", map[string]string{"phone": testPhone, "purpose": "register"})
	r, b := e.do("GET", "/api/v1/dev/sms?phone="+testPhone, nil)
	var out struct {
		Messages []demoMessageBody `json:"messages"`
	}
	json.Unmarshal(b, &out)
	if r.StatusCode != 200 || len(out.Messages) != 1 || out.Messages[0].Code != e.fake.lastCode(testPhone) || out.Messages[0].Purpose != "register" {
		t.Errorf("outbox: %d %s", r.StatusCode, b)
	}
	if _, b := e.do("GET", "/register", nil); !strings.Contains(string(b), "演示短信 / demo SMS") {
		t.Error("demo link missing in demo mode")
	}
}

func TestBodyLimits(t *testing.T) {
	e := newEnv(t, nil)
	big := `{"phone":"` + strings.Repeat("1", 5000) + `","password":"x"}`
	if r, b := e.do("POST", "/api/v1/citizen/login", big); r.StatusCode != 413 {
		t.Errorf("5 KB body: %d %s; want 413", r.StatusCode, b)
	}
	cases := map[string]string{
		"unknown field": `{"phone":"13800138000","password":"x","admin":true}`,
		"two objects":   `{"phone":"13800138000","password":"x"}{}`,
		"not json":      `phone=1`,
		"wrong type":    `{"phone":13800138000,"password":"x"}`,
	}
	for name, body := range cases {
		r, b := e.do("POST", "/api/v1/citizen/login", body)
		if r.StatusCode != 400 || errBody(t, b).Error != "bad_json" {
			t.Errorf("%s: %d %s; want 400", name, r.StatusCode, b)
		}
	}
	if r, _ := e.do("POST", "/api/v1/citizen/login", `{}`, "Content-Type", "text/plain"); r.StatusCode != 415 {
		t.Errorf("text/plain: %d; want 415", r.StatusCode)
	}
	if r, b := e.do("GET", "/api/v1/citizen/nope", nil); r.StatusCode != 404 || errBody(t, b).Error != "not_found" {
		t.Errorf("unknown endpoint: %d %s", r.StatusCode, b)
	}
}

func TestCodeAPI(t *testing.T) {
	e := newEnv(t, nil)
	if r, _ := e.do("GET", "/api/v1/citizen/code", nil); r.StatusCode != 401 {
		t.Errorf("code without a session: %d", r.StatusCode)
	}
	e.register(testPhone)
	r, b := e.do("GET", "/api/v1/citizen/code", nil)
	if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("code: %d %v", r.StatusCode, r.Header)
	}
	var c codeBody
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c.Status != "green" || c.IDMasked != "220221********1234" || c.NameMasked != "张**" || c.HouseholdName != "吉林省吉林市永吉县" {
		t.Errorf("code view %+v", c.CodeView)
	}
	if !c.ExpiresAt.After(c.ServerTime) {
		t.Errorf("expires %v not after server time %v", c.ExpiresAt, c.ServerTime)
	}
	// The QR is a PNG of whole modules with the quiet zone, and says the code.
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(c.QRPNG, "data:image/png;base64,"))
	if err != nil || !strings.HasPrefix(c.QRPNG, "data:image/png;base64,") {
		t.Fatalf("qr_png %.40q: %v", c.QRPNG, err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w != c.QRModules*qrpng.Scale || (c.QRModules-8-17)%4 != 0 {
		t.Errorf("png %d px for %d modules", w, c.QRModules)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil || res.GetText() != c.Code {
		t.Errorf("QR decodes to %v, %v; want %q", res, err, c.Code)
	}
}

func TestStaticFiles(t *testing.T) {
	e := newEnv(t, nil)
	_, b := e.do("GET", "/login", nil)
	m := regexp.MustCompile(`/static/app\.js\?v=[0-9a-f]+`).Find(b)
	if m == nil {
		t.Fatal("no hashed script URL in the page")
	}
	r, js := e.do("GET", string(m), nil)
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(r.Header.Get("Cache-Control"), "immutable") || len(js) < 1000 {
		t.Errorf("app.js: %d %v", r.StatusCode, r.Header)
	}
	r, mf := e.do("GET", "/static/manifest.webmanifest", nil)
	var man struct {
		StartURL string `json:"start_url"`
		Display  string `json:"display"`
		Icons    []struct{ Src, Sizes string }
	}
	if err := json.Unmarshal(mf, &man); err != nil || r.Header.Get("Content-Type") != "application/manifest+json" || man.Display != "standalone" || len(man.Icons) != 2 {
		t.Errorf("manifest: %v %v %+v", err, r.Header.Get("Content-Type"), man)
	}
	for _, ic := range man.Icons {
		if r, _ := e.do("GET", ic.Src, nil); r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/png" {
			t.Errorf("icon %s: %d", ic.Src, r.StatusCode)
		}
	}
	if r, _ := e.do("GET", "/static/../web.go", nil); r.StatusCode == 200 {
		t.Error("static serves outside its directory")
	}
}

func TestResetEndsSessions(t *testing.T) {
	e := newEnv(t, nil)
	c := e.register(testPhone)
	e.fake.now = func() time.Time { return time.Now().Add(2 * time.Minute) } // past the SMS interval
	e.do("POST", "/api/v1/citizen/sms", map[string]string{"phone": testPhone, "purpose": "reset"})
	r, b := e.do("POST", "/api/v1/citizen/reset", map[string]string{"phone": testPhone, "sms_code": "000000", "password": "new password"})
	if r.StatusCode != 400 || errBody(t, b).Field != "sms_code" {
		t.Errorf("wrong code: %d %s", r.StatusCode, b)
	}
	r, b = e.do("POST", "/api/v1/citizen/reset", map[string]string{"phone": testPhone, "sms_code": e.fake.lastCode(testPhone), "password": "new password"})
	if r.StatusCode != 200 {
		t.Fatalf("reset: %d %s", r.StatusCode, b)
	}
	if _, err := e.fake.Session(t.Context(), c.Value); err == nil {
		t.Error("session alive after reset")
	}
	if r, _ := e.do("POST", "/api/v1/citizen/login", map[string]string{"phone": testPhone, "password": "new password"}); r.StatusCode != 200 {
		t.Errorf("login with the new password: %d", r.StatusCode)
	}
}
