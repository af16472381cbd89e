package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// soakKiosk is an enrolled kiosk whose clock may be off by skew.
func soakKiosk(t *testing.T, n *hqNode, name string, skew time.Duration) *kiosk {
	t.Helper()
	ctx := context.Background()
	info, err := n.srv.SeedDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clock := func() time.Time { return time.Now().Add(skew) }
	db, err := store.OpenDir(ctx, dir, store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	enroller := sync.New(db, sync.Config{DeviceName: name, Now: clock})
	dev, err := enroller.Enroll(ctx, n.URL(), info.EnrollmentCode)
	if err != nil {
		t.Fatalf("%s: Enroll: %v", name, err)
	}
	if _, err := enroller.Pull(ctx); err != nil {
		t.Fatalf("%s: first Pull: %v", name, err)
	}
	cfg := faultyConfig()
	cfg.Now, cfg.Logger, cfg.DeviceName = clock, testLogger(t), name
	return &kiosk{t: t, dir: dir, db: db, dev: dev, staff: "demo-scanner", c: sync.New(db, cfg)}
}

// poison queues a record no HQ can store (an unknown kind) straight into k's outbox, as a
// damaged or future kiosk might: it must be quarantined alone while everything around it goes.
func poison(t *testing.T, k *kiosk) string {
	t.Helper()
	id := "poison-" + k.dev.ID
	rec := checkpoint.Record{ID: id, Kind: "exec", DeviceID: k.dev.ID, SiteID: k.dev.SiteID, StaffID: k.staff,
		CreatedAt: time.Now().UTC(), Body: json.RawMessage(`{}`)}
	env, _ := json.Marshal(rec)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(k.dir, store.FileName)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO outbox (id, kind, created_at, envelope) VALUES (?, ?, ?, ?)`, id, "exec", time.Now().UnixMilli(), env); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestSoak is the data path's convergence check (DESIGN §10): 20,000 records from 5 kiosks —
// one with its clock 2 h behind, one 2 h ahead, one re-enrolled mid-run — through a staff
// transfer and a site move mid-run, HQ killed and restarted twice, and a poison record in the
// middle. At the end HQ holds every record exactly once (stored or held for an operator), byte
// for byte; every kiosk has nothing pending and only the poison record is quarantined.
func TestSoak(t *testing.T) {
	total := records(20000)
	per := total / 5
	node := startHQ(t, backends[len(backends)-1].DSN(t), 1e6) // PostgreSQL when the suite runs it
	ctx := context.Background()
	ks := []*kiosk{
		soakKiosk(t, node, "gate-1", 0),
		soakKiosk(t, node, "gate-2-behind", -2*time.Hour),
		soakKiosk(t, node, "gate-3-ahead", 2*time.Hour),
		soakKiosk(t, node, "gate-4-reenrolled", 0),
		soakKiosk(t, node, "gate-5", 0),
	}
	// The fifth kiosk's checks are made at a sub-site that moves away mid-run, by its supervisor.
	ks[4].staff, ks[4].site = "demo-supervisor", "demo-sub-2"
	shutdowns := make([]func(), len(ks))
	for i, k := range ks {
		shutdowns[i] = runClient(t, k)
	}

	var wg gosync.WaitGroup
	phase := func(from, n int) {
		for i, k := range ks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k.recordN(ctx, i*per+from, n, 100)
			}()
		}
		wg.Wait()
	}
	third := per / 3
	phase(0, third)
	poisonID := poison(t, ks[0])

	// HQ dies and comes back; meanwhile the scanner is transferred away from the kiosks' site
	// and a sub-site moves out from under it, while offline records made before stay queued.
	node.crash()
	phase(third, third/2)
	node.start()
	if _, err := node.srv.PutStaff(ctx, hq.StaffRequest{ID: "demo-scanner", Phone: "13800000002", Name: "李扫码",
		Role: checkpoint.RoleScanner, SiteID: hq.DemoRootSiteID, Password: "Demo@2022scan"}); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	moved, err := node.srv.DB().Site(ctx, "demo-sub-2")
	if err != nil {
		t.Fatal(err)
	}
	moved.ParentID, moved.UpdatedAt = hq.DemoRootSiteID, time.Now().UTC()
	if err := node.srv.DB().PutSite(ctx, moved); err != nil {
		t.Fatalf("site move: %v", err)
	}

	// From here on the kiosks' checks are made by the supervisor, who stayed (the scanner's
	// roster entry moved away); the fifth keeps its sub-site, which is no longer under its site.
	for _, k := range ks[:4] {
		k.staff = "demo-supervisor"
	}
	// The fourth kiosk is re-enrolled with a fresh code while records are queued.
	shutdowns[3]()
	info, err := node.srv.SeedDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	phase(third+third/2, 50)
	enroller := sync.New(ks[3].db, sync.Config{DeviceName: "gate-4-reenrolled"})
	if ks[3].dev, err = enroller.Enroll(ctx, node.URL(), info.EnrollmentCode); err != nil {
		t.Fatalf("re-enroll: %v", err)
	}
	cfg := faultyConfig()
	cfg.Logger = testLogger(t)
	ks[3].c = sync.New(ks[3].db, cfg)
	shutdowns[3] = runClient(t, ks[3])

	done := third + third/2
	rest := per - done
	phase(done+50, rest/2-50)
	node.crash()
	time.Sleep(300 * time.Millisecond)
	node.start()
	phase(done+rest/2, rest-rest/2)

	want := 0
	for _, k := range ks {
		want += len(k.outbox())
	}
	want-- // the poison record
	waitFor(t, 5*time.Minute, "every kiosk to drain and HQ to hold every record", func() bool {
		for _, k := range ks {
			if k.stats().Pending != 0 {
				return false
			}
		}
		return hqCount(t, node) == int64(want)
	})
	for _, sd := range shutdowns {
		sd()
	}
	held, err := node.srv.DB().CountHeld(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]int{}
	for after := ""; ; {
		page, err := node.srv.DB().Held(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range page {
			reasons[h.Reason]++
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	t.Logf("HQ holds %d records (%d of them held for an operator: %v) from %d kiosks", want, held, reasons, len(ks))

	for i, k := range ks {
		st := k.stats()
		wantQ := 0
		if i == 0 {
			wantQ = 1
		}
		if st.Pending != 0 || st.Quarantined != wantQ {
			t.Errorf("kiosk %d outbox = %+v; want nothing pending, %d quarantined", i, st, wantQ)
		}
		q, _ := k.db.Quarantined(ctx)
		if i == 0 && (len(q) != 1 || q[0].ID != poisonID) {
			t.Errorf("kiosk 0 quarantined %+v; want only the poison record", q)
		}
		for id, env := range k.outbox() {
			if id == poisonID {
				continue
			}
			rec, err := node.srv.DB().Record(ctx, id)
			if err != nil {
				t.Fatalf("kiosk %d record %s not at HQ: %v", i, id, err)
			}
			got, _ := json.Marshal(rec)
			if string(got) != string(env) {
				t.Fatalf("kiosk %d record %s differs at HQ:\n HQ:    %s\n kiosk: %s", i, id, got, env)
			}
		}
	}
	if n := hqCount(t, node); n != int64(want) {
		t.Errorf("HQ holds %d records; the kiosks made %d (not counting the poison)", n, want)
	}
	if want != total {
		t.Errorf("the kiosks made %d records (not counting the poison); want %d", want, total)
	}
}
