package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yongji-county/checkpoint/internal/dbtest"
)

func runHQ(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = dispatch(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestDBDistribute: CI has no Citus, so this holds what the command does elsewhere: nothing on
// plain PostgreSQL (exit 0), a refusal on SQLite. The plan itself is sqldb's TestPlan.
func TestDBDistribute(t *testing.T) {
	code, out, errs := runHQ(t, "db", "distribute", "--db", "sqlite:"+filepath.Join(t.TempDir(), "hq.db"))
	if code != 1 || !strings.Contains(errs, "distribution needs PostgreSQL with the Citus extension") {
		t.Errorf("sqlite: exit %d, stdout %q, stderr %q; want 1 and the PostgreSQL/Citus message", code, out, errs)
	}
	dsn := dbtest.PostgresDSN(t)
	for range 2 { // idempotent
		code, out, errs = runHQ(t, "db", "distribute", "--db", dsn)
		if code != 0 || !strings.Contains(out, "without the citus extension: nothing to do") {
			t.Errorf("postgres: exit %d, stdout %q, stderr %q; want 0 and nothing to do", code, out, errs)
		}
	}
	if code, _, _ := runHQ(t, "db", "distribute", "--db", dsn, "extra"); code != 2 {
		t.Errorf("extra argument: exit %d; want 2", code)
	}
}

func TestDBExpire(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dsn := b.DSN(t)
			last := time.Now().UTC().AddDate(0, -1, 0).Format("2006-01")
			code, out, errs := runHQ(t, "db", "expire", "--db", dsn, "--before", last)
			if code != 0 || !strings.Contains(out, "records before "+last+": 0 partition(s) dropped, 0 row(s) deleted") {
				t.Errorf("expire: exit %d, stdout %q, stderr %q", code, out, errs)
			}
			for _, bad := range []string{"2026-13", "", time.Now().UTC().AddDate(0, 2, 0).Format("2006-01")} {
				if code, _, _ := runHQ(t, "db", "expire", "--db", dsn, "--before", bad); code != 2 {
					t.Errorf("--before %q: exit %d; want 2", bad, code)
				}
			}
			code, out, errs = runHQ(t, "db", "partitions", "--db", dsn)
			want := "SQLite keeps records in one table"
			if b.Name == "postgres" {
				want = time.Now().UTC().Format("records_2006_01") + "\t0 rows\t0 held"
			}
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("partitions: exit %d, stdout %q, stderr %q; want %q", code, out, errs, want)
			}
		})
	}
}
