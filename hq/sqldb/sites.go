package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	checkpoint "github.com/yongji-county/checkpoint"
)

const siteCols = `id, parent_id, name, address, contact, phone, division, remarks, active, updated_at`

// siteRead is siteCols and the revision, as scanSites reads them.
const siteRead = siteCols + `, revision`

// upsertSite creates or replaces a site for a change made at HQ (admin API, demo seed): it wins
// over whatever revision the site is at, counts the revision up and writes the site's history.
func (d *DB) upsertSite(ctx context.Context, tx *sql.Tx, s checkpoint.Site) error {
	q := `INSERT INTO sites (` + siteCols + `, revision, revision_record) VALUES (?,?,?,?,?,?,?,?,?,?,1,'')
		ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, name = excluded.name,
		address = excluded.address, contact = excluded.contact, phone = excluded.phone,
		division = excluded.division, remarks = excluded.remarks, active = excluded.active,
		updated_at = excluded.updated_at, revision = sites.revision + 1, revision_record = ''
		RETURNING revision`
	var rev int64
	err := tx.QueryRowContext(ctx, d.q(q), s.ID, s.ParentID, s.Name, s.Address, s.Contact, s.Phone,
		s.Division, s.Remarks, b2i(s.Active), ftime(s.UpdatedAt)).Scan(&rev)
	if err != nil {
		return fmt.Errorf("upsert site: %w", err)
	}
	return d.siteHistory(ctx, tx, s, rev, ftime(s.UpdatedAt))
}

// PutSite creates or replaces a site (an operator's edit) and bumps the sites version.
func (d *DB) PutSite(ctx context.Context, s checkpoint.Site) error {
	return d.tx(ctx, "put site", func(tx *sql.Tx) error {
		if err := d.upsertSite(ctx, tx, s); err != nil {
			return err
		}
		return d.bump(ctx, tx, checkpoint.DatasetSites)
	})
}

func scanSites(rows *sql.Rows) ([]checkpoint.Site, error) {
	defer rows.Close()
	var out []checkpoint.Site
	for rows.Next() {
		var s checkpoint.Site
		var active int
		var upd string
		if err := rows.Scan(&s.ID, &s.ParentID, &s.Name, &s.Address, &s.Contact, &s.Phone, &s.Division,
			&s.Remarks, &active, &upd, &s.Revision); err != nil {
			return nil, err
		}
		s.Active = active != 0
		s.UpdatedAt = ptime(upd)
		out = append(out, s)
	}
	return out, rows.Err()
}

