// Package store is the kiosk's SQLite store: the records staff make (checks, assisted
// registrations, site edits, staff adds, staff events), the outbox that carries them to HQ, the
// configuration datasets pulled from HQ, the device credential and the sync state.
//
// One file holds everything (DIR/kiosk.db). Writes go through a single connection in
// "BEGIN IMMEDIATE" transactions with synchronous=FULL, so a record is on disk when its Save
// method returns; reads use a separate pool and see a consistent WAL snapshot. Every record
// enters the outbox in the same transaction that stores it, as the exact bytes HQ will get.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the database file inside a kiosk data directory.
const FileName = "kiosk.db"

// Errors callers test with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrInvalid     = errors.New("invalid input")
	ErrNotEnrolled = errors.New("device not enrolled")
	ErrStale       = errors.New("dataset older than the one held")
	ErrNoStaffSalt = errors.New("no staff salt in settings (never synced)")
	ErrNoSealKey   = errors.New("no HQ seal key in settings (never synced)")
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune Open. The zero value is ready to use.
type Options struct {
	Now       func() time.Time // clock for record times and retention; time.Now when nil
	Logger    *slog.Logger     // discarded when nil
	ReadConns int              // size of the read pool; 4 when zero
}

// DB is the kiosk store. It is safe for concurrent use.
type DB struct {
	w    *sql.DB // the one writer
	r    *sql.DB // read pool
	path string
	now  func() time.Time
	log  *slog.Logger
}

// Open opens (creating if needed) the database file at path and applies pending migrations.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = 4
	}
	// Create the file ourselves so it is 0600 (SQLite gives its -wal and -shm files the same mode).
	if f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	r.SetMaxOpenConns(opts.ReadConns)
	r.SetMaxIdleConns(opts.ReadConns)
	return &DB{w: w, r: r, path: path, now: opts.Now, log: opts.Logger}, nil
}

// OpenDir opens DIR/kiosk.db, creating DIR with mode 0700 if it does not exist. The kiosk UI,
// "kiosk sync", "kiosk export" and "kiosk simulate" all use it, so they share one layout.
// At most one Options value is used.
func OpenDir(ctx context.Context, dir string, opts ...Options) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: open dir: %w", err)
	}
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	return Open(ctx, filepath.Join(dir, FileName), o)
}

// dsn builds the modernc.org/sqlite data source name. The writer takes the write lock when a
// transaction begins (BEGIN IMMEDIATE), so two writers never deadlock upgrading a read lock;
// readers use deferred transactions and may not write at all.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
		q.Set("_txlock", "deferred")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		// Deleted rows (purged records, replaced datasets) are overwritten with zeros rather than
		// left readable in free pages of a stolen kiosk's file.
		q.Add("_pragma", "secure_delete(1)")
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// migrate applies the embedded migrations in order, each in its own transaction.
func migrate(ctx context.Context, w *sql.DB) error {
	fsys, err := subFS()
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, w, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

func subFS() (fs.FS, error) { return fs.Sub(migrations, "migrations") }

// Close runs SQLite's optimizer (keeps index statistics fresh) and closes both pools.
func (db *DB) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, optErr := db.w.ExecContext(ctx, "PRAGMA optimize")
	return errors.Join(optErr, db.r.Close(), db.w.Close())
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// IntegrityCheck runs PRAGMA integrity_check and returns nil when SQLite answers "ok".
func (db *DB) IntegrityCheck(ctx context.Context) error {
	rows, err := db.r.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("store: integrity check: %w", err)
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("store: integrity check: %w", err)
		}
		msgs = append(msgs, s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: integrity check: %w", err)
	}
	if len(msgs) == 1 && msgs[0] == "ok" {
		return nil
	}
	return fmt.Errorf("store: integrity check: %q", msgs)
}

// ms converts a time to the stored form, unix milliseconds; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS is the inverse of ms.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
