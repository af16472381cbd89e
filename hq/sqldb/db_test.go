package sqldb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/internal/dbtest"
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
	for _, b := range dbtest.Backends() {
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

// BenchmarkIngest measures the storage alone: 1000 records per transaction, UUIDv7 ids as
// kiosks make them (on PostgreSQL they go to the current month's partition of records).
func BenchmarkIngest(b *testing.B) {
	body := []byte(`{"code_id":"3f9a1c2b7d4e5f60","verdict":"pass","reasons":["ok"],"temp_tenths":365,"sealed":"` + string(make([]byte, 0)) + `AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","person_hash":"9b1d4c0e2f3a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e"}`)
	for _, c := range dbtest.Backends() {
		b.Run(c.Name, func(b *testing.B) {
			d, err := Open(context.Background(), c.DSN(b))
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			benchPartitioned(b, d)
			for b.Loop() {
				recs := make([]checkpoint.Record, 1000)
				for i := range recs {
					recs[i] = checkpoint.Record{ID: uuid.Must(uuid.NewV7()).String(), Kind: checkpoint.KindCheck, DeviceID: "d", SiteID: "s",
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

// benchPartitioned fails b unless records is partitioned on PostgreSQL: the benchmarks measure
// the table as HQ runs it.
func benchPartitioned(b *testing.B, d *DB) {
	b.Helper()
	if d.Backend() != "postgres" {
		return
	}
	var kind string
	if err := d.SQL().QueryRow(`SELECT relkind::text FROM pg_class WHERE oid = 'records'::regclass`).Scan(&kind); err != nil || kind != "p" {
		b.Fatalf("records relkind = %q, %v; want p (partitioned)", kind, err)
	}
}

// BenchmarkIngestParallel is BenchmarkIngest with 8 concurrent writers (several kiosks' batches
// at once); SQLite serialises them, PostgreSQL overlaps them.
func BenchmarkIngestParallel(b *testing.B) {
	body := []byte(`{"code_id":"3f9a1c2b7d4e5f60","verdict":"pass","reasons":["ok"],"temp_tenths":365,"person_hash":"9b1d4c0e2f3a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e","sealed":"` + strings.Repeat("A", 200) + `"}`)
	for _, c := range dbtest.Backends() {
		b.Run(c.Name, func(b *testing.B) {
			d, err := Open(context.Background(), c.DSN(b))
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			benchPartitioned(b, d)
			b.SetParallelism(4) // 4 × GOMAXPROCS writers
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					recs := make([]checkpoint.Record, 1000)
					for i := range recs {
						recs[i] = checkpoint.Record{ID: uuid.Must(uuid.NewV7()).String(), Kind: checkpoint.KindCheck, DeviceID: "d", SiteID: "s",
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

// TestIngestOutcomes checks stored, duplicate and conflict answers and the stored bytes, on
// every backend and (on PostgreSQL) on both the COPY path and the staging-table path.
func TestIngestOutcomes(t *testing.T) {
	for _, b := range dbtest.Backends() {
		for _, staged := range []bool{false, true} {
			if staged && b.Name == "sqlite" {
				continue
			}
			t.Run(fmt.Sprintf("%s/staged=%v", b.Name, staged), func(t *testing.T) {
				ctx := context.Background()
				d, err := Open(ctx, b.DSN(t))
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				d.forceStaged = staged
				now := time.Date(2022, 4, 1, 8, 0, 0, 0, time.UTC)
				rec := func(id, body string) checkpoint.Record {
					return checkpoint.Record{ID: id, Kind: checkpoint.KindCheck, DeviceID: "d", SiteID: "s", StaffID: "st", CreatedAt: now, Body: []byte(body)}
				}
				got, err := d.Ingest(ctx, []checkpoint.Record{rec("b", `{"x": 1}`), rec("a", `{}`), rec("b", `{"x": 1}`), rec("b", `{"x":1}`)}, now)
				want := []string{checkpoint.ResultStored, checkpoint.ResultStored, checkpoint.ResultDuplicate, checkpoint.ResultConflict}
				if err != nil || !slices.Equal(got, want) {
					t.Fatalf("first Ingest = %v, %v; want %v", got, err, want)
				}
				got, err = d.Ingest(ctx, []checkpoint.Record{rec("c", `{}`), rec("b", `{"x": 1}`), rec("a", `{"y":2}`)}, now)
				want = []string{checkpoint.ResultStored, checkpoint.ResultDuplicate, checkpoint.ResultConflict}
				if err != nil || !slices.Equal(got, want) {
					t.Fatalf("second Ingest = %v, %v; want %v", got, err, want)
				}
				r, err := d.Record(ctx, "b")
				if err != nil || string(r.Body) != `{"x": 1}` || !r.CreatedAt.Equal(now) || r.StaffID != "st" {
					t.Fatalf("Record(b) = %+v, %v", r, err)
				}
			})
		}
	}
}

// TestIngestConcurrentOverlap has writers store overlapping batches at once: every id must be
// stored exactly once and every other answer be duplicate (on PostgreSQL this drives the COPY
// path into its unique-violation fallback).
func TestIngestConcurrentOverlap(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			d, err := Open(ctx, b.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			now := time.Now()
			const writers, rounds, size = 4, 10, 50
			var stored atomic.Int64
			errs := make(chan error, writers)
			for w := range writers {
				go func() {
					for r := range rounds {
						recs := make([]checkpoint.Record, size)
						for i := range recs {
							// Writers share ids; each writer sends them in a different order.
							id := fmt.Sprintf("r%02d-%03d", r, (i*(w+1))%size)
							recs[i] = checkpoint.Record{ID: id, Kind: checkpoint.KindCheck, DeviceID: "d", SiteID: "s", StaffID: "st", CreatedAt: now, Body: []byte(`{}`)}
						}
						out, err := d.Ingest(ctx, recs, now)
						if err != nil {
							errs <- err
							return
						}
						for _, o := range out {
							switch o {
							case checkpoint.ResultStored:
								stored.Add(1)
							case checkpoint.ResultDuplicate:
							default:
								errs <- fmt.Errorf("outcome %q", o)
								return
							}
						}
					}
					errs <- nil
				}()
			}
			for range writers {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			// Writer w sends ids (i*(w+1)) mod size, so the union over writers is every id.
			if got := stored.Load(); got != rounds*size {
				t.Fatalf("stored %d records; want %d", got, rounds*size)
			}
		})
	}
}

// Enrollment continuity and retries, on every backend: a proof made with the old secret makes
// the new device its successor (and revokes the old one); a wrong proof spends nothing; the same
// code and name within the window get the same credential, another name or a later try do not.
func TestEnrollContinuityAndRetry(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			d, err := Open(ctx, b.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			now := time.Now()
			if err := d.PutSite(ctx, checkpoint.Site{ID: "s", Name: "n", Address: "a", Contact: "c", Phone: "1", UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
			code, _ := d.CreateEnrollCode(ctx, "s", time.Hour, now)
			first, err := d.Enroll(ctx, code, "k", now)
			if err != nil {
				t.Fatal(err)
			}
			code2, _ := d.CreateEnrollCode(ctx, "s", time.Hour, now)
			if _, err := d.EnrollDevice(ctx, Enrollment{Code: code2, Name: "k", Replaces: first.DeviceID, Proof: "forged", Now: now}); !errors.Is(err, ErrBadProof) {
				t.Fatalf("forged proof: %v; want ErrBadProof", err)
			}
			e := Enrollment{Code: code2, Name: "k", Replaces: first.DeviceID, Proof: checkpoint.ContinuityProof(first.DeviceID, first.Secret, code2), Now: now}
			second, err := d.EnrollDevice(ctx, e)
			if err != nil || second.Replaces != first.DeviceID {
				t.Fatalf("enroll with proof = %+v, %v; want replaces %s", second, err, first.DeviceID)
			}
			again, err := d.EnrollDevice(ctx, Enrollment{Code: code2, Name: "k", Replaces: e.Replaces, Proof: e.Proof, Now: now.Add(time.Minute)})
			if err != nil || again.DeviceID != second.DeviceID || again.Secret != second.Secret {
				t.Errorf("retry = %+v, %v; want the same credential", again, err)
			}
			if _, err := d.EnrollDevice(ctx, Enrollment{Code: code2, Name: "other", Now: now.Add(time.Minute)}); !errors.Is(err, ErrBadCode) {
				t.Errorf("retry under another name: %v; want ErrBadCode", err)
			}
			if _, err := d.EnrollDevice(ctx, Enrollment{Code: code2, Name: "k", Now: now.Add(checkpoint.EnrollRetryWindow + time.Minute)}); !errors.Is(err, ErrBadCode) {
				t.Errorf("retry after the window: %v; want ErrBadCode", err)
			}
			var sealed string
			if err := d.SQL().QueryRowContext(ctx, d.q(`SELECT answer FROM enroll_codes WHERE device_id = ?`), second.DeviceID).Scan(&sealed); err != nil || sealed != "" {
				t.Errorf("sealed answer after the window = %q, %v; want wiped", sealed, err)
			}
			dv, err := d.Device(ctx, second.DeviceID)
			if err != nil {
				t.Fatal(err)
			}
			dv, err = d.WithPredecessors(ctx, dv)
			if err != nil {
				t.Fatal(err)
			}
			if p, ok := dv.Made(first.DeviceID); !ok || !p.Revoked || p.SiteID != "s" {
				t.Errorf("Made(predecessor) = %+v, %v; want the revoked old device", p, ok)
			}
			if _, ok := dv.Made("dev-other"); ok {
				t.Errorf("Made(another device) = true")
			}
			devs, _ := d.Devices(ctx)
			for _, x := range devs {
				if x.ID == first.DeviceID && x.ReplacedBy != second.DeviceID {
					t.Errorf("old device ReplacedBy = %q; want %q", x.ReplacedBy, second.DeviceID)
				}
			}
		})
	}
}
