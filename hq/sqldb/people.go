package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// Person is someone HQ issues codes to. HQ keeps the name, the masked ID and a keyed hash of
// the full ID number, not the number itself. HolderID is the person's pseudonym in every code
// (random, assigned once; empty for people from before it existed, until their next code).
type Person struct {
	ID        string
	HolderID  string
	Name      string
	IDMasked  string
	IDHash    string
	Household string
	Status    string // green, yellow, red
	Reason    string
	UpdatedAt time.Time
}

// PutPerson creates a person or, for an existing id, updates name and status.
func (d *DB) PutPerson(ctx context.Context, p Person) error {
	return d.tx(ctx, "put person", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO people (id, holder_id, name, id_masked, id_hash, household, status, reason, updated_at) VALUES (?,?,?,?,?,?,?,?,?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, id_masked = excluded.id_masked, id_hash = excluded.id_hash,
			household = excluded.household, status = excluded.status, reason = excluded.reason, updated_at = excluded.updated_at`),
			p.ID, p.HolderID, p.Name, p.IDMasked, p.IDHash, p.Household, p.Status, p.Reason, ftime(p.UpdatedAt))
		return err
	})
}

func (d *DB) personWhere(ctx context.Context, where string, arg any) (Person, error) {
	var p Person
	var upd string
	err := d.db.QueryRowContext(ctx, d.q(`SELECT id, holder_id, name, id_masked, id_hash, household, status, reason, updated_at FROM people WHERE `+where), arg).
		Scan(&p.ID, &p.HolderID, &p.Name, &p.IDMasked, &p.IDHash, &p.Household, &p.Status, &p.Reason, &upd)
	if err == sql.ErrNoRows {
		return p, fmt.Errorf("sqldb: person: %w", ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("sqldb: person: %w", err)
	}
	p.UpdatedAt = ptime(upd)
	return p, nil
}

// Person returns a person by id.
func (d *DB) Person(ctx context.Context, id string) (Person, error) {
	return d.personWhere(ctx, `id = ?`, id)
}

// PersonByHolderID returns a person by the holder id their codes carry: how HQ links the checks
// kiosks send.
func (d *DB) PersonByHolderID(ctx context.Context, holderID string) (Person, error) {
	if holderID == "" {
		return Person{}, fmt.Errorf("sqldb: person: %w", ErrNotFound)
	}
	return d.personWhere(ctx, `holder_id = ? ORDER BY id`, holderID)
}

// EnsureHolderID gives a person without a holder id (created before holder ids existed) the
// given one, and returns the person's holder id: the one just set, or the one they had. The
// first writer wins, so two issues at once agree.
func (d *DB) EnsureHolderID(ctx context.Context, personID, holderID string) (string, error) {
	err := d.tx(ctx, "ensure holder id", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, d.q(`UPDATE people SET holder_id = ? WHERE id = ? AND holder_id = ''`), holderID, personID)
		return err
	})
	if err != nil {
		return "", err
	}
	p, err := d.Person(ctx, personID)
	return p.HolderID, err
}

// PersonByIDHash returns a person by the keyed hash of their ID number.
func (d *DB) PersonByIDHash(ctx context.Context, h string) (Person, error) {
	return d.personWhere(ctx, `id_hash = ? ORDER BY id`, h)
}

// StatusChange is one change of a person's colour, as status_changes keeps it.
type StatusChange struct {
	PersonID     string
	ID           string // sorts by time within the person (ftime of At, then random)
	At           time.Time
	FromStatus   string
	Status       string
	Reason       string
	RevokedCodes int64
	Actor        string // a console operator's name, or "admin-token"
}

// SetPersonStatus changes a person's colour and reason to c.Status and c.Reason at c.At, and
// records the change (by c.Actor) in status_changes in the same transaction. Their unexpired
// codes that carry another colour are revoked (so an offline kiosk stops accepting them after
// its next sync), and the revocations version is bumped when any were. It returns how many
// codes were revoked.
func (d *DB) SetPersonStatus(ctx context.Context, c StatusChange) (int64, error) {
	var n int64
	err := d.tx(ctx, "set person status", func(tx *sql.Tx) error {
		var from string
		// Read the colour it had under the row's lock (PostgreSQL), so the change recorded is
		// the one made.
		if err := tx.QueryRowContext(ctx, d.q(`UPDATE people SET updated_at = updated_at WHERE id = ? RETURNING status`), c.PersonID).Scan(&from); err == sql.ErrNoRows {
			return fmt.Errorf("person: %w", ErrNotFound)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, d.q(`UPDATE people SET status = ?, reason = ?, updated_at = ? WHERE id = ?`), c.Status, c.Reason, ftime(c.At), c.PersonID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, d.q(`UPDATE codes SET revoked = 1, revoked_at = ? WHERE person_id = ? AND revoked = 0 AND status <> ? AND expires_at > ?`),
			ftime(c.At), c.PersonID, c.Status, ftime(c.At))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		var rnd [4]byte
		rand.Read(rnd[:])
		id := ftime(c.At) + "-" + hex.EncodeToString(rnd[:])
		if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO status_changes (person_id, id, at, from_status, status, reason, revoked_codes, actor) VALUES (?,?,?,?,?,?,?,?)`),
			c.PersonID, id, ftime(c.At), from, c.Status, c.Reason, n, c.Actor); err != nil {
			return err
		}
		if n > 0 {
			return d.bump(ctx, tx, checkpoint.DatasetRevocations)
		}
		return nil
	})
	return n, err
}

