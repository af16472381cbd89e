package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Device is the kiosk's own credential from enrollment. Secret authenticates the kiosk to HQ
// ("Authorization: Bearer ID.SECRET"); it is never logged.
type Device struct {
	ID         string
	Secret     string
	SiteID     string
	HQURL      string
	EnrolledAt time.Time
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
	err := q.QueryRowContext(ctx, `SELECT id, secret, site_id, hq_url, enrolled_at FROM device WHERE one = 1`).
		Scan(&d.ID, &d.Secret, &d.SiteID, &d.HQURL, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	d.EnrolledAt = fromMS(at)
	return d, err
}

// SaveDevice stores the credential from enrollment, replacing any earlier one.
func (db *DB) SaveDevice(ctx context.Context, d Device) error {
	for _, f := range []field{{"id", d.ID, MaxShortText}, {"site_id", d.SiteID, MaxShortText}, {"secret", d.Secret, 256}, {"hq_url", d.HQURL, 2048}} {
		if f.v == "" {
			return fmt.Errorf("store: save device: %w: %s is required", ErrInvalid, f.name)
		}
		if err := validateText(f.name, f.v, f.max); err != nil {
			return fmt.Errorf("store: save device: %w", err)
		}
	}
	if d.EnrolledAt.IsZero() {
		d.EnrolledAt = db.now()
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save device: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO device (one, id, secret, site_id, hq_url, enrolled_at) VALUES (1, ?, ?, ?, ?, ?)
		ON CONFLICT (one) DO UPDATE SET id = excluded.id, secret = excluded.secret, site_id = excluded.site_id,
		hq_url = excluded.hq_url, enrolled_at = excluded.enrolled_at`,
		d.ID, d.Secret, d.SiteID, d.HQURL, ms(d.EnrolledAt)); err != nil {
		return fmt.Errorf("store: save device: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: save device: %w", err)
	}
	return nil
}

// SyncState is what the UI shows about sync: when it last worked, when it was last tried and,
// if the last try failed, why (LastError is empty after a success).
type SyncState struct {
	LastSuccess time.Time
	LastAttempt time.Time
	LastError   string
}

// SyncState returns the sync state; the zero value before the first attempt.
func (db *DB) SyncState(ctx context.Context) (SyncState, error) {
	var s SyncState
	var ok, at int64
	err := db.r.QueryRowContext(ctx, `SELECT last_success, last_attempt, last_error FROM sync_state WHERE one = 1`).
		Scan(&ok, &at, &s.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("store: sync state: %w", err)
	}
	s.LastSuccess, s.LastAttempt = fromMS(ok), fromMS(at)
	return s, nil
}

// SetSyncState replaces the sync state.
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
