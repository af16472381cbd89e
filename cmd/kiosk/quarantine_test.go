package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

// An enrolled kiosk's simulated checks are made by a member of its synced roster, so the real
// HQ stores every one and `kiosk sync` exits 0.
func TestSimulateOnEnrolledKioskIsAccepted(t *testing.T) {
	url, code, _ := testHQ(t)
	dir := filepath.Join(t.TempDir(), "kiosk")
	if rc, _, errOut := dispatchTest(t, "enroll", "--data", dir, "--hq", url, "--code", code); rc != 0 {
		t.Fatalf("enroll = %d: %s", rc, errOut)
	}
	rc, out, errOut := dispatchTest(t, "simulate", "--data", dir, "--checks", "40")
	if rc != 0 {
		t.Fatalf("simulate = %d: %s", rc, errOut)
	}
	var sim simulateOutput
	if err := json.Unmarshal([]byte(out), &sim); err != nil || !sim.Enrolled || sim.StaffID == "" || sim.StaffID == "sim-staff" {
		t.Errorf("simulate printed %q (%v); want enrolled and a staff id from the roster", out, err)
	}
	rc, out, errOut = dispatchTest(t, "sync", "--data", dir, "--timeout", "30s")
	if pushed, pending, q, e := decodeSync(t, out); rc != 0 || pushed != 40 || pending != 0 || q != 0 || e != "" {
		t.Errorf("sync after simulate = %d, %q (stderr %q); want 40 pushed, nothing quarantined, exit 0", rc, out, errOut)
	}

	// Not enrolled: the JSON says so, and the made-up staff id is used.
	rc, out, _ = dispatchTest(t, "simulate", "--data", t.TempDir(), "--checks", "1")
	if err := json.Unmarshal([]byte(out), &sim); rc != 0 || err != nil || sim.Enrolled || sim.StaffID != "sim-staff" {
		t.Errorf("simulate unenrolled = %d, %q; want enrolled false, staff sim-staff", rc, out)
	}
}

// refusingHQ answers every pushed record "rejected" with a reason, as HQ does for a record it
// can never take (malformed), and serves an empty config.
func refusingHQ(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/batches":
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, "bad gzip", http.StatusBadRequest)
				return
			}
			var req checkpoint.PushRequest
			json.NewDecoder(zr).Decode(&req)
			var resp checkpoint.PushResponse
			for _, rec := range req.Records {
				resp.Results = append(resp.Results, checkpoint.RecordResult{ID: rec.ID, Status: checkpoint.ResultRejected,
					Error: "malformed", Message: "记录格式错误 / malformed record"})
			}
			json.NewEncoder(w).Encode(resp)
		default:
			json.NewEncoder(w).Encode(checkpoint.ConfigResponse{Datasets: []checkpoint.Envelope{}, ServerTime: time.Now()})
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSyncWithQuarantineFailsAndQuarantineCommands(t *testing.T) {
	srv := refusingHQ(t)
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveDevice(ctx, store.Device{ID: "dev-q", Secret: "s", SiteID: "site-q", HQURL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 3 {
		id, err := db.SaveCheck(ctx, store.Meta{StaffID: "staff-q"}, checkpoint.Check{Verdict: "pass", Reasons: []string{}}, checkpoint.Personal{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	db.Close()

	rc, out, _ := dispatchTest(t, "sync", "--data", dir, "--timeout", "10s")
	pushed, pending, q, msg := decodeSync(t, out)
	if rc != 1 || pushed != 0 || pending != 0 || q != 3 || !strings.Contains(msg, "3 条记录被隔离") || !strings.Contains(msg, "记录格式错误") {
		t.Errorf("sync with every record refused = %d, %q; want exit 1, 3 quarantined, the first reason in words", rc, out)
	}

	rc, out, errOut := dispatchTest(t, "quarantine", "list", "--data", dir)
	var list struct {
		Count   int                    `json:"count"`
		Records []store.QuarantineLine `json:"records"`
	}
	if err := json.Unmarshal([]byte(out), &list); rc != 0 || err != nil || list.Count != 3 || len(list.Records) != 3 ||
		list.Records[0].ID != ids[0] || list.Records[0].Error != "rejected: malformed" || list.Records[0].Kind != checkpoint.KindCheck {
		t.Errorf("quarantine list = %d, %q (stderr %q); want the 3 records, oldest first, with HQ's reason", rc, out, errOut)
	}

	file := filepath.Join(t.TempDir(), "q.jsonl")
	if rc, out, errOut := dispatchTest(t, "quarantine", "export", "--data", dir, "--out", file); rc != 0 || !strings.Contains(out, `"exported":3`) {
		t.Errorf("quarantine export = %d, %q (stderr %q)", rc, out, errOut)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fi, _ := f.Stat(); fi.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v; want 0600", fi.Mode().Perm())
	}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var line store.QuarantineLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Record == nil || line.Record.ID != ids[n] || line.Record.Validate() != nil {
			t.Errorf("export line %d = %s (%v); want the record's envelope", n, sc.Text(), err)
		}
		n++
	}
	if n != 3 {
		t.Errorf("export has %d lines; want 3", n)
	}

	if rc, _, errOut := dispatchTest(t, "quarantine", "requeue", "--data", dir, "no-such-id"); rc != 1 || !strings.Contains(errOut, "不在隔离区") {
		t.Errorf("requeue of an unknown id = %d, %q; want 1 and words", rc, errOut)
	}
	if rc, out, _ := dispatchTest(t, "quarantine", "requeue", "--data", dir, ids[1]); rc != 0 || !strings.Contains(out, `"requeued":1`) {
		t.Errorf("requeue one = %d, %q", rc, out)
	}
	if rc, out, _ := dispatchTest(t, "quarantine", "requeue", "--data", dir, "--all"); rc != 0 || !strings.Contains(out, `"requeued":2`) {
		t.Errorf("requeue --all = %d, %q", rc, out)
	}
	db, err = store.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if st, _ := db.OutboxStats(ctx); st.Pending != 3 || st.Quarantined != 0 {
		t.Errorf("after requeue outbox = %+v; want 3 pending", st)
	}
	for _, args := range [][]string{{"quarantine"}, {"quarantine", "list"}, {"quarantine", "export", "--data", dir},
		{"quarantine", "requeue", "--data", dir}, {"quarantine", "bogus", "--data", dir}} {
		if rc, _, _ := dispatchTest(t, args...); rc != 2 {
			t.Errorf("%v = %d; want usage exit 2", args, rc)
		}
	}
}
