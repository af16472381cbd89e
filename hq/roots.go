package hq

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// setEpoch names HQ's epoch in the settings table: a random id made once. A restore from a
// backup is meant to change it, so kiosks can tell (docs/SYNC.md, "Envelopes").
const setEpoch = "hq_epoch"

// Errors about the root key.
var (
	// ErrNoRootKey means the Server was started without a root key: it cannot sign datasets.
	ErrNoRootKey = errors.New("hq: no root key in the database yet (hq serve records it on first start)")
	// ErrRootMismatch means the root key given is not the newest root in the database.
	ErrRootMismatch = errors.New("hq: root key is not HQ's current root")
)

// ensureRoot records the root key as the first root on HQ's first start and otherwise checks
// that it is the newest root of the chain (after `hq root rotate`, HQ must be started with the
// new key).
func (s *Server) ensureRoot(ctx context.Context) error {
	b := make([]byte, 10)
	rand.Read(b)
	if _, err := s.db.InitSetting(ctx, setEpoch, base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)); err != nil {
		return err
	}
	if s.root == nil {
		return nil
	}
	pub := s.root.Public().(ed25519.PublicKey)
	if err := s.db.AddRootKey(ctx, sqldb.RootKey{Seq: 1, Public: pub, CreatedAt: s.now().UTC()}); err != nil {
		return err
	}
	return checkHead(ctx, s.db, pub)
}

// checkHead reports whether pub is the newest root in db.
func checkHead(ctx context.Context, db *sqldb.DB, pub ed25519.PublicKey) error {
	keys, err := db.RootKeys(ctx)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return fmt.Errorf("%w: no root in the database yet", ErrRootMismatch)
	}
	head := keys[len(keys)-1].Public
	if head.Equal(pub) {
		return nil
	}
	for _, k := range keys {
		if k.Public.Equal(pub) {
			return fmt.Errorf("%w: key %s was rotated out; start HQ with the key of %s", ErrRootMismatch, checkpoint.RootID(pub), checkpoint.RootID(head))
		}
	}
	return fmt.Errorf("%w: key %s is not in HQ's root chain (current root %s)", ErrRootMismatch, checkpoint.RootID(pub), checkpoint.RootID(head))
}

// rootChain returns HQ's current root public key and the links that lead to it.
func rootChain(ctx context.Context, db *sqldb.DB) (ed25519.PublicKey, []checkpoint.RootLink, error) {
	keys, err := db.RootKeys(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(keys) == 0 {
		return nil, nil, ErrNoRootKey
	}
	var chain []checkpoint.RootLink
	for _, k := range keys[1:] {
		var l checkpoint.RootLink
		if err := json.Unmarshal(k.Link, &l); err != nil {
			return nil, nil, fmt.Errorf("hq: root chain: link %d: %w", k.Seq, err)
		}
		chain = append(chain, l)
	}
	return keys[len(keys)-1].Public, chain, nil
}

// RootID returns the fingerprint of HQ's current root key, the one enrollment codes carry.
func (s *Server) RootID(ctx context.Context) (string, error) {
	pub, _, err := rootChain(ctx, s.db)
	if err != nil {
		return "", fmt.Errorf("hq: root id: %w", err)
	}
	return checkpoint.RootID(pub), nil
}

// Epoch returns HQ's epoch.
func (s *Server) Epoch(ctx context.Context) (string, error) {
	return s.setting(ctx, setEpoch)
}

// Restored gives HQ a new epoch after its database was restored from a backup (`hq db
// restored`). Kiosks see the new epoch on their next answer from HQ: they pull every dataset
// again (accepting lower versions, signed and of the new epoch) and resend the records they
// still hold, which HQ answers duplicate or stores.
func Restored(ctx context.Context, db *sqldb.DB) (string, error) {
	e, err := db.NewEpoch(ctx, setEpoch)
	if err != nil {
		return "", fmt.Errorf("hq: restored: %w", err)
	}
	return e, nil
}

// RotateRoot makes next HQ's root key, signed over by old, which must be the current root. It
// works on the database alone (HQ is then restarted with next); kiosks follow the chain on
// their next pull.
func RotateRoot(ctx context.Context, db *sqldb.DB, old, next ed25519.PrivateKey, at time.Time) error {
	pub := old.Public().(ed25519.PublicKey)
	if err := checkHead(ctx, db, pub); err != nil {
		return fmt.Errorf("hq: rotate root: %w", err)
	}
	npub := next.Public().(ed25519.PublicKey)
	if npub.Equal(pub) {
		return errors.New("hq: rotate root: the new key is the current one")
	}
	keys, err := db.RootKeys(ctx)
	if err != nil {
		return fmt.Errorf("hq: rotate root: %w", err)
	}
	for _, k := range keys {
		if k.Public.Equal(npub) {
			return errors.New("hq: rotate root: the new key was a root before; make a fresh one")
		}
	}
	at = at.UTC()
	link, err := checkpoint.SignRootLink(old, npub, at)
	if err != nil {
		return fmt.Errorf("hq: rotate root: %w", err)
	}
	b, err := json.Marshal(link)
	if err != nil {
		return fmt.Errorf("hq: rotate root: %w", err)
	}
	if err := db.AddRootKey(ctx, sqldb.RootKey{Seq: int64(len(keys)) + 1, Public: npub, Link: b, CreatedAt: at}); err != nil {
		return fmt.Errorf("hq: rotate root: %w", err)
	}
	return nil
}
