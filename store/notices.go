package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// Notice tells the supervisor that HQ did not apply one of this kiosk's edits: Code is
// checkpoint.ResultSuperseded (HQ already had a newer version of the site or account), Kind the
// edit's record kind, SubjectID and SubjectName the site or account as the supervisor named it.
// Message is HQ's text; screens show their own words for Code.
type Notice struct {
	RecordID    string
	Kind        checkpoint.RecordKind
	SubjectID   string
	SubjectName string
	Code        string
	Message     string
	At          time.Time
}

// Notices lists the notices, newest first.
func (db *DB) Notices(ctx context.Context) ([]Notice, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT record_id, kind, subject_id, subject_name, code, message, at
		FROM notices ORDER BY at DESC, record_id`)
	if err != nil {
		return nil, fmt.Errorf("store: notices: %w", err)
	}
	defer rows.Close()
	var out []Notice
	for rows.Next() {
		var n Notice
		var kind string
		var at int64
		if err := rows.Scan(&n.RecordID, &kind, &n.SubjectID, &n.SubjectName, &n.Code, &n.Message, &at); err != nil {
			return nil, fmt.Errorf("store: notices: %w", err)
		}
		n.Kind, n.At = checkpoint.RecordKind(kind), fromMS(at)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: notices: %w", err)
	}
	return out, nil
}

// EditBase returns the version of a local site (table "sites") or account ("staff") an edit of
// it is made from: the kiosk's own earlier edit when the row is one (HQ applies the new edit only
// on top of what that one made), otherwise the revision HQ last sent. A row the kiosk does not
// have gives the zero base, a create.
func (db *DB) EditBase(ctx context.Context, table, id string) (checkpoint.EditBase, error) {
	if table != "sites" && table != "staff" {
		return checkpoint.EditBase{}, fmt.Errorf("store: edit base: %w: table %q", ErrInvalid, table)
	}
	var data []byte
	var rec sql.NullString
	err := db.r.QueryRowContext(ctx, `SELECT data, record_id FROM `+table+` WHERE id = ?`, id).Scan(&data, &rec)
	if errors.Is(err, sql.ErrNoRows) {
		return checkpoint.EditBase{}, nil
	}
	if err != nil {
		return checkpoint.EditBase{}, fmt.Errorf("store: edit base: %w", err)
	}
	var row struct {
		Revision int64 `json:"revision"`
	}
	if err := json.Unmarshal(data, &row); err != nil {
		return checkpoint.EditBase{}, fmt.Errorf("store: edit base: %w", err)
	}
	return checkpoint.EditBase{BaseRevision: row.Revision, BaseRecord: rec.String}, nil
}

// superseded handles HQ's superseded answer to edit record id (already marked synced): it keeps a
// notice for the supervisor and, when the local row is still this edit's, puts back HQ's version
// from the last dataset (or removes a site HQ never sent), since no newer dataset may come.
func (db *DB) superseded(ctx context.Context, tx *sql.Tx, r checkpoint.RecordResult, now time.Time) error {
	var env []byte
	err := tx.QueryRowContext(ctx, `SELECT envelope FROM outbox WHERE id = ?`, r.ID).Scan(&env)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	var rec checkpoint.Record
	if err := json.Unmarshal(env, &rec); err != nil {
		return fmt.Errorf("envelope: %w", err)
	}
	var table, dsName, subject, name string
	switch rec.Kind {
	case checkpoint.KindSiteEdit:
		var e checkpoint.SiteEdit
		if err := json.Unmarshal(rec.Body, &e); err != nil {
			return fmt.Errorf("site edit: %w", err)
		}
		table, dsName, subject, name = "sites", checkpoint.DatasetSites, e.Site.ID, e.Site.Name
	case checkpoint.KindStaffAdd:
		var e checkpoint.StaffAdd
		if err := json.Unmarshal(rec.Body, &e); err != nil {
			return fmt.Errorf("staff add: %w", err)
		}
		table, dsName, subject, name = "staff", checkpoint.DatasetStaff, e.Staff.ID, e.Staff.NameMasked
	default:
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO notices (record_id, kind, subject_id, subject_name, code, message, at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (record_id) DO NOTHING`,
		rec.ID, string(rec.Kind), subject, clip(name, 200), checkpoint.ResultSuperseded, clip(r.Message, 1000), ms(now)); err != nil {
		return err
	}
	db.log.InfoContext(ctx, "store: edit superseded at HQ", slog.String("id", rec.ID), slog.String("kind", string(rec.Kind)))
	return restoreRow(ctx, tx, table, dsName, subject, rec.ID)
}

// restoreRow puts HQ's version of row id back from the last dataset if the local row is still the
// one edit record made.
func restoreRow(ctx context.Context, tx *sql.Tx, table, dsName, id, record string) error {
	var pinned sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT record_id FROM `+table+` WHERE id = ?`, id).Scan(&pinned)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && pinned.String != record) {
		return nil
	}
	if err != nil {
		return err
	}
	b, err := dataset(ctx, tx, dsName)
	if err != nil {
		return err
	}
	var rows []map[string]json.RawMessage
	if b != nil {
		if err := json.Unmarshal(b, &rows); err != nil {
			return fmt.Errorf("%s dataset: %w", dsName, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE id = ?`, id); err != nil {
		return err
	}
	for _, row := range rows {
		var rid string
		if json.Unmarshal(row["id"], &rid) != nil || rid != id {
			continue
		}
		raw, _ := json.Marshal(row)
		if table == "sites" {
			var s checkpoint.Site
			if err := json.Unmarshal(raw, &s); err != nil {
				return err
			}
			return upsertSite(ctx, tx, s, "")
		}
		var s checkpoint.Staff
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		return upsertStaff(ctx, tx, s, "")
	}
	return nil
}
