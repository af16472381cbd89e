package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	hqdemo "github.com/yongji-county/checkpoint/hq/demo"
	"github.com/yongji-county/checkpoint/store"
)

// syncJSON and enrollJSON mirror the documented outputs, decoded independently of the
// implementation's structs; pointers catch missing fields.
type syncJSON struct {
	Pushed      *int    `json:"pushed"`
	Pending     *int    `json:"pending"`
	Quarantined *int    `json:"quarantined"`
	Error       *string `json:"error"`
	Refused     *int64  `json:"refused"`
	LastRefusal *string `json:"last_refusal"`
}

type enrollJSON struct {
	DeviceID string `json:"device_id"`
	SiteID   string `json:"site_id"`
}

func decodeOneLine[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("output %q; want one line", out)
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	return v
}

func decodeSync(t *testing.T, out string) (pushed, pending, quarantined int, errText string) {
	t.Helper()
	v := decodeOneLine[syncJSON](t, out)
	if v.Pushed == nil || v.Pending == nil || v.Quarantined == nil || v.Error == nil || v.Refused == nil || v.LastRefusal == nil {
		t.Fatalf("sync output %q lacks a field", out)
	}
	return *v.Pushed, *v.Pending, *v.Quarantined, *v.Error
}

// testHQ runs the real HQ on SQLite behind httptest and returns its URL, a fresh enrollment
// code for the demo site and a function that stops it.
func testHQ(t *testing.T) (url, code string, stop func()) {
	t.Helper()
	srv, code := testHQServer(t)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL, code, ts.Close
}

// testHQServer is the real HQ, seeded, and a fresh enrollment code for the demo site.
func testHQServer(t *testing.T) (*hq.Server, string) {
	t.Helper()
	root, err := checkpoint.GenerateRootKey()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := hq.New(hq.Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "hq.db"), RootKey: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	info, err := hqdemo.Seed(context.Background(), srv)
	if err != nil {
		t.Fatal(err)
	}
	return srv, info.EnrollmentCode
}

// recordChecks saves n checks in the kiosk under dir as a scanner from the pulled roster.
func recordChecks(t *testing.T, dir string, n int) {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dev, err := db.Device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	roster, err := db.Roster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	staff := ""
	for _, s := range roster {
		if s.SiteID == dev.SiteID && s.Role == checkpoint.RoleScanner {
			staff = s.ID
		}
	}
	if staff == "" {
		t.Fatalf("no scanner for %s in the pulled roster (%d accounts)", dev.SiteID, len(roster))
	}
	for i := range n {
		now := time.Now().UTC()
		if _, err := db.SaveCheck(ctx, store.Meta{StaffID: staff}, checkpoint.Check{
			CodeID: fmt.Sprintf("cli-%d", i), Verdict: "pass", Reasons: []string{}, ScannedAt: now, ConfirmedAt: now,
		}, checkpoint.Personal{}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEnrollThenSync(t *testing.T) {
	url, code, stopHQ := testHQ(t)
	dir := filepath.Join(t.TempDir(), "kiosk")

	rc, out, errOut := dispatchTest(t, "enroll", "--data", dir, "--hq", url, "--code", "XXXX-XXXX-XXXX-XXXX")
	if rc != 1 || out != "" || !strings.Contains(errOut, "登记码无效") {
		t.Errorf("enroll with a wrong code = %d, %q, %q; want 1 and the words for a bad code", rc, out, errOut)
	}

	rc, out, errOut = dispatchTest(t, "enroll", "--data", dir, "--hq", url, "--code", code, "--name", "gate-1")
	if rc != 0 {
		t.Fatalf("enroll = %d; stderr %q", rc, errOut)
	}
	e := decodeOneLine[enrollJSON](t, out)
	if e.DeviceID == "" || e.SiteID != hqdemo.SiteID {
		t.Errorf("enroll printed %q; want a device id and site %q", out, hqdemo.SiteID)
	}
	ctx := context.Background()
	db, err := store.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := db.Cursors(ctx)
	db.Close()
	if err != nil || len(cur) < len(checkpoint.Datasets) {
		t.Errorf("after enroll the kiosk holds datasets %v (%v); want all %d pulled", cur, err, len(checkpoint.Datasets))
	}

	// The code is spent: enrolling again with it fails.
	if rc, _, _ := dispatchTest(t, "enroll", "--data", t.TempDir(), "--hq", url, "--code", code); rc != 1 {
		t.Errorf("second enroll with a spent code = %d; want 1", rc)
	}

	rc, out, errOut = dispatchTest(t, "sync", "--data", dir)
	if pushed, pending, q, e := decodeSync(t, out); rc != 0 || pushed != 0 || pending != 0 || q != 0 || e != "" {
		t.Errorf("sync of an empty outbox = %d, %q (stderr %q)", rc, out, errOut)
	}

	recordChecks(t, dir, 25)
	rc, out, errOut = dispatchTest(t, "sync", "--data", dir, "--timeout", "30s")
	if pushed, pending, q, e := decodeSync(t, out); rc != 0 || pushed != 25 || pending != 0 || q != 0 || e != "" {
		t.Errorf("sync = %d, %q (stderr %q); want 25 pushed, exit 0", rc, out, errOut)
	}

	// HQ gone: the records stay pending, the error is in words, the exit code says so.
	stopHQ()
	recordChecks(t, dir, 3)
	start := time.Now()
	rc, out, errOut = dispatchTest(t, "sync", "--data", dir, "--timeout", "500ms")
	pushed, pending, _, msg := decodeSync(t, out)
	if rc != 1 || pushed != 0 || pending != 3 || msg != "无法连接总部 / cannot reach HQ" {
		t.Errorf("sync with HQ down = %d, %q (stderr %q); want exit 1, 3 pending, cannot reach HQ", rc, out, errOut)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("sync --timeout 500ms took %v", d)
	}
}

func TestSyncNotEnrolled(t *testing.T) {
	dir := t.TempDir()
	db, err := store.OpenDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	rc, out, _ := dispatchTest(t, "sync", "--data", dir)
	if _, _, _, msg := decodeSync(t, out); rc != 1 || !strings.Contains(msg, "not enrolled") {
		t.Errorf("sync before enroll = %d, %q; want exit 1 and not enrolled", rc, out)
	}
	if rc, out, errOut := dispatchTest(t, "sync", "--data", filepath.Join(dir, "nothing-here")); rc != 1 || out != "" || errOut == "" {
		t.Errorf("sync without a database = %d, %q, %q; want 1 and a message", rc, out, errOut)
	}
}

func TestSyncEnrollUsage(t *testing.T) {
	dir := t.TempDir()
	tests := [][]string{
		{"sync"},
		{"sync", "--data"},
		{"sync", "--data", dir, "extra"},
		{"sync", "--data", dir, "--timeout", "soon"},
		{"sync", "--data", dir, "--timeout", "0s"},
		{"sync", "--bogus"},
		{"enroll"},
		{"enroll", "--data", dir, "--hq", "http://127.0.0.1:1"},
		{"enroll", "--data", dir, "--code", "X"},
		{"enroll", "--hq", "http://127.0.0.1:1", "--code", "X"},
		{"enroll", "--data", dir, "--hq", "http://127.0.0.1:1", "--code", "X", "extra"},
	}
	for _, args := range tests {
		rc, out, errOut := dispatchTest(t, args...)
		if rc != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "usage: kiosk "+args[0]) {
			t.Errorf("%q = %d, %q, %q; want 2 and one usage line on stderr", args, rc, out, errOut)
		}
	}
}
