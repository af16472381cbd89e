package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Operator is an account of the operator console (hq/console). PasswordHash is argon2id (package
// passwd), "" until the operator has used the setup link; TOTPSecret is the TOTP secret as the console keeps it (sealed),
// confirmed once the operator has entered a first code from it. TOTPLastStep is the last 30 s
// step a code was accepted for, so no code is accepted twice. SetupHash is the SHA-256 of the
// one-time setup token ("" once used), valid until SetupUntil.
type Operator struct {
	Name          string
	Role          string
	PasswordHash  string
	TOTPSecret    string
	TOTPConfirmed bool
	TOTPLastStep  int64
	SetupHash     string
	SetupUntil    time.Time
	Active        bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ErrOperatorExists is returned by CreateOperator for a name already taken.
var ErrOperatorExists = errors.New("sqldb: operator name already taken")

const operatorCols = `name, role, password_hash, totp_secret, totp_confirmed, totp_last_step, setup_hash, setup_until, active, created_at, updated_at`

func scanOperator(row interface{ Scan(...any) error }) (Operator, error) {
	var o Operator
	var confirmed, active int
	var until, created, updated string
	if err := row.Scan(&o.Name, &o.Role, &o.PasswordHash, &o.TOTPSecret, &confirmed, &o.TOTPLastStep, &o.SetupHash, &until, &active, &created, &updated); err != nil {
		return o, err
	}
	o.TOTPConfirmed, o.Active = confirmed != 0, active != 0
	o.SetupUntil, o.CreatedAt, o.UpdatedAt = ptime(until), ptime(created), ptime(updated)
	return o, nil
}

func bint(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateOperator stores a new operator; ErrOperatorExists when the name is taken.
func (d *DB) CreateOperator(ctx context.Context, o Operator) error {
	err := d.tx(ctx, "create operator", func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, d.q(`SELECT COUNT(*) FROM operators WHERE name = ?`), o.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrOperatorExists
		}
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO operators (`+operatorCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?)`),
			o.Name, o.Role, o.PasswordHash, o.TOTPSecret, bint(o.TOTPConfirmed), o.TOTPLastStep, o.SetupHash, ftime(o.SetupUntil),
			bint(o.Active), ftime(o.CreatedAt), ftime(o.UpdatedAt))
		return err
	})
	if err != nil && !errors.Is(err, ErrOperatorExists) {
		// A concurrent insert won the primary key.
		if _, gerr := d.Operator(ctx, o.Name); gerr == nil {
			return fmt.Errorf("sqldb: create operator: %w", ErrOperatorExists)
		}
	}
	return err
}

