package console

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	checkpoint "github.com/yongji-county/checkpoint"
)

// pushHeld pushes n checks by a staff id HQ does not know from the first kiosk: HQ holds them.
func (e *tenv) pushHeld(n int) []string {
	e.t.Helper()
	var recs []checkpoint.Record
	var ids []string
	for range n {
		id := uuid.Must(uuid.NewV7()).String()
		ids = append(ids, id)
		recs = append(recs, checkpoint.Record{ID: id, Kind: checkpoint.KindCheck, DeviceID: e.kiosk.DeviceID,
			SiteID: "s1", StaffID: "scan-gone", CreatedAt: e.clk.Now().UTC().Truncate(time.Microsecond),
			Body: json.RawMessage(`{"verdict":"pass","reasons":[],"online":false,"scanned_at":"2026-12-01T02:00:00Z","confirmed_at":"2026-12-01T02:00:05Z"}`)})
	}
	var pr checkpoint.PushResponse
	if st := e.api("POST", "/api/v1/batches", "Bearer "+e.kiosk.DeviceID+"."+e.kiosk.Secret, checkpoint.PushRequest{Records: recs}, &pr); st != 200 {
		e.t.Fatalf("push: %d", st)
	}
	for _, r := range pr.Results {
		if r.Status != checkpoint.ResultHeld {
			e.t.Fatalf("push result %+v; want held", r)
		}
	}
	return ids
}

// TestHeldRecords: the page lists what HQ holds with the reason; ops accepts one with a note
// and rejects another; a note is required; health may look but not decide; the CSV lists the
// records still held; both decisions are in the audit log.
func TestHeldRecords(t *testing.T) {
	e := newTenv(t, false)
	ctx := context.Background()
	e.seedKiosks(0)
	ids := e.pushHeld(3)
	ops, health := e.as(RoleOps), e.as(RoleHealth)
	p := e.get(health, "/admin/held")
	if p.status != 200 || strings.Count(p.body, `<tr data-id="`) != 3 || strings.Contains(p.body, `formaction="/admin/held/accept"`) {
		t.Fatalf("health's held page: %d, rows %d", p.status, strings.Count(p.body, `<tr data-id="`))
	}
	held, _ := e.core.Held(ctx, "")
	reason := held[0].Reason
	if reason == "" || !strings.Contains(p.body, reason) {
		t.Fatalf("reason %q not shown", reason)
	}
	if r := e.post(health, "/admin/held/accept", url.Values{"id": {ids[0]}, "note": {"核实"}}); r.status != http.StatusForbidden {
		t.Fatalf("health accepts: %d", r.status)
	}
	if r := e.post(ops, "/admin/held/accept", url.Values{"id": {ids[0]}, "note": {""}}); r.status != http.StatusBadRequest || !strings.Contains(r.body, zh["err_held_note"]) {
		t.Fatalf("accept without a note: %d", r.status)
	}
	if r := e.post(ops, "/admin/held/accept", url.Values{"id": {ids[0]}, "note": {"人员当日调岗，已电话核实"}}); r.status != 200 || !strings.Contains(r.body, zh["notice_accepted"]) {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	if r := e.post(ops, "/admin/held/reject", url.Values{"id": {ids[1]}, "note": {"非本站人员"}}); r.status != 200 || !strings.Contains(r.body, zh["notice_rejected"]) {
		t.Fatalf("reject: %d", r.status)
	}
	if r := e.post(ops, "/admin/held/reject", url.Values{"id": {ids[1]}, "note": {"again"}}); r.status != http.StatusNotFound {
		t.Fatalf("second decision: %d", r.status)
	}
	if n, _ := e.core.DB().CountHeld(ctx); n != 1 {
		t.Fatalf("held after decisions = %d", n)
	}
	if rec, err := e.core.DB().Record(ctx, ids[0]); err != nil || rec.ID != ids[0] {
		t.Fatalf("accepted record: %v", err)
	}
	c := e.get(health, "/admin/held.csv")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(c.body, "\ufeff"))).ReadAll()
	if c.status != 200 || err != nil || len(rows) != 2 || rows[1][0] != ids[2] || rows[1][7] != reason {
		t.Fatalf("csv: %d %v %v", c.status, err, rows)
	}
	page, _ := e.core.DB().Audit(ctx, 0, 10)
	got := map[string]string{}
	for _, a := range page {
		got[a.Action] = a.Object + " " + a.After
	}
	if !strings.HasPrefix(got["held.accept"], ids[0]) || !strings.Contains(got["held.accept"], "已电话核实") || !strings.HasPrefix(got["held.reject"], ids[1]) {
		t.Fatalf("audit = %v", got)
	}
}
