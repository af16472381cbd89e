package httpx

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLoggedNoPathNoQuery: the request log carries the route pattern and the status, never
// the path or query (which carry code ids and phone numbers); a panic is answered 500 JSON.
func TestLoggedNoPathNoQuery(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	mux.Handle("GET /p/{id}", Logged(log, "hq", "GET /p/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, "not_found", "没有 / none")
	})))
	mux.Handle("GET /boom", Logged(log, "hq", "GET /boom", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	})))
	mux.Handle("GET /ok", Logged(log, "web", "GET /ok", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	})))
	rr := httptest.NewRecorder()
	mux.ServeHTTP(rr, httptest.NewRequest("GET", "/p/13912345678?phone=13912345678", nil))
	if rr.Code != 404 {
		t.Fatalf("status %d", rr.Code)
	}
	rr = httptest.NewRecorder()
	mux.ServeHTTP(rr, httptest.NewRequest("GET", "/boom", nil))
	if e := decodeError(t, rr); rr.Code != 500 || e.Error != "internal" {
		t.Fatalf("panic answered %d %q; want 500 internal", rr.Code, e.Error)
	}
	rr = httptest.NewRecorder()
	mux.ServeHTTP(rr, httptest.NewRequest("GET", "/ok", nil))
	out := buf.String()
	if strings.Contains(out, "1391234") {
		t.Fatalf("log carries the phone number from the path or query:\n%s", out)
	}
	for _, want := range []string{`msg="hq: request" route="GET /p/{id}" status=404`, `msg="hq: panic" route="GET /boom"`,
		`route="GET /boom" status=500`, `msg="web: request" route="GET /ok" status=200`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}
