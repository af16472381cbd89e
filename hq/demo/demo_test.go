package demo

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/server"
	"github.com/yongji-county/checkpoint/passwd"
)

const testAdmin = "demo-test-admin-token-0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ"

func TestDemoIdempotent(t *testing.T) {
	dir := t.TempDir()
	for i := range 2 {
		d, err := Start(context.Background(), Config{Dir: dir, AdminToken: testAdmin})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if d.Info.EnrollmentCode == "" || len(d.Info.Logins) != 2 || len(d.Info.Codes) != 3 || d.Port() == 0 {
			t.Fatalf("run %d: %+v", i, d.Info)
		}
		sites, _ := d.Core.DB().Sites(context.Background())
		staff, _ := d.Core.DB().AllStaff(context.Background())
		if len(sites) != 4 || len(staff) != 2 {
			t.Fatalf("run %d: %d sites, %d staff", i, len(sites), len(staff))
		}
		for _, l := range d.Info.Logins {
			for _, s := range staff {
				if s.ID == l.StaffID && passwd.Verify(l.Password, s.PasswordHash) != nil {
					t.Fatalf("demo login %s does not verify", l.StaffID)
				}
			}
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMountsUnderURL: the demo serves the mounts beside the API at Demo.URL, an OnCore mount
// reaches the seeded core, and unknown API paths stay JSON 404s.
func TestMountsUnderURL(t *testing.T) {
	d, err := Start(context.Background(), Config{Dir: t.TempDir(),
		Mounts: []server.Mount{{Pattern: "/hello/", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "吉事办")
		})}},
		OnCore: func(core *hq.Server) ([]server.Mount, error) {
			return []server.Mount{{Pattern: "GET /api/v1/extra/sites", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sites, err := core.DB().Sites(r.Context())
				if err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				json.NewEncoder(w).Encode(len(sites))
			})}}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(d.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	if st, body := get("/hello/"); st != 200 || body != "吉事办" {
		t.Fatalf("GET /hello/: %d %q; want the mount", st, body)
	}
	// The demo serves the citizen pages at "/" and, being a demo, the SMS outbox.
	if st, body := get("/"); st != 200 || !strings.Contains(body, "吉事办") {
		t.Fatalf("GET /: %d; want the citizen pages", st)
	}
	if st, _ := get("/api/v1/dev/sms?phone=13800000000"); st != 200 {
		t.Fatalf("demo SMS outbox: %d; want 200", st)
	}
	if st, body := get("/api/v1/extra/sites"); st != 200 || body != "4" {
		t.Fatalf("OnCore mount: %d %q; want 4 seeded sites", st, body)
	}
	st, body := get("/api/v1/nothing")
	var e checkpoint.ErrorResponse
	if st != 404 || json.Unmarshal([]byte(body), &e) != nil || e.Error != "not_found" {
		t.Fatalf("unknown API path: %d %q; want JSON 404", st, body)
	}
	if st, _ := get("/api/v1/health"); st != 200 {
		t.Fatalf("health: %d", st)
	}
}
