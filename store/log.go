package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// Log query limits.
const (
	DefaultLogLimit = 50
	MaxLogLimit     = 1000
)

// LogEntry is one line of the supervisor's local log: a check or an assisted registration.
// It holds masked personal data only.
type LogEntry struct {
	ID          string
	Kind        checkpoint.RecordKind // KindCheck or KindRegistration
	At          time.Time             // confirmed (check) or registered (registration), UTC
	SiteID      string
	StaffID     string
	Verdict     string
	Reasons     []string
	NameMasked  string
	IDMasked    string
	PhoneMasked string
	Household   string
	CodeStatus  string
	TempTenths  int
	Remarks     string
	Sync        string // "pending", "synced" or "quarantined"
}

// LogValue implements slog.LogValuer: an entry logs as its id, kind and verdict only.
func (e LogEntry) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", e.ID), slog.String("kind", string(e.Kind)), slog.String("verdict", e.Verdict))
}

// LogFilter selects log entries. Zero fields do not filter; To is exclusive. Search matches a
// substring of the masked name, masked ID number or masked phone. Limit defaults to
// DefaultLogLimit and is capped at MaxLogLimit.
type LogFilter struct {
	From, To time.Time
	Verdict  string
	StaffID  string
	SiteID   string
	Search   string
	Limit    int
	Offset   int
}

func (f LogFilter) where() (string, []any, error) {
	var conds []string
	var args []any
	if !f.From.IsZero() {
		conds, args = append(conds, "e.at >= ?"), append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "e.at < ?"), append(args, ms(f.To))
	}
	for _, c := range []struct{ col, v string }{{"e.verdict", f.Verdict}, {"e.staff_id", f.StaffID}, {"e.site_id", f.SiteID}} {
		if c.v != "" {
			if err := validateText(c.col[2:], c.v, MaxShortText); err != nil {
				return "", nil, err
			}
			conds, args = append(conds, c.col+" = ?"), append(args, c.v)
		}
	}
	if s := strings.TrimSpace(f.Search); s != "" {
		if err := validateText("search", s, MaxName); err != nil {
			return "", nil, err
		}
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
		conds = append(conds, `(e.name_masked LIKE ? ESCAPE '\' OR e.id_masked LIKE ? ESCAPE '\' OR e.phone_masked LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

const logColumns = `e.id, e.kind, e.at, e.site_id, e.staff_id, e.verdict, e.reasons, e.name_masked, e.id_masked,
	e.phone_masked, e.household, e.code_status, e.temp_tenths, e.remarks,
	(SELECT o.state FROM outbox o WHERE o.id = e.id)`

// logQuery is the page query for f; exported to tests for EXPLAIN QUERY PLAN.
func logQuery(f LogFilter) (string, []any, error) {
	where, args, err := f.where()
	if err != nil {
		return "", nil, err
	}
	// rowid breaks ties in at: every index on entries ends in rowid, so the order needs no sort.
	return `SELECT ` + logColumns + ` FROM entries e` + where + ` ORDER BY e.at DESC, e.rowid DESC LIMIT ? OFFSET ?`, args, nil
}

// QueryLog returns one page of log entries matching f, newest first, and how many match in all.
func (db *DB) QueryLog(ctx context.Context, f LogFilter) ([]LogEntry, int, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultLogLimit
	}
	f.Limit = min(f.Limit, MaxLogLimit)
	f.Offset = max(f.Offset, 0)
	tx, err := db.r.BeginTx(ctx, nil) // one snapshot for the count and the page
	if err != nil {
		return nil, 0, fmt.Errorf("store: query log: %w", err)
	}
	defer tx.Rollback()
	entries, total, err := queryLog(ctx, tx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("store: query log: %w", err)
	}
	return entries, total, tx.Commit()
}

func queryLog(ctx context.Context, tx *sql.Tx, f LogFilter) ([]LogEntry, int, error) {
	where, args, err := f.where()
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM entries e`+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	q, args, err := logQuery(f)
	if err != nil {
		return nil, 0, err
	}
	var out []LogEntry
	err = eachEntry(ctx, tx, q, append(args, f.Limit, f.Offset), func(e LogEntry) error {
		out = append(out, e)
		return nil
	})
	return out, total, err
}

// EachLog calls fn for every entry matching f (Limit and Offset ignored), newest first, from one
// snapshot; it stops at fn's first error and returns it. Exports use it.
func (db *DB) EachLog(ctx context.Context, f LogFilter, fn func(LogEntry) error) error {
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: each log: %w", err)
	}
	defer tx.Rollback()
	q, args, err := logQuery(f)
	if err != nil {
		return fmt.Errorf("store: each log: %w", err)
	}
	if err := eachEntry(ctx, tx, q, append(args, -1, 0), fn); err != nil {
		return fmt.Errorf("store: each log: %w", err)
	}
	return tx.Commit()
}

