package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CitizenSession is a 吉事办 login. TokenHash is the SHA-256 of the cookie's token (the token
// itself is never stored). It ends at IdleUntil unless used, and at MaxUntil in any case.
type CitizenSession struct {
	TokenHash string
	CitizenID string
	CreatedAt time.Time
	SeenAt    time.Time
	IdleUntil time.Time
	MaxUntil  time.Time
}

// errEnded is TouchCitizenSession's way out of its transaction for a session that has ended.
var errEnded = errors.New("session ended")

// CreateCitizenSession stores a new session and deletes the sessions that have ended.
func (d *DB) CreateCitizenSession(ctx context.Context, s CitizenSession) error {
	return d.tx(ctx, "create citizen session", func(tx *sql.Tx) error {
		now := ftime(s.CreatedAt)
		if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM citizen_sessions WHERE max_until <= ? OR idle_until <= ?`), now, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO citizen_sessions (token_hash, citizen_id, created_at, seen_at, idle_until, max_until) VALUES (?,?,?,?,?,?)`),
			s.TokenHash, s.CitizenID, ftime(s.CreatedAt), ftime(s.SeenAt), ftime(s.IdleUntil), ftime(s.MaxUntil))
		return err
	})
}

// sessionTouchEvery is how far a session's idle end must move before it is written.
const sessionTouchEvery = time.Minute

// TouchCitizenSession returns the live session of tokenHash at now and moves its idle end to
// idleUntil (never past its MaxUntil; written only when that moves it by a minute or more). A session that has ended is deleted and ErrNotFound
// returned, as for one that does not exist.
func (d *DB) TouchCitizenSession(ctx context.Context, tokenHash string, now, idleUntil time.Time) (CitizenSession, error) {
	var s CitizenSession
	err := d.tx(ctx, "touch citizen session", func(tx *sql.Tx) error {
		var created, seen, idle, maxU string
		err := tx.QueryRowContext(ctx, d.q(`SELECT citizen_id, created_at, seen_at, idle_until, max_until FROM citizen_sessions WHERE token_hash = ?`), tokenHash).
			Scan(&s.CitizenID, &created, &seen, &idle, &maxU)
		if err == sql.ErrNoRows {
			return fmt.Errorf("citizen session: %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		s.TokenHash = tokenHash
		s.CreatedAt, s.SeenAt, s.IdleUntil, s.MaxUntil = ptime(created), ptime(seen), ptime(idle), ptime(maxU)
		if !now.Before(s.IdleUntil) || !now.Before(s.MaxUntil) {
			return errEnded
		}
		if idleUntil.After(s.MaxUntil) {
			idleUntil = s.MaxUntil
		}
		// A page polling its code would otherwise write on every request: the idle end moves
		// only once it has slipped by more than a minute.
		if idleUntil.Sub(s.IdleUntil) < sessionTouchEvery {
			return nil
		}
		s.SeenAt, s.IdleUntil = now, idleUntil
		_, err = tx.ExecContext(ctx, d.q(`UPDATE citizen_sessions SET seen_at = ?, idle_until = ? WHERE token_hash = ?`), ftime(now), ftime(idleUntil), tokenHash)
		return err
	})
	if errors.Is(err, errEnded) {
		if _, derr := d.db.ExecContext(ctx, d.q(`DELETE FROM citizen_sessions WHERE token_hash = ?`), tokenHash); derr != nil {
			return CitizenSession{}, fmt.Errorf("sqldb: touch citizen session: %w", derr)
		}
		return CitizenSession{}, fmt.Errorf("sqldb: citizen session ended: %w", ErrNotFound)
	}
	return s, err
}

// DeleteCitizenSession deletes one session (none is not an error).
func (d *DB) DeleteCitizenSession(ctx context.Context, tokenHash string) error {
	if _, err := d.db.ExecContext(ctx, d.q(`DELETE FROM citizen_sessions WHERE token_hash = ?`), tokenHash); err != nil {
		return fmt.Errorf("sqldb: delete citizen session: %w", err)
	}
	return nil
}

// CitizenSessionCount returns how many sessions an account has (ended ones not yet deleted
// included).
func (d *DB) CitizenSessionCount(ctx context.Context, citizenID string) (int, error) {
	var n int
	if err := d.db.QueryRowContext(ctx, d.q(`SELECT COUNT(*) FROM citizen_sessions WHERE citizen_id = ?`), citizenID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqldb: citizen sessions: %w", err)
	}
	return n, nil
}
