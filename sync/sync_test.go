package sync

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

func TestPushDrainsOutboxInBoundedBatches(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	ids := record(t, db, 450)
	var logs bytes.Buffer
	c := New(db, fastConfig(Config{BatchRecords: 100, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}))

	sum, err := c.Sync(context.Background())
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if sum.Pushed != len(ids) || !sum.Drained {
		t.Errorf("Sync = %+v; want %d pushed, drained", sum, len(ids))
	}
	if got := h.count(); got != len(ids) {
		t.Errorf("HQ holds %d records; want %d", got, len(ids))
	}
	if !slices.Equal(h.order, ids) {
		t.Errorf("HQ got records out of order")
	}
	for i, n := range h.batchSizes {
		if n > 100 {
			t.Errorf("batch %d has %d records; want ≤ 100", i, n)
		}
	}
	if st := outbox(t, db); st.Pending != 0 || st.Synced != len(ids) {
		t.Errorf("outbox = %+v; want 0 pending, %d synced", st, len(ids))
	}
	s := c.Status()
	if s.Pending != 0 || s.LastSuccess.IsZero() || s.LastError != (Message{}) || !s.Online || !s.Enrolled {
		t.Errorf("Status = %+v; want pending 0, a last success, no error, online", s)
	}
	if strings.Contains(logs.String(), h.secret) || strings.Contains(logs.String(), "张") {
		t.Errorf("log holds the secret or personal data:\n%s", logs.String())
	}
	// The status survives a restart through the store.
	c2 := New(db, Config{})
	s2, err := c2.Refresh(context.Background())
	if err != nil || !s2.LastSuccess.Equal(s.LastSuccess.Truncate(time.Millisecond)) && !s2.LastSuccess.Equal(s.LastSuccess) {
		t.Errorf("Refresh after restart = %+v, %v; want last success %v", s2, err, s.LastSuccess)
	}
}

func TestLostAnswerIsResentAndAcknowledgedOnce(t *testing.T) {
	h := newFakeHQ(t)
	h.dropAnswer = func(n int) bool { return n%2 == 1 } // every other answer is lost
	db := newKiosk(t, h)
	ids := record(t, db, 300)
	c := New(db, fastConfig(Config{BatchRecords: 50}))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sum, err := c.Flush(ctx)
	if err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if sum.Pushed != len(ids) {
		t.Errorf("Flush pushed %d; want %d (stored + duplicate)", sum.Pushed, len(ids))
	}
	if got := h.count(); got != len(ids) {
		t.Errorf("HQ holds %d records; want %d", got, len(ids))
	}
	if st := outbox(t, db); st.Pending != 0 || st.Quarantined != 0 {
		t.Errorf("outbox = %+v; want nothing pending or quarantined", st)
	}
}

func TestRejectedRecordIsQuarantinedAndQueueMovesOn(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	ids := record(t, db, 120)
	bad := map[string]bool{ids[0]: true, ids[57]: true, ids[119]: true}
	h.reject = func(id string) (string, bool) { return "site_not_allowed", bad[id] }
	c := New(db, fastConfig(Config{BatchRecords: 10}))

	sum, err := c.Sync(context.Background())
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if sum.Pushed != 117 || sum.Quarantined != 3 {
		t.Errorf("Sync = %+v; want 117 pushed, 3 quarantined", sum)
	}
	if st := outbox(t, db); st.Pending != 0 || st.Quarantined != 3 {
		t.Errorf("outbox = %+v; want 0 pending, 3 quarantined", st)
	}
	if s := c.Status(); s.Quarantined != 3 {
		t.Errorf("Status().Quarantined = %d; want 3", s.Quarantined)
	}
	// A second pass sends nothing: quarantined records are not retried on their own.
	pushes := h.pushes
	if _, err := c.Sync(context.Background()); err != nil || h.pushes != pushes {
		t.Errorf("second Sync: err %v, %d new pushes; want none", err, h.pushes-pushes)
	}
}

func TestConflictIsQuarantined(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	ids := record(t, db, 3)
	h.records[ids[1]] = []byte(`{"id":"other content"}`)
	c := New(db, fastConfig(Config{}))
	sum, err := c.Sync(context.Background())
	if err != nil || sum.Pushed != 2 || sum.Quarantined != 1 {
		t.Fatalf("Sync = %+v, %v; want 2 pushed, 1 quarantined", sum, err)
	}
	q, err := db.Quarantined(context.Background())
	if err != nil || len(q) != 1 {
		t.Fatalf("Quarantined = %v, %v; want one", q, err)
	}
}

