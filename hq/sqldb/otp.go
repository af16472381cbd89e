package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SMSCode is the live verification code of (PhoneHash, Purpose): only its keyed hash is stored.
type SMSCode struct {
	PhoneHash string
	Purpose   string
	CodeHash  string
	Attempts  int
	ExpiresAt time.Time
	CreatedAt time.Time
}

// Errors of UseSMSCode.
var (
	ErrCodeNone      = errors.New("sqldb: no live SMS code") // none, expired, or used
	ErrCodeExhausted = errors.New("sqldb: SMS code attempts used up")
)

// PutSMSCode stores c, replacing the code (phone, purpose) had, and deletes codes that expired
// a day before c was made.
func (d *DB) PutSMSCode(ctx context.Context, c SMSCode) error {
	if _, err := d.db.ExecContext(ctx, d.q(`DELETE FROM sms_codes WHERE expires_at < ?`), ftime(c.CreatedAt.Add(-24*time.Hour))); err != nil {
		return fmt.Errorf("sqldb: put SMS code: %w", err)
	}
	_, err := d.db.ExecContext(ctx, d.q(`INSERT INTO sms_codes (phone_hash, purpose, code_hash, attempts, expires_at, created_at) VALUES (?,?,?,?,?,?)
		ON CONFLICT (phone_hash, purpose) DO UPDATE SET code_hash = excluded.code_hash, attempts = excluded.attempts,
		expires_at = excluded.expires_at, created_at = excluded.created_at`),
		c.PhoneHash, c.Purpose, c.CodeHash, c.Attempts, ftime(c.ExpiresAt), ftime(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqldb: put SMS code: %w", err)
	}
	return nil
}

// DeleteSMSCode deletes the code of (phone, purpose).
func (d *DB) DeleteSMSCode(ctx context.Context, phoneHash, purpose string) error {
	if _, err := d.db.ExecContext(ctx, d.q(`DELETE FROM sms_codes WHERE phone_hash = ? AND purpose = ?`), phoneHash, purpose); err != nil {
		return fmt.Errorf("sqldb: delete SMS code: %w", err)
	}
	return nil
}

// UseSMSCode spends one attempt on the code of (phone, purpose) at now and reports whether
// match accepts its stored hash; a match deletes the code (single use, also against a
// concurrent use). With maxAttempts spent it returns ErrCodeExhausted without calling match;
// with no live code, ErrCodeNone.
func (d *DB) UseSMSCode(ctx context.Context, phoneHash, purpose string, now time.Time, maxAttempts int, match func(codeHash string) bool) (bool, error) {
	res, err := d.db.ExecContext(ctx, d.q(`UPDATE sms_codes SET attempts = attempts + 1 WHERE phone_hash = ? AND purpose = ? AND attempts < ? AND expires_at > ?`),
		phoneHash, purpose, maxAttempts, ftime(now))
	if err != nil {
		return false, fmt.Errorf("sqldb: use SMS code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var attempts int
		var exp string
		err := d.db.QueryRowContext(ctx, d.q(`SELECT attempts, expires_at FROM sms_codes WHERE phone_hash = ? AND purpose = ?`), phoneHash, purpose).Scan(&attempts, &exp)
		switch {
		case err == sql.ErrNoRows:
			return false, ErrCodeNone
		case err != nil:
			return false, fmt.Errorf("sqldb: use SMS code: %w", err)
		case !now.Before(ptime(exp)):
			return false, ErrCodeNone
		default:
			return false, ErrCodeExhausted
		}
	}
	var h string
	err = d.db.QueryRowContext(ctx, d.q(`SELECT code_hash FROM sms_codes WHERE phone_hash = ? AND purpose = ?`), phoneHash, purpose).Scan(&h)
	if err == sql.ErrNoRows {
		return false, ErrCodeNone // used meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("sqldb: use SMS code: %w", err)
	}
	if !match(h) {
		return false, nil
	}
	res, err = d.db.ExecContext(ctx, d.q(`DELETE FROM sms_codes WHERE phone_hash = ? AND purpose = ? AND code_hash = ?`), phoneHash, purpose, h)
	if err != nil {
		return false, fmt.Errorf("sqldb: use SMS code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, ErrCodeNone
	}
	return true, nil
}
