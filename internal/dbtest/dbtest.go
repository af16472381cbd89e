// Package dbtest gives tests their HQ databases: a SQLite file in a temp dir, and, when
// CHECKPOINT_PG_DSN is set, a PostgreSQL schema of its own that is dropped after the test.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// Backend is one database backend to run a test against.
type Backend struct {
	Name string
	// DSN returns a fresh, empty database for t, removed when t ends. On PostgreSQL without a
	// configured server it skips t (or fails it when PostgreSQL is required).
	DSN func(t testing.TB) string
}

// Backends lists SQLite and PostgreSQL, and a Citus cluster when CHECKPOINT_CITUS_DSN names
// one's coordinator and the test package has set Distribute (package citus does).
func Backends() []Backend {
	bs := []Backend{{"sqlite", SQLiteDSN}, {"postgres", PostgresDSN}}
	if os.Getenv("CHECKPOINT_CITUS_DSN") != "" && Distribute != nil {
		bs = append(bs, Backend{"citus", CitusDSN})
	}
	return bs
}

// Distribute migrates the database dsn names and places HQ's tables on its Citus cluster
// (sqldb.Open and DB.Distribute; set by package dbtest/citus, which dbtest cannot import).
var Distribute func(ctx context.Context, dsn string) error

// CitusDSN creates a schema of its own on the Citus coordinator CHECKPOINT_CITUS_DSN names,
// migrates it and distributes its tables, and returns a DSN whose search_path is that schema.
// No CI run has Citus: these tests run where a cluster is at hand (docs/HQ.md, "Scaling out").
func CitusDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("CHECKPOINT_CITUS_DSN")
	if base == "" || Distribute == nil {
		t.Skip("Citus tests skipped: set CHECKPOINT_CITUS_DSN to a Citus coordinator")
	}
	dsn := SchemaDSN(t, base)
	if err := Distribute(context.Background(), dsn); err != nil {
		t.Fatalf("distribute on Citus: %v", err)
	}
	return dsn
}

// SQLiteDSN returns a DSN for a new SQLite file in t's temp dir.
func SQLiteDSN(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "hq.db")
}

// PGRequired reports whether a missing PostgreSQL is a failure rather than a skip.
func PGRequired() bool {
	return os.Getenv("CI") != "" || os.Getenv("CHECKPOINT_REQUIRE_PG") == "1"
}

// PostgresDSN creates a schema of its own in the database named by CHECKPOINT_PG_DSN and
// returns a DSN whose search_path is that schema; the schema is dropped when t ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("CHECKPOINT_PG_DSN")
	if base == "" {
		SkipOrFailNoPG(t)
	}
	return SchemaDSN(t, base)
}

// SkipOrFailNoPG ends t for want of PostgreSQL: a skip, or a failure where PostgreSQL is required.
func SkipOrFailNoPG(t testing.TB) {
	t.Helper()
	if PGRequired() {
		t.Fatal("CHECKPOINT_PG_DSN is not set but PostgreSQL is required (CI or CHECKPOINT_REQUIRE_PG=1); start one with scripts/pg-start.sh")
	}
	t.Skip("PostgreSQL tests skipped: set CHECKPOINT_PG_DSN (scripts/pg-start.sh prints one)")
}

// SchemaDSN creates a schema of its own in the PostgreSQL database base names and returns a DSN
// whose search_path is that schema; the schema is dropped when t ends.
func SchemaDSN(t testing.TB, base string) string {
	t.Helper()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", base, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse PostgreSQL DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
