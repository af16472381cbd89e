package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// BenchmarkSync100k measures one kiosk pushing a backlog of 100,000 records to HQ end to end:
// the real store's PendingBatch and ApplyResults, gzip and HTTP on loopback, HQ's
// authentication, validation and ingest on SQLite or PostgreSQL, with the client's and HQ's
// default settings (HQ's per-device rate limit included). Each iteration starts from a fresh HQ
// and a fresh kiosk; only the sync is timed. Run it with
//
//	go test -run '^$' -bench Sync100k -benchtime 1x ./internal/e2e/
func BenchmarkSync100k(b *testing.B) {
	const n = 100_000
	for _, be := range backends {
		for _, limit := range []struct {
			name string
			rate float64 // HQ's per-device rate; 0 = HQ's default (10/s, burst 40)
		}{{"hq-default-rate", 0}, {"no-rate-limit", 1e6}} {
			b.Run(be.Name+"/"+limit.name, func(b *testing.B) {
				var total time.Duration
				for range b.N {
					b.StopTimer()
					node := startHQ(b, be.DSN(b), limit.rate)
					k := newKiosk(b, node, node.URL(), sync.Config{Logger: testLogger(b)})
					seedOutbox(b, k, n)
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
					start := time.Now()
					b.StartTimer()
					sum, err := k.c.Flush(ctx)
					b.StopTimer()
					total += time.Since(start)
					cancel()
					if err != nil || sum.Pushed != n {
						b.Fatalf("Flush = %+v, %v; want %d pushed", sum, err, n)
					}
					if got := hqCount(b, node); got != n {
						b.Fatalf("HQ holds %d records; want %d", got, n)
					}
					node.crash()
				}
				b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "records/s")
				b.ReportMetric(total.Seconds()/float64(b.N), "s/100k")
			})
		}
	}
}

// seedOutbox fills k's outbox with n records quickly: it records 100 through the store (the
// kiosk's own path, one fsync each) and clones them under fresh UUIDv7 ids in one transaction.
// The clones are byte-for-byte what the store would have saved for such a record.
func seedOutbox(b testing.TB, k *kiosk, n int) {
	b.Helper()
	ctx := context.Background()
	const real = 100
	for i := range real {
		if err := k.record(ctx, i); err != nil {
			b.Fatal(err)
		}
	}
	var templates []checkpoint.Record
	for _, env := range k.outbox() {
		var r checkpoint.Record
		if err := json.Unmarshal(env, &r); err != nil {
			b.Fatal(err)
		}
		templates = append(templates, r)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(k.dir, store.FileName)+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO outbox (id, kind, created_at, envelope) VALUES (?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	base := time.Now().UTC()
	for i := range n - real {
		r := templates[i%len(templates)]
		r.ID = uuid.Must(uuid.NewV7()).String()
		r.CreatedAt = base.Add(time.Duration(i) * time.Millisecond)
		env, err := json.Marshal(r)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := stmt.ExecContext(ctx, r.ID, string(r.Kind), r.CreatedAt.UnixMilli(), env); err != nil {
			b.Fatal(fmt.Errorf("seed %d: %w", i, err))
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if st := k.stats(); st.Pending != n {
		b.Fatalf("seeded %d pending; want %d", st.Pending, n)
	}
}