// StatusChanges returns the newest limit changes of a person's colour, newest first.
func (d *DB) StatusChanges(ctx context.Context, personID string, limit int) ([]StatusChange, error) {
	rows, err := d.db.QueryContext(ctx, d.q(`SELECT person_id, id, at, from_status, status, reason, revoked_codes, actor FROM status_changes
		WHERE person_id = ? ORDER BY id DESC LIMIT ?`), personID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: status changes: %w", err)
	}
	defer rows.Close()
	var out []StatusChange
	for rows.Next() {
		var c StatusChange
		var at string
		if err := rows.Scan(&c.PersonID, &c.ID, &at, &c.FromStatus, &c.Status, &c.Reason, &c.RevokedCodes, &c.Actor); err != nil {
			return nil, fmt.Errorf("sqldb: status changes: %w", err)
		}
		c.At = ptime(at)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: status changes: %w", err)
	}
	return out, nil
}

// CodesOf returns the newest limit codes issued to a person, newest first, and how many the
// person has in all.
func (d *DB) CodesOf(ctx context.Context, personID string, limit int) ([]Code, int64, error) {
	var total int64
	if err := d.db.QueryRowContext(ctx, d.q(`SELECT COUNT(*) FROM codes WHERE person_id = ?`), personID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqldb: codes of person: %w", err)
	}
	rows, err := d.db.QueryContext(ctx, d.q(`SELECT id, person_id, kind, key_id, status, issued_at, expires_at, revoked, revoked_at FROM codes
		WHERE person_id = ? ORDER BY issued_at DESC, id DESC LIMIT ?`), personID, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("sqldb: codes of person: %w", err)
	}
	defer rows.Close()
	var out []Code
	for rows.Next() {
		var c Code
		var ia, ea, ra string
		var rev int
		if err := rows.Scan(&c.ID, &c.PersonID, &c.Kind, &c.KeyID, &c.Status, &ia, &ea, &rev, &ra); err != nil {
			return nil, 0, fmt.Errorf("sqldb: codes of person: %w", err)
		}
		c.IssuedAt, c.ExpiresAt, c.RevokedAt, c.Revoked = ptime(ia), ptime(ea), ptime(ra), rev != 0
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqldb: codes of person: %w", err)
	}
	return out, total, nil
}

