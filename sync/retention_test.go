package sync

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

// saveAt saves a check made at at.
func saveAt(t *testing.T, db *store.DB, at time.Time, code string) string {
	t.Helper()
	id, err := db.SaveCheck(context.Background(), store.Meta{StaffID: "staff-1", At: at}, checkpoint.Check{
		CodeID: code, Verdict: "pass", Reasons: []string{}, TempTenths: 365, ScannedAt: at, ConfirmedAt: at,
	}, checkpoint.Personal{})
	if err != nil {
		t.Fatalf("SaveCheck: %v", err)
	}
	return id
}

// A successful pass applies retention: synced records past the retention period go, and
// pending, quarantined and recent ones stay.
func TestSyncPassRunsRetention(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	old := time.Now().Add(-40 * 24 * time.Hour)
	var oldIDs []string
	for i := range 3 {
		oldIDs = append(oldIDs, saveAt(t, db, old, fmt.Sprintf("old-%d", i)))
	}
	refused := oldIDs[0]
	h.reject = func(id string) (string, bool) { return "site_not_allowed", id == refused }
	recent := saveAt(t, db, time.Now(), "recent")

	c := New(db, fastConfig(Config{}))
	if _, err := c.Sync(context.Background()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	st := outbox(t, db)
	if st.Synced != 1 || st.Quarantined != 1 || st.Pending != 0 {
		t.Errorf("after the pass outbox = %+v; want the 2 old synced records purged, 1 recent synced and 1 quarantined kept", st)
	}
	q, err := db.Quarantined(context.Background())
	if err != nil || len(q) != 1 || q[0].ID != refused {
		t.Errorf("Quarantined = %v, %v; want the refused old record kept", q, err)
	}
	entries, _, err := db.QueryLog(context.Background(), store.LogFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.ID] = true
	}
	if !seen[recent] || !seen[refused] || seen[oldIDs[1]] || seen[oldIDs[2]] {
		t.Errorf("log holds %v; want the recent and the quarantined record only", seen)
	}
}

// Retention runs daily from Run even when HQ cannot be reached: records synced long ago must
// not stay on a kiosk that has lost its network.
func TestRunPurgesDailyWhileOffline(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	old := time.Now().Add(-40 * 24 * time.Hour)
	saveAt(t, db, old, "old")
	if _, err := New(db, fastConfig(Config{})).Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.srv.Close() // HQ gone from here on
	c := New(db, fastConfig(Config{Interval: time.Hour}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	waitFor(t, "retention while offline", func() bool { return outbox(t, db).Synced == 0 })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

// One pass at a time per data directory: a second process (here a second store handle) waits
// for the lock and, when it cannot have it in time, says so instead of syncing alongside.
func TestOneSyncPerDataDirectory(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	record(t, db, 5)
	other, err := store.Open(context.Background(), db.Path(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	unlock, err := other.LockSync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := New(db, fastConfig(Config{}))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = c.Sync(ctx)
	if !errors.Is(err, ErrBusy) || Explain(err) != MsgLocked {
		t.Errorf("Sync while another process holds the lock = %v (%v); want ErrBusy, %q", err, Explain(err), MsgLocked.String())
	}
	if h.count() != 0 {
		t.Errorf("HQ got %d records while the lock was held elsewhere", h.count())
	}
	unlock()
	if sum, err := c.Sync(context.Background()); err != nil || sum.Pushed != 5 {
		t.Errorf("Sync after the lock was released = %+v, %v; want 5 pushed", sum, err)
	}
}
