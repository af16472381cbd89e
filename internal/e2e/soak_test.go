package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	gosync "sync"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	hqdemo "github.com/yongji-county/checkpoint/hq/demo"
	"github.com/yongji-county/checkpoint/station"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// soakKiosk is an enrolled kiosk whose clock may be off by skew.
func soakKiosk(t *testing.T, n *hqNode, name string, skew time.Duration) *kiosk {
	t.Helper()
	ctx := context.Background()
	info, err := hqdemo.Seed(ctx, n.srv)
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
// transfer and a site move mid-run, HQ killed and restarted twice, a poison record in the middle,
// and the two skewed kiosks' supervisors editing one site in turn. At the end HQ holds every
// record exactly once, byte for byte, none held; every kiosk has nothing pending and only the
// poison record is quarantined; every site edit either applied or was answered superseded.
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

	// The kiosks 2 h behind and 2 h ahead have their supervisors edit the same sub-site in turn,
	// each from the copy its kiosk holds: every edit must apply or be answered superseded.
	const edited = "demo-sub-1"
	sup := station.Session{StaffID: "demo-supervisor", Supervisor: true, SiteID: hqdemo.SiteID}
	editors := []*station.Station{station.New(station.Config{DB: ks[1].db}), station.New(station.Config{DB: ks[2].db})}
	startRev := func() int64 {
		s, err := node.srv.DB().Site(ctx, edited)
		if err != nil {
			t.Fatal(err)
		}
		return s.Revision
	}()
	edits := 0
	edit := func(round int) {
		for j, st := range editors {
			local, err := ks[1+j].db.Site(ctx, edited)
			if err != nil {
				t.Fatalf("kiosk %d has no %s: %v", 1+j, edited, err)
			}
			local.Remarks = fmt.Sprintf("第%d轮 %d号机修改", round, 1+j)
			if err := st.SaveSite(ctx, sup, local, false); err != nil {
				t.Fatalf("SaveSite: %v", err)
			}
			edits++
			ks[1+j].c.SyncNow()
		}
	}

	var wg gosync.WaitGroup
	round := 0
	phase := func(from, n int) {
		for i, k := range ks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k.recordN(ctx, i*per+from, n, 100)
			}()
		}
		wg.Wait()
		round++
		edit(round)
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
		Role: checkpoint.RoleScanner, SiteID: hqdemo.RootSiteID, Password: "Demo@2022scan"}); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	moved, err := node.srv.DB().Site(ctx, "demo-sub-2")
	if err != nil {
		t.Fatal(err)
	}
	moved.ParentID, moved.UpdatedAt = hqdemo.RootSiteID, time.Now().UTC()
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
	info, err := hqdemo.Seed(ctx, node.srv)
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
	want--          // the poison record
	var last string // what the wait saw last, told if it times out
	defer func() {
		if t.Failed() {
			t.Log("last seen:", last)
		}
	}()
	waitFor(t, 5*time.Minute, "every kiosk to drain and HQ to hold every record", func() bool {
		pending := make([]int, len(ks))
		for i, k := range ks {
			pending[i] = k.stats().Pending
		}
		n := hqCount(t, node)
		last = fmt.Sprintf("pending per kiosk %v, HQ holds %d of %d", pending, n, want)
		return slices.Max(pending) == 0 && n == int64(want)
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
	if want != total+edits {
		t.Errorf("the kiosks made %d records (not counting the poison); want %d and %d site edits", want, total, edits)
	}
	// Every record of a move or a transfer was made within the judging window: none is held.
	if held != 0 {
		t.Errorf("%d records held (%v); want none: transfer, site move and re-enrollment strand nothing", held, reasons)
	}
	// No site edit lost silently: each either applied (one revision at HQ) or was superseded.
	var superseded int
	if err := node.srv.DB().SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM superseded_edits WHERE target_id = '`+edited+`'`).Scan(&superseded); err != nil {
		t.Fatal(err)
	}
	applied := int(siteRevision(t, node, edited) - startRev)
	t.Logf("%d site edits from kiosks 2 h behind and ahead: %d applied, %d superseded", edits, applied, superseded)
	if applied+superseded != edits || applied == 0 {
		t.Errorf("%d edits: %d applied + %d superseded; want every edit accounted for, and some applied", edits, applied, superseded)
	}
}

// siteRevision is the site's revision at HQ now.
func siteRevision(t *testing.T, n *hqNode, id string) int64 {
	t.Helper()
	s, err := n.srv.DB().Site(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s.Revision
}
