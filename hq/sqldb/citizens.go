package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Citizen is a 吉事办 account (hq/citizen). It holds no phone number, ID number or name in the
// clear: PhoneHash and IDHash are HQ's keyed hashes, Sealed is the name and ID number encrypted
// by hq/citizen, and the masked forms are for display.
type Citizen struct {
	ID           string
	PhoneHash    string
	IDHash       string
	PhoneMasked  string
	NameMasked   string
	IDMasked     string
	Household    string
	Sealed       string
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Errors of CreateCitizen: the phone or the ID number already has an account.
var (
	ErrCitizenPhoneTaken = errors.New("sqldb: phone already has an account")
	ErrCitizenIDTaken    = errors.New("sqldb: ID number already has an account")
)

// citizenTaken says which of c's unique values another account holds (nil: neither).
func citizenTaken(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, d *DB, c Citizen) error {
	var n int
	if err := q.QueryRowContext(ctx, d.q(`SELECT COUNT(*) FROM citizens WHERE phone_hash = ?`), c.PhoneHash).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return ErrCitizenPhoneTaken
	}
	if err := q.QueryRowContext(ctx, d.q(`SELECT COUNT(*) FROM citizens WHERE id_hash = ?`), c.IDHash).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return ErrCitizenIDTaken
	}
	return nil
}

// CitizenTaken returns ErrCitizenPhoneTaken or ErrCitizenIDTaken when an account has c's phone or ID number
// hash (empty hashes are not looked up), nil when neither is taken.
func (d *DB) CitizenTaken(ctx context.Context, c Citizen) error {
	if err := citizenTaken(ctx, d.db, d, c); err != nil && !errors.Is(err, ErrCitizenPhoneTaken) && !errors.Is(err, ErrCitizenIDTaken) {
		return fmt.Errorf("sqldb: citizen taken: %w", err)
	} else if err != nil {
		return err
	}
	return nil
}

// CreateCitizen stores a new account. It returns an error wrapping ErrCitizenPhoneTaken or ErrCitizenIDTaken
// when an account already has the phone or the ID number (the UNIQUE indexes decide between
// concurrent registrations).
func (d *DB) CreateCitizen(ctx context.Context, c Citizen) error {
	err := d.tx(ctx, "create citizen", func(tx *sql.Tx) error {
		if err := citizenTaken(ctx, tx, d, c); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO citizens (id, phone_hash, id_hash, phone_masked, name_masked, id_masked, household, sealed, password_hash, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?)`),
			c.ID, c.PhoneHash, c.IDHash, c.PhoneMasked, c.NameMasked, c.IDMasked, c.Household, c.Sealed, c.PasswordHash, ftime(c.CreatedAt), ftime(c.UpdatedAt))
		return err
	})
	if err != nil && !errors.Is(err, ErrCitizenPhoneTaken) && !errors.Is(err, ErrCitizenIDTaken) {
		// A concurrent registration won the UNIQUE index: say which value it took.
		if taken := d.CitizenTaken(ctx, c); errors.Is(taken, ErrCitizenPhoneTaken) || errors.Is(taken, ErrCitizenIDTaken) {
			return fmt.Errorf("sqldb: create citizen: %w", taken)
		}
	}
	return err
}

func (d *DB) citizenWhere(ctx context.Context, where string, arg any) (Citizen, error) {
	var c Citizen
	var created, updated string
	err := d.db.QueryRowContext(ctx, d.q(`SELECT id, phone_hash, id_hash, phone_masked, name_masked, id_masked, household, sealed, password_hash, created_at, updated_at
		FROM citizens WHERE `+where), arg).
		Scan(&c.ID, &c.PhoneHash, &c.IDHash, &c.PhoneMasked, &c.NameMasked, &c.IDMasked, &c.Household, &c.Sealed, &c.PasswordHash, &created, &updated)
	if err == sql.ErrNoRows {
		return c, fmt.Errorf("sqldb: citizen: %w", ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("sqldb: citizen: %w", err)
	}
	c.CreatedAt, c.UpdatedAt = ptime(created), ptime(updated)
	return c, nil
}

// Citizen returns an account by id.
func (d *DB) Citizen(ctx context.Context, id string) (Citizen, error) {
	return d.citizenWhere(ctx, `id = ?`, id)
}

// CitizenByPhoneHash returns the account of a phone hash.
func (d *DB) CitizenByPhoneHash(ctx context.Context, phoneHash string) (Citizen, error) {
	return d.citizenWhere(ctx, `phone_hash = ?`, phoneHash)
}

// SetCitizenPassword replaces an account's password hash and ends all its sessions, in one
// transaction.
func (d *DB) SetCitizenPassword(ctx context.Context, id, passwordHash string, at time.Time) error {
	return d.tx(ctx, "set citizen password", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE citizens SET password_hash = ?, updated_at = ? WHERE id = ?`), passwordHash, ftime(at), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("citizen: %w", ErrNotFound)
		}
		_, err = tx.ExecContext(ctx, d.q(`DELETE FROM citizen_sessions WHERE citizen_id = ?`), id)
		return err
	})
}
