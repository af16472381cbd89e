package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/sealbox"
)

// querier is what the small helpers need: a transaction or a pool.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Cursors returns the version held of each dataset, by name: what the next config pull sends.
// A dataset never received is absent.
func (db *DB) Cursors(ctx context.Context) (map[string]int64, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name, version FROM datasets`)
	if err != nil {
		return nil, fmt.Errorf("store: cursors: %w", err)
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return nil, fmt.Errorf("store: cursors: %w", err)
		}
		m[name] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: cursors: %w", err)
	}
	return m, nil
}

// Cursor is what the kiosk holds of one dataset, from its signed payload: the next config pull
// sends Tag for a per-device dataset (checkpoint.PerDevice) and Version otherwise; Epoch and
// IssuedAt order datasets across an HQ restore (checkpoint.DatasetCheck).
type Cursor struct {
	Version  int64
	Tag      string
	Epoch    string
	IssuedAt time.Time
}

// Check returns what sync verifies an envelope of this dataset against.
func (c Cursor) Check(root ed25519.PublicKey, deviceID string) checkpoint.DatasetCheck {
	return checkpoint.DatasetCheck{Root: root, DeviceID: deviceID, Held: c.Version, HeldTag: c.Tag, HeldEpoch: c.Epoch, HeldIssuedAt: c.IssuedAt}
}

// DatasetCursors returns the Cursor of each dataset held, by name. A dataset never received is
// absent.
func (db *DB) DatasetCursors(ctx context.Context) (map[string]Cursor, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT name, version, tag, epoch, issued_at FROM datasets`)
	if err != nil {
		return nil, fmt.Errorf("store: cursors: %w", err)
	}
	defer rows.Close()
	m := map[string]Cursor{}
	for rows.Next() {
		var name string
		var c Cursor
		var at int64
		if err := rows.Scan(&name, &c.Version, &c.Tag, &c.Epoch, &at); err != nil {
			return nil, fmt.Errorf("store: cursors: %w", err)
		}
		c.IssuedAt = fromMS(at)
		m[name] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: cursors: %w", err)
	}
	return m, nil
}

// ApplyDatasets stores the datasets of one config pull, already verified (sync checks each
// envelope against the pinned root). Each dataset is checked (it must parse as its type and
// must not be older than the one held: ErrStale) and replaced whole in its own transaction, so a bad one is refused without
// holding back the others; the error joins every refusal. Unknown dataset names are stored raw
// (a newer HQ) and otherwise ignored.
func (db *DB) ApplyDatasets(ctx context.Context, sets []checkpoint.Dataset) error {
	var errs []error
	for _, d := range sets {
		if err := db.applyDataset(ctx, d); err != nil {
			errs = append(errs, fmt.Errorf("store: apply dataset %q: %w", d.Name, err))
			continue
		}
		db.log.InfoContext(ctx, "store: dataset applied", slog.String("name", d.Name), slog.Int64("version", d.Version))
	}
	return errors.Join(errs...)
}

