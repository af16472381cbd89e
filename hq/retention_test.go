package hq

import (
	"context"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/internal/dbtest"
)

// HQ keeps records for its configured retention (PIPL): at start, records made before the
// first day of the month RetentionMonths back go, held ones stay, recent ones stay.
func TestRetentionMonths(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, err := sqldb.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		old, recent := now.AddDate(0, -4, 0), now.AddDate(0, 0, -1)
		rec := func(at time.Time) checkpoint.Record {
			return checkpoint.Record{ID: dbtest.UUIDv7At(at), Kind: checkpoint.KindCheck, DeviceID: "d", SiteID: "s", StaffID: "st", CreatedAt: at, Body: []byte(`{}`)}
		}
		recs := []checkpoint.Record{rec(old), rec(old), rec(old), rec(recent)}
		if _, err := db.IngestHeld(ctx, recs, []string{"", "", "staff_not_allowed", ""}, nil, now); err != nil {
			t.Fatal(err)
		}
		db.Close()

		e := newEnv(t, dsn, Config{RetentionMonths: 2})
		for i, r := range recs {
			_, err := e.srv.db.Record(ctx, r.ID)
			if keep := i >= 2; keep != (err == nil) {
				t.Errorf("record %d (made %s, held %v): Record = %v; want kept %v", i, r.CreatedAt.Format("2006-01-02"), i == 2, err, keep)
			}
		}
	})
}
