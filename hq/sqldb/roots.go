package sqldb

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// RootKey is one public key of HQ's root chain. Link is how the key before it handed over
// (nil for the first root).
type RootKey struct {
	Seq       int64
	Public    ed25519.PublicKey
	Link      []byte // JSON checkpoint.RootLink
	CreatedAt time.Time
}

// ErrRootTaken means another root was added at the same place in the chain first.
var ErrRootTaken = errors.New("sqldb: root chain changed meanwhile")

// RootKeys returns the root chain, oldest first; empty before HQ's first start.
func (d *DB) RootKeys(ctx context.Context) ([]RootKey, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT seq, public_key, link, created_at FROM root_keys ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: root keys: %w", err)
	}
	defer rows.Close()
	var out []RootKey
	for rows.Next() {
		var k RootKey
		var pub, link, at string
		if err := rows.Scan(&k.Seq, &pub, &link, &at); err != nil {
			return nil, fmt.Errorf("sqldb: root keys: %w", err)
		}
		b, err := base64.StdEncoding.DecodeString(pub)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("sqldb: root keys: key %d is not an Ed25519 public key", k.Seq)
		}
		k.Public, k.CreatedAt = b, ptime(at)
		if link != "" {
			k.Link = []byte(link)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: root keys: %w", err)
	}
	return out, nil
}

// AddRootKey appends k at k.Seq. Seq 1 (the first root) is written only if no root exists yet,
// so instances starting together agree; a later seq that is already taken is ErrRootTaken.
func (d *DB) AddRootKey(ctx context.Context, k RootKey) error {
	if k.Seq < 1 || len(k.Public) != ed25519.PublicKeySize || (k.Seq > 1) != (k.Link != nil) {
		return fmt.Errorf("sqldb: add root key: invalid")
	}
	return d.tx(ctx, "add root key", func(tx *sql.Tx) error {
		var top int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM root_keys`).Scan(&top); err != nil {
			return err
		}
		if top != k.Seq-1 {
			if k.Seq == 1 {
				return nil
			}
			return ErrRootTaken
		}
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO root_keys (seq, root_id, public_key, link, created_at) VALUES (?,?,?,?,?)`),
			k.Seq, checkpoint.RootID(k.Public), base64.StdEncoding.EncodeToString(k.Public), string(k.Link), ftime(k.CreatedAt))
		return err
	})
}
