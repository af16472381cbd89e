// Package sqldb is HQ's storage: one SQL schema on SQLite (modernc.org/sqlite, pure Go) or
// PostgreSQL (jackc/pgx/v5 through database/sql), also on a Citus cluster (distribute.go).
// Queries are written once with "?" placeholders and rewritten to "$n" for PostgreSQL. What
// differs on PostgreSQL: record ingest loads batches with COPY (see DB.Ingest), and records is
// partitioned by month (partitions.go, made by a Go migration).
package sqldb

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/pressly/goose/v3"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("sqldb: not found")

// TimeFormat is how times are stored: fixed-width UTC text, so that text order is time order on
// every backend.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// DB is an open HQ database.
type DB struct {
	db *sql.DB
	pg bool
	// forceStaged makes Ingest on PostgreSQL go straight to its fallback (INSERT … ON CONFLICT
	// DO NOTHING), the path it otherwise takes only when a concurrent batch stored one of its
	// ids (for tests and benchmarks).
	forceStaged bool
}

// Open opens (creating if needed) the database named by dsn — "sqlite:PATH" or
// "postgres://…" — and applies pending migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var (
		db  *sql.DB
		err error
		d   = &DB{}
	)
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, fmt.Errorf("sqldb: open: empty sqlite path")
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		db, err = sql.Open("sqlite", "file:"+path+sep+
			"_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_txlock=immediate")
		if err == nil {
			// One writer: SQLite serialises writes anyway, and a single connection keeps
			// "database is locked" out of the picture.
			db.SetMaxOpenConns(1)
		}
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		d.pg = true
		db, err = sql.Open("pgx", dsn)
		if err == nil {
			db.SetMaxOpenConns(32)
			db.SetMaxIdleConns(32)
			db.SetConnMaxIdleTime(5 * time.Minute)
		}
	default:
		return nil, fmt.Errorf("sqldb: open: DSN must start with sqlite: or postgres:// (got %q)", redact(dsn))
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: open: %w", err)
	}
	d.db = db
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqldb: open: %w", err)
	}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := d.EnsurePartitions(ctx, time.Now()); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqldb: open: %w", err)
	}
	return d, nil
}

// redact hides a password in a DSN for error messages.
func redact(dsn string) string {
	if i := strings.Index(dsn, "@"); i > 0 {
		if j := strings.Index(dsn, "://"); j > 0 && j < i {
			return dsn[:j+3] + "…" + dsn[i:]
		}
	}
	return dsn
}

func (d *DB) migrate(ctx context.Context) error {
	p, err := d.provider()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqldb: migrate: %w", err)
	}
	return nil
}

// provider is goose's migration provider for d: the embedded SQL files and goMigrations.
func (d *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqldb: migrate: %w", err)
	}
	dialect := goose.DialectSQLite3
	if d.pg {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, d.db, sub, goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(d.goMigrations()...))
	if err != nil {
		return nil, fmt.Errorf("sqldb: migrate: %w", err)
	}
	return p, nil
}

// goMigrations are the migrations that differ between SQLite and PostgreSQL, written in Go
// because goose's SQL files have no per-dialect sections: each is a no-op on the backend it
// does not concern, so both keep one version sequence.
func (d *DB) goMigrations() []*goose.Migration {
	pgOnly := func(fn func(ctx context.Context, tx *sql.Tx) error) *goose.GoFunc {
		return &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			if !d.pg {
				return nil
			}
			return fn(ctx, tx)
		}}
	}
	return []*goose.Migration{
		// 10: records partitioned by month on PostgreSQL (partitions.go).
		goose.NewGoMigration(10,
			pgOnly(func(ctx context.Context, tx *sql.Tx) error { return partitionRecords(ctx, tx, time.Now()) }),
			pgOnly(unpartitionRecords)),
		// 13: audit_log append-only by triggers (audit.go); held_decisions (heldreview.go).
		goose.NewGoMigration(13, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			if err := d.auditAppendOnlyUp(ctx, tx); err != nil {
				return err
			}
			return d.heldDecisionsUp(ctx, tx)
		}}, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			if err := d.heldDecisionsDown(ctx, tx); err != nil {
				return err
			}
			return d.auditAppendOnlyDown(ctx, tx)
		}}),
		// 14: device_status and day_counts, backfilled from records (devstatus.go, daycounts.go).
		goose.NewGoMigration(14, &goose.GoFunc{RunTx: d.deviceStatusUp}, &goose.GoFunc{RunTx: d.deviceStatusDown}),
	}
}

