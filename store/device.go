package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Device is the kiosk's own credential from enrollment. Secret authenticates the kiosk to HQ
// ("Authorization: Bearer ID.SECRET"); it is never logged. RootKey is HQ's root key, pinned at
// enrollment from the fingerprint in the code: every dataset must be signed by it. Epoch is the
// HQ epoch of the last dataset applied.
type Device struct {
	ID         string
	Secret     string
	SiteID     string
	HQURL      string
	EnrolledAt time.Time
	RootKey    ed25519.PublicKey
	Epoch      string
	// Replaces is the device HQ says this one succeeds (set at enrollment, not stored): the
	// kiosk's queued records of that device are accepted from this one.
	Replaces string
}

// LogValue implements slog.LogValuer without the secret.
func (d Device) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", d.ID), slog.String("site_id", d.SiteID), slog.String("hq_url", d.HQURL))
}

// Device returns the enrolled device, or an error wrapping ErrNotEnrolled before enrollment.
func (db *DB) Device(ctx context.Context) (Device, error) {
	d, err := getDevice(ctx, db.r)
	if errors.Is(err, ErrNotFound) {
		return d, fmt.Errorf("store: device: %w", ErrNotEnrolled)
	}
	return d, wrap("device", err)
}

func getDevice(ctx context.Context, q querier) (Device, error) {
	var d Device
	var at int64
	var root string
	err := q.QueryRowContext(ctx, `SELECT id, secret, site_id, hq_url, enrolled_at, root_key, hq_epoch FROM device WHERE one = 1`).
		Scan(&d.ID, &d.Secret, &d.SiteID, &d.HQURL, &at, &root, &d.Epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	d.EnrolledAt = fromMS(at)
	if b, derr := base64.StdEncoding.DecodeString(root); derr == nil && len(b) == ed25519.PublicKeySize {
		d.RootKey = b
	}
	return d, err
}

// SaveDevice stores the credential from enrollment, replacing any earlier one. A credential for
// another device id than the one held also drops everything HQ supplied (every dataset and its
// cursor, the roster and sites from HQ), in the same transaction; the outbox and local edits HQ
// has not acknowledged stay.
func (db *DB) SaveDevice(ctx context.Context, d Device) error {
	for _, f := range []field{{"id", d.ID, MaxShortText}, {"site_id", d.SiteID, MaxShortText}, {"secret", d.Secret, 256}, {"hq_url", d.HQURL, 2048}} {
		if f.v == "" {
			return fmt.Errorf("store: save device: %w: %s is required", ErrInvalid, f.name)
		}
		if err := validateText(f.name, f.v, f.max); err != nil {
			return fmt.Errorf("store: save device: %w", err)
		}
	}
	if d.RootKey != nil && len(d.RootKey) != ed25519.PublicKeySize {
		return fmt.Errorf("store: save device: %w: root key is not an Ed25519 public key", ErrInvalid)
	}
	if err := validateText("epoch", d.Epoch, MaxShortText); err != nil {
		return fmt.Errorf("store: save device: %w", err)
	}
	if d.EnrolledAt.IsZero() {
		d.EnrolledAt = db.now()
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save device: %w", err)
	}
	defer tx.Rollback()
	var held string
	if err := tx.QueryRowContext(ctx, `SELECT id FROM device WHERE one = 1`).Scan(&held); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: save device: %w", err)
	}
	if held != d.ID {
		// A new enrollment (perhaps at another site, perhaps with another HQ): nothing HQ
		// supplied to the earlier credential applies any more. Records and pending local edits
		// stay (the new device hands them in as its predecessor's).
		if err := resetHQData(ctx, tx); err != nil {
			return fmt.Errorf("store: save device: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO device (one, id, secret, site_id, hq_url, enrolled_at, root_key, hq_epoch) VALUES (1, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (one) DO UPDATE SET id = excluded.id, secret = excluded.secret, site_id = excluded.site_id,
		hq_url = excluded.hq_url, enrolled_at = excluded.enrolled_at, root_key = excluded.root_key, hq_epoch = excluded.hq_epoch`,
		d.ID, d.Secret, d.SiteID, d.HQURL, ms(d.EnrolledAt), base64.StdEncoding.EncodeToString(d.RootKey), d.Epoch); err != nil {
		return fmt.Errorf("store: save device: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: save device: %w", err)
	}
	return nil
}

// PinRoot replaces the pinned HQ root key (after the kiosk followed a verified rotation) and
// notes the HQ epoch last seen; an empty epoch keeps the one held.
func (db *DB) PinRoot(ctx context.Context, root ed25519.PublicKey, epoch string) error {
	if len(root) != ed25519.PublicKeySize {
		return fmt.Errorf("store: pin root: %w: not an Ed25519 public key", ErrInvalid)
	}
	if err := validateText("epoch", epoch, MaxShortText); err != nil {
		return fmt.Errorf("store: pin root: %w", err)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: pin root: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE device SET root_key = ?, hq_epoch = CASE WHEN ? = '' THEN hq_epoch ELSE ? END WHERE one = 1`,
		base64.StdEncoding.EncodeToString(root), epoch, epoch)
	if err != nil {
		return fmt.Errorf("store: pin root: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("store: pin root: %w", ErrNotEnrolled)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: pin root: %w", err)
	}
	return nil
}

// SyncState is what the UI shows about sync: when it last worked, when it was last tried and,
// if the last try failed, why (LastError is empty after a success). Refused counts the datasets
// from HQ refused because they did not verify; LastRefusal is the last one's reason code.
type SyncState struct {
	LastSuccess   time.Time
	LastAttempt   time.Time
	LastError     string
	Refused       int64
	LastRefusal   string
	LastRefusedAt time.Time
}

// SyncState returns the sync state; the zero value before the first attempt.
func (db *DB) SyncState(ctx context.Context) (SyncState, error) {
	var s SyncState
	var ok, at, refusedAt int64
	err := db.r.QueryRowContext(ctx, `SELECT last_success, last_attempt, last_error, refused, last_refusal, last_refused_at FROM sync_state WHERE one = 1`).
		Scan(&ok, &at, &s.LastError, &s.Refused, &s.LastRefusal, &refusedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("store: sync state: %w", err)
	}
	s.LastSuccess, s.LastAttempt, s.LastRefusedAt = fromMS(ok), fromMS(at), fromMS(refusedAt)
	return s, nil
}

// RecordRefusal counts a dataset refused for reason (a short code, never personal data) at at.
func (db *DB) RecordRefusal(ctx context.Context, reason string, at time.Time) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: record refusal: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO sync_state (one, refused, last_refusal, last_refused_at) VALUES (1, 1, ?, ?)
		ON CONFLICT (one) DO UPDATE SET refused = sync_state.refused + 1, last_refusal = excluded.last_refusal,
		last_refused_at = excluded.last_refused_at`, clip(reason, 200), ms(at)); err != nil {
		return fmt.Errorf("store: record refusal: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: record refusal: %w", err)
	}
	return nil
}

// SetSyncState replaces the sync times and last error; the refusal count is RecordRefusal's.
func (db *DB) SetSyncState(ctx context.Context, s SyncState) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: set sync state: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO sync_state (one, last_success, last_attempt, last_error) VALUES (1, ?, ?, ?)
		ON CONFLICT (one) DO UPDATE SET last_success = excluded.last_success, last_attempt = excluded.last_attempt,
		last_error = excluded.last_error`, ms(s.LastSuccess), ms(s.LastAttempt), clip(s.LastError, 1000)); err != nil {
		return fmt.Errorf("store: set sync state: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: set sync state: %w", err)
	}
	return nil
}

