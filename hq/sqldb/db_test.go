package sqldb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/internal/hqtest"
)

func TestRebind(t *testing.T) {
	pg := &DB{pg: true}
	for _, c := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
	} {
		if got := pg.q(c.in); got != c.want {
			t.Errorf("q(%q) = %q; want %q", c.in, got, c.want)
		}
		if got := (&DB{}).q(c.in); got != c.in {
			t.Errorf("sqlite q(%q) = %q", c.in, got)
		}
	}
	if got := pg.placeholders(2, 2, 0); got != "($1,$2),($3,$4)" {
		t.Errorf("placeholders = %q", got)
	}
	if got := pg.inList(3, 0); got != "$1,$2,$3" {
		t.Errorf("inList = %q", got)
	}
}

func TestOpenBadDSN(t *testing.T) {
	for _, dsn := range []string{"", "mysql://x", "sqlite:", "postgres://u:secretpw@127.0.0.1:1/x?connect_timeout=1"} {
		_, err := Open(context.Background(), dsn)
		if err == nil {
			t.Errorf("Open(%q) succeeded", dsn)
		} else if contains(err.Error(), "secretpw") {
			t.Errorf("Open error leaks the password: %v", err)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestReopenAndEnroll(t *testing.T) {
	for _, b := range hqtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dsn := b.DSN(t)
			ctx := context.Background()
			now := time.Now()
			for i := range 2 { // the second Open finds the schema in place
				d, err := Open(ctx, dsn)
				if err != nil {
					t.Fatalf("open %d: %v", i, err)
				}
				if i == 0 {
					if err := d.PutSite(ctx, checkpoint.Site{ID: "s", Name: "n", Address: "a", Contact: "c", Phone: "1", UpdatedAt: now}); err != nil {
						t.Fatal(err)
					}
				}
				code, err := d.CreateEnrollCode(ctx, "s", time.Minute, now)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := d.Enroll(ctx, code, "k", now.Add(2*time.Minute)); !errors.Is(err, ErrBadCode) {
					t.Fatalf("expired code: %v", err)
				}
				code, _ = d.CreateEnrollCode(ctx, "s", time.Minute, now)
				r, err := d.Enroll(ctx, code, "k", now)
				if err != nil {
					t.Fatal(err)
				}
				dev, err := d.Device(ctx, r.DeviceID)
				if err != nil || !dev.CheckSecret(r.Secret) || dev.CheckSecret(r.Secret+"x") || dev.SecretHash == r.Secret {
					t.Fatalf("device %+v, %v", dev, err)
				}
				d.Close()
			}
		})
	}
}

// BenchmarkIngest measures the storage alone: 1000 records per transaction.
func BenchmarkIngest(b *testing.B) {
	body := []byte(`{"code_id":"3f9a1c2b7d4e5f60","verdict":"pass","reasons":["ok"],"temp_tenths":365,"sealed":"` + string(make([]byte, 0)) + `AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","person_hash":"9b1d4c0e2f3a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e"}`)
	for _, c := range hqtest.Backends() {
		b.Run(c.Name, func(b *testing.B) {
			d, err := Open(context.Background(), c.DSN(b))
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			n := 0
			for b.Loop() {
				recs := make([]checkpoint.Record, 1000)
				for i := range recs {
					n++
					recs[i] = checkpoint.Record{ID: fmt.Sprintf("rec-%012d", n), Kind: checkpoint.KindCheck, DeviceID: "d", SiteID: "s",
						StaffID: "st", CreatedAt: time.Now(), Body: body}
				}
				if _, err := d.Ingest(context.Background(), recs, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkIngestParallel is BenchmarkIngest with 8 concurrent writers (several kiosks' batches
// at once); SQLite serialises them, PostgreSQL overlaps them.
func BenchmarkIngestParallel(b *testing.B) {
	body := []byte(`{"code_id":"3f9a1c2b7d4e5f60","verdict":"pass","reasons":["ok"],"temp_tenths":365,"person_hash":"9b1d4c0e2f3a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e","sealed":"` + strings.Repeat("A", 200) + `"}`)
	for _, c := range hqtest.Backends() {
		b.Run(c.Name, func(b *testing.B) {
			d, err := Open(context.Background(), c.DSN(b))
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			var n atomic.Int64
			b.SetParallelism(4) // 4 × GOMAXPROCS writers
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					recs := make([]checkpoint.Record, 1000)
					for i := range recs {
						recs[i] = checkpoint.Record{ID: fmt.Sprintf("rec-%012d", n.Add(1)), Kind: checkpoint.KindCheck, DeviceID: "d", SiteID: "s",
							StaffID: "st", CreatedAt: time.Now(), Body: body}
					}
					if _, err := d.Ingest(context.Background(), recs, time.Now()); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