// IssueCode issues a code to a person in one transaction: it creates p if no person has p.ID
// yet, sets the person's household when household is not empty, reads the person as they are
// now and records the code that sign makes for them. The person's row is written first, so a
// concurrent SetPersonStatus either commits before the read (and the code carries the new
// colour) or waits for the code to be recorded (and revokes it if its colour is now wrong): no
// code of a colour the person had already lost stays valid. sign may run more than once (a
// retried transaction); its error is returned as it is.
func (d *DB) IssueCode(ctx context.Context, p Person, household string, sign func(Person) (Code, error)) (Person, Code, error) {
	var out Person
	var code Code
	var signErr error
	err := d.tx(ctx, "issue code", func(tx *sql.Tx) error {
		signErr = nil
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO people (id, holder_id, name, id_masked, id_hash, household, status, reason, updated_at) VALUES (?,?,?,?,?,?,?,?,?)
			ON CONFLICT (id) DO NOTHING`), p.ID, p.HolderID, p.Name, p.IDMasked, p.IDHash, p.Household, p.Status, p.Reason, ftime(p.UpdatedAt))
		if err != nil {
			return err
		}
		// Writing the row takes its lock (PostgreSQL) before the status is read. A person from
		// before holder ids gets p's (random) one now.
		if _, err := tx.ExecContext(ctx, d.q(`UPDATE people SET household = CASE WHEN ? = '' THEN household ELSE ? END,
			holder_id = CASE WHEN holder_id = '' THEN ? ELSE holder_id END WHERE id = ?`),
			household, household, p.HolderID, p.ID); err != nil {
			return err
		}
		var upd string
		if err := tx.QueryRowContext(ctx, d.q(`SELECT id, holder_id, name, id_masked, id_hash, household, status, reason, updated_at FROM people WHERE id = ?`), p.ID).
			Scan(&out.ID, &out.HolderID, &out.Name, &out.IDMasked, &out.IDHash, &out.Household, &out.Status, &out.Reason, &upd); err != nil {
			return err
		}
		out.UpdatedAt = ptime(upd)
		if code, signErr = sign(out); signErr != nil {
			return signErr
		}
		code.PersonID = out.ID
		_, err = tx.ExecContext(ctx, d.q(`INSERT INTO codes (id, person_id, kind, key_id, status, issued_at, expires_at, revoked, revoked_at) VALUES (?,?,?,?,?,?,?,0,'')`),
			code.ID, code.PersonID, code.Kind, code.KeyID, code.Status, ftime(code.IssuedAt), ftime(code.ExpiresAt))
		return err
	})
	if signErr != nil {
		return out, code, signErr
	}
	if err != nil {
		return out, code, err
	}
	return out, code, nil
}

// Code is one issued health code.
type Code struct {
	ID        string
	PersonID  string
	Kind      string
	KeyID     string
	Status    string
	IssuedAt  time.Time
	ExpiresAt time.Time
	Revoked   bool
	RevokedAt time.Time
}

// AddCode records an issued code.
func (d *DB) AddCode(ctx context.Context, c Code) error {
	return d.tx(ctx, "add code", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO codes (id, person_id, kind, key_id, status, issued_at, expires_at, revoked, revoked_at) VALUES (?,?,?,?,?,?,?,0,'')`),
			c.ID, c.PersonID, c.Kind, c.KeyID, c.Status, ftime(c.IssuedAt), ftime(c.ExpiresAt))
		return err
	})
}

// Code returns an issued code.
func (d *DB) Code(ctx context.Context, id string) (Code, error) {
	var c Code
	var ia, ea, ra string
	var rev int
	err := d.db.QueryRowContext(ctx, d.q(`SELECT id, person_id, kind, key_id, status, issued_at, expires_at, revoked, revoked_at FROM codes WHERE id = ?`), id).
		Scan(&c.ID, &c.PersonID, &c.Kind, &c.KeyID, &c.Status, &ia, &ea, &rev, &ra)
	if err == sql.ErrNoRows {
		return c, fmt.Errorf("sqldb: code: %w", ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("sqldb: code: %w", err)
	}
	c.IssuedAt, c.ExpiresAt, c.RevokedAt, c.Revoked = ptime(ia), ptime(ea), ptime(ra), rev != 0
	return c, nil
}

// RevokeCode revokes a code and bumps the revocations version.
func (d *DB) RevokeCode(ctx context.Context, id string, at time.Time) error {
	return d.tx(ctx, "revoke code", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE codes SET revoked = 1, revoked_at = ? WHERE id = ? AND revoked = 0`), ftime(at), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var x int
			if err := tx.QueryRowContext(ctx, d.q(`SELECT revoked FROM codes WHERE id = ?`), id).Scan(&x); err == sql.ErrNoRows {
				return fmt.Errorf("code %q: %w", id, ErrNotFound)
			}
			return nil // already revoked
		}
		return d.bump(ctx, tx, checkpoint.DatasetRevocations)
	})
}

// RevocationMargin is how long past its expiry a revoked code stays in the revocation list: a
// kiosk whose clock runs behind (checkpoint.Config allows up to a day of skew) must still refuse it.
const RevocationMargin = 24 * time.Hour

// Revoked returns the ids of revoked codes that had not yet expired RevocationMargin before now
// (an expired code fails verification anyway, so the list stays short).
func (d *DB) Revoked(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, d.q(`SELECT id FROM codes WHERE revoked = 1 AND expires_at > ? ORDER BY id`), ftime(now.Add(-RevocationMargin)))
	if err != nil {
		return nil, fmt.Errorf("sqldb: revoked: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqldb: revoked: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
