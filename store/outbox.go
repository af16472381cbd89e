package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// Outbox states, as stored.
const (
	statePending     = 0
	stateSynced      = 1
	stateQuarantined = 2
)

// DefaultRetentionDays is how long synced records stay on the kiosk when the settings dataset
// does not say.
const DefaultRetentionDays = 28

// PendingBatch returns the oldest records not yet sent or acknowledged, in the order they were
// made, skipping quarantined ones. The batch holds at most maxRecords records and, except that
// a single record larger than maxBytes still goes out alone, at most maxBytes of envelopes.
// Each Record carries the bytes saved when it was made.
func (db *DB) PendingBatch(ctx context.Context, maxRecords, maxBytes int) ([]checkpoint.Record, error) {
	if maxRecords <= 0 {
		return nil, nil
	}
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: pending batch: %w", err)
	}
	defer tx.Rollback()
	recs, err := pendingBatch(ctx, tx, maxRecords, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("store: pending batch: %w", err)
	}
	return recs, tx.Commit()
}

func pendingBatch(ctx context.Context, tx *sql.Tx, maxRecords, maxBytes int) ([]checkpoint.Record, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT envelope FROM outbox WHERE state = ? ORDER BY seq LIMIT ?`, statePending, maxRecords)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var recs []checkpoint.Record
	total := 0
	for rows.Next() {
		var env []byte
		if err := rows.Scan(&env); err != nil {
			return nil, err
		}
		if len(recs) > 0 && total+len(env) > maxBytes {
			break
		}
		var r checkpoint.Record
		if err := json.Unmarshal(env, &r); err != nil {
			return nil, fmt.Errorf("envelope: %w", err)
		}
		recs = append(recs, r)
		total += len(env)
	}
	return recs, rows.Err()
}

// ApplyResults records HQ's answers to a push, in one transaction: stored, duplicate, held and
// superseded mark a record synced at now (a superseded edit also leaves a Notice and puts HQ's
// version of the row back); conflict and rejected quarantine it with HQ's error and message so
// the supervisor sees it and the queue moves on. Results for unknown ids, and statuses the
// kiosk does not know, are ignored (the record stays pending and is sent again).
func (db *DB) ApplyResults(ctx context.Context, results []checkpoint.RecordResult, now time.Time) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: apply results: %w", err)
	}
	defer tx.Rollback()
	if err := db.applyResults(ctx, tx, results, now); err != nil {
		return fmt.Errorf("store: apply results: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: apply results: %w", err)
	}
	return nil
}

func (db *DB) applyResults(ctx context.Context, tx *sql.Tx, results []checkpoint.RecordResult, now time.Time) error {
	done, err := tx.PrepareContext(ctx, `UPDATE outbox SET state = ?, synced_at = ?, error = '', message = '' WHERE id = ?`)
	if err != nil {
		return err
	}
	defer done.Close()
	quar, err := tx.PrepareContext(ctx,
		`UPDATE outbox SET state = ?, quarantined_at = ?, error = ?, message = ? WHERE id = ? AND state <> ?`)
	if err != nil {
		return err
	}
	defer quar.Close()
	for _, r := range results {
		switch {
		case r.Done():
			_, err = done.ExecContext(ctx, stateSynced, ms(now), r.ID)
			if err == nil && r.Status == checkpoint.ResultSuperseded {
				err = db.superseded(ctx, tx, r, now)
			}
		case r.Status == checkpoint.ResultConflict || r.Status == checkpoint.ResultRejected:
			_, err = quar.ExecContext(ctx, stateQuarantined, ms(now), clip(r.Status+": "+r.Error, 200), clip(r.Message, 1000), r.ID, stateSynced)
			db.log.WarnContext(ctx, "store: record quarantined", slog.String("id", r.ID), slog.String("status", r.Status), slog.String("error", r.Error))
		default:
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// OutboxStats counts the outbox by state. Oldest is when the oldest pending record was made
// (zero when nothing is pending): the UI shows how far behind HQ is.
type OutboxStats struct {
	Pending     int
	Quarantined int
	Synced      int
	Oldest      time.Time
}

// OutboxStats returns the outbox counts.
func (db *DB) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var s OutboxStats
	var oldest sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM outbox WHERE state = 0),
		(SELECT count(*) FROM outbox WHERE state = 2),
		(SELECT count(*) FROM outbox WHERE state = 1),
		(SELECT min(created_at) FROM outbox WHERE state = 0)`).Scan(&s.Pending, &s.Quarantined, &s.Synced, &oldest)
	if err != nil {
		return s, fmt.Errorf("store: outbox stats: %w", err)
	}
	s.Oldest = fromMS(oldest.Int64)
	return s, nil
}

