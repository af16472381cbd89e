package api_test

import (
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/server"
)

const testAdmin = "api-test-admin-token-0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// TestListHeld: GET /api/v1/admin/held, served from hq/api through hq/server, needs the admin
// token, bounds its cursor and lists an empty page as [] (not null).
func TestListHeld(t *testing.T) {
	s, err := server.New(server.Config{Config: hq.Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "hq.db"), AdminToken: testAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	do := func(path, token string) (int, string) {
		r := httptest.NewRequest("GET", path, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		rr := httptest.NewRecorder()
		s.Handler().ServeHTTP(rr, r)
		return rr.Code, strings.TrimSpace(rr.Body.String())
	}
	errCode := func(body string) string {
		var e checkpoint.ErrorResponse
		json.Unmarshal([]byte(body), &e)
		return e.Error
	}
	if st, body := do("/api/v1/admin/held", ""); st != 401 || errCode(body) != "admin_denied" {
		t.Fatalf("no token: %d %s; want 401 admin_denied", st, body)
	}
	if st, body := do("/api/v1/admin/held", "wrong-token"); st != 401 {
		t.Fatalf("wrong token: %d %s; want 401", st, body)
	}
	if st, body := do("/api/v1/admin/held", testAdmin); st != 200 || body != "[]" {
		t.Fatalf("empty: %d %q; want 200 []", st, body)
	}
	if st, body := do("/api/v1/admin/held?after="+strings.Repeat("x", checkpoint.MaxIDLen+1), testAdmin); st != 400 || errCode(body) != "bad_query" {
		t.Fatalf("long cursor: %d %s; want 400 bad_query", st, body)
	}
	if st, _ := do("/api/v1/admin/held?after=0190", testAdmin); st != 200 {
		t.Fatalf("cursor: %d; want 200", st)
	}
}