func TestTooLargeHalvesThenQuarantinesOneRecord(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	ids := record(t, db, 64)
	huge := ids[40]
	h.setBefore(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/api/v1/batches" {
			return false
		}
		// Peek at the batch: refuse more than 8 records, or any batch holding the huge one.
		body, req := readPush(t, r)
		r.Body = body
		if len(req.Records) > 8 || slices.ContainsFunc(req.Records, func(x checkpoint.Record) bool { return x.ID == huge }) {
			h.fail(w, http.StatusRequestEntityTooLarge, "too_large")
			return true
		}
		return false
	})
	c := New(db, fastConfig(Config{BatchRecords: 64}))
	sum, err := c.Sync(context.Background())
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if sum.Pushed != 63 || sum.Quarantined != 1 {
		t.Errorf("Sync = %+v; want 63 pushed, 1 quarantined", sum)
	}
	q, _ := db.Quarantined(context.Background())
	if len(q) != 1 || q[0].ID != huge {
		t.Errorf("quarantined %+v; want only %s", q, huge)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	record(t, db, 5)
	var mu gosync.Mutex
	var times []time.Time
	h.setBefore(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/api/v1/batches" {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		times = append(times, time.Now())
		if len(times) == 1 {
			discard(r)
			w.Header().Set("Retry-After", "1")
			h.fail(w, http.StatusServiceUnavailable, "busy")
			return true
		}
		return false
	})
	c := New(db, fastConfig(Config{}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(times) < 2 {
		t.Fatalf("%d pushes; want a retry", len(times))
	}
	if gap := times[1].Sub(times[0]); gap < 950*time.Millisecond {
		t.Errorf("retried %v after a 503 with Retry-After: 1; want ≥ 1s", gap)
	}
	if h.count() != 5 {
		t.Errorf("HQ holds %d; want 5", h.count())
	}
}

func TestFailuresExplainedInWords(t *testing.T) {
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}()
	tests := []struct {
		name   string
		status int    // fake HQ answer to every request; 0 = normal
		base   string // overrides the HQ address
		noDev  bool
		want   Message
		perm   bool // Flush gives up at once
	}{
		{"unreachable", 0, closed, false, MsgUnreachable, false},
		{"credential", http.StatusUnauthorized, "", false, MsgCredential, true},
		{"forbidden", http.StatusForbidden, "", false, MsgForbidden, true},
		{"busy", http.StatusServiceUnavailable, "", false, MsgBusy, false},
		{"rate limited", http.StatusTooManyRequests, "", false, MsgBusy, false},
		{"server error", http.StatusInternalServerError, "", false, MsgServer, false},
		{"bad request", http.StatusBadRequest, "", false, MsgBadRequest, false},
		{"not enrolled", 0, "", true, MsgNotEnrolled, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newFakeHQ(t)
			if tt.status != 0 {
				h.setBefore(func(w http.ResponseWriter, r *http.Request) bool {
					discard(r)
					h.fail(w, tt.status, "x")
					return true
				})
			}
			var db *store.DB
			if tt.noDev {
				db = newKiosk(t, nil)
			} else {
				db = newKiosk(t, h)
				record(t, db, 3)
			}
			c := New(db, fastConfig(Config{BaseURL: tt.base}))
			_, err := c.Sync(context.Background())
			if err == nil {
				t.Fatal("Sync succeeded; want an error")
			}
			if !strings.HasPrefix(err.Error(), "sync: push: ") {
				t.Errorf("error %q lacks the operation prefix", err)
			}
			if got := Explain(err); got != tt.want {
				t.Errorf("Explain(%v) = %v; want %v", err, got, tt.want)
			}
			s := c.Status()
			if s.LastError != tt.want || s.Syncing {
				t.Errorf("Status().LastError = %v; want %v", s.LastError, tt.want)
			}
			if !tt.noDev && s.Pending != 3 {
				t.Errorf("Status().Pending = %d; want 3", s.Pending)
			}
			if tt.want == MsgUnreachable && s.Online {
				t.Errorf("Status().Online = true after %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err = c.Flush(ctx)
			if gaveUp := time.Since(start) < 150*time.Millisecond; gaveUp != tt.perm {
				t.Errorf("Flush returned after %v (%v); want giving up at once = %v", time.Since(start), err, tt.perm)
			}
			if err == nil {
				t.Errorf("Flush succeeded")
			}
		})
	}
}

func TestMessageStrings(t *testing.T) {
	if got, want := MsgUnreachable.String(), "无法连接总部 / cannot reach HQ"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	if got := MsgCredential.Text("en"); got != "device credential rejected, enroll again" {
		t.Errorf("Text(en) = %q", got)
	}
	if got := MsgCredential.Text("zh"); got != "设备凭证无效，请重新登记设备" {
		t.Errorf("Text(zh) = %q", got)
	}
	if got := (Message{}).String(); got != "" {
		t.Errorf("zero Message String() = %q; want empty", got)
	}
	for _, m := range []Message{MsgBusy, MsgStore, {Code: "unknown", ZH: "x", EN: "x"}} {
		if got := parseMessage(m.String()); got.String() != m.String() {
			t.Errorf("parseMessage(%q) = %v", m.String(), got)
		}
	}
	if got := Explain(context.DeadlineExceeded); got != MsgTimeout {
		t.Errorf("Explain(deadline) = %v", got)
	}
	if got := Explain(errors.New("sync: push: " + ErrProtocol.Error())); got != MsgUnreachable {
		t.Errorf("Explain(plain) = %v", got)
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2022, 4, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"3", 3 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"-1", 0},
		{"soon", 0},
		{"Fri, 01 Apr 2022 08:00:30 GMT", 30 * time.Second},
		{"Fri, 01 Apr 2022 07:00:00 GMT", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestPullIsIncremental(t *testing.T) {
	h := newFakeHQ(t)
	h.setDataset(checkpoint.DatasetRevocations, 3, `{"version":3,"code_ids":["c1"]}`)
	h.setDataset(checkpoint.DatasetRisk, 5, `[]`)
	db := newKiosk(t, h)
	c := New(db, fastConfig(Config{}))
	ctx := context.Background()

	n, err := c.Pull(ctx)
	if err != nil || n != 2 {
		t.Fatalf("first Pull = %d, %v; want 2 datasets", n, err)
	}
	if got := h.queries[0].Get(checkpoint.DatasetRevocations); got != "0" {
		t.Errorf("first pull sent revocations=%q; want 0", got)
	}
	if n, err := c.Pull(ctx); err != nil || n != 0 {
		t.Errorf("second Pull = %d, %v; want nothing new", n, err)
	}
	if got := h.queries[1].Get(checkpoint.DatasetRevocations); got != "3" {
		t.Errorf("second pull sent revocations=%q; want 3", got)
	}
	h.setDataset(checkpoint.DatasetRevocations, 4, `{"version":4,"code_ids":["c1","c2"]}`)
	if n, err := c.Pull(ctx); err != nil || n != 1 {
		t.Errorf("third Pull = %d, %v; want 1", n, err)
	}
	rev, err := db.Revocations(ctx)
	if err != nil || len(rev) != 2 {
		t.Errorf("Revocations = %v, %v; want 2", rev, err)
	}
	if skew := c.Status().ClockSkew; skew < 59*time.Minute || skew > 61*time.Minute {
		t.Errorf("ClockSkew = %v; want about 1h", skew)
	}
	// A dataset the store refuses is reported, not hidden.
	h.setDataset(checkpoint.DatasetRevocations, 5, `{"version":"five"}`)
	if _, err := c.Pull(ctx); Explain(err) != MsgDataset {
		t.Errorf("Pull of a bad dataset: %v (%v); want %v", err, Explain(err), MsgDataset)
	}
}

func TestEnroll(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, nil)
	c := New(db, fastConfig(Config{DeviceName: "gate-1"}))
	ctx := context.Background()

	_, err := c.Enroll(ctx, h.URL(), "WRONG")
	if Explain(err) != MsgEnrollCode {
		t.Errorf("Enroll(wrong code) = %v (%v); want %v", err, Explain(err), MsgEnrollCode)
	}
	if _, err := c.Enroll(ctx, "ftp://x", "c"); err == nil {
		t.Errorf("Enroll(ftp URL) succeeded")
	}
	dev, err := c.Enroll(ctx, h.URL()+"/", h.enrollCode)
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	saved, err := db.Device(ctx)
	if err != nil || saved.ID != h.deviceID || saved.Secret != h.secret || saved.SiteID != h.siteID || saved.HQURL != h.URL() || dev.ID != saved.ID {
		t.Errorf("saved device %+v, %v; want %s at %s", saved, err, h.deviceID, h.URL())
	}
	if _, err := c.Sync(ctx); err != nil {
		t.Errorf("Sync after Enroll: %v", err)
	}
}

func TestCodeStatus(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	c := New(db, fastConfig(Config{StatusTimeout: 200 * time.Millisecond}))
	ctx := context.Background()
	cs, err := c.CodeStatus(ctx, "revoked")
	if err != nil || !cs.Revoked || cs.CodeID != "revoked" {
		t.Errorf("CodeStatus = %+v, %v; want revoked", cs, err)
	}
	release := make(chan struct{})
	defer close(release)
	h.setBefore(func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	})
	start := time.Now()
	_, err = c.CodeStatus(ctx, "slow")
	if Explain(err) != MsgTimeout || time.Since(start) > 2*time.Second {
		t.Errorf("CodeStatus on a slow HQ = %v (%v) after %v; want a timeout after ~200ms", err, Explain(err), time.Since(start))
	}
	if _, err := c.CodeStatus(ctx, ""); err == nil {
		t.Error("CodeStatus(\"\") succeeded")
	}
}

func TestRunSyncsOnTriggerAndStopsOnShutdown(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	var mu gosync.Mutex
	var seen []Status
	c := New(db, fastConfig(Config{Interval: time.Hour, OnStatus: func(s Status) {
		mu.Lock()
		seen = append(seen, s)
		mu.Unlock()
	}}))
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()

	waitFor(t, "first pass", func() bool { return !c.Status().LastSuccess.IsZero() })
	record(t, db, 7)
	c.SyncNow()
	waitFor(t, "records after SyncNow", func() bool { return h.count() == 7 })

	// Records made after Run stops are flushed by Shutdown.
	h.setBefore(func(w http.ResponseWriter, r *http.Request) bool { return false })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		record(t, db, 2)
		close(stopped)
	}()
	<-stopped
	if err := c.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v; want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Shutdown")
	}
	if h.count() != 9 {
		t.Errorf("HQ holds %d; want 9", h.count())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 || !slices.ContainsFunc(seen, func(s Status) bool { return s.Syncing }) {
		t.Errorf("OnStatus saw %d statuses, none syncing", len(seen))
	}
}