var syncNames = map[int]string{statePending: "pending", stateSynced: "synced", stateQuarantined: "quarantined"}

func eachEntry(ctx context.Context, tx *sql.Tx, q string, args []any, fn func(LogEntry) error) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e LogEntry
		var kind, reasons string
		var at int64
		var state sql.NullInt64
		if err := rows.Scan(&e.ID, &kind, &at, &e.SiteID, &e.StaffID, &e.Verdict, &reasons, &e.NameMasked,
			&e.IDMasked, &e.PhoneMasked, &e.Household, &e.CodeStatus, &e.TempTenths, &e.Remarks, &state); err != nil {
			return err
		}
		e.Kind, e.At, e.Sync = checkpoint.RecordKind(kind), fromMS(at), syncNames[int(state.Int64)]
		if err := json.Unmarshal([]byte(reasons), &e.Reasons); err != nil {
			return fmt.Errorf("entry %s reasons: %w", e.ID, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// LastCheckOf returns when the holder of a code (checkpoint.Claims.HolderID, the person's
// pseudonym: the same for every code HQ issues them) was last checked on this kiosk at or after
// since. ok is false when there is no such entry. The UI's "already checked here N min ago"
// warning uses it.
func (db *DB) LastCheckOf(ctx context.Context, holderID string, since time.Time) (time.Time, bool, error) {
	if holderID == "" {
		return time.Time{}, false, nil
	}
	var at sql.NullInt64
	err := db.r.QueryRowContext(ctx, lastCheckQuery, holderID, ms(since)).Scan(&at)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: last check: %w", err)
	}
	if !at.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(at.Int64), true, nil
}

const lastCheckQuery = `SELECT max(at) FROM entries WHERE holder_id = ? AND at >= ?`

// EntrySync is where one log entry's record stands with HQ: Sync is "pending", "synced" or
// "quarantined"; SyncedAt is set once HQ has it, QuarantinedAt, Error and Message (HQ's words)
// when HQ refused it.
type EntrySync struct {
	Sync          string
	SyncedAt      time.Time
	QuarantinedAt time.Time
	Error         string
	Message       string
}

// Entry returns one log entry and its record's sync state. ErrNotFound if there is none.
func (db *DB) Entry(ctx context.Context, id string) (LogEntry, EntrySync, error) {
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return LogEntry{}, EntrySync{}, fmt.Errorf("store: entry: %w", err)
	}
	defer tx.Rollback()
	var e LogEntry
	found := false
	err = eachEntry(ctx, tx, `SELECT `+logColumns+` FROM entries e WHERE e.id = ?`, []any{id}, func(got LogEntry) error {
		e, found = got, true
		return nil
	})
	if err != nil {
		return LogEntry{}, EntrySync{}, fmt.Errorf("store: entry: %w", err)
	}
	if !found {
		return LogEntry{}, EntrySync{}, fmt.Errorf("store: entry %s: %w", id, ErrNotFound)
	}
	var synced, quarantined sql.NullInt64
	s := EntrySync{Sync: e.Sync}
	err = tx.QueryRowContext(ctx, `SELECT synced_at, quarantined_at, error, message FROM outbox WHERE id = ?`, id).
		Scan(&synced, &quarantined, &s.Error, &s.Message)
	if err != nil {
		return LogEntry{}, EntrySync{}, fmt.Errorf("store: entry: %w", err)
	}
	if synced.Valid {
		s.SyncedAt = fromMS(synced.Int64)
	}
	if quarantined.Valid {
		s.QuarantinedAt = fromMS(quarantined.Int64)
	}
	return e, s, tx.Commit()
}
