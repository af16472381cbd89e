package page

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func testFS() fstest.MapFS {
	return fstest.MapFS{
		"layout.html": {Data: []byte(`{{define "layout"}}<html lang="{{.HTMLLang}}"><title>{{template "title" .}}</title>` +
			`<script src="{{static "a.js"}}" nonce="{{.Nonce}}"></script><a href="{{.Path}}?lang={{.Other}}">x</a>{{template "content" .}}</html>{{end}}`)},
		"hello.html":  {Data: []byte(`{{define "title"}}{{.T "title"}}{{end}}{{define "content"}}<p>{{.T "hello"}} {{.Data}}</p>{{end}}`)},
		"broken.html": {Data: []byte(`{{define "title"}}x{{end}}{{define "content"}}{{.T "no_such_key"}}{{end}}`)},
	}
}

func testStrings() map[Lang]Strings {
	return map[Lang]Strings{
		Zh: {"title": "标题", "hello": "你好"},
		En: {"title": "Title", "hello": "Hello"},
	}
}

func newEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := New(Config{Templates: testFS(), Static: fstest.MapFS{"a.js": {Data: []byte("1")}}, Strings: testStrings()})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func render(t *testing.T, e *Engine, target string, cookies ...*http.Cookie) (*httptest.ResponseRecorder, error) {
	r := httptest.NewRequest("GET", target, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	return w, e.Render(w, r, 200, "hello", "<b>张三</b>")
}

func TestRenderLanguages(t *testing.T) {
	e := newEngine(t)
	w, err := render(t, e, "/hello")
	if err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	if !strings.Contains(body, `<p>你好 &lt;b&gt;张三&lt;/b&gt;</p>`) || !strings.Contains(body, `lang="zh-CN"`) || !strings.Contains(body, `?lang=en`) {
		t.Errorf("default page: %s", body)
	}
	w, _ = render(t, e, "/hello?lang=en")
	if !strings.Contains(w.Body.String(), "Hello") || !strings.Contains(w.Body.String(), `lang="en"`) {
		t.Errorf("?lang=en: %s", w.Body)
	}
	var c *http.Cookie
	for _, k := range w.Result().Cookies() {
		if k.Name == "lang" {
			c = k
		}
	}
	if c == nil || c.Value != "en" || c.Path != "/" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("language cookie %+v", c)
	}
	w, _ = render(t, e, "/hello", c)
	if !strings.Contains(w.Body.String(), "Hello") {
		t.Errorf("the cookie is not honoured: %s", w.Body)
	}
	w, _ = render(t, e, "/hello?lang=xx", c)
	if !strings.Contains(w.Body.String(), "你好") {
		t.Errorf("an unknown ?lang= is not Chinese: %s", w.Body)
	}
}

var nonceRE = regexp.MustCompile(`'nonce-([A-Za-z0-9_-]{22})'`)

func TestCSPAndNonce(t *testing.T) {
	e := newEngine(t)
	seen := map[string]bool{}
	for range 20 {
		w, err := render(t, e, "/hello")
		if err != nil {
			t.Fatal(err)
		}
		csp := w.Header().Get("Content-Security-Policy")
		m := nonceRE.FindStringSubmatch(csp)
		if m == nil {
			t.Fatalf("CSP %q has no nonce", csp)
		}
		if seen[m[1]] {
			t.Fatalf("nonce %s repeated", m[1])
		}
		seen[m[1]] = true
		if !strings.Contains(w.Body.String(), `nonce="`+m[1]+`"`) {
			t.Errorf("the script does not carry the nonce %s: %s", m[1], w.Body)
		}
		for _, want := range []string{"default-src 'self'", "style-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("CSP %q allows unsafe sources", csp)
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("Referrer-Policy") != "no-referrer" ||
			w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("headers %v", w.Header())
		}
	}
}

func TestMissingStringFailsWhole(t *testing.T) {
	e := newEngine(t)
	r := httptest.NewRequest("GET", "/", nil)
	w := httptest.NewRecorder()
	err := e.Render(w, r, 200, "broken", nil)
	if err == nil || !strings.Contains(err.Error(), "no_such_key") {
		t.Errorf("render with an unknown string: %v", err)
	}
	if w.Code != 500 || strings.Contains(w.Body.String(), "<html") {
		t.Errorf("a failed render answered %d %q", w.Code, w.Body)
	}
	if w.Header().Get("Content-Security-Policy") == "" {
		t.Error("the error page has no CSP")
	}
	if err := e.Render(httptest.NewRecorder(), r, 200, "nope", nil); err == nil {
		t.Error("rendered a page that does not exist")
	}
}

func TestStringTablesMatch(t *testing.T) {
	s := testStrings()
	s[En] = Strings{"title": "Title"}
	if _, err := New(Config{Templates: testFS(), Strings: s}); err == nil || !strings.Contains(err.Error(), "en:hello") {
		t.Errorf("tables with different keys: %v", err)
	}
	if _, err := New(Config{Templates: testFS(), Strings: map[Lang]Strings{Zh: {"a": "b"}}}); err == nil {
		t.Error("no English table accepted")
	}
}

func TestStatic(t *testing.T) {
	e := newEngine(t)
	u, err := e.StaticURL("a.js")
	if err != nil || !regexp.MustCompile(`^/static/a\.js\?v=[0-9a-f]{12}$`).MatchString(u) {
		t.Fatalf("StaticURL = %q, %v", u, err)
	}
	if _, err := e.StaticURL("b.js"); err == nil {
		t.Error("URL for a missing file")
	}
	for target, want := range map[string]string{u: "immutable", "/static/a.js": "max-age=86400"} {
		w := httptest.NewRecorder()
		e.Static().ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		if w.Code != 200 || w.Body.String() != "1" || !strings.Contains(w.Header().Get("Cache-Control"), want) ||
			!strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: %d %v", target, w.Code, w.Header())
		}
	}
	w := httptest.NewRecorder()
	e.Static().ServeHTTP(w, httptest.NewRequest("GET", "/static/../page.go", nil))
	if w.Code != 404 {
		t.Errorf("outside the static files: %d", w.Code)
	}
	if got := e.Pages(); strings.Join(got, ",") != "broken,hello" {
		t.Errorf("Pages() = %v", got)
	}
}
