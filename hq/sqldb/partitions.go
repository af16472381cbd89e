package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Records by month (PostgreSQL). Record ids are UUIDv7, made on the kiosk: their first 48 bits
// are the Unix time in milliseconds, so in their canonical text form they sort by time. On
// PostgreSQL records is range-partitioned by id itself, one partition per month:
//
//	records_2026_12 FOR VALUES FROM ('019ad7a5-2800-0000-0000-000000000000') TO ('019b…')
//
// plus records_default for everything else: ids from a kiosk whose clock was far off (before
// the oldest or after the newest partition), and ids that are not UUIDv7 at all. The primary
// key stays (id), so a duplicate id always meets its twin in the same partition, and expiry
// is dropping a month's partition instead of deleting its rows. SQLite keeps one table.

// PartitionsAhead is how many months after the current one HQ keeps a partition ready for.
const PartitionsAhead = 2

// partitionsBack bounds how many months before now the conversion of an existing records
// table makes partitions for; older rows go to records_default.
const partitionsBack = 36

// defaultPartition holds the records whose id falls in no month's partition.
const defaultPartition = "records_default"

var partitionName = regexp.MustCompile(`^records_([0-9]{4})_([0-9]{2})$`)

// monthStart is the first instant of t's month, UTC.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// uuidBound is the smallest canonical UUIDv7 text made at t (to the millisecond): every
// UUIDv7 made at t or later sorts at or after it, every one made before sorts before it.
func uuidBound(t time.Time) string {
	ms := uint64(t.UnixMilli())
	return fmt.Sprintf("%08x-%04x-0000-0000-000000000000", ms>>16, ms&0xffff)
}

// uuidTime returns the time a canonical UUIDv7 text was made at.
func uuidTime(id string) (time.Time, bool) {
	if len(id) < 14 || id[8] != '-' || id[13] != '-' {
		return time.Time{}, false
	}
	ms, err := strconv.ParseUint(id[:8]+id[9:13], 16, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(ms)).UTC(), true
}

// monthPartition names the partition of the month starting at m.
func monthPartition(m time.Time) string {
	return fmt.Sprintf("records_%04d_%02d", m.Year(), int(m.Month()))
}

// Partition is one partition of records.
type Partition struct {
	Name  string    `json:"name"`
	Month time.Time `json:"month,omitzero"` // zero for records_default
	Rows  int64     `json:"rows"`
	Held  int64     `json:"held"`
}

// Partitions lists the partitions of records, oldest month first and records_default last,
// with their row counts (PostgreSQL; nil on SQLite).
func (d *DB) Partitions(ctx context.Context) ([]Partition, error) {
	if !d.pg {
		return nil, nil
	}
	names, err := partitions(ctx, d.db)
	if err != nil {
		return nil, fmt.Errorf("sqldb: partitions: %w", err)
	}
	out := make([]Partition, 0, len(names))
	for _, n := range names {
		p := Partition{Name: n}
		if m, ok := partitionMonth(n); ok {
			p.Month = m
		}
		if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE held <> '') FROM `+n).Scan(&p.Rows, &p.Held); err != nil {
			return nil, fmt.Errorf("sqldb: partitions: %s: %w", n, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func partitionMonth(name string) (time.Time, bool) {
	m := partitionName.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, false
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	return time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC), true
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// partitions returns the names of records' partitions, months in order, the default last.
func partitions(ctx context.Context, q querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'records'::regclass ORDER BY c.relname`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var months, other []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if partitionName.MatchString(n) {
			months = append(months, n)
		} else {
			other = append(other, n)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return append(months, other...), nil
}

// EnsurePartitions makes sure records has a partition for every month from now's to
// PartitionsAhead months later, and returns the names of those it created (PostgreSQL; nothing
// to do on SQLite). Open runs it, and a serving HQ runs it daily.
func (d *DB) EnsurePartitions(ctx context.Context, now time.Time) ([]string, error) {
	if !d.pg {
		return nil, nil
	}
	var made []string
	m := monthStart(now)
	for range PartitionsAhead + 1 {
		var created bool
		err := d.tx(ctx, "ensure partitions", func(tx *sql.Tx) error {
			var err error
			created, err = ensurePartition(ctx, tx, m)
			return err
		})
		if err != nil {
			// Another HQ instance may have made it at the same moment.
			if ok, err2 := d.hasPartition(ctx, monthPartition(m)); err2 == nil && ok {
				m = m.AddDate(0, 1, 0)
				continue
			}
			return made, err
		}
		if created {
			made = append(made, monthPartition(m))
		}
		m = m.AddDate(0, 1, 0)
	}
	return made, nil
}

func (d *DB) hasPartition(ctx context.Context, name string) (bool, error) {
	names, err := partitions(ctx, d.db)
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if n == name {
			return true, nil
		}
	}
	return false, nil
}

