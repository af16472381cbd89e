package sqldb

import (
	"context"
	"errors"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/internal/dbtest"
)

// TestDecideHeld: an accepted held record stays in records, no longer held; a rejected one
// leaves records and is kept in held_decisions; a record decided or never held is ErrNotFound;
// the pending list and its count shrink accordingly.
func TestDecideHeld(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			d, err := Open(ctx, b.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			now := time.Now().UTC()
			ids := []string{dbtest.UUIDv7At(now.Add(-3 * time.Minute)), dbtest.UUIDv7At(now.Add(-2 * time.Minute)), dbtest.UUIDv7At(now.Add(-time.Minute))}
			recs := []checkpoint.Record{checkRecord(ids[0]), checkRecord(ids[1]), checkRecord(ids[2])}
			if _, err := d.IngestHeld(ctx, recs, []string{"staff_not_allowed", "site_inactive", ""}, nil, now); err != nil {
				t.Fatal(err)
			}
			if n, _ := d.CountHeld(ctx); n != 2 {
				t.Fatalf("held = %d; want 2", n)
			}
			acc, err := d.DecideHeld(ctx, ids[0], HeldAccepted, "人员调岗当日，已核实", "wang", now)
			if err != nil || acc.Reason != "staff_not_allowed" {
				t.Fatalf("accept: %+v, %v", acc, err)
			}
			if _, err := d.DecideHeld(ctx, ids[0], HeldRejected, "again", "wang", now); !errors.Is(err, ErrNotFound) {
				t.Fatalf("second decision: %v; want ErrNotFound", err)
			}
			if _, err := d.DecideHeld(ctx, ids[2], HeldAccepted, "not held", "wang", now); !errors.Is(err, ErrNotFound) {
				t.Fatalf("decision on an accepted record: %v; want ErrNotFound", err)
			}
			checks := func() int64 {
				day := recs[1].CreatedAt.In(checkpoint.ChinaTime).Format(DayFormat)
				m, err := d.DayCounts(ctx, day)
				if err != nil {
					t.Fatal(err)
				}
				return m[recs[1].SiteID][CountChecks]
			}
			if n := checks(); n != 3 {
				t.Fatalf("checks counted before the rejection = %d; want 3 (held ones count)", n)
			}
			if _, err := d.DecideHeld(ctx, ids[1], HeldRejected, "站点已停用", "li", now.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			if n := checks(); n != 2 {
				t.Errorf("checks counted after the rejection = %d; want 2 (a rejected record counts no more)", n)
			}
			if n, _ := d.CountHeld(ctx); n != 0 {
				t.Fatalf("held after deciding = %d", n)
			}
			if r, err := d.Record(ctx, ids[0]); err != nil || r.ID != ids[0] {
				t.Fatalf("accepted record: %v", err)
			}
			if _, err := d.Record(ctx, ids[1]); !errors.Is(err, ErrNotFound) {
				t.Fatalf("rejected record still in records: %v", err)
			}
			var body []byte
			if err := d.SQL().QueryRowContext(ctx, d.q(`SELECT body FROM held_decisions WHERE record_id = ?`), ids[1]).Scan(&body); err != nil || string(body) != `{"verdict":"pass"}` {
				t.Fatalf("rejected record's body kept = %q, %v", body, err)
			}
			l, err := d.HeldDecisions(ctx, 10)
			if err != nil || len(l) != 2 || l[0].RecordID != ids[1] || l[0].Decision != HeldRejected || l[0].Operator != "li" || l[1].Note != "人员调岗当日，已核实" {
				t.Fatalf("decisions = %+v, %v", l, err)
			}
		})
	}
}
