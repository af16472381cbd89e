package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"regexp"
	"sync/atomic"
	"time"
)

// AuditEntry is one change made through the console or the admin API. Operator is the
// operator's name, or "admin-token" for the admin API; Before and After are JSON ("" for
// none); ClientAddr is the operator's address as HQ saw it (operators are staff, not
// citizens).
type AuditEntry struct {
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	Operator   string    `json:"operator"`
	Role       string    `json:"role"`
	Action     string    `json:"action"`
	Object     string    `json:"object"`
	Before     string    `json:"before"`
	After      string    `json:"after"`
	ClientAddr string    `json:"client_addr"`
}

// Audit field limits: longer values are cut (JSON then no longer parses, which the page shows
// as text).
const (
	maxAuditField = 200
	maxAuditJSON  = 64 << 10
)

// digitRun is a run of digits, possibly ending in the ID number's check character X.
var digitRun = regexp.MustCompile(`[0-9]+[Xx]?`)

// MaskPersonal hides what looks like a citizen's phone number (11 digits starting with 1: the
// middle four) or resident ID number (17 digits and a check character: the eight birth-date
// digits) in s, as the codes and the staff pages show them. Other digit runs stay.
func MaskPersonal(s string) string {
	return digitRun.ReplaceAllStringFunc(s, func(r string) string {
		switch {
		case len(r) == 18:
			return r[:6] + "********" + r[14:]
		case len(r) == 11 && r[0] == '1' && r[10] != 'X' && r[10] != 'x':
			return r[:3] + "****" + r[7:]
		}
		return r
	})
}

// lastAuditNanos keeps this process's audit ids increasing even when the clock stands still or
// steps back, so entries written one after another list in that order.
var lastAuditNanos atomic.Int64

func auditNanos(at time.Time) int64 {
	n := at.UnixNano()
	for {
		last := lastAuditNanos.Load()
		if n <= last {
			n = last + 1
		}
		if lastAuditNanos.CompareAndSwap(last, n) {
			return n
		}
		n = at.UnixNano()
	}
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a UTF-8 boundary.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// AppendAudit adds e to the audit log (the log is append-only: nothing updates or deletes its
// rows). It fills in ID, masks phone and ID numbers in every field and bounds their lengths.
// It returns the entry as stored.
func (d *DB) AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = e.At.UTC()
	var rnd [6]byte
	rand.Read(rnd[:])
	e.ID = fmt.Sprintf("%016x", auditNanos(e.At)) + hex.EncodeToString(rnd[:])
	e.Operator = cut(MaskPersonal(e.Operator), maxAuditField)
	e.Role = cut(e.Role, maxAuditField)
	e.Action = cut(MaskPersonal(e.Action), maxAuditField)
	e.Object = cut(MaskPersonal(e.Object), maxAuditField)
	e.Before = cut(MaskPersonal(e.Before), maxAuditJSON)
	e.After = cut(MaskPersonal(e.After), maxAuditJSON)
	e.ClientAddr = cut(e.ClientAddr, maxAuditField)
	_, err := d.db.ExecContext(ctx, d.q(`INSERT INTO audit_log (id, at, operator, role, action, object, before_json, after_json, client_addr) VALUES (?,?,?,?,?,?,?,?,?)`),
		e.ID, ftime(e.At), e.Operator, e.Role, e.Action, e.Object, e.Before, e.After, e.ClientAddr)
	if err != nil {
		return e, fmt.Errorf("sqldb: append audit: %w", err)
	}
	return e, nil
}

// Audit returns up to limit entries, newest first, skipping the offset newest.
func (d *DB) Audit(ctx context.Context, offset, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	if offset < 0 {
		offset = 0
	}
	rows, err := d.db.QueryContext(ctx, d.q(`SELECT id, at, operator, role, action, object, before_json, after_json, client_addr FROM audit_log
		ORDER BY id DESC LIMIT ? OFFSET ?`), limit, offset)
	if err != nil {
		return nil, fmt.Errorf("sqldb: audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Operator, &e.Role, &e.Action, &e.Object, &e.Before, &e.After, &e.ClientAddr); err != nil {
			return nil, fmt.Errorf("sqldb: audit: %w", err)
		}
		e.At = ptime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditEach calls fn for every entry, newest first, reading them in pages (for the CSV export).
// fn's error stops it and is returned.
func (d *DB) AuditEach(ctx context.Context, fn func(AuditEntry) error) error {
	const page = 500
	before := "g" // sorts after every hex id
	for {
		rows, err := d.db.QueryContext(ctx, d.q(`SELECT id, at, operator, role, action, object, before_json, after_json, client_addr FROM audit_log
			WHERE id < ? ORDER BY id DESC LIMIT ?`), before, page)
		if err != nil {
			return fmt.Errorf("sqldb: audit: %w", err)
		}
		var batch []AuditEntry
		for rows.Next() {
			var e AuditEntry
			var at string
			if err := rows.Scan(&e.ID, &at, &e.Operator, &e.Role, &e.Action, &e.Object, &e.Before, &e.After, &e.ClientAddr); err != nil {
				rows.Close()
				return fmt.Errorf("sqldb: audit: %w", err)
			}
			e.At = ptime(at)
			batch = append(batch, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sqldb: audit: %w", err)
		}
		for _, e := range batch {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(batch) < page {
			return nil
		}
		before = batch[len(batch)-1].ID
	}
}

// AuditCount returns how many entries the log holds.
func (d *DB) AuditCount(ctx context.Context) (int64, error) {
	var n int64
	if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqldb: audit count: %w", err)
	}
	return n, nil
}

// CountRecordsSince counts the records of kind created at or after since.
func (d *DB) CountRecordsSince(ctx context.Context, kind string, since time.Time) (int64, error) {
	var n int64
	if err := d.db.QueryRowContext(ctx, d.q(`SELECT COUNT(*) FROM records WHERE kind = ? AND created_at >= ?`), kind, ftime(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqldb: count records: %w", err)
	}
	return n, nil
}

// auditAppendOnly is what the database says when something tries to change or delete an
// audit row (migration 13's triggers); sqldb itself never does.
const auditAppendOnly = "audit_log is append-only / 审计日志只能追加"

// auditAppendOnlyUp makes audit_log append-only in the database itself (migration 13): triggers
// refuse every UPDATE and DELETE (and, on PostgreSQL, TRUNCATE), whoever sends it.
func (d *DB) auditAppendOnlyUp(ctx context.Context, tx *sql.Tx) error {
	stmts := []string{
		`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, '` + auditAppendOnly + `'); END`,
		`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, '` + auditAppendOnly + `'); END`,
	}
	if d.pg {
		stmts = []string{
			`CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION '` + auditAppendOnly + `' USING ERRCODE = 'insufficient_privilege'; END $$`,
			`CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`,
			`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`,
		}
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("audit append-only: %w", err)
		}
	}
	return nil
}

func (d *DB) auditAppendOnlyDown(ctx context.Context, tx *sql.Tx) error {
	stmts := []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`}
	if d.pg {
		stmts = []string{`DROP TRIGGER audit_log_no_truncate ON audit_log`, `DROP TRIGGER audit_log_no_change ON audit_log`,
			`DROP FUNCTION audit_log_append_only()`}
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("audit append-only: %w", err)
		}
	}
	return nil
}
