package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// An operator decides a held record: accepted, it counts as any accepted record from then on
// (held = ''); rejected, it leaves records and is kept whole in held_decisions. Either way the
// decision, the reason it was held, the operator and a note are kept in held_decisions
// (migration 13). A held edit's effects are not applied by accepting it: HQ judged it when it
// came, and a site or roster change it asked for is made on the console's own pages.

// HeldDecision is an operator's decision on a held record.
type HeldDecision struct {
	RecordID  string    `json:"record_id"`
	Decision  string    `json:"decision"` // "accepted" or "rejected"
	Reason    string    `json:"reason"`   // why HQ held it
	Note      string    `json:"note"`
	Operator  string    `json:"operator"`
	DecidedAt time.Time `json:"decided_at"`
}

// Decisions.
const (
	HeldAccepted = "accepted"
	HeldRejected = "rejected"
)

func (d *DB) heldDecisionsUp(ctx context.Context, tx *sql.Tx) error {
	body := "BLOB"
	if d.pg {
		body = "BYTEA"
	}
	_, err := tx.ExecContext(ctx, `CREATE TABLE held_decisions (
		record_id  TEXT PRIMARY KEY,
		decision   TEXT NOT NULL,
		reason     TEXT NOT NULL,
		note       TEXT NOT NULL,
		operator   TEXT NOT NULL,
		decided_at TEXT NOT NULL,
		kind       TEXT NOT NULL,
		device_id  TEXT NOT NULL,
		site_id    TEXT NOT NULL,
		staff_id   TEXT NOT NULL,
		created_at TEXT NOT NULL,
		body       `+body+`
	)`)
	if err != nil {
		return fmt.Errorf("held decisions: %w", err)
	}
	return nil
}

func (d *DB) heldDecisionsDown(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `DROP TABLE held_decisions`)
	return err
}

