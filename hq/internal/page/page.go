// Package page renders HQ's HTML pages: html/template files from an embedded file system (a
// layout plus one file per page), strings from one table per language (Chinese by default,
// English by ?lang=en, remembered in a cookie), a fresh Content-Security-Policy nonce per
// response and the security headers every page carries, and the embedded static files with
// content-hashed URLs.
package page

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"slices"
	"sort"
	"strings"
)

// Lang is a page language.
type Lang string

// The languages. Zh is the default.
const (
	Zh Lang = "zh"
	En Lang = "en"
)

// Strings is one language's table: key → text.
type Strings map[string]string

// Config holds what an Engine renders.
type Config struct {
	// Templates holds Layout and one file per page (every other *.html file). The layout
	// defines the template "layout", which calls the page's "title" and "content".
	Templates fs.FS
	Layout    string // default "layout.html"
	// Static is served under StaticPrefix; nil: no static files.
	Static       fs.FS
	StaticPrefix string // default "/static/"
	// Strings has a table for Zh and one for En with the same keys.
	Strings map[Lang]Strings
	// Secure marks the language cookie Secure (pages served over TLS).
	Secure bool
	// CookieName is the language cookie; default "lang".
	CookieName string
	// Funcs are extra template functions.
	Funcs template.FuncMap
}

// Engine renders pages. It is safe for concurrent use.
type Engine struct {
	cfg    Config
	pages  map[string]*template.Template
	hashes map[string]string // static name → short content hash
}

// View is what a page template receives: its data and the per-request helpers.
type View struct {
	Lang  Lang
	Nonce string // the CSP nonce of this response, for <script nonce>
	Path  string // the request path, for the language switch
	Data  any
	str   Strings
}

// T returns the text of key in the page's language; an unknown key fails the render.
func (v *View) T(key string) (string, error) {
	s, ok := v.str[key]
	if !ok {
		return "", fmt.Errorf("page: no string %q", key)
	}
	return s, nil
}

// Other is the language the switch offers.
func (v *View) Other() Lang {
	if v.Lang == En {
		return Zh
	}
	return En
}

// HTMLLang is the lang attribute of <html>.
func (v *View) HTMLLang() string {
	if v.Lang == En {
		return "en"
	}
	return "zh-CN"
}

// New parses every page with the layout and checks the string tables.
func New(cfg Config) (*Engine, error) {
	if cfg.Templates == nil {
		return nil, errors.New("page: no templates")
	}
	if cfg.Layout == "" {
		cfg.Layout = "layout.html"
	}
	if cfg.StaticPrefix == "" {
		cfg.StaticPrefix = "/static/"
	}
	if cfg.CookieName == "" {
		cfg.CookieName = "lang"
	}
	if err := checkStrings(cfg.Strings); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, pages: map[string]*template.Template{}, hashes: map[string]string{}}
	if cfg.Static != nil {
		err := fs.WalkDir(cfg.Static, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(cfg.Static, p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			e.hashes[p] = hex.EncodeToString(sum[:6])
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("page: static: %w", err)
		}
	}
	funcs := template.FuncMap{"static": e.StaticURL}
	for k, f := range cfg.Funcs {
		funcs[k] = f
	}
	base, err := template.New(cfg.Layout).Funcs(funcs).Option("missingkey=error").ParseFS(cfg.Templates, cfg.Layout)
	if err != nil {
		return nil, fmt.Errorf("page: layout: %w", err)
	}
	names, err := fs.Glob(cfg.Templates, "*.html")
	if err != nil {
		return nil, fmt.Errorf("page: %w", err)
	}
	for _, n := range names {
		if n == cfg.Layout {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("page: %w", err)
		}
		if _, err := t.ParseFS(cfg.Templates, n); err != nil {
			return nil, fmt.Errorf("page: %s: %w", n, err)
		}
		e.pages[strings.TrimSuffix(n, ".html")] = t
	}
	if len(e.pages) == 0 {
		return nil, errors.New("page: no pages")
	}
	return e, nil
}

func checkStrings(tables map[Lang]Strings) error {
	zh, en := tables[Zh], tables[En]
	if len(zh) == 0 || len(en) == 0 {
		return errors.New("page: need a zh and an en string table")
	}
	var missing []string
	for k := range zh {
		if _, ok := en[k]; !ok {
			missing = append(missing, "en:"+k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			missing = append(missing, "zh:"+k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("page: strings missing: %s", strings.Join(missing, ", "))
	}
	return nil
}

// Pages lists the page names (file names without .html), sorted.
func (e *Engine) Pages() []string {
	var n []string
	for k := range e.pages {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// StaticURL is the URL of a static file with its content hash, so it can be cached long.
func (e *Engine) StaticURL(name string) (string, error) {
	h, ok := e.hashes[name]
	if !ok {
		return "", fmt.Errorf("page: no static file %q", name)
	}
	return e.cfg.StaticPrefix + name + "?v=" + h, nil
}

// Lang picks the request's language: ?lang= (and then remembers it in the cookie), else the
// cookie, else Chinese.
func (e *Engine) Lang(w http.ResponseWriter, r *http.Request) Lang {
	if q := r.URL.Query().Get("lang"); q != "" {
		l := Zh
		if q == string(En) {
			l = En
		}
		http.SetCookie(w, &http.Cookie{Name: e.cfg.CookieName, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: e.cfg.Secure, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie(e.cfg.CookieName); err == nil && c.Value == string(En) {
		return En
	}
	return Zh
}

// NewNonce returns a fresh CSP nonce: 16 random bytes, base64url (html/template leaves it as is).
func NewNonce() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// CSP is the Content-Security-Policy of a page whose scripts carry nonce: scripts only from
// this origin with the nonce, no inline styles, images from here or data: URIs, no framing.
func CSP(nonce string) string {
	return "default-src 'self'; script-src 'self' 'nonce-" + nonce + "'; style-src 'self'; img-src 'self' data:; " +
		"object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
}

// SecurityHeaders sets the headers every HTML response carries, with the CSP for nonce.
func SecurityHeaders(h http.Header, nonce string) {
	h.Set("Content-Security-Policy", CSP(nonce))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// Render writes page name with data and status, in the request's language, with the security
// headers. The page is rendered to a buffer first, so a failing template answers 500 whole.
func (e *Engine) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	t, ok := e.pages[name]
	if !ok {
		return fmt.Errorf("page: no page %q", name)
	}
	lang := e.Lang(w, r)
	v := &View{Lang: lang, Nonce: NewNonce(), Path: r.URL.Path, Data: data, str: e.cfg.Strings[lang]}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		SecurityHeaders(w.Header(), v.Nonce)
		http.Error(w, "页面出错 / page error", http.StatusInternalServerError)
		return fmt.Errorf("page: render %s: %w", name, err)
	}
	SecurityHeaders(w.Header(), v.Nonce)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// Static serves the static files (strip nothing: mount it at StaticPrefix). A hashed URL is
// cached for a year; other requests for a day.
func (e *Engine) Static() http.Handler {
	if e.cfg.Static == nil {
		return http.NotFoundHandler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, e.cfg.StaticPrefix)
		h, ok := e.hashes[name]
		if !ok || !fs.ValidPath(name) {
			http.NotFound(w, r)
			return
		}
		b, err := fs.ReadFile(e.cfg.Static, name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		ct := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".webmanifest":
			ct = "application/manifest+json"
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.URL.Query().Get("v") == h {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=86400")
		}
		w.Header().Set("ETag", `"`+h+`"`)
		if r.Header.Get("If-None-Match") == `"`+h+`"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(b)
	})
}
