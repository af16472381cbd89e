package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SMSSend is one code sent (or answered as sent) to a phone hash for a client address hash.
type SMSSend struct {
	ID        string
	PhoneHash string
	AddrHash  string
	At        time.Time
}

// LogSMSSend records s if allow agrees, in one transaction: it locks the phone's row (so that
// sends to one phone are counted one at a time across HQ instances), reads the phone's and the
// address's sends since `since`, and calls allow with their times; allow's error is returned
// as it is and nothing is recorded. Send rows older than prune are deleted.
func (d *DB) LogSMSSend(ctx context.Context, s SMSSend, since, prune time.Time, allow func(phone, addr []time.Time) error) error {
	var allowErr error
	err := d.tx(ctx, "log SMS send", func(tx *sql.Tx) error {
		allowErr = nil
		if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO sms_phones (phone_hash, last_at) VALUES (?, ?)
			ON CONFLICT (phone_hash) DO UPDATE SET last_at = excluded.last_at`), s.PhoneHash, ftime(s.At)); err != nil {
			return err
		}
		phone, err := sendTimes(ctx, tx, d.q(`SELECT sent_at FROM sms_sends WHERE phone_hash = ? AND sent_at > ? ORDER BY sent_at`), s.PhoneHash, ftime(since))
		if err != nil {
			return err
		}
		addr, err := sendTimes(ctx, tx, d.q(`SELECT sent_at FROM sms_sends WHERE addr_hash = ? AND sent_at > ? ORDER BY sent_at`), s.AddrHash, ftime(since))
		if err != nil {
			return err
		}
		if allowErr = allow(phone, addr); allowErr != nil {
			return allowErr
		}
		if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO sms_sends (phone_hash, id, addr_hash, sent_at) VALUES (?,?,?,?)`), s.PhoneHash, s.ID, s.AddrHash, ftime(s.At)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM sms_sends WHERE sent_at < ?`), ftime(prune)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, d.q(`DELETE FROM sms_phones WHERE last_at < ?`), ftime(prune))
		return err
	})
	if allowErr != nil {
		return allowErr
	}
	return err
}

func sendTimes(ctx context.Context, tx interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, query string, args ...any) ([]time.Time, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, ptime(s))
	}
	return out, rows.Err()
}

// LoginFailure is one failed login counted under Key ("phone:…" or "addr:…").
type LoginFailure struct {
	Key string
	ID  string
	At  time.Time
}

// AddLoginFailures records failed logins and deletes those older than prune.
func (d *DB) AddLoginFailures(ctx context.Context, prune time.Time, fs ...LoginFailure) error {
	return d.tx(ctx, "add login failures", func(tx *sql.Tx) error {
		for _, f := range fs {
			if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO login_failures (lock_key, id, failed_at) VALUES (?,?,?)`), f.Key, f.ID, ftime(f.At)); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, d.q(`DELETE FROM login_failures WHERE failed_at < ?`), ftime(prune))
		return err
	})
}

// LoginFailures returns the times of key's failed logins after since, oldest first.
func (d *DB) LoginFailures(ctx context.Context, key string, since time.Time) ([]time.Time, error) {
	out, err := sendTimes(ctx, d.db, d.q(`SELECT failed_at FROM login_failures WHERE lock_key = ? AND failed_at > ? ORDER BY failed_at`), key, ftime(since))
	if err != nil {
		return nil, fmt.Errorf("sqldb: login failures: %w", err)
	}
	return out, nil
}

// ClearLoginFailures deletes key's failed logins (after a successful login or a reset).
func (d *DB) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := d.db.ExecContext(ctx, d.q(`DELETE FROM login_failures WHERE lock_key = ?`), key); err != nil {
		return fmt.Errorf("sqldb: clear login failures: %w", err)
	}
	return nil
}
