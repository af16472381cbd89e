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

// Backends lists SQLite and PostgreSQL.
func Backends() []Backend {
	return []Backend{{"sqlite", SQLiteDSN}, {"postgres", PostgresDSN}}
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