// DecideHeld accepts or rejects the held record id (decision HeldAccepted or HeldRejected).
// ErrNotFound when there is no such record or it is not held (decided already).
func (d *DB) DecideHeld(ctx context.Context, id, decision, note, operator string, at time.Time) (HeldDecision, error) {
	if decision != HeldAccepted && decision != HeldRejected {
		return HeldDecision{}, fmt.Errorf("sqldb: decide held: decision %q", decision)
	}
	hd := HeldDecision{RecordID: id, Decision: decision, Note: cut(note, maxAuditField), Operator: cut(operator, maxAuditField), DecidedAt: at}
	err := d.tx(ctx, "decide held", func(tx *sql.Tx) error {
		var kind, dev, site, staff, created string
		var body []byte
		err := tx.QueryRowContext(ctx, d.q(`SELECT held, kind, device_id, site_id, staff_id, created_at, body FROM records WHERE id = ? AND held <> ''`), id).
			Scan(&hd.Reason, &kind, &dev, &site, &staff, &created, &body)
		if err == sql.ErrNoRows {
			return fmt.Errorf("held record: %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		var keep []byte // the record itself, kept only when it leaves records
		if decision == HeldAccepted {
			_, err = tx.ExecContext(ctx, d.q(`UPDATE records SET held = '' WHERE id = ? AND held <> ''`), id)
		} else {
			keep = body
			_, err = tx.ExecContext(ctx, d.q(`DELETE FROM records WHERE id = ? AND held <> ''`), id)
			if err == nil {
				// Ingest counted it in day_counts when it held it; rejected, it counts no more.
				t := dayTally{}
				t.add(checkpoint.Record{ID: id, Kind: checkpoint.RecordKind(kind), SiteID: site, CreatedAt: ptime(created), Body: body}, feverTenths(ctx))
				for k := range t {
					t[k] = -t[k]
				}
				err = d.writeTally(ctx, tx, t)
			}
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, d.q(`INSERT INTO held_decisions (record_id, decision, reason, note, operator, decided_at, kind, device_id, site_id, staff_id, created_at, body)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`), id, decision, hd.Reason, hd.Note, hd.Operator, ftime(at), kind, dev, site, staff, created, keep)
		return err
	})
	if err != nil {
		return HeldDecision{}, fmt.Errorf("sqldb: decide held: %w", err)
	}
	return hd, nil
}

// HeldDecisions lists the decisions on held records, newest first, at most limit (≤ 0: 100).
func (d *DB) HeldDecisions(ctx context.Context, limit int) ([]HeldDecision, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := d.db.QueryContext(ctx, d.q(`SELECT record_id, decision, reason, note, operator, decided_at FROM held_decisions ORDER BY decided_at DESC, record_id LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: held decisions: %w", err)
	}
	defer rows.Close()
	var out []HeldDecision
	for rows.Next() {
		var h HeldDecision
		var at string
		if err := rows.Scan(&h.RecordID, &h.Decision, &h.Reason, &h.Note, &h.Operator, &at); err != nil {
			return nil, fmt.Errorf("sqldb: held decisions: %w", err)
		}
		h.DecidedAt = ptime(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

// resentDecision is an operator's decision found for a record a batch has just inserted: a
// record that was held, decided, and is now sent again.
type resentDecision struct {
	HeldDecision
	hash string // the rejected record's content hash; "" for an accepted one (not kept here)
}

// decidedAmong looks up, in one query per insertChunk ids, the decisions on held records among
// ids. Ingest asks only about the ids it has just inserted (not already in records), so a batch
// of resends of stored records never reads held_decisions.
func (d *DB) decidedAmong(ctx context.Context, tx *sql.Tx, ids []string) (map[string]resentDecision, error) {
	var out map[string]resentDecision
	for start := 0; start < len(ids); start += insertChunk {
		part := ids[start:min(start+insertChunk, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := tx.QueryContext(ctx, `SELECT record_id, decision, reason, note, operator, decided_at, kind, device_id, site_id, staff_id, created_at, body
			FROM held_decisions WHERE record_id IN (`+d.inList(len(part), 0)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("held decisions: %w", err)
		}
		for rows.Next() {
			var r resentDecision
			var at, kind, dev, site, staff, created string
			var body []byte
			if err := rows.Scan(&r.RecordID, &r.Decision, &r.Reason, &r.Note, &r.Operator, &at, &kind, &dev, &site, &staff, &created, &body); err != nil {
				rows.Close()
				return nil, fmt.Errorf("held decisions: %w", err)
			}
			r.DecidedAt = ptime(at)
			if r.Decision == HeldRejected {
				r.hash = contentHash(r.RecordID, kind, dev, site, staff, created, body)
			}
			if out == nil {
				out = map[string]resentDecision{}
			}
			out[r.RecordID] = r
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("held decisions: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("held decisions: %w", err)
		}
	}
	return out, nil
}

// undoResent takes back out of records what this batch inserted under the ids of decided held
// records, and answers each: a rejected record sent again is checkpoint.ResultRejected (its
// decision goes into rejected), another body under its id checkpoint.ResultConflict, as for any
// id HQ holds; an accepted record that is no longer in records (retention removed it) is a
// duplicate.
func (d *DB) undoResent(ctx context.Context, tx *sql.Tx, recs []checkpoint.Record, hashes []string, uniq []int, out []string, rejected map[string]HeldDecision) error {
	var fresh []string
	for _, i := range uniq {
		if out[i] == checkpoint.ResultStored || out[i] == checkpoint.ResultHeld {
			fresh = append(fresh, recs[i].ID)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	dec, err := d.decidedAmong(ctx, tx, fresh)
	if err != nil || len(dec) == 0 {
		return err
	}
	var undo []any
	for _, i := range uniq {
		r, ok := dec[recs[i].ID]
		if !ok || (out[i] != checkpoint.ResultStored && out[i] != checkpoint.ResultHeld) {
			continue
		}
		undo = append(undo, recs[i].ID)
		switch {
		case r.Decision == HeldAccepted:
			out[i] = checkpoint.ResultDuplicate
		case r.hash == hashes[i]:
			out[i] = checkpoint.ResultRejected
			rejected[r.RecordID] = r.HeldDecision
		default:
			out[i] = checkpoint.ResultConflict
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM records WHERE id IN (`+d.inList(len(undo), 0)+`)`, undo...); err != nil {
		return fmt.Errorf("held decisions: %w", err)
	}
	return nil
}