// RecordLoginFailure notes a failed login for staffID at the given time (lockout counting).
func (db *DB) RecordLoginFailure(ctx context.Context, staffID string, at time.Time) error {
	if err := validateText("staff_id", staffID, MaxShortText); err != nil {
		return fmt.Errorf("store: record login failure: %w", err)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: record login failure: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (staff_id, at) VALUES (?, ?)`, staffID, ms(at)); err != nil {
		return fmt.Errorf("store: record login failure: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: record login failure: %w", err)
	}
	return nil
}

// ResetLoginFailures forgets staffID's failed logins (after a successful login).
func (db *DB) ResetLoginFailures(ctx context.Context, staffID string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: reset login failures: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE staff_id = ?`, staffID); err != nil {
		return fmt.Errorf("store: reset login failures: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: reset login failures: %w", err)
	}
	return nil
}

// LoginFailures counts staffID's failed logins at or after since.
func (db *DB) LoginFailures(ctx context.Context, staffID string, since time.Time) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM login_failures WHERE staff_id = ? AND at >= ?`,
		staffID, ms(since)).Scan(&n)
	return n, wrap("login failures", err)
}

// resetHQData drops every dataset HQ supplied and the rows unpacked from them, keeping local site
// and staff rows whose record is still pending.
func resetHQData(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM datasets`); err != nil {
		return err
	}
	for _, t := range []string{"sites", "staff"} {
		if err := dropUnpinned(ctx, tx, t); err != nil {
			return err
		}
	}
	return nil
}

// ChangeEpoch records HQ's epoch. With resend (HQ was restored from a backup: its epoch changed
// under a kiosk that knew the old one) it also, in the same transaction, resets every dataset
// cursor (the next pull gets every dataset again; the data held stays in use until then) and
// puts every synced record the kiosk still holds back in the queue, so HQ gets again what it may
// have lost (it answers duplicate for what it kept). It returns how many records it requeued.
func (db *DB) ChangeEpoch(ctx context.Context, epoch string, resend bool) (int, error) {
	if epoch == "" {
		return 0, fmt.Errorf("store: change epoch: %w: empty epoch", ErrInvalid)
	}
	if err := validateText("epoch", epoch, MaxShortText); err != nil {
		return 0, fmt.Errorf("store: change epoch: %w", err)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: change epoch: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE device SET hq_epoch = ? WHERE one = 1`, epoch)
	if err != nil {
		return 0, fmt.Errorf("store: change epoch: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return 0, fmt.Errorf("store: change epoch: %w", ErrNotEnrolled)
	}
	var n int64
	if resend {
		if _, err := tx.ExecContext(ctx, `UPDATE datasets SET version = 0, tag = ''`); err != nil {
			return 0, fmt.Errorf("store: change epoch: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, synced_at = NULL WHERE state = ?`, statePending, stateSynced)
		if err != nil {
			return 0, fmt.Errorf("store: change epoch: %w", err)
		}
		n, _ = res.RowsAffected()
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: change epoch: %w", err)
	}
	return int(n), nil
}
