package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/sms"
)

// TestCitizenMounted: with Citizen set, HQ serves the citizen pages at "/" and their API; the
// demo SMS outbox exists only with an Outbox; 辅助登记's SMS routes want a device credential.
func TestCitizenMounted(t *testing.T) {
	for _, demo := range []bool{false, true} {
		c := &Citizen{}
		if demo {
			c.Outbox = sms.NewOutbox()
		}
		srv, err := New(Config{Config: hq.Config{DSN: "sqlite:" + t.TempDir() + "/hq.db"}, Citizen: c})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		get := func(path string) int {
			resp, err := http.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if st := get("/login"); st != 200 {
			t.Errorf("demo=%v: GET /login: %d", demo, st)
		}
		if st, want := get("/api/v1/dev/sms?phone=13800000000"), map[bool]int{false: 404, true: 200}[demo]; st != want {
			t.Errorf("demo=%v: GET /api/v1/dev/sms: %d, want %d", demo, st, want)
		}
		if st := get("/api/v1/citizen/code"); st != 401 {
			t.Errorf("demo=%v: code without a session: %d, want 401", demo, st)
		}
		for _, p := range []string{"/api/v1/assist/sms", "/api/v1/assist/verify"} {
			resp, err := http.Post(ts.URL+p, "application/json", strings.NewReader(`{"phone":"13800000000"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 401 {
				t.Errorf("demo=%v: %s without a device credential: %d, want 401", demo, p, resp.StatusCode)
			}
		}
		ts.Close()
		srv.Close()
	}
}
