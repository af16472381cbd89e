package api

import (
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/yongji-county/checkpoint/hq"
)

// TestHealth: GET /api/v1/health answers ok and the core's clock, in UTC.
func TestHealth(t *testing.T) {
	at := time.Date(2022, 4, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
	core, err := hq.New(hq.Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "hq.db"), Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	a := New(core, nil)
	rr := httptest.NewRecorder()
	a.Handler().ServeHTTP(rr, httptest.NewRequest("GET", "/api/v1/health", nil))
	var got struct {
		OK         bool   `json:"ok"`
		ServerTime string `json:"server_time"`
	}
	if err := json.Unmarshal(rr.Body.Bytes(), &got); err != nil || rr.Code != 200 {
		t.Fatalf("health: %d %q %v", rr.Code, rr.Body, err)
	}
	if !got.OK || got.ServerTime != "2022-04-01T00:00:00Z" {
		t.Fatalf("health = %+v; want ok and 2022-04-01T00:00:00Z", got)
	}
	if r := a.Routes(); !slices.Contains(r, "GET /api/v1/health") {
		t.Fatalf("Routes = %v", r)
	}
}