// ensurePartition creates the partition of the month starting at m inside tx unless it
// exists. Rows of that month already in records_default (from a kiosk whose clock ran ahead)
// move into it: the new partition is made as a table of its own, filled from the default
// partition and then attached, since PostgreSQL refuses a partition whose rows the default
// partition holds.
func ensurePartition(ctx context.Context, tx *sql.Tx, m time.Time) (bool, error) {
	name := monthPartition(m)
	names, err := partitions(ctx, tx)
	if err != nil {
		return false, fmt.Errorf("list partitions: %w", err)
	}
	for _, n := range names {
		if n == name {
			return false, nil
		}
	}
	lo, hi := uuidBound(m), uuidBound(m.AddDate(0, 1, 0))
	bounds := fmt.Sprintf("FOR VALUES FROM ('%s') TO ('%s')", lo, hi)
	var stray bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+defaultPartition+` WHERE id >= $1 AND id < $2)`, lo, hi).Scan(&stray); err != nil {
		return false, fmt.Errorf("partition %s: %w", name, err)
	}
	stmts := []string{`CREATE TABLE ` + name + ` PARTITION OF records ` + bounds}
	if stray {
		stmts = []string{
			`CREATE TABLE ` + name + ` (LIKE records INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
			`INSERT INTO ` + name + ` SELECT * FROM ` + defaultPartition + ` WHERE id >= '` + lo + `' AND id < '` + hi + `'`,
			`DELETE FROM ` + defaultPartition + ` WHERE id >= '` + lo + `' AND id < '` + hi + `'`,
			`ALTER TABLE records ATTACH PARTITION ` + name + ` ` + bounds,
		}
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return false, fmt.Errorf("partition %s: %w", name, err)
		}
	}
	return true, nil
}

// partitionRecords is migration 10 on PostgreSQL: it turns an existing records table into the
// partitioned one, keeping its columns, defaults and indexes (whatever earlier migrations
// made), with a partition for every month its UUIDv7 ids span (at most partitionsBack months
// before now) up to PartitionsAhead months after now, and moves the rows. On a large table
// this copies every row once: plan the upgrade's downtime.
func partitionRecords(ctx context.Context, tx *sql.Tx, now time.Time) error {
	var indexes []string // CREATE INDEX statements of the indexes no constraint owns
	rows, err := tx.QueryContext(ctx, `SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
		WHERE i.indrelid = 'records'::regclass
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY i.indexrelid`)
	if err != nil {
		return fmt.Errorf("partition records: indexes: %w", err)
	}
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			rows.Close()
			return fmt.Errorf("partition records: indexes: %w", err)
		}
		indexes = append(indexes, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("partition records: indexes: %w", err)
	}
	var idx []string
	rows, err = tx.QueryContext(ctx, `SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'records'::regclass`)
	if err != nil {
		return fmt.Errorf("partition records: %w", err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("partition records: %w", err)
		}
		idx = append(idx, n)
	}
	rows.Close()
	stmts := []string{`ALTER TABLE records RENAME TO records_unpartitioned`}
	for _, n := range idx {
		stmts = append(stmts, `ALTER INDEX `+n+` RENAME TO `+n+`_unpartitioned`)
	}
	stmts = append(stmts,
		`CREATE TABLE records (LIKE records_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY (id)) PARTITION BY RANGE (id)`,
		`CREATE TABLE `+defaultPartition+` PARTITION OF records DEFAULT`)
	// The saved definitions name the table schema-qualified as records: now the new one.
	stmts = append(stmts, indexes...)
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("partition records: %w", err)
		}
	}
	first, last := monthStart(now), monthStart(now).AddDate(0, PartitionsAhead, 0)
	var lo, hi sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT min(id), max(id) FROM records_unpartitioned
		WHERE id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'`).Scan(&lo, &hi); err != nil {
		return fmt.Errorf("partition records: id range: %w", err)
	}
	if t, ok := uuidTime(lo.String); ok && lo.Valid {
		first = maxTime(minTime(first, monthStart(t)), monthStart(now).AddDate(0, -partitionsBack, 0))
	}
	if t, ok := uuidTime(hi.String); ok && hi.Valid {
		last = minTime(maxTime(last, monthStart(t)), monthStart(now).AddDate(0, PartitionsAhead+12, 0))
	}
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		if _, err := ensurePartition(ctx, tx, m); err != nil {
			return fmt.Errorf("partition records: %w", err)
		}
	}
	for _, s := range []string{
		`INSERT INTO records SELECT * FROM records_unpartitioned`,
		`DROP TABLE records_unpartitioned`,
	} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("partition records: %w", err)
		}
	}
	return nil
}