// Close closes the database.
func (d *DB) Close() error {
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("sqldb: close: %w", err)
	}
	return nil
}

// Backend names the backend: "sqlite" or "postgres".
func (d *DB) Backend() string {
	if d.pg {
		return "postgres"
	}
	return "sqlite"
}

// SQL returns the underlying *sql.DB, for tests and tools.
func (d *DB) SQL() *sql.DB { return d.db }

// q rewrites "?" placeholders to "$n" on PostgreSQL. Queries in this package never hold a "?"
// inside a string literal.
func (d *DB) q(query string) string {
	if !d.pg {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// tx runs fn in a transaction: BeginTx, defer Rollback, Commit. A serialization failure or
// deadlock runs fn again with jittered backoff within ctx's deadline (retry); fn must therefore
// start from scratch on every call.
func (d *DB) tx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	return d.txConn(ctx, op, false, func(_ *sql.Conn, tx *sql.Tx) error { return fn(tx) })
}

// txConn is tx for work that also needs the connection the transaction runs on (PostgreSQL's
// COPY goes through the driver connection); with pin false conn is nil.
func (d *DB) txConn(ctx context.Context, op string, pin bool, fn func(conn *sql.Conn, tx *sql.Tx) error) error {
	if err := retry(ctx, func() error { return d.tx1(ctx, pin, fn) }); err != nil {
		return fmt.Errorf("sqldb: %s: %w", op, err)
	}
	return nil
}

func (d *DB) tx1(ctx context.Context, pin bool, fn func(conn *sql.Conn, tx *sql.Tx) error) error {
	var (
		conn *sql.Conn
		tx   *sql.Tx
		err  error
	)
	if pin {
		if conn, err = d.db.Conn(ctx); err != nil {
			return fmt.Errorf("conn: %w", err)
		}
		defer conn.Close()
		tx, err = conn.BeginTx(ctx, nil)
	} else {
		tx, err = d.db.BeginTx(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(conn, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// bump increments a dataset's version inside tx.
func (d *DB) bump(ctx context.Context, tx *sql.Tx, names ...string) error {
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, d.q(`UPDATE datasets SET version = version + 1 WHERE name = ?`), n); err != nil {
			return fmt.Errorf("bump %s: %w", n, err)
		}
	}
	return nil
}

// Versions returns every dataset's current version.
func (d *DB) Versions(ctx context.Context) (map[string]int64, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT name, version FROM datasets`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: versions: %w", err)
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var n string
		var v int64
		if err := rows.Scan(&n, &v); err != nil {
			return nil, fmt.Errorf("sqldb: versions: %w", err)
		}
		m[n] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: versions: %w", err)
	}
	return m, nil
}

// Bump increments the versions of the named datasets, for changes made outside this package
// (a new settings value, a new trust list).
func (d *DB) Bump(ctx context.Context, names ...string) error {
	return d.tx(ctx, "bump", func(tx *sql.Tx) error { return d.bump(ctx, tx, names...) })
}

func ftime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeFormat)
}

func ptime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(TimeFormat, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// placeholders returns "(?,?,?),(?,?,?)…" for rows of n columns, numbered for PostgreSQL.
func (d *DB) placeholders(rows, cols, start int) string {
	var b strings.Builder
	n := start
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := 0; c < cols; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			n++
			if d.pg {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// inList returns "?,?,?" numbered from start+1, for IN (…) lists.
func (d *DB) inList(n, start int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		if d.pg {
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(start + i + 1))
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}
