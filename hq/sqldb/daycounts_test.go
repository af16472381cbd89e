package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"maps"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/internal/dbtest"
)

// dayRecord is a record of kind made at at, at site, with body.
func dayRecord(kind checkpoint.RecordKind, site string, at time.Time, body string) checkpoint.Record {
	return checkpoint.Record{ID: dbtest.UUIDv7At(at), Kind: kind, DeviceID: "dev-1", SiteID: site, StaffID: "st-1",
		CreatedAt: at, Body: json.RawMessage(body)}
}

// TestDayCounts: ingest adds checks, 劝返, 复核, fevers (by the threshold in the context or the
// fever reason) and registrations per site and China day, and all days under TotalDay; a batch
// sent again adds nothing, a held record counts, a record after 16:00 UTC counts on the next
// China day; the migration's backfill counts the same from the records alone.
func TestDayCounts(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			d, err := Open(ctx, b.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			late := time.Date(2026, 12, 1, 15, 59, 59, 0, time.UTC) // 23:59:59 in China
			next := late.Add(time.Second)                           // 00:00:00 on 12-02 in China
			recs := []checkpoint.Record{
				dayRecord(checkpoint.KindCheck, "s1", late.Add(-time.Hour), `{"verdict":"pass","reasons":[],"temp_tenths":365}`),
				dayRecord(checkpoint.KindCheck, "s1", late.Add(-50*time.Minute), `{"verdict":"turn_back","reasons":["household_high_risk"]}`),
				dayRecord(checkpoint.KindCheck, "s1", late.Add(-40*time.Minute), `{"verdict":"refer","reasons":["fever"],"temp_tenths":380}`),
				dayRecord(checkpoint.KindCheck, "s1", late, `{"verdict":"refer","reasons":["code_red"],"temp_tenths":372}`), // fever only by a 37.0 threshold
				dayRecord(checkpoint.KindCheck, "s1", next, `{"verdict":"refer","reasons":["fever"]}`),
				dayRecord(checkpoint.KindRegistration, "s2", next.Add(time.Minute), `{}`),
				dayRecord(checkpoint.KindStaffEvent, "s2", next.Add(2*time.Minute), `{}`),
			}
			fctx := WithFeverThreshold(ctx, 37.0)
			hold := []string{"", "", "", "", "staff_not_allowed", "", ""}
			if _, err := d.IngestHeld(fctx, recs, hold, nil, next); err != nil {
				t.Fatal(err)
			}
			want := map[string]map[string]map[string]int64{
				"2026-12-01": {"s1": {CountChecks: 4, CountTurnedBack: 1, CountReview: 2, CountFever: 2}},
				"2026-12-02": {"s1": {CountChecks: 1, CountReview: 1, CountFever: 1}, "s2": {CountRegistrations: 1}},
				TotalDay:     {"s1": {CountChecks: 5, CountTurnedBack: 1, CountReview: 3, CountFever: 3}, "s2": {CountRegistrations: 1}},
			}
			check := func(when string, want map[string]map[string]map[string]int64) {
				t.Helper()
				for day, w := range want {
					got, err := d.DayCounts(ctx, day)
					if err != nil {
						t.Fatal(err)
					}
					if !maps.EqualFunc(got, w, func(a, b map[string]int64) bool { return maps.Equal(a, b) }) {
						t.Errorf("%s: %s = %v; want %v", when, day, got, w)
					}
				}
			}
			check("after ingest", want)
			// The same batch again, plus one new check: only the new one counts.
			again := append(recs, dayRecord(checkpoint.KindCheck, "s1", next.Add(time.Hour), `{"verdict":"pass","reasons":[]}`))
			outs, err := d.IngestHeld(fctx, again, append(hold, ""), nil, next)
			if err != nil || outs[0] != checkpoint.ResultDuplicate || outs[len(outs)-1] != checkpoint.ResultStored {
				t.Fatalf("resend: %v, %v", outs, err)
			}
			want["2026-12-02"]["s1"][CountChecks]++
			want[TotalDay]["s1"][CountChecks]++
			check("after a resend", want)
			// Without a threshold in the context the default (37.3) counts: 37.2 is no fever.
			backfilled := map[string]map[string]map[string]int64{
				"2026-12-01": {"s1": {CountChecks: 4, CountTurnedBack: 1, CountReview: 2, CountFever: 1}},
				TotalDay:     {"s1": {CountChecks: 6, CountTurnedBack: 1, CountReview: 3, CountFever: 2}, "s2": {CountRegistrations: 1}},
			}
			err = d.tx(ctx, "backfill", func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `DELETE FROM day_counts`); err != nil {
					return err
				}
				return d.backfillDayCounts(ctx, tx)
			})
			if err != nil {
				t.Fatal(err)
			}
			check("backfilled", backfilled)
		})
	}
}
