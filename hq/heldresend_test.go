package hq

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// A held record an operator rejected, sent again (the kiosk's ack was lost, or a supervisor
// requeued it), is answered rejected with the operator's decision, not held again or stored;
// one the operator accepted is a duplicate; another body under a rejected record's id is a
// conflict. New records in the same batch are stored as usual.
func TestHeldRejectedResend(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		ctx := context.Background()
		bad, good := rec(e.devA, "a", "ghost"), rec(e.devA, "a", "ghost")
		if _, resp := e.push(e.devA, bad, good); statusesOf(resp) != "held(staff_not_allowed),held(staff_not_allowed)" {
			t.Fatalf("first push: %s", statusesOf(resp))
		}
		if _, err := e.srv.DecideHeld(ctx, bad.ID, false, "非本站人员，已核实", "wang"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.srv.DecideHeld(ctx, good.ID, true, "人员调岗当日", "wang"); err != nil {
			t.Fatal(err)
		}
		fresh := rec(e.devA, "a", "scan-a")
		_, resp := e.push(e.devA, bad, good, fresh)
		if got := statusesOf(resp); got != "rejected(held_rejected),duplicate,stored" {
			t.Fatalf("resend after the decisions: %s; want rejected(held_rejected),duplicate,stored", got)
		}
		if m := resp.Results[0].Message; !strings.Contains(m, "非本站人员，已核实") || !strings.Contains(m, "驳回") || !strings.Contains(m, "rejected") {
			t.Errorf("rejected resend's message = %q; want the operator's decision and note", m)
		}
		if _, err := e.srv.db.Record(ctx, bad.ID); !errors.Is(err, sqldb.ErrNotFound) {
			t.Errorf("rejected record back in records after the resend: %v", err)
		}
		if n, err := e.srv.db.CountHeld(ctx); err != nil || n != 0 {
			t.Errorf("held after the resend = %d, %v; want 0", n, err)
		}
		// The same id with another body: a conflict, as for any id HQ holds.
		other := bad
		other.Body = json.RawMessage(`{"verdict":"fail","reasons":[],"online":false,"scanned_at":"2022-04-01T08:00:00Z","confirmed_at":"2022-04-01T08:00:05Z"}`)
		if _, resp := e.push(e.devA, other); statusesOf(resp) != "conflict(conflict)" {
			t.Errorf("another body under a rejected id: %s; want conflict(conflict)", statusesOf(resp))
		}
		if _, err := e.srv.db.Record(ctx, bad.ID); !errors.Is(err, sqldb.ErrNotFound) {
			t.Errorf("conflicting record stored: %v", err)
		}
	})
}