func TestRunRetriesAfterOutageAndEndsOnCancel(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	record(t, db, 20)
	var mu gosync.Mutex
	down := true
	h.setBefore(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if down {
			discard(r)
			h.fail(w, http.StatusBadGateway, "down")
		}
		return down
	})
	c := New(db, fastConfig(Config{Interval: time.Hour}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	waitFor(t, "an error", func() bool { return c.Status().LastError == MsgServer })
	mu.Lock()
	down = false
	mu.Unlock()
	waitFor(t, "recovery", func() bool { return h.count() == 20 && c.Status().LastError == (Message{}) })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v; want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A record an operator rejected at HQ is quarantined with HQ's code, and shown in words: HQ's
// own message when it sent one, else the table's words for the code.
func TestHeldRejectedIsQuarantinedInWords(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	ids := record(t, db, 2)
	h.reject = func(id string) (string, bool) { return "held_rejected", id == ids[0] }
	c := New(db, fastConfig(Config{}))
	if sum, err := c.Sync(context.Background()); err != nil || sum.Pushed != 1 || sum.Quarantined != 1 {
		t.Fatalf("Sync = %+v, %v; want 1 pushed, 1 quarantined", sum, err)
	}
	q, err := db.Quarantined(context.Background())
	if err != nil || len(q) != 1 || q[0].Error != "rejected: held_rejected" {
		t.Fatalf("Quarantined = %+v, %v; want one, rejected: held_rejected", q, err)
	}
	if got := QuarantineReason(q[0].Error, q[0].Message); !strings.Contains(got, "操作员驳回") || !strings.Contains(got, "rejected by an operator") {
		t.Errorf("QuarantineReason = %q; want the words for held_rejected", got)
	}
	if got := QuarantineReason(q[0].Error, "总部操作员已于 2026-12-01 驳回该记录：非本站人员"); got != "总部操作员已于 2026-12-01 驳回该记录：非本站人员" {
		t.Errorf("QuarantineReason with HQ's message = %q; want HQ's message", got)
	}
	if got := QuarantineReason("rejected: no_such_code", ""); got != "总部拒收该记录 / HQ refused this record" {
		t.Errorf("QuarantineReason of an unknown code = %q", got)
	}
}
