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

// sessionTouchEvery is how far a citizen session's idle end must move before it is written: a
// page polling its code would otherwise write on every request.
const sessionTouchEvery = time.Minute

// session is what citizen and operator sessions share: their owner and their times.
type session struct {
	owner                                  string
	createdAt, seenAt, idleUntil, maxUntil time.Time
}

// touchSession returns the live session of tokenHash in table (owner in column ownerCol) at now
// and moves its idle end to idleUntil (never past its max), writing only when that moves it by
// every or more. A session that has ended is deleted and ErrNotFound returned, as for one that
// does not exist. table and ownerCol are this package's constants, never input.
func (d *DB) touchSession(ctx context.Context, table, ownerCol, tokenHash string, now, idleUntil time.Time, every time.Duration) (session, error) {
	var s session
	err := d.tx(ctx, "touch "+table, func(tx *sql.Tx) error {
		var created, seen, idle, maxU string
		err := tx.QueryRowContext(ctx, d.q(`SELECT `+ownerCol+`, created_at, seen_at, idle_until, max_until FROM `+table+` WHERE token_hash = ?`), tokenHash).
			Scan(&s.owner, &created, &seen, &idle, &maxU)
		if err == sql.ErrNoRows {
			return fmt.Errorf("%s: %w", table, ErrNotFound)
		}
		if err != nil {
			return err
		}
		s.createdAt, s.seenAt, s.idleUntil, s.maxUntil = ptime(created), ptime(seen), ptime(idle), ptime(maxU)
		if !now.Before(s.idleUntil) || !now.Before(s.maxUntil) {
			return errEnded
		}
		idleUntil = minTime(idleUntil, s.maxUntil)
		if idleUntil.Sub(s.idleUntil) < every {
			return nil
		}
		s.seenAt, s.idleUntil = now, idleUntil
		_, err = tx.ExecContext(ctx, d.q(`UPDATE `+table+` SET seen_at = ?, idle_until = ? WHERE token_hash = ?`), ftime(now), ftime(idleUntil), tokenHash)
		return err
	})
	if errors.Is(err, errEnded) {
		if _, derr := d.db.ExecContext(ctx, d.q(`DELETE FROM `+table+` WHERE token_hash = ?`), tokenHash); derr != nil {
			return session{}, fmt.Errorf("sqldb: touch %s: %w", table, derr)
		}
		return session{}, fmt.Errorf("sqldb: %s ended: %w", table, ErrNotFound)
	}
	return s, err
}

// TouchCitizenSession returns the live session of tokenHash at now and moves its idle end to
// idleUntil (never past its MaxUntil; written only when that moves it by a minute or more). A
// session that has ended is deleted and ErrNotFound returned, as for one that does not exist.
func (d *DB) TouchCitizenSession(ctx context.Context, tokenHash string, now, idleUntil time.Time) (CitizenSession, error) {
	s, err := d.touchSession(ctx, "citizen_sessions", "citizen_id", tokenHash, now, idleUntil, sessionTouchEvery)
	if err != nil {
		return CitizenSession{}, err
	}
	return CitizenSession{TokenHash: tokenHash, CitizenID: s.owner, CreatedAt: s.createdAt, SeenAt: s.seenAt,
		IdleUntil: s.idleUntil, MaxUntil: s.maxUntil}, nil
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
