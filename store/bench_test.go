package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// bulkFill inserts n synthetic log entries (and their synced outbox rows) spread over the 28
// days before t0, in one transaction with prepared statements: the way to get a million rows
// in seconds, not the way records are made (that is SaveCheck).
func bulkFill(tb testing.TB, db *DB, n int) {
	tb.Helper()
	ctx := context.Background()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	// A bigger page cache keeps index pages in memory for the bulk load (this connection only).
	if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil {
		tb.Fatal(err)
	}
	ob, err := tx.PrepareContext(ctx, `INSERT INTO outbox (id, kind, created_at, envelope, state, synced_at) VALUES (?, ?, ?, '{}', 1, ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	en, err := tx.PrepareContext(ctx, `INSERT INTO entries (id, kind, at, site_id, staff_id, verdict, reasons, name_masked, id_masked,
		code_status, temp_tenths, code_id, holder_id) VALUES (?, ?, ?, ?, ?, ?, '["green_code"]', ?, ?, 'green', 365, ?, ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	surnames := []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
	span := int64(28 * 24 * time.Hour / time.Millisecond)
	start := ms(t0) - span
	for i := range n {
		at := start + span*int64(i)/int64(n)
		id := fmt.Sprintf("0190%04x-%04x-7%03x-8%03x-%012x", i>>16, i&0xffff, r.IntN(4096), r.IntN(4096), r.Int64N(1<<48))
		holderN := r.IntN(n/3 + 1)
		kind, code, hash := "check", fmt.Sprintf("code-%d", holderN), fmt.Sprintf("%016x", holderN)
		if i%20 == 0 {
			kind, code, hash = "registration", "", ""
		}
		verdict := "pass"
		switch v := r.IntN(100); {
		case v < 5:
			verdict = "turn_back"
		case v < 9:
			verdict = "refer"
		case v < 10:
			verdict = "invalid"
		}
		name := string(surnames[r.IntN(len(surnames))]) + "*"
		idm := fmt.Sprintf("2202%02d********%04d", r.IntN(30), r.IntN(10000))
		if _, err := ob.ExecContext(ctx, id, kind, at, at); err != nil {
			tb.Fatal(err)
		}
		if _, err := en.ExecContext(ctx, id, kind, at, "site-"+strconv.Itoa(r.IntN(20)), "st-"+strconv.Itoa(r.IntN(200)),
			verdict, name, idm, nullString(code), nullString(hash)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, "ANALYZE"); err != nil {
		tb.Fatal(err)
	}
}

// planCases are the supervisor's log queries: a day or a week, with the filters the screen has.
func planCases() []struct {
	name string
	f    LogFilter
} {
	day := t0.Add(-24 * time.Hour)
	return []struct {
		name string
		f    LogFilter
	}{
		{"no filter, first page", LogFilter{}},
		{"today", LogFilter{From: day, To: t0}},
		{"today, page 10", LogFilter{From: day, To: t0, Offset: 500}},
		{"week, verdict", LogFilter{From: t0.Add(-7 * 24 * time.Hour), To: t0, Verdict: "turn_back"}},
		{"all time, verdict", LogFilter{Verdict: "invalid"}},
		{"today, staff", LogFilter{From: day, To: t0, StaffID: "st-7"}},
		{"all time, staff", LogFilter{StaffID: "st-7"}},
		{"week, site", LogFilter{From: t0.Add(-7 * 24 * time.Hour), To: t0, SiteID: "site-3"}},
		{"today, search", LogFilter{From: day, To: t0, Search: "王"}},
		{"today, search masked id", LogFilter{From: day, To: t0, Search: "1234"}},
	}
}

// explain returns the EXPLAIN QUERY PLAN detail lines of q.
func explain(tb testing.TB, db *DB, q string, args ...any) []string {
	tb.Helper()
	rows, err := db.r.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			tb.Fatal(err)
		}
		out = append(out, detail)
	}
	return out
}

// fullScan reports a plan line that reads a table row by row without an index.
func fullScan(plan []string) (string, bool) {
	for _, l := range plan {
		if strings.HasPrefix(l, "SCAN ") && !strings.Contains(l, " USING ") {
			return l, true
		}
	}
	return "", false
}

func checkPlans(t *testing.T, rows int) {
	db, _ := openTest(t)
	start := time.Now()
	bulkFill(t, db, rows)
	t.Logf("bulk insert of %d rows: %v", rows, time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	for _, tc := range planCases() {
		f := tc.f
		f.Limit = DefaultLogLimit
		where, args, _ := f.where()
		page, pargs, _ := logQuery(f)
		pargs = append(pargs, f.Limit, f.Offset)
		for _, q := range []struct {
			what string
			plan []string
		}{
			{"count", explain(t, db, `SELECT count(*) FROM entries e`+where, args...)},
			{"page", explain(t, db, page, pargs...)},
		} {
			if l, bad := fullScan(q.plan); bad {
				t.Errorf("%s: %s query does a full table scan (%q); plan %q", tc.name, q.what, l, q.plan)
			}
			if slices.ContainsFunc(q.plan, func(l string) bool { return strings.Contains(l, "TEMP B-TREE") }) {
				t.Errorf("%s: %s query sorts in a temp b-tree; plan %q", tc.name, q.what, q.plan)
			}
		}
		begin := time.Now()
		got, total, err := db.QueryLog(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-26s %4d rows of %7d in %v; plan %q", tc.name, len(got), total, time.Since(begin).Round(10*time.Microsecond), explain(t, db, page, pargs...))
	}
	plan := explain(t, db, lastCheckQuery, fmt.Sprintf("%016x", 5), ms(t0.Add(-time.Hour)))
	if l, bad := fullScan(plan); bad {
		t.Errorf("LastCheckOf does a full scan (%q); plan %q", l, plan)
	}
	begin := time.Now()
	if _, _, err := db.LastCheckOf(ctx, fmt.Sprintf("%016x", 5), t0.Add(-28*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	t.Logf("LastCheckOf in %v; plan %q", time.Since(begin), plan)
}

// TestLogQueryPlans checks that every supervisor log query uses an index on 20,000 rows; set
// CHECKPOINT_STORE_1M=1 to run it on a million rows (about a minute; see docs/BENCHMARKS.md).
func TestLogQueryPlans(t *testing.T) {
	rows := 20_000
	if os.Getenv("CHECKPOINT_STORE_1M") != "" {
		rows = 1_000_000
	}
	checkPlans(t, rows)
}

var bench struct {
	once gosync.Once
	dir  string
	db   *DB
	err  error
}

// millionRows opens a store filled with 1M log entries, shared by the benchmarks of one run.
func millionRows(b *testing.B) *DB {
	bench.once.Do(func() {
		bench.dir, bench.err = os.MkdirTemp("", "store-bench-")
		if bench.err != nil {
			return
		}
		bench.db, bench.err = Open(context.Background(), filepath.Join(bench.dir, FileName), Options{})
		if bench.err == nil {
			bulkFill(b, bench.db, 1_000_000)
		}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.db
}

func cleanupBench() {
	if bench.db != nil {
		bench.db.Close()
	}
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
}

// BenchmarkQueryLog1M runs the supervisor's log queries on a million entries.
func BenchmarkQueryLog1M(b *testing.B) {
	db := millionRows(b)
	ctx := context.Background()
	for _, tc := range planCases() {
		b.Run(strings.ReplaceAll(tc.name, " ", "_"), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := db.QueryLog(ctx, tc.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSaveCheck measures a durable check insert (sealing, hashing, outbox, log entry,
// fsync) and reports the p50 and p99 latency of one SaveCheck.
func BenchmarkSaveCheck(b *testing.B) {
	db, _ := openTest(b)
	keys(b, db, 0)
	ctx := context.Background()
	p := checkpoint.Personal{Name: "张三丰", ID: fullID, Phone: fullPhone}
	c := greenCheck()
	lat := make([]time.Duration, 0, 1024)
	for b.Loop() {
		start := time.Now()
		if _, err := db.SaveCheck(ctx, Meta{StaffID: "st-1"}, c, p); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	p50, p99 := percentiles(lat)
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}

// percentiles returns the 50th and 99th percentile of d (sorted in place).
func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	return d[len(d)*50/100], d[min(len(d)*99/100, len(d)-1)]
}
