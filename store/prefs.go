package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Pref returns the kiosk's local preference key; ok is false when it was never set.
func (db *DB) Pref(ctx context.Context, key string) (value string, ok bool, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT value FROM prefs WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: pref %s: %w", key, err)
	}
	return value, true, nil
}

// SetPref sets the kiosk's local preference key to value.
func (db *DB) SetPref(ctx context.Context, key, value string) error {
	if err := validateText("pref", value, MaxShortText); err != nil {
		return fmt.Errorf("store: set pref %s: %w", key, err)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: set pref %s: %w", key, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO prefs (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("store: set pref %s: %w", key, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: set pref %s: %w", key, err)
	}
	return nil
}