func (db *DB) applyDataset(ctx context.Context, d checkpoint.Dataset) error {
	if d.Name == "" || len(d.Name) > MaxShortText {
		return fmt.Errorf("%w: dataset name", ErrInvalid)
	}
	if !json.Valid(d.Data) {
		return fmt.Errorf("%w: data is not JSON", ErrInvalid)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var held Cursor
	var at int64
	err = tx.QueryRowContext(ctx, `SELECT version, tag, epoch, issued_at FROM datasets WHERE name = ?`, d.Name).Scan(&held.Version, &held.Tag, &held.Epoch, &at)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	held.IssuedAt = fromMS(at)
	// The same rule sync verified the envelope with, again under the write lock: another
	// process on this data directory may have applied a newer one meanwhile.
	if err := held.Check(nil, "").Stale(checkpoint.DatasetPayload{Version: d.Version, Tag: d.Tag, Epoch: d.Epoch, IssuedAt: d.IssuedAt}); err != nil {
		return fmt.Errorf("%w: %w", ErrStale, err)
	}
	if err := unpackDataset(ctx, tx, d); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO datasets (name, version, data, updated_at, tag, epoch, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET version = excluded.version, data = excluded.data, updated_at = excluded.updated_at,
		tag = excluded.tag, epoch = excluded.epoch, issued_at = excluded.issued_at`,
		d.Name, d.Version, []byte(d.Data), ms(db.now()), d.Tag, d.Epoch, ms(d.IssuedAt)); err != nil {
		return err
	}
	return tx.Commit()
}

// unpackDataset checks that d parses as its type and, for staff and sites, replaces the
// lookup table.
func unpackDataset(ctx context.Context, tx *sql.Tx, d checkpoint.Dataset) error {
	switch d.Name {
	case checkpoint.DatasetTrust:
		_, err := checkpoint.ParseTrustList(d.Data)
		return err
	case checkpoint.DatasetRevocations:
		_, err := checkpoint.ParseRevocationList(d.Data)
		return err
	case checkpoint.DatasetRisk:
		_, err := checkpoint.ParseRiskList(d.Data)
		return err
	case checkpoint.DatasetSettings:
		return validateSettings(d.Data)
	case checkpoint.DatasetStaff:
		var list []checkpoint.Staff
		if err := json.Unmarshal(d.Data, &list); err != nil {
			return err
		}
		var raw []map[string]json.RawMessage
		if err := json.Unmarshal(d.Data, &raw); err != nil {
			return err
		}
		for i, r := range raw {
			if err := refuseFields(r, "phone_hash", "phone_masked"); err != nil {
				return fmt.Errorf("entry %d: %w", i, err)
			}
		}
		for i, s := range list {
			if err := s.Validate(); err != nil {
				return fmt.Errorf("entry %d: %w", i, err)
			}
		}
		if err := dropUnpinned(ctx, tx, "staff"); err != nil {
			return err
		}
		for _, s := range list {
			if err := upsertStaff(ctx, tx, s, ""); err != nil {
				return err
			}
		}
	case checkpoint.DatasetSites:
		var list []checkpoint.Site
		if err := json.Unmarshal(d.Data, &list); err != nil {
			return err
		}
		for i, s := range list {
			if err := s.Validate(); err != nil {
				return fmt.Errorf("entry %d: %w", i, err)
			}
		}
		if err := dropUnpinned(ctx, tx, "sites"); err != nil {
			return err
		}
		for _, s := range list {
			if err := upsertSite(ctx, tx, s, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropUnpinned empties a lookup table before a dataset refills it, keeping only local rows
// whose record HQ has not acknowledged yet (the dataset cannot contain them).
func dropUnpinned(ctx context.Context, tx *sql.Tx, table string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE record_id IS NULL
		OR NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = `+table+`.record_id AND o.state = 0)`)
	return err
}

func upsertSite(ctx context.Context, tx *sql.Tx, s checkpoint.Site, recordID string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	// A row from HQ (no record id) never replaces a local edit HQ has not acknowledged yet: the
	// supervisor's edit stays until HQ answers for it, and the next dataset then carries the result.
	_, err = tx.ExecContext(ctx, `INSERT INTO sites (id, parent_id, data, record_id) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, data = excluded.data, record_id = excluded.record_id
		WHERE excluded.record_id IS NOT NULL OR sites.record_id IS NULL`,
		s.ID, s.ParentID, b, nullString(recordID))
	if err != nil {
		return fmt.Errorf("sites: %w", err)
	}
	return nil
}

func upsertStaff(ctx context.Context, tx *sql.Tx, s checkpoint.Staff, recordID string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO staff (id, phone_lookup, data, record_id) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET phone_lookup = excluded.phone_lookup, data = excluded.data, record_id = excluded.record_id`,
		s.ID, s.PhoneLookup, b, nullString(recordID))
	if err != nil {
		return fmt.Errorf("staff: %w", err)
	}
	return nil
}

// dataset returns a dataset's raw JSON, or nil when it was never received.
func dataset(ctx context.Context, q querier, name string) ([]byte, error) {
	var b []byte
	err := q.QueryRowContext(ctx, `SELECT data FROM datasets WHERE name = ?`, name).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return b, err
}

// parseSettings decodes the settings dataset over the defaults.
func parseSettings(b []byte) (checkpoint.Settings, error) {
	var s checkpoint.Settings
	if b != nil {
		if err := json.Unmarshal(b, &s); err != nil {
			return s, fmt.Errorf("settings: %w", err)
		}
	}
	s.Rules = s.Rules.WithDefaults()
	if s.RetentionDays <= 0 {
		s.RetentionDays = DefaultRetentionDays
	}
	return s, nil
}

// refuseFields fails when an object from HQ carries one of names: values a kiosk must never
// store (an HQ from before DESIGN §9 still sends them), even as unread raw JSON.
func refuseFields(obj map[string]json.RawMessage, names ...string) error {
	for _, n := range names {
		if _, ok := obj[n]; ok {
			return fmt.Errorf("%w: %s: a kiosk keeps no keyed hash, key or masked value for one (upgrade HQ)", ErrInvalid, n)
		}
	}
	return nil
}

// validateSettings refuses a settings dataset whose rules are out of range or whose keys do
// not parse (a bad key would otherwise leave every later record unsealed), and one that carries
// HQ's person-hash key.
func validateSettings(b []byte) error {
	s, err := parseSettings(b)
	if err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if err := refuseFields(raw, "person_hash_key"); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if err := s.Rules.Validate(); err != nil {
		return err
	}
	if s.HQSealKey != "" {
		pub, err := sealbox.ParseKey(s.HQSealKey)
		if err == nil {
			_, err = sealbox.Seal(pub, "settings-check", checkpoint.Personal{})
		}
		if err != nil {
			return fmt.Errorf("settings: hq_seal_key: %w", err)
		}
	}
	if s.StaffSalt != "" {
		if _, err := staffSalt(s); err != nil {
			return fmt.Errorf("settings: staff_salt: %w", err)
		}
	}
	return nil
}

func settings(ctx context.Context, q querier) (checkpoint.Settings, error) {
	b, err := dataset(ctx, q, checkpoint.DatasetSettings)
	if err != nil {
		return checkpoint.Settings{}, err
	}
	return parseSettings(b)
}

// staffSalt decodes the settings' staff salt: ErrNoStaffSalt when there is none.
func staffSalt(s checkpoint.Settings) ([]byte, error) {
	if s.StaffSalt == "" {
		return nil, ErrNoStaffSalt
	}
	b, err := sealbox.ParseKey(s.StaffSalt)
	if err != nil || len(b) < 16 {
		return nil, fmt.Errorf("%w: staff salt is not base64 of at least 16 bytes", ErrInvalid)
	}
	return b, nil
}

// StaffSalt returns the salt of the roster's phone lookups (passwd.PhoneLookup) from the
// settings dataset; it fails with ErrNoStaffSalt before the first settings pull.
func (db *DB) StaffSalt(ctx context.Context) ([]byte, error) {
	s, err := db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	b, err := staffSalt(s)
	return b, wrap("staff salt", err)
}

// Settings returns the settings dataset with defaults filled in (rules from
// checkpoint.DefaultConfig, retention DefaultRetentionDays); before the first pull it is all
// defaults, with no seal key or staff salt.
func (db *DB) Settings(ctx context.Context) (checkpoint.Settings, error) {
	s, err := settings(ctx, db.r)
	if err != nil {
		return s, fmt.Errorf("store: settings: %w", err)
	}
	return s, nil
}

// TrustList returns the trust list of HQ issuing keys; empty before the first pull, so no code
// verifies until the kiosk has synced once.
func (db *DB) TrustList(ctx context.Context) (checkpoint.TrustList, error) {
	b, err := dataset(ctx, db.r, checkpoint.DatasetTrust)
	if err != nil || b == nil {
		return checkpoint.TrustList{}, wrap("trust list", err)
	}
	t, err := checkpoint.ParseTrustList(b)
	return t, wrap("trust list", err)
}

// Revocations returns the ids of revoked codes (build a lookup set with
// checkpoint.NewRevocationList).
func (db *DB) Revocations(ctx context.Context) ([]string, error) {
	b, err := dataset(ctx, db.r, checkpoint.DatasetRevocations)
	if err != nil || b == nil {
		return nil, wrap("revocations", err)
	}
	r, err := checkpoint.ParseRevocationList(b)
	if err != nil {
		return nil, wrap("revocations", err)
	}
	return r.CodeIDs, nil
}

// RiskAreas returns the risk-area list; empty before the first pull.
func (db *DB) RiskAreas(ctx context.Context) (checkpoint.RiskList, error) {
	b, err := dataset(ctx, db.r, checkpoint.DatasetRisk)
	if err != nil || b == nil {
		return nil, wrap("risk areas", err)
	}
	l, err := checkpoint.ParseRiskList(b)
	return l, wrap("risk areas", err)
}

// Roster returns every staff account the kiosk knows (HQ's roster plus unacknowledged local
// additions), ordered by id.
func (db *DB) Roster(ctx context.Context) ([]checkpoint.Staff, error) {
	var out []checkpoint.Staff
	err := scanJSON(ctx, db.r, &out, `SELECT data FROM staff ORDER BY id`)
	return out, wrap("roster", err)
}

// StaffByPhoneLookup finds the account for a login: lookup is passwd.PhoneLookup of the typed
// phone number with StaffSalt. ErrNotFound when no account has it.
func (db *DB) StaffByPhoneLookup(ctx context.Context, lookup string) (checkpoint.Staff, error) {
	var out []checkpoint.Staff
	if err := scanJSON(ctx, db.r, &out, `SELECT data FROM staff WHERE phone_lookup = ? ORDER BY id LIMIT 1`, lookup); err != nil {
		return checkpoint.Staff{}, wrap("staff by phone", err)
	}
	if len(out) == 0 {
		return checkpoint.Staff{}, fmt.Errorf("store: staff by phone: %w", ErrNotFound)
	}
	return out[0], nil
}

// Sites returns every site the kiosk knows (HQ's site tree for this device plus
// unacknowledged local edits), ordered by parent then id.
func (db *DB) Sites(ctx context.Context) ([]checkpoint.Site, error) {
	var out []checkpoint.Site
	err := scanJSON(ctx, db.r, &out, `SELECT data FROM sites ORDER BY parent_id, id`)
	return out, wrap("sites", err)
}

// Site returns one site; ErrNotFound if the kiosk does not know it.
func (db *DB) Site(ctx context.Context, id string) (checkpoint.Site, error) {
	var out []checkpoint.Site
	if err := scanJSON(ctx, db.r, &out, `SELECT data FROM sites WHERE id = ?`, id); err != nil {
		return checkpoint.Site{}, wrap("site", err)
	}
	if len(out) == 0 {
		return checkpoint.Site{}, fmt.Errorf("store: site %s: %w", id, ErrNotFound)
	}
	return out[0], nil
}

// scanJSON decodes a one-column JSON result into *dst (a slice).
func scanJSON[T any](ctx context.Context, q querier, dst *[]T, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return err
		}
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*dst = append(*dst, v)
	}
	return rows.Err()
}

// wrap prefixes err with the store and operation, keeping nil nil.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", op, err)
}
