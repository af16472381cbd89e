package console

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/internal/dbtest"
)

// BenchmarkOverview measures one computation of 总览 (uncached) over 500 kiosks and
// CHECKPOINT_BENCH_RECORDS records (default 200 000) on SQLite; rows are written straight into
// the tables, as ingest would leave them. CHECKPOINT_BENCH_INDEX=1 adds indexes on records
// (device_id, received_at) and (kind, created_at) first, to see what they would buy.
func BenchmarkOverview(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("CHECKPOINT_BENCH_RECORDS")); err == nil && v > 0 {
		n = v
	}
	const kiosks = 500
	ctx := context.Background()
	root, _ := checkpoint.GenerateRootKey()
	core, err := hq.New(hq.Config{DSN: dbtest.SQLiteDSN(b), RootKey: root})
	if err != nil {
		b.Fatal(err)
	}
	defer core.Close()
	db := core.DB().SQL()
	now := time.Now().UTC()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := range kiosks {
		if _, err := tx.ExecContext(ctx, `INSERT INTO devices (id, name, site_id, secret_hash, created_at, revoked) VALUES (?,?,?,?,?,0)`,
			fmt.Sprintf("dev-%04d", i), "k", "s1", "h", now.Format(sqldb.TimeFormat)); err != nil {
			b.Fatal(err)
		}
	}
	for i := range n {
		at := now.Add(-time.Duration(n-i) * time.Second).Format(sqldb.TimeFormat)
		if _, err := tx.ExecContext(ctx, `INSERT INTO records (id, kind, device_id, site_id, staff_id, created_at, body, content_hash, received_at) VALUES (?,?,?,?,?,?,?,?,?)`,
			fmt.Sprintf("r-%09d", i), "check", fmt.Sprintf("dev-%04d", i%kiosks), "s1", "st", at, []byte(`{}`), "h", at); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if os.Getenv("CHECKPOINT_BENCH_INDEX") == "1" { // what indexes on records would buy (not in the schema)
		for _, q := range []string{`CREATE INDEX bench_dev ON records (device_id, received_at)`, `CREATE INDEX bench_kind ON records (kind, created_at)`} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	}
	h, err := newHandler(Config{Core: core})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			o, err := h.computeOverview(ctx)
			if err != nil || o.Kiosks != kiosks || o.Checks != int64(n) {
				b.Fatalf("overview %+v, %v", o.Checks, err)
			}
		}
	})
	b.Run("stats", func(b *testing.B) {
		for b.Loop() {
			if _, err := hq.ReadStats(ctx, core.DB()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("last_seen", func(b *testing.B) {
		for b.Loop() {
			if m, err := core.DB().DeviceLastSeen(ctx); err != nil || len(m) != kiosks {
				b.Fatal(err)
			}
		}
	})
	b.Run("today", func(b *testing.B) {
		for b.Loop() {
			if _, err := core.DB().CountRecordsSince(ctx, "check", now.Add(-time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
