package main

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	hqdemo "github.com/yongji-county/checkpoint/hq/demo"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/store"
)

// enrollCLI runs kiosk enroll and returns the device id it printed.
func enrollCLI(t *testing.T, dir, url, code string, extra ...string) string {
	t.Helper()
	rc, out, errOut := dispatchTest(t, append([]string{"enroll", "--data", dir, "--hq", url, "--code", code}, extra...)...)
	if rc != 0 {
		t.Fatalf("enroll = %d, %q; stderr %q", rc, out, errOut)
	}
	return decodeOneLine[enrollJSON](t, out).DeviceID
}

func newCode(t *testing.T, srv *hq.Server, site, replaces string) string {
	t.Helper()
	c, err := srv.CreateReplacementCode(context.Background(), site, replaces, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return c.Code
}

// heldAndStored counts HQ's records: accepted ones and held ones.
func heldAndStored(t *testing.T, srv *hq.Server) (stored, held int) {
	t.Helper()
	err := srv.DB().SQL().QueryRow(`SELECT
		COALESCE(SUM(CASE WHEN held = '' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN held <> '' THEN 1 ELSE 0 END), 0) FROM records`).Scan(&stored, &held)
	if err != nil {
		t.Fatal(err)
	}
	return stored, held
}

// addSiteWithScanner adds a site under parent at HQ and a scanner account there.
func addSiteWithScanner(t *testing.T, srv *hq.Server, site, parent, staffID string) {
	t.Helper()
	ctx := context.Background()
	if err := srv.DB().PutSite(ctx, checkpoint.Site{ID: site, ParentID: parent, Name: "站点 " + site, Address: "地址", Contact: "联系人",
		Phone: "0432-64200009", Division: "220221", Active: true, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	all, err := srv.DB().AllStaff(ctx)
	if err != nil || len(all) == 0 {
		t.Fatalf("AllStaff = %d, %v", len(all), err)
	}
	a := all[0]
	a.ID, a.SiteID, a.Role, a.Active = staffID, site, checkpoint.RoleScanner, true
	a.PhoneHash, a.PhoneLookup, a.PhoneMasked = "hash-"+staffID, "lookup-"+staffID, "138****0000"
	a.UpdatedAt = time.Now()
	if err := srv.DB().PutStaff(ctx, a); err != nil {
		t.Fatal(err)
	}
}

func roster(t *testing.T, dir string) (staff map[string]string, sites map[string]bool) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	list, err := db.Roster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	staff = map[string]string{}
	for _, s := range list {
		staff[s.ID] = s.SiteID
	}
	ss, err := db.Sites(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sites = map[string]bool{}
	for _, s := range ss {
		sites[s.ID] = true
	}
	return staff, sites
}

// A kiosk whose credential was revoked while 50 checks were queued is enrolled again, as the
// screen says: HQ takes all 50 from the new device (stored, not held) and lists the succession.
func TestReenrollAfterRevocationKeepsQueue(t *testing.T) {
	srv, code := testHQServer(t)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	dir := filepath.Join(t.TempDir(), "kiosk")
	old := enrollCLI(t, dir, ts.URL, code)
	recordChecks(t, dir, 50)
	if err := srv.DB().RevokeDevice(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	if rc, out, _ := dispatchTest(t, "sync", "--data", dir, "--timeout", "2s"); rc != 1 || !strings.Contains(out, "enroll again") {
		t.Fatalf("sync with a revoked credential = %d, %q; want 1 and enroll again", rc, out)
	}
	rc, out, errOut := dispatchTest(t, "enroll", "--data", dir, "--hq", ts.URL, "--code", newCode(t, srv, hqdemo.SiteID, ""))
	if rc != 0 || !strings.Contains(errOut, "succeeds "+old) {
		t.Fatalf("re-enroll = %d, %q, stderr %q; want 0 and the succession said", rc, out, errOut)
	}
	dev := decodeOneLine[enrollJSON](t, out).DeviceID
	rc, out, errOut = dispatchTest(t, "sync", "--data", dir, "--timeout", "30s")
	if pushed, pending, q, e := decodeSync(t, out); rc != 0 || pushed != 50 || pending != 0 || q != 0 {
		t.Errorf("sync after re-enroll = %d, %q (%s, stderr %q); want 50 pushed", rc, out, e, errOut)
	}
	if stored, held := heldAndStored(t, srv); stored != 50 || held != 0 {
		t.Errorf("HQ holds %d stored, %d held; want 50 stored, 0 held", stored, held)
	}
	var n int
	if err := srv.DB().SQL().QueryRow(`SELECT count(*) FROM records WHERE device_id = ?`, old).Scan(&n); err != nil || n != 50 {
		t.Errorf("records keep the device that made them: %d with %s (%v); want 50", n, old, err)
	}
	devs, err := srv.DB().Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		switch d.ID {
		case old:
			if d.ReplacedBy != dev || !d.Revoked {
				t.Errorf("old device replaced_by %q revoked %v; want %q, true", d.ReplacedBy, d.Revoked, dev)
			}
		case dev:
			if d.Replaces != old {
				t.Errorf("new device replaces %q; want %q", d.Replaces, old)
			}
		}
	}
}

// A kiosk re-enrolled at another site gets that site's roster and sites, and nothing of the old.
func TestReenrollAtAnotherSiteGetsItsRoster(t *testing.T) {
	srv, code := testHQServer(t)
	addSiteWithScanner(t, srv, "other-site", hqdemo.RootSiteID, "other-scanner")
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	dir := filepath.Join(t.TempDir(), "kiosk")
	enrollCLI(t, dir, ts.URL, code)
	staff, _ := roster(t, dir)
	if _, ok := staff["other-scanner"]; ok || len(staff) == 0 {
		t.Fatalf("roster at the demo site = %v; want the demo site's only", staff)
	}
	enrollCLI(t, dir, ts.URL, newCode(t, srv, "other-site", ""))
	staff, sites := roster(t, dir)
	if len(staff) != 1 || staff["other-scanner"] != "other-site" {
		t.Errorf("roster after re-enrolling at other-site = %v; want other-scanner only", staff)
	}
	if len(sites) != 1 || !sites["other-site"] {
		t.Errorf("sites after re-enrolling at other-site = %v; want other-site only", sites)
	}
}

// Moving a site (with its staff) under the kiosk's site brings that staff to the kiosk, though
// the staff dataset's own version did not move.
func TestSiteMovedUnderKioskBringsStaff(t *testing.T) {
	srv, code := testHQServer(t)
	addSiteWithScanner(t, srv, "far-site", hqdemo.RootSiteID, "far-scanner")
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	dir := filepath.Join(t.TempDir(), "kiosk")
	enrollCLI(t, dir, ts.URL, code)
	if staff, _ := roster(t, dir); staff["far-scanner"] != "" {
		t.Fatalf("far-scanner on the roster before the move")
	}
	ctx := context.Background()
	s, err := srv.DB().Site(ctx, "far-site")
	if err != nil {
		t.Fatal(err)
	}
	s.ParentID, s.UpdatedAt = hqdemo.SiteID, time.Now()
	if err := srv.DB().PutSite(ctx, s); err != nil {
		t.Fatal(err)
	}
	if rc, out, errOut := dispatchTest(t, "sync", "--data", dir); rc != 0 {
		t.Fatalf("sync = %d, %q, %q", rc, out, errOut)
	}
	staff, sites := roster(t, dir)
	if staff["far-scanner"] != "far-site" || !sites["far-site"] {
		t.Errorf("after moving far-site under the kiosk's site: roster %v, sites %v; want far-scanner and far-site", staff, sites)
	}
}

// cutFirstEnroll forwards to HQ, but cuts the connection after HQ answered the first
// enrollment, as a proxy that dropped the answer would.
type cutFirstEnroll struct {
	h   http.Handler
	cut atomic.Bool
}

func (c *cutFirstEnroll) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/v1/enroll" && c.cut.CompareAndSwap(false, true) {
		rec := httptest.NewRecorder()
		c.h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			panic("first enrollment failed at HQ: " + rec.Body.String())
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
		return
	}
	c.h.ServeHTTP(w, r)
}

// The first enrollment answer is lost after HQ spent the code: a retry with the same code and
// name gets the same device, and the code is not burnt. Another name still cannot use it.
func TestEnrollRetryAfterLostAnswer(t *testing.T) {
	srv, code := testHQServer(t)
	ts := httptest.NewServer(&cutFirstEnroll{h: srv.Handler()})
	defer ts.Close()
	dir := filepath.Join(t.TempDir(), "kiosk")
	if rc, _, errOut := dispatchTest(t, "enroll", "--data", dir, "--hq", ts.URL, "--code", code, "--name", "gate-1"); rc != 1 {
		t.Fatalf("enroll with the answer cut = %d (%q); want 1", rc, errOut)
	}
	devs, _ := srv.DB().Devices(context.Background())
	if len(devs) != 1 {
		t.Fatalf("HQ has %d devices after the first try; want 1", len(devs))
	}
	if rc, _, _ := dispatchTest(t, "enroll", "--data", t.TempDir(), "--hq", ts.URL, "--code", code, "--name", "gate-2"); rc != 1 {
		t.Errorf("enroll with the spent code under another name = %d; want 1", rc)
	}
	id := enrollCLI(t, dir, ts.URL, code, "--name", "gate-1")
	if id != devs[0].ID {
		t.Errorf("retry enrolled %q; want the first enrollment's %q", id, devs[0].ID)
	}
	recordChecks(t, dir, 3)
	if rc, out, errOut := dispatchTest(t, "sync", "--data", dir); rc != 0 {
		t.Errorf("sync with the retried credential = %d, %q, %q", rc, out, errOut)
	}
	if devs, _ := srv.DB().Devices(context.Background()); len(devs) != 1 {
		t.Errorf("HQ has %d devices after the retry; want 1", len(devs))
	}
}

// A data directory with pending records and no credential to prove continuity: kiosk enroll
// says so and refuses; with --force and a code that names the old device, HQ takes them.
func TestEnrollPendingWithoutProofNeedsForce(t *testing.T) {
	srv, code := testHQServer(t)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	dir := filepath.Join(t.TempDir(), "kiosk")
	old := enrollCLI(t, dir, ts.URL, code)
	recordChecks(t, dir, 5)
	forgetCredential(t, dir)

	replacing := newCode(t, srv, "", old)
	rc, out, errOut := dispatchTest(t, "enroll", "--data", dir, "--hq", ts.URL, "--code", replacing)
	if rc != 1 || out != "" || !strings.Contains(errOut, "5 records not yet sent") || !strings.Contains(errOut, "--force") {
		t.Fatalf("enroll with 5 pending and no credential = %d, %q, %q; want 1, the count and --force", rc, out, errOut)
	}
	rc, _, errOut = dispatchTest(t, "enroll", "--data", dir, "--hq", ts.URL, "--code", replacing, "--force")
	if rc != 0 || !strings.Contains(errOut, "succeeds "+old) {
		t.Fatalf("enroll --force = %d, stderr %q; want 0 and the succession the code names", rc, errOut)
	}
	if rc, out, errOut := dispatchTest(t, "sync", "--data", dir); rc != 0 {
		t.Fatalf("sync = %d, %q, %q", rc, out, errOut)
	}
	if stored, held := heldAndStored(t, srv); stored != 5 || held != 0 {
		t.Errorf("HQ holds %d stored, %d held; want 5 stored", stored, held)
	}
}

// forgetCredential empties the kiosk's credential (a data directory restored without it).
func forgetCredential(t *testing.T, dir string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE device SET secret = ''`); err != nil {
		t.Fatal(err)
	}
}

// swapHandler lets one test URL front HQ instances started one after another.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := s.h.Load()
	if h == nil {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	(*h).ServeHTTP(w, r)
}

func (s *swapHandler) set(h http.Handler) { s.h.Store(&h) }

// HQ restored from a backup that holds the first 50 of 100 records: after `hq db restored`,
// the kiosk notices the new epoch, resends what it still holds, and HQ holds all 100 again.
func TestHQRestoreResend(t *testing.T) {
	ctx := context.Background()
	hqDir := t.TempDir()
	path := filepath.Join(hqDir, "hq.db")
	root, err := checkpoint.GenerateRootKey()
	if err != nil {
		t.Fatal(err)
	}
	open := func() *hq.Server {
		srv, err := hq.New(hq.Config{DSN: "sqlite:" + path, RootKey: root})
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	sw := &swapHandler{}
	ts := httptest.NewServer(sw)
	defer ts.Close()

	srv := open()
	info, err := hqdemo.Seed(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	sw.set(srv.Handler())
	dir := filepath.Join(t.TempDir(), "kiosk")
	enrollCLI(t, dir, ts.URL, info.EnrollmentCode)
	recordChecks(t, dir, 50)
	if rc, out, errOut := dispatchTest(t, "sync", "--data", dir); rc != 0 {
		t.Fatalf("sync 1 = %d, %q, %q", rc, out, errOut)
	}
	sw.set(nil)
	srv.Close()
	backup := filepath.Join(hqDir, "backup.db")
	copyFile(t, path, backup)

	srv = open()
	sw.set(srv.Handler())
	recordChecks(t, dir, 50)
	if rc, out, errOut := dispatchTest(t, "sync", "--data", dir); rc != 0 {
		t.Fatalf("sync 2 = %d, %q, %q", rc, out, errOut)
	}
	// Staff and settings changed after the backup too: the kiosk holds versions newer
	// than the restored HQ's.
	if err := srv.DB().Bump(ctx, checkpoint.DatasetRevocations, checkpoint.DatasetRevocations, checkpoint.DatasetTrust); err != nil {
		t.Fatal(err)
	}
	if rc, out, errOut := dispatchTest(t, "sync", "--data", dir); rc != 0 {
		t.Fatalf("sync 3 = %d, %q, %q", rc, out, errOut)
	}
	sw.set(nil)
	srv.Close()

	// Restore: stop HQ, put the copy in place, give HQ a new epoch, start it.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	copyFile(t, backup, path)
	db, err := sqldb.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hq.Restored(ctx, db); err != nil {
		t.Fatal(err)
	}
	db.Close()
	srv = open()
	defer srv.Close()
	sw.set(srv.Handler())
	if stored, _ := heldAndStored(t, srv); stored != 50 {
		t.Fatalf("restored HQ holds %d; want 50", stored)
	}

	rc, out, errOut := dispatchTest(t, "sync", "--data", dir, "--timeout", "30s")
	if pushed, pending, q, e := decodeSync(t, out); rc != 0 || pushed != 100 || pending != 0 || q != 0 {
		t.Errorf("sync after the restore = %d, %q (%s; stderr %q); want 100 pushed (50 duplicate, 50 stored)", rc, out, e, errOut)
	}
	if stored, held := heldAndStored(t, srv); stored != 100 || held != 0 {
		t.Errorf("HQ holds %d stored, %d held after the resend; want 100", stored, held)
	}
	m, err := srv.DB().Counters(ctx)
	if err != nil || m["records_conflict"] != 0 {
		t.Errorf("conflicts = %d (%v); want 0", m["records_conflict"], err)
	}
	// The kiosk took the restored HQ's datasets though their versions are lower.
	kdb, err := store.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer kdb.Close()
	cur, err := kdb.DatasetCursors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	epoch, _ := srv.Epoch(ctx)
	for _, name := range checkpoint.Datasets {
		if cur[name].Epoch != epoch || cur[name].Version == 0 {
			t.Errorf("dataset %s after the restore: %+v; want the new epoch %s", name, cur[name], epoch)
		}
	}
	if rc, out, errOut := dispatchTest(t, "sync", "--data", dir); rc != 0 || !strings.Contains(out, `"pushed":0`) {
		t.Errorf("next sync = %d, %q, %q; want nothing more to send", rc, out, errOut)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		t.Fatal(err)
	}
}
