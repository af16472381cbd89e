package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// This file holds what makes kiosk edits safe under clock skew (DESIGN §10): an edit applies only
// on top of the revision it was made from, HQ's receive time orders changes, and every revision
// of a site or account is kept with HQ's time, so records are judged as of when they were made.

// editWhere is the condition under which an edit made from base applies to an existing row.
func editWhere(base checkpoint.EditBase) (string, any) {
	if base.BaseRecord != "" {
		return `revision_record = ?`, base.BaseRecord
	}
	return `revision = ?`, base.BaseRevision
}

// editSite applies a kiosk's site edit (record recordID, received at recv) if the site is still
// at the revision the edit was made from. ok is false when it is not (the edit is superseded).
// The site's updated_at becomes recv: the kiosk's clock does not order changes.
func (d *DB) editSite(ctx context.Context, tx *sql.Tx, e checkpoint.SiteEdit, recordID, recv string) (ok bool, err error) {
	s := e.Site
	vals := []any{s.ParentID, s.Name, s.Address, s.Contact, s.Phone, s.Division, s.Remarks, b2i(s.Active), recv}
	var q string
	var args []any
	if e.BaseRecord == "" && e.BaseRevision == 0 {
		q = `INSERT INTO sites (` + siteCols + `, revision, revision_record) VALUES (?,?,?,?,?,?,?,?,?,?,1,?)
			ON CONFLICT (id) DO NOTHING RETURNING revision`
		args = append(append([]any{s.ID}, vals...), recordID)
	} else {
		cond, arg := editWhere(e.EditBase)
		q = `UPDATE sites SET parent_id = ?, name = ?, address = ?, contact = ?, phone = ?, division = ?, remarks = ?,
			active = ?, updated_at = ?, revision = revision + 1, revision_record = ? WHERE id = ? AND ` + cond + ` RETURNING revision`
		args = append(vals, recordID, s.ID, arg)
	}
	var rev int64
	switch err := tx.QueryRowContext(ctx, d.q(q), args...).Scan(&rev); {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("edit site: %w", err)
	}
	return true, d.siteHistory(ctx, tx, s, rev, recv)
}

// editStaff is editSite for a staff_add: HQ's account a, made from the kiosk's body.
func (d *DB) editStaff(ctx context.Context, tx *sql.Tx, a StaffAccount, base checkpoint.EditBase, recordID, recv string) (ok bool, err error) {
	if err := d.phoneFree(ctx, tx, a); err != nil {
		return false, err
	}
	vals := []any{a.PhoneHash, a.PhoneMasked, a.PhoneLookup, a.NameMasked, string(a.Role), a.SiteID, a.PasswordHash, b2i(a.Active), recv}
	var q string
	var args []any
	if base.BaseRecord == "" && base.BaseRevision == 0 {
		q = `INSERT INTO staff (` + staffCols + `, revision, revision_record) VALUES (?,?,?,?,?,?,?,?,?,?,1,?)
			ON CONFLICT (id) DO NOTHING RETURNING revision`
		args = append(append([]any{a.ID}, vals...), recordID)
	} else {
		cond, arg := editWhere(base)
		q = `UPDATE staff SET phone_hash = ?, phone_masked = ?, phone_lookup = ?, name_masked = ?, role = ?, site_id = ?,
			password_hash = ?, active = ?, updated_at = ?, revision = revision + 1, revision_record = ? WHERE id = ? AND ` + cond + ` RETURNING revision`
		args = append(vals, recordID, a.ID, arg)
	}
	var rev int64
	switch err := tx.QueryRowContext(ctx, d.q(q), args...).Scan(&rev); {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("edit staff: %w", err)
	}
	return true, d.staffHistory(ctx, tx, a.Staff, rev, recv)
}

// supersede records that edit record r (of the row id, made from base) was not applied, so that
// a resend of it is answered superseded again.
func (d *DB) supersede(ctx context.Context, tx *sql.Tx, r checkpoint.Record, table, id string, base checkpoint.EditBase, recv string) error {
	var cur int64
	err := tx.QueryRowContext(ctx, d.q(`SELECT revision FROM `+table+` WHERE id = ?`), id).Scan(&cur)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("supersede %s: %w", r.ID, err)
	}
	_, err = tx.ExecContext(ctx, d.q(`INSERT INTO superseded_edits (record_id, kind, target_id, base_revision, base_record, revision, received_at)
		VALUES (?,?,?,?,?,?,?) ON CONFLICT (record_id) DO NOTHING`), r.ID, string(r.Kind), id, base.BaseRevision, base.BaseRecord, cur, recv)
	if err != nil {
		return fmt.Errorf("supersede %s: %w", r.ID, err)
	}
	return nil
}

