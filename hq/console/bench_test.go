package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/internal/dbtest"
)

// BenchmarkOverview measures 总览 at 500 kiosks over 50 sites and CHECKPOINT_BENCH_RECORDS
// records (default 200 000; `make bench` runs 1 000 000) on SQLite and, when CHECKPOINT_PG_DSN
// is set, on PostgreSQL. The records go in through the storage layer's real ingest (DB.Ingest,
// batches of 1000), so the day counters are what ingest leaves; every kiosk has reported its
// status on a config pull. "render" is a full uncached GET /admin/ through the console's
// handler with an operator's session (p50_ms, p95_ms); "json" the same for overview.json;
// "compute" computeOverview alone.
func BenchmarkOverview(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("CHECKPOINT_BENCH_RECORDS")); err == nil && v > 0 {
		n = v
	}
	for _, be := range dbtest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			if be.Name == "postgres" && os.Getenv("CHECKPOINT_PG_DSN") == "" {
				b.Skip("PostgreSQL skipped: set CHECKPOINT_PG_DSN")
			}
			benchOverview(b, be.DSN(b), n)
		})
	}
}

func benchOverview(b *testing.B, dsn string, n int) {
	const kiosks, sites = 500, 50
	ctx := context.Background()
	var skew atomic.Int64 // the console's clock runs ahead of the real one, for fresh TOTP codes
	now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	root, _ := checkpoint.GenerateRootKey()
	core, err := hq.New(hq.Config{DSN: dsn, RootKey: root, Now: now})
	if err != nil {
		b.Fatal(err)
	}
	defer core.Close()
	db := core.DB()
	start := time.Now()
	t0 := now().UTC()
	for i := range sites {
		s := checkpoint.Site{ID: fmt.Sprintf("s%02d", i), Name: fmt.Sprintf("永吉县第%d检查站", i+1), Address: "x", Contact: "c", Phone: "1", Active: true, UpdatedAt: t0}
		if err := db.PutSite(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	ph := "?,?,?,?,?,0"
	if db.Backend() == "postgres" {
		ph = "$1,$2,$3,$4,$5,0"
	}
	for i := range kiosks {
		if _, err := tx.ExecContext(ctx, `INSERT INTO devices (id, name, site_id, secret_hash, created_at, revoked) VALUES (`+ph+`)`,
			fmt.Sprintf("dev-%04d", i), fmt.Sprintf("%d号终端", i+1), fmt.Sprintf("s%02d", i%sites), "h", t0.Format(sqldb.TimeFormat)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	for i := range kiosks {
		st := sqldb.DeviceStatus{DeviceID: fmt.Sprintf("dev-%04d", i), SeenAt: t0.Add(-time.Duration(i) * 3 * time.Second), Pending: int64(i % 7),
			Quarantined: int64(i % 3 / 2), Refused: int64(i % 100 / 99), Refusal: "bad_signature", AppVersion: "1.4.0", RiskHave: 0, RiskSent: -1}
		if err := db.PutDeviceStatus(ctx, st); err != nil {
			b.Fatal(err)
		}
	}
	// n records over the last day, from every kiosk in turn; every 20th turned back, every 25th
	// referred with a fever.
	today := t0.In(checkpoint.ChinaTime).Format(sqldb.DayFormat)
	var checksToday int64
	batch := make([]checkpoint.Record, 0, 1000)
	for i := range n {
		at := t0.Add(-time.Duration(n-i) * (24 * time.Hour / time.Duration(n)))
		body := `{"verdict":"pass","reasons":[],"temp_tenths":365,"online":true,"scanned_at":"2026-12-01T02:00:00Z","confirmed_at":"2026-12-01T02:00:05Z"}`
		switch {
		case i%25 == 0:
			body = `{"verdict":"refer","reasons":["fever"],"temp_tenths":385,"online":true,"scanned_at":"2026-12-01T02:00:00Z","confirmed_at":"2026-12-01T02:00:05Z"}`
		case i%20 == 0:
			body = `{"verdict":"turn_back","reasons":["household_high_risk"],"online":true,"scanned_at":"2026-12-01T02:00:00Z","confirmed_at":"2026-12-01T02:00:05Z"}`
		}
		k := i % kiosks
		batch = append(batch, checkpoint.Record{ID: dbtest.UUIDv7At(at), Kind: checkpoint.KindCheck, DeviceID: fmt.Sprintf("dev-%04d", k),
			SiteID: fmt.Sprintf("s%02d", k%sites), StaffID: "st", CreatedAt: at, Body: json.RawMessage(body)})
		if at.In(checkpoint.ChinaTime).Format(sqldb.DayFormat) == today {
			checksToday++
		}
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := db.Ingest(ctx, batch, at); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.Logf("%s: %d records ingested in %v", db.Backend(), n, time.Since(start).Round(time.Second))
	if db.Backend() == "postgres" {
		// What autovacuum does on a running HQ soon after a load like this one: without table
		// statistics the first plans of the held count go through every partition's rows.
		if _, err := db.SQL().ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
	h, err := newHandler(Config{Core: core, Now: now})
	if err != nil {
		b.Fatal(err)
	}
	cookie := benchSession(b, h, &skew)
	mux := h.routes()
	o, err := h.computeOverview(ctx)
	if err != nil || o.Kiosks != kiosks || o.Checks != int64(n) || o.ChecksToday != checksToday || len(o.Sites) != sites ||
		o.TurnedBackToday == 0 || o.FeversToday == 0 {
		b.Fatalf("overview: kiosks %d, checks %d (want %d), today %d (want %d), sites %d, %v", o.Kiosks, o.Checks, n, o.ChecksToday, checksToday, len(o.Sites), err)
	}
	get := func(b *testing.B, path, want string) {
		var took []time.Duration
		warm := httptest.NewRequest(http.MethodGet, path, nil) // one untimed request warms the templates and pools
		warm.AddCookie(cookie)
		mux.ServeHTTP(httptest.NewRecorder(), warm)
		for b.Loop() {
			h.ovMu.Lock()
			h.ovAt = time.Time{} // uncached: every request computes 总览
			h.ovMu.Unlock()
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.AddCookie(cookie)
			w := httptest.NewRecorder()
			t := time.Now()
			mux.ServeHTTP(w, req)
			took = append(took, time.Since(t))
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), want) {
				b.Fatalf("GET %s: %d", path, w.Code)
			}
		}
		slices.Sort(took)
		q := func(p float64) float64 {
			return float64(took[min(len(took)-1, int(p*float64(len(took))))].Microseconds()) / 1000
		}
		b.ReportMetric(q(0.50), "p50_ms")
		b.ReportMetric(q(0.95), "p95_ms")
	}
	b.Run("render", func(b *testing.B) { get(b, "/admin/", fmt.Sprintf(`data-k="checks">%d<`, n)) })
	b.Run("json", func(b *testing.B) { get(b, "/admin/overview.json", fmt.Sprintf(`"checks":%d`, n)) })
	b.Run("compute", func(b *testing.B) {
		for b.Loop() {
			if o, err := h.computeOverview(ctx); err != nil || o.Checks != int64(n) {
				b.Fatalf("overview %d, %v", o.Checks, err)
			}
		}
	})
}

// benchSession sets up a viewer operator (password and authenticator) and logs it in, through
// the console's own account functions; it returns the session cookie.
func benchSession(b *testing.B, h *handler, skew *atomic.Int64) *http.Cookie {
	ctx := context.Background()
	tok, err := AddOperator(ctx, h.db, "bench", RoleViewer, h.cfg.Now())
	if err != nil {
		b.Fatal(err)
	}
	s, err := h.acc.setupFor(ctx, tok)
	if err != nil {
		b.Fatal(err)
	}
	code, _ := totp.GenerateCode(s.Secret, h.cfg.Now())
	if _, err := h.acc.finishSetup(ctx, tok, "correct horse battery", code); err != nil {
		b.Fatal(err)
	}
	skew.Add(int64(time.Minute)) // the next code
	code, _ = totp.GenerateCode(s.Secret, h.cfg.Now())
	sess, err := h.acc.login(ctx, "bench", "correct horse battery", code, "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	return &http.Cookie{Name: h.cookie, Value: sess.Token}
}
