package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// Key is an Ed25519 issuing key. Private holds the base64 private key (seed or full key, as the
// issuer encodes it); Public the base64 public key.
type Key struct {
	ID           string
	Private      string
	Public       string
	NotBefore    time.Time
	NotAfter     time.Time
	State        checkpoint.KeyState // active, retired or distrusted; empty means active in AddKey
	RetiredAt    time.Time           // zero while the key may issue
	DistrustedAt time.Time           // zero unless distrusted
	CreatedAt    time.Time
}

const keyColumns = `id, private_key, public_key, not_before, not_after, state, retired_at, distrusted_at, created_at`

// AddKey stores a new issuing key and bumps the trust version.
func (d *DB) AddKey(ctx context.Context, k Key) error {
	if k.State == "" {
		k.State = checkpoint.KeyActive
	}
	return d.tx(ctx, "add key", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO issuing_keys (`+keyColumns+`) VALUES (?,?,?,?,?,?,?,?,?)`),
			k.ID, k.Private, k.Public, ftime(k.NotBefore), ftime(k.NotAfter), string(k.State), ftime(k.RetiredAt),
			ftime(k.DistrustedAt), ftime(k.CreatedAt))
		if err != nil {
			return err
		}
		return d.bump(ctx, tx, checkpoint.DatasetTrust)
	})
}

func scanKey(sc interface{ Scan(...any) error }) (Key, error) {
	var k Key
	var nb, na, st, ra, da, ca string
	if err := sc.Scan(&k.ID, &k.Private, &k.Public, &nb, &na, &st, &ra, &da, &ca); err != nil {
		return k, err
	}
	k.State = checkpoint.KeyState(st)
	k.NotBefore, k.NotAfter, k.RetiredAt, k.DistrustedAt, k.CreatedAt = ptime(nb), ptime(na), ptime(ra), ptime(da), ptime(ca)
	return k, nil
}

// Keys returns every issuing key, oldest first.
func (d *DB) Keys(ctx context.Context) ([]Key, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+keyColumns+` FROM issuing_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: keys: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: keys: %w", err)
	}
	return out, nil
}

// Key returns one issuing key; ErrNotFound when HQ has no key id.
func (d *DB) Key(ctx context.Context, id string) (Key, error) {
	k, err := scanKey(d.db.QueryRowContext(ctx, d.q(`SELECT `+keyColumns+` FROM issuing_keys WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return k, fmt.Errorf("sqldb: key %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return k, fmt.Errorf("sqldb: key: %w", err)
	}
	return k, nil
}

// RetireKey marks an active key retired at the given time and bumps the trust version.
// ErrNotFound when no active key has id.
func (d *DB) RetireKey(ctx context.Context, id string, at time.Time) error {
	return d.tx(ctx, "retire key", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE issuing_keys SET state = ?, retired_at = ? WHERE id = ? AND state = ?`),
			string(checkpoint.KeyRetired), ftime(at), id, string(checkpoint.KeyActive))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("key %q: %w", id, ErrNotFound)
		}
		return d.bump(ctx, tx, checkpoint.DatasetTrust)
	})
}

// DistrustKey marks a key, active or retired, distrusted at the given time (retiring it then if
// it was active) and bumps the trust version. ErrNotFound when no key has id or it is already
// distrusted.
func (d *DB) DistrustKey(ctx context.Context, id string, at time.Time) error {
	return d.tx(ctx, "distrust key", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE issuing_keys SET state = ?, distrusted_at = ?,
			retired_at = CASE WHEN retired_at = '' THEN ? ELSE retired_at END WHERE id = ? AND state <> ?`),
			string(checkpoint.KeyDistrusted), ftime(at), ftime(at), id, string(checkpoint.KeyDistrusted))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("key %q: %w", id, ErrNotFound)
		}
		return d.bump(ctx, tx, checkpoint.DatasetTrust)
	})
}