// Operator returns an operator by name.
func (d *DB) Operator(ctx context.Context, name string) (Operator, error) {
	o, err := scanOperator(d.db.QueryRowContext(ctx, d.q(`SELECT `+operatorCols+` FROM operators WHERE name = ?`), name))
	if err == sql.ErrNoRows {
		return o, fmt.Errorf("sqldb: operator: %w", ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("sqldb: operator: %w", err)
	}
	return o, nil
}

// OperatorBySetup returns the operator whose unused setup token hashes to setupHash.
func (d *DB) OperatorBySetup(ctx context.Context, setupHash string) (Operator, error) {
	if setupHash == "" {
		return Operator{}, fmt.Errorf("sqldb: operator: %w", ErrNotFound)
	}
	o, err := scanOperator(d.db.QueryRowContext(ctx, d.q(`SELECT `+operatorCols+` FROM operators WHERE setup_hash = ?`), setupHash))
	if err == sql.ErrNoRows {
		return o, fmt.Errorf("sqldb: operator: %w", ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("sqldb: operator: %w", err)
	}
	return o, nil
}

// Operators returns every operator, by name.
func (d *DB) Operators(ctx context.Context) ([]Operator, error) {
	rows, err := d.db.QueryContext(ctx, d.q(`SELECT `+operatorCols+` FROM operators ORDER BY name`))
	if err != nil {
		return nil, fmt.Errorf("sqldb: operators: %w", err)
	}
	defer rows.Close()
	var out []Operator
	for rows.Next() {
		o, err := scanOperator(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: operators: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// SetOperatorTOTPSecret stores the pending TOTP secret of an operator still in setup (whose
// setup token hashes to setupHash and whose secret is not confirmed).
func (d *DB) SetOperatorTOTPSecret(ctx context.Context, name, setupHash, secret string, at time.Time) error {
	res, err := d.db.ExecContext(ctx, d.q(`UPDATE operators SET totp_secret = ?, updated_at = ? WHERE name = ? AND setup_hash = ? AND totp_confirmed = 0`),
		secret, ftime(at), name, setupHash)
	if err != nil {
		return fmt.Errorf("sqldb: set operator totp: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqldb: set operator totp: %w", ErrNotFound)
	}
	return nil
}

// FinishOperatorSetup sets the password, confirms the TOTP secret (step is the step of the code
// that confirmed it) and uses up the setup token, only if the token (setupHash) is still unused
// and the secret is the one shown. ErrNotFound otherwise.
func (d *DB) FinishOperatorSetup(ctx context.Context, name, setupHash, secret, passwordHash string, step int64, at time.Time) error {
	return d.tx(ctx, "finish operator setup", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE operators SET password_hash = ?, totp_confirmed = 1, totp_last_step = ?, setup_hash = '', setup_until = '', updated_at = ?
			WHERE name = ? AND setup_hash = ? AND totp_secret = ? AND setup_hash <> ''`),
			passwordHash, step, ftime(at), name, setupHash, secret)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("operator setup: %w", ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, d.q(`DELETE FROM operator_sessions WHERE operator = ?`), name)
		return err
	})
}

// ResetOperator starts a new setup for an operator: a new setup token, no password, no TOTP
// secret, every session ended.
func (d *DB) ResetOperator(ctx context.Context, name, setupHash string, until, at time.Time) error {
	return d.tx(ctx, "reset operator", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE operators SET password_hash = '', totp_secret = '', totp_confirmed = 0, setup_hash = ?, setup_until = ?, updated_at = ? WHERE name = ?`),
			setupHash, ftime(until), ftime(at), name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("operator: %w", ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, d.q(`DELETE FROM operator_sessions WHERE operator = ?`), name)
		return err
	})
}

// UseOperatorTOTPStep records that a code of step was accepted for name. It returns false
// (and changes nothing) when a code of that step or a later one was accepted before: a reused
// code. Concurrent logins with one code: exactly one gets true.
func (d *DB) UseOperatorTOTPStep(ctx context.Context, name string, step int64) (bool, error) {
	res, err := d.db.ExecContext(ctx, d.q(`UPDATE operators SET totp_last_step = ? WHERE name = ? AND totp_last_step < ?`), step, name, step)
	if err != nil {
		return false, fmt.Errorf("sqldb: operator totp step: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqldb: operator totp step: %w", err)
	}
	return n == 1, nil
}

// OperatorSession is a console login. TokenHash is the SHA-256 of the cookie's token. It ends at
// IdleUntil unless used, and at MaxUntil in any case.
type OperatorSession struct {
	TokenHash string
	Operator  string
	CreatedAt time.Time
	SeenAt    time.Time
	IdleUntil time.Time
	MaxUntil  time.Time
}

// CreateOperatorSession stores a new session and deletes the sessions that have ended.
func (d *DB) CreateOperatorSession(ctx context.Context, s OperatorSession) error {
	return d.tx(ctx, "create operator session", func(tx *sql.Tx) error {
		now := ftime(s.CreatedAt)
		if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM operator_sessions WHERE max_until <= ? OR idle_until <= ?`), now, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO operator_sessions (token_hash, operator, created_at, seen_at, idle_until, max_until) VALUES (?,?,?,?,?,?)`),
			s.TokenHash, s.Operator, ftime(s.CreatedAt), ftime(s.SeenAt), ftime(s.IdleUntil), ftime(s.MaxUntil))
		return err
	})
}

// TouchOperatorSession returns the live session of tokenHash at now and moves its idle end to
// idleUntil (never past MaxUntil; written on every call, as the console's idle timeout is short).
// An ended session is deleted and ErrNotFound returned, as for one that does not exist.
func (d *DB) TouchOperatorSession(ctx context.Context, tokenHash string, now, idleUntil time.Time) (OperatorSession, error) {
	s, err := d.touchSession(ctx, "operator_sessions", "operator", tokenHash, now, idleUntil, 0)
	if err != nil {
		return OperatorSession{}, err
	}
	return OperatorSession{TokenHash: tokenHash, Operator: s.owner, CreatedAt: s.createdAt, SeenAt: s.seenAt,
		IdleUntil: s.idleUntil, MaxUntil: s.maxUntil}, nil
}

// DeleteOperatorSession deletes one session (none is not an error).
func (d *DB) DeleteOperatorSession(ctx context.Context, tokenHash string) error {
	if _, err := d.db.ExecContext(ctx, d.q(`DELETE FROM operator_sessions WHERE token_hash = ?`), tokenHash); err != nil {
		return fmt.Errorf("sqldb: delete operator session: %w", err)
	}
	return nil
}

// PeekOperatorSession returns the live session of tokenHash at now without extending it (for
// requests that are not the operator's doing, such as a page's automatic refresh).
// ErrNotFound for an ended or unknown session.
func (d *DB) PeekOperatorSession(ctx context.Context, tokenHash string, now time.Time) (OperatorSession, error) {
	var s OperatorSession
	var created, seen, idle, maxU string
	err := d.db.QueryRowContext(ctx, d.q(`SELECT operator, created_at, seen_at, idle_until, max_until FROM operator_sessions WHERE token_hash = ?`), tokenHash).
		Scan(&s.Operator, &created, &seen, &idle, &maxU)
	if err == sql.ErrNoRows {
		return s, fmt.Errorf("sqldb: operator session: %w", ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("sqldb: operator session: %w", err)
	}
	s.TokenHash = tokenHash
	s.CreatedAt, s.SeenAt, s.IdleUntil, s.MaxUntil = ptime(created), ptime(seen), ptime(idle), ptime(maxU)
	if !now.Before(s.IdleUntil) || !now.Before(s.MaxUntil) {
		return OperatorSession{}, fmt.Errorf("sqldb: operator session ended: %w", ErrNotFound)
	}
	return s, nil
}

// SetOperatorRole changes an operator's role (it counts from the operator's next request).
func (d *DB) SetOperatorRole(ctx context.Context, name, role string, at time.Time) error {
	res, err := d.db.ExecContext(ctx, d.q(`UPDATE operators SET role = ?, updated_at = ? WHERE name = ?`), role, ftime(at), name)
	if err != nil {
		return fmt.Errorf("sqldb: set operator role: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqldb: set operator role: %w", ErrNotFound)
	}
	return nil
}

// SetOperatorActive enables or disables an operator; disabling ends every session of theirs.
func (d *DB) SetOperatorActive(ctx context.Context, name string, active bool, at time.Time) error {
	return d.tx(ctx, "set operator active", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE operators SET active = ?, updated_at = ? WHERE name = ?`), bint(active), ftime(at), name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("operator: %w", ErrNotFound)
		}
		if active {
			return nil
		}
		_, err = tx.ExecContext(ctx, d.q(`DELETE FROM operator_sessions WHERE operator = ?`), name)
		return err
	})
}

// ReplaceOperatorTOTPSecret replaces an operator's stored TOTP secret old by new (the same
// secret sealed), only if old is still the one stored; none replaced is not an error.
func (d *DB) ReplaceOperatorTOTPSecret(ctx context.Context, name, old, new string, at time.Time) error {
	if _, err := d.db.ExecContext(ctx, d.q(`UPDATE operators SET totp_secret = ?, updated_at = ? WHERE name = ? AND totp_secret = ?`),
		new, ftime(at), name, old); err != nil {
		return fmt.Errorf("sqldb: replace operator totp: %w", err)
	}
	return nil
}