// superseded returns which of ids are edits HQ answered superseded.
func (d *DB) superseded(ctx context.Context, tx *sql.Tx, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(ids); start += insertChunk {
		part := ids[start:min(start+insertChunk, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := tx.QueryContext(ctx, `SELECT record_id FROM superseded_edits WHERE record_id IN (`+d.inList(len(part), 0)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("superseded: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("superseded: %w", err)
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("superseded: %w", err)
		}
	}
	return out, nil
}

func (d *DB) siteHistory(ctx context.Context, tx *sql.Tx, s checkpoint.Site, rev int64, at string) error {
	_, err := tx.ExecContext(ctx, d.q(`INSERT INTO site_history (site_id, revision, parent_id, active, from_at) VALUES (?,?,?,?,?)
		ON CONFLICT (site_id, revision) DO NOTHING`), s.ID, rev, s.ParentID, b2i(s.Active), at)
	if err != nil {
		return fmt.Errorf("site history: %w", err)
	}
	return nil
}

func (d *DB) staffHistory(ctx context.Context, tx *sql.Tx, s checkpoint.Staff, rev int64, at string) error {
	_, err := tx.ExecContext(ctx, d.q(`INSERT INTO staff_history (staff_id, revision, site_id, role, active, from_at) VALUES (?,?,?,?,?,?)
		ON CONFLICT (staff_id, revision) DO NOTHING`), s.ID, rev, s.SiteID, string(s.Role), b2i(s.Active), at)
	if err != nil {
		return fmt.Errorf("staff history: %w", err)
	}
	return nil
}

// SiteState is one revision of a site's place in the tree, in force from From (HQ's time; zero:
// since before history was kept).
type SiteState struct {
	Revision int64
	ParentID string
	Active   bool
	From     time.Time
}

// StaffState is one revision of a staff account's assignment, in force from From.
type StaffState struct {
	Revision int64
	SiteID   string
	Role     checkpoint.Role
	Active   bool
	From     time.Time
}

// SiteHistory returns every site's revisions, oldest first, by site id.
func (d *DB) SiteHistory(ctx context.Context) (map[string][]SiteState, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT site_id, revision, parent_id, active, from_at FROM site_history`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: site history: %w", err)
	}
	defer rows.Close()
	out := map[string][]SiteState{}
	for rows.Next() {
		var id, from string
		var s SiteState
		var active int
		if err := rows.Scan(&id, &s.Revision, &s.ParentID, &active, &from); err != nil {
			return nil, fmt.Errorf("sqldb: site history: %w", err)
		}
		s.Active, s.From = active != 0, ptime(from)
		out[id] = append(out[id], s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: site history: %w", err)
	}
	for _, h := range out {
		slices.SortFunc(h, func(a, b SiteState) int { return int(a.Revision - b.Revision) })
	}
	return out, nil
}

// StaffHistory returns a staff account's revisions, oldest first (none: no such account).
func (d *DB) StaffHistory(ctx context.Context, id string) ([]StaffState, error) {
	rows, err := d.db.QueryContext(ctx, d.q(`SELECT revision, site_id, role, active, from_at FROM staff_history
		WHERE staff_id = ? ORDER BY revision`), id)
	if err != nil {
		return nil, fmt.Errorf("sqldb: staff history: %w", err)
	}
	defer rows.Close()
	var out []StaffState
	for rows.Next() {
		var s StaffState
		var role, from string
		var active int
		if err := rows.Scan(&s.Revision, &s.SiteID, &role, &active, &from); err != nil {
			return nil, fmt.Errorf("sqldb: staff history: %w", err)
		}
		s.Role, s.Active, s.From = checkpoint.Role(role), active != 0, ptime(from)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: staff history: %w", err)
	}
	return out, nil
}
