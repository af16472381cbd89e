package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/api"
)

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	cfg.DSN = "sqlite:" + filepath.Join(t.TempDir(), "hq.db")
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, httptest.NewRequest("GET", path, nil))
	return rr.Code, rr.Body.String()
}

func wantJSON404(t *testing.T, h http.Handler, path string) {
	t.Helper()
	st, body := get(t, h, path)
	var e checkpoint.ErrorResponse
	if st != 404 || json.Unmarshal([]byte(body), &e) != nil || e.Error != "not_found" {
		t.Fatalf("GET %s: %d %q; want a JSON 404", path, st, body)
	}
}

// TestNoMounts: with nothing mounted, the API answers, unknown /api/ paths are JSON 404s and
// "/" is the mux's 404 as before.
func TestNoMounts(t *testing.T) {
	s := newServer(t, Config{})
	if st, _ := get(t, s.Handler(), "/api/v1/health"); st != 200 {
		t.Fatalf("health: %d", st)
	}
	wantJSON404(t, s.Handler(), "/api/v1/nothing")
	if st, _ := get(t, s.Handler(), "/"); st != 404 {
		t.Fatalf("GET /: %d; want 404", st)
	}
	if want := append(api.New(s.Core(), nil).Routes(), s.Core().Routes()...); !slices.Equal(s.Routes(), want) {
		t.Fatalf("Routes %v; want hq/api's and the core's %v", s.Routes(), want)
	}
}

// TestMounts: mounts and OnCore's mounts serve beside the API, which keeps its routes and its
// JSON 404; Routes lists them after the API's.
func TestMounts(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page "+r.URL.Path) })
	var gotCore *hq.Server
	s := newServer(t, Config{
		Mounts: []Mount{{Pattern: "/", Handler: page}},
		OnCore: func(core *hq.Server) ([]Mount, error) {
			gotCore = core
			return []Mount{{Pattern: "/api/v1/citizen/", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "citizen "+core.DB().Backend())
			})}}, nil
		},
	})
	if gotCore == nil || gotCore != s.Core() {
		t.Fatal("OnCore did not get the server's core")
	}
	h := s.Handler()
	for path, want := range map[string]string{"/": "page /", "/login": "page /login", "/api/v1/citizen/me": "citizen sqlite"} {
		if st, body := get(t, h, path); st != 200 || body != want {
			t.Errorf("GET %s: %d %q; want %q", path, st, body, want)
		}
	}
	if st, body := get(t, h, "/api/v1/health"); st != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("health beside the mounts: %d %q", st, body)
	}
	wantJSON404(t, h, "/api/v1/nothing")
	r := s.Routes()
	if len(r) != len(api.New(s.Core(), nil).Routes())+len(s.Core().Routes())+2 || r[len(r)-2] != "/" || r[len(r)-1] != "/api/v1/citizen/" {
		t.Fatalf("Routes = %v", r)
	}
}

func TestBadMounts(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "hq.db")
	h := http.NotFoundHandler()
	for name, cfg := range map[string]Config{
		"same pattern as the API": {Mounts: []Mount{{Pattern: "GET /api/v1/health", Handler: h}}},
		"conflict with /api/":     {Mounts: []Mount{{Pattern: "GET /", Handler: h}}},
		"no handler":              {Mounts: []Mount{{Pattern: "/x/"}}},
		"bad pattern":             {Mounts: []Mount{{Pattern: "GET", Handler: h}}},
		"OnCore fails":            {OnCore: func(*hq.Server) ([]Mount, error) { return nil, errors.New("no templates") }},
	} {
		cfg.DSN = dsn
		s, err := New(cfg)
		if err == nil {
			s.Close()
			t.Errorf("%s: New succeeded", name)
		}
	}
	// The failures closed their database: it opens again.
	s, err := New(Config{Config: hq.Config{DSN: dsn}})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestServe: Serve answers on the listener and returns nil once ctx is cancelled.
func TestServe(t *testing.T) {
	s := newServer(t, Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/api/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("health: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}