// unpartitionRecords undoes partitionRecords (migration 10 down).
func unpartitionRecords(ctx context.Context, tx *sql.Tx) error {
	for _, s := range []string{
		`ALTER TABLE records RENAME TO records_partitioned`,
		`CREATE TABLE records (LIKE records_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`,
		`INSERT INTO records SELECT * FROM records_partitioned`,
		`DROP TABLE records_partitioned CASCADE`,
	} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("unpartition records: %w", err)
		}
	}
	return nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Expiry is what ExpireRecords did.
type Expiry struct {
	// Dropped names the monthly partitions dropped (PostgreSQL).
	Dropped []string `json:"dropped"`
	// Deleted counts the rows deleted one by one: on SQLite all of them; on PostgreSQL those of
	// records_default (ids from a kiosk whose clock was behind).
	Deleted int64 `json:"deleted"`
	// KeptHeld counts the held records past retention that are kept: an operator has not
	// decided on them yet.
	KeptHeld int64 `json:"kept_held"`
	// MovedHeld counts the held records that moved from a dropped month's partition to
	// records_default (PostgreSQL), where they stay until they are no longer held.
	MovedHeld int64 `json:"moved_held"`
}

// ExpireRecords removes the records made before the month starting at before (by their
// UUIDv7 id's time; HQ's retention, PIPL): on PostgreSQL it drops every monthly partition
// that ends by then and deletes such rows from records_default; on SQLite it deletes them.
// Held records are never removed: they are kept (and counted) until an operator has dealt with
// them, and then go with the next expiry.
func (d *DB) ExpireRecords(ctx context.Context, before time.Time) (Expiry, error) {
	var e Expiry
	bound := uuidBound(monthStart(before))
	if !d.pg {
		err := d.tx(ctx, "expire records", func(tx *sql.Tx) error {
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM records WHERE id < ? AND held <> ''`, bound).Scan(&e.KeptHeld); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM records WHERE id < ? AND held = ''`, bound)
			if err != nil {
				return err
			}
			e.Deleted, err = res.RowsAffected()
			return err
		})
		return e, err
	}
	names, err := partitions(ctx, d.db)
	if err != nil {
		return e, fmt.Errorf("sqldb: expire records: %w", err)
	}
	for _, n := range names {
		m, ok := partitionMonth(n)
		if !ok || m.AddDate(0, 1, 0).After(monthStart(before)) {
			continue
		}
		err := d.tx(ctx, "expire records", func(tx *sql.Tx) error {
			// Detached, the month's range belongs to no partition, so its held rows go to
			// records_default when inserted back through the parent.
			if _, err := tx.ExecContext(ctx, `ALTER TABLE records DETACH PARTITION `+n); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO records SELECT * FROM `+n+` WHERE held <> ''`)
			if err != nil {
				return err
			}
			kept, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DROP TABLE `+n); err != nil {
				return err
			}
			e.MovedHeld += kept
			return nil
		})
		if err != nil {
			return e, err
		}
		e.Dropped = append(e.Dropped, n)
	}
	err = d.tx(ctx, "expire records", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM `+defaultPartition+` WHERE id < $1 AND held = ''`, bound)
		if err != nil {
			return err
		}
		if e.Deleted, err = res.RowsAffected(); err != nil {
			return err
		}
		var kept int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+defaultPartition+` WHERE id < $1`, bound).Scan(&kept); err != nil {
			return err
		}
		e.KeptHeld = kept // every held row past retention is in records_default by now
		return nil
	})
	return e, err
}