// Sites returns every site, ordered by id.
func (d *DB) Sites(ctx context.Context) ([]checkpoint.Site, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+siteRead+` FROM sites ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: sites: %w", err)
	}
	s, err := scanSites(rows)
	if err != nil {
		return nil, fmt.Errorf("sqldb: sites: %w", err)
	}
	return s, nil
}

// Site returns one site.
func (d *DB) Site(ctx context.Context, id string) (checkpoint.Site, error) {
	rows, err := d.db.QueryContext(ctx, d.q(`SELECT `+siteRead+` FROM sites WHERE id = ?`), id)
	if err != nil {
		return checkpoint.Site{}, fmt.Errorf("sqldb: site: %w", err)
	}
	s, err := scanSites(rows)
	if err != nil {
		return checkpoint.Site{}, fmt.Errorf("sqldb: site: %w", err)
	}
	if len(s) == 0 {
		return checkpoint.Site{}, fmt.Errorf("sqldb: site %q: %w", id, ErrNotFound)
	}
	return s[0], nil
}

// StaffAccount is a staff account as HQ holds it: the roster entry kiosks get (Staff) plus what
// stays at HQ. PhoneHash is HQ's own keyed hash (HMAC) of the phone, the unique index that keeps
// one account per phone number; PhoneMasked is for operators. Neither goes to a kiosk.
type StaffAccount struct {
	checkpoint.Staff
	PhoneHash   string
	PhoneMasked string
}

// ErrPhoneTaken is returned when another account already has the phone number.
var ErrPhoneTaken = errors.New("sqldb: another staff account has this phone number")

const staffCols = `id, phone_hash, phone_masked, phone_lookup, name_masked, role, site_id, password_hash, active, updated_at`

// phoneFree fails with ErrPhoneTaken when an account other than a's has a's phone hash.
func (d *DB) phoneFree(ctx context.Context, tx *sql.Tx, a StaffAccount) error {
	var other string
	err := tx.QueryRowContext(ctx, d.q(`SELECT id FROM staff WHERE phone_hash = ? AND id <> ?`), a.PhoneHash, a.ID).Scan(&other)
	if err == nil {
		return fmt.Errorf("staff %s: %w (%s)", a.ID, ErrPhoneTaken, other)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("upsert staff: %w", err)
	}
	return nil
}

// upsertStaff creates or replaces an account for a change made at HQ: it wins over whatever
// revision the account is at, counts the revision up and writes the account's history.
func (d *DB) upsertStaff(ctx context.Context, tx *sql.Tx, a StaffAccount) error {
	if err := d.phoneFree(ctx, tx, a); err != nil {
		return err
	}
	q := `INSERT INTO staff (` + staffCols + `, revision, revision_record) VALUES (?,?,?,?,?,?,?,?,?,?,1,'')
		ON CONFLICT (id) DO UPDATE SET phone_hash = excluded.phone_hash, phone_masked = excluded.phone_masked,
		phone_lookup = excluded.phone_lookup, name_masked = excluded.name_masked, role = excluded.role, site_id = excluded.site_id,
		password_hash = excluded.password_hash, active = excluded.active, updated_at = excluded.updated_at,
		revision = staff.revision + 1, revision_record = ''
		RETURNING revision`
	var rev int64
	err := tx.QueryRowContext(ctx, d.q(q), a.ID, a.PhoneHash, a.PhoneMasked, a.PhoneLookup, a.NameMasked, string(a.Role),
		a.SiteID, a.PasswordHash, b2i(a.Active), ftime(a.UpdatedAt)).Scan(&rev)
	if err != nil {
		return fmt.Errorf("upsert staff: %w", err)
	}
	return d.staffHistory(ctx, tx, a.Staff, rev, ftime(a.UpdatedAt))
}

// PutStaff creates or replaces a staff account and bumps the staff version. It fails with
// ErrPhoneTaken when another account has the same phone hash.
func (d *DB) PutStaff(ctx context.Context, a StaffAccount) error {
	return d.tx(ctx, "put staff", func(tx *sql.Tx) error {
		if err := d.upsertStaff(ctx, tx, a); err != nil {
			return err
		}
		return d.bump(ctx, tx, checkpoint.DatasetStaff)
	})
}

// AllStaff returns every staff account, ordered by id.
func (d *DB) AllStaff(ctx context.Context) ([]StaffAccount, error) {
	return d.staffWhere(ctx, "", nil)
}

// StaffByPhoneHash returns the account with the given phone hash (HQ's HMAC of the phone);
// ErrNotFound when there is none.
func (d *DB) StaffByPhoneHash(ctx context.Context, h string) (StaffAccount, error) {
	list, err := d.staffWhere(ctx, ` WHERE phone_hash = ?`, []any{h})
	if err != nil {
		return StaffAccount{}, err
	}
	if len(list) == 0 {
		return StaffAccount{}, fmt.Errorf("sqldb: staff by phone: %w", ErrNotFound)
	}
	return list[0], nil
}

func (d *DB) staffWhere(ctx context.Context, where string, args []any) ([]StaffAccount, error) {
	rows, err := d.db.QueryContext(ctx, d.q(`SELECT `+staffCols+`, revision FROM staff`+where+` ORDER BY id`), args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: staff: %w", err)
	}
	defer rows.Close()
	var out []StaffAccount
	for rows.Next() {
		var s StaffAccount
		var role, upd string
		var active int
		if err := rows.Scan(&s.ID, &s.PhoneHash, &s.PhoneMasked, &s.PhoneLookup, &s.NameMasked, &role, &s.SiteID,
			&s.PasswordHash, &active, &upd, &s.Revision); err != nil {
			return nil, fmt.Errorf("sqldb: staff: %w", err)
		}
		s.Role = checkpoint.Role(role)
		s.Active = active != 0
		s.UpdatedAt = ptime(upd)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: staff: %w", err)
	}
	return out, nil
}

// Setting returns a named setting; ok is false when it is not set.
func (d *DB) Setting(ctx context.Context, name string) (value string, ok bool, err error) {
	err = d.db.QueryRowContext(ctx, d.q(`SELECT value FROM settings WHERE name = ?`), name).Scan(&value)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("sqldb: setting %s: %w", name, err)
	}
	return value, true, nil
}

// SetSetting stores a named setting and bumps the versions of the named datasets with it.
func (d *DB) SetSetting(ctx context.Context, name, value string, bump ...string) error {
	return d.tx(ctx, "set setting "+name, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`), name, value); err != nil {
			return err
		}
		return d.bump(ctx, tx, bump...)
	})
}

// InitSetting stores a setting only if it is not set yet, and returns the value in force
// (first writer wins when several HQ instances start at once).
func (d *DB) InitSetting(ctx context.Context, name, value string) (string, error) {
	if _, err := d.db.ExecContext(ctx, d.q(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`), name, value); err != nil {
		return "", fmt.Errorf("sqldb: init setting %s: %w", name, err)
	}
	v, _, err := d.Setting(ctx, name)
	return v, err
}