// QuarantinedRecord is a record HQ refused, for the supervisor screen. Error is machine-readable
// (status: code); Message is HQ's text for people.
type QuarantinedRecord struct {
	ID            string
	Kind          checkpoint.RecordKind
	SiteID        string
	StaffID       string
	CreatedAt     time.Time
	QuarantinedAt time.Time
	Error         string
	Message       string
	// Record is the envelope as saved, byte for byte what HQ was sent: what an export carries so
	// that the kiosk is never the only copy.
	Record checkpoint.Record
}

// LogValue implements slog.LogValuer. The record holds no personal data, but its Message comes
// from HQ and is not logged.
func (q QuarantinedRecord) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", q.ID), slog.String("kind", string(q.Kind)), slog.String("error", q.Error))
}

// Quarantined lists the quarantined records, oldest first.
func (db *DB) Quarantined(ctx context.Context) ([]QuarantinedRecord, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT envelope, quarantined_at, error, message
		FROM outbox WHERE state = ? ORDER BY seq`, stateQuarantined)
	if err != nil {
		return nil, fmt.Errorf("store: quarantined: %w", err)
	}
	defer rows.Close()
	var out []QuarantinedRecord
	for rows.Next() {
		var env []byte
		var qat sql.NullInt64
		var q QuarantinedRecord
		if err := rows.Scan(&env, &qat, &q.Error, &q.Message); err != nil {
			return nil, fmt.Errorf("store: quarantined: %w", err)
		}
		var r checkpoint.Record
		if err := json.Unmarshal(env, &r); err != nil {
			return nil, fmt.Errorf("store: quarantined: envelope: %w", err)
		}
		q.ID, q.Kind, q.SiteID, q.StaffID, q.CreatedAt = r.ID, r.Kind, r.SiteID, r.StaffID, r.CreatedAt
		q.QuarantinedAt = fromMS(qat.Int64)
		q.Record = r
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: quarantined: %w", err)
	}
	return out, nil
}

// Requeue puts a quarantined record back in the queue (after the cause was fixed at HQ, say a
// site permission). It keeps its place in the send order. ErrNotFound if id is not quarantined.
func (db *DB) Requeue(ctx context.Context, id string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: requeue: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, quarantined_at = NULL, error = '', message = ''
		WHERE id = ? AND state = ?`, statePending, id, stateQuarantined)
	if err != nil {
		return fmt.Errorf("store: requeue: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: requeue: %w", err)
	} else if n == 0 {
		return fmt.Errorf("store: requeue %s: %w", id, ErrNotFound)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: requeue: %w", err)
	}
	return nil
}

// Purge deletes records HQ has acknowledged that were made more than the retention period
// (Settings.RetentionDays, default 28 days) before now, with their log entries. Pending and
// quarantined records are never purged. It returns how many records it deleted.
func (db *DB) Purge(ctx context.Context, now time.Time) (int, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: purge: %w", err)
	}
	defer tx.Rollback()
	n, err := purge(ctx, tx, now)
	if err != nil {
		return 0, fmt.Errorf("store: purge: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: purge: %w", err)
	}
	return n, nil
}

func purge(ctx context.Context, tx *sql.Tx, now time.Time) (int, error) {
	s, err := settings(ctx, tx)
	if err != nil {
		return 0, err
	}
	cutoff := now.Add(-time.Duration(s.RetentionDays) * 24 * time.Hour)
	// entries go with their outbox row (ON DELETE CASCADE).
	res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE state = ? AND created_at < ?`, stateSynced, ms(cutoff))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at < ?`, ms(cutoff)); err != nil {
		return 0, err
	}
	return int(n), nil
}

// clip shortens s to at most n bytes on a rune boundary: HQ's texts are stored, not trusted.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}
