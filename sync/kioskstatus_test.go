package sync

import (
	"context"
	"net/http"
	gosync "sync"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// TestPullReportsKioskStatus: the config pull carries the outbox counts, the refusals the store
// counted and the software's version in checkpoint.KioskStatusHeader; pushes carry none.
func TestPullReportsKioskStatus(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	var mu gosync.Mutex
	got := map[string]string{}
	h.setBefore(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		got[r.Method+" "+r.URL.Path] = r.Header.Get(checkpoint.KioskStatusHeader)
		mu.Unlock()
		return false
	})
	ctx := context.Background()
	c := New(db, fastConfig(Config{AppVersion: "1.4.0"}))
	record(t, db, 2)
	if err := db.RecordRefusal(ctx, "wrong_device", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	ks := checkpoint.ParseKioskStatus(got["GET /api/v1/config"])
	mu.Unlock()
	if ks.Pending != 2 || ks.Quarantined != 0 || ks.Oldest.IsZero() || ks.Refused != 1 || ks.Refusal != "wrong_device" || ks.Version != "1.4.0" {
		t.Fatalf("reported %+v (header %q)", ks, got["GET /api/v1/config"])
	}
	if _, err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if v, ok := got["POST /api/v1/batches"]; !ok || v != "" {
		t.Errorf("push sent status %q (pushed: %v)", v, ok)
	}
	if ks := checkpoint.ParseKioskStatus(got["GET /api/v1/config"]); ks.Pending != 0 {
		t.Errorf("after the push the pull reported %+v", ks)
	}
}
