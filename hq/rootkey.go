package hq

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	checkpoint "github.com/yongji-county/checkpoint"
)

// HQ's root key signs every dataset kiosks pull (docs/HQ.md, "Keys"). Its private half lives in
// a key file of mode 0600 or in the environment (EnvRootKey), never in the database.

// EnvRootKey names the environment variable that may hold the root key: the base64 Ed25519
// seed (32 bytes).
const EnvRootKey = "CHECKPOINT_ROOT_KEY"

// RootKeyFileName is the root key file's name when it sits next to HQ's data.
const RootKeyFileName = "root.key"

// ErrRootKeyMode means a root key file can be read by others than its owner.
var ErrRootKeyMode = errors.New("root key file is readable by group or others; run chmod 600 on it")

// rootKeyFile is the JSON in a root key file. Public and ID are there for people; the seed is
// what counts, and a file whose public key does not match its seed is refused.
type rootKeyFile struct {
	Kind   string `json:"kind"`
	ID     string `json:"root_id"`
	Public []byte `json:"public_key"`
	Seed   []byte `json:"seed"`
}

const rootKeyKind = "checkpoint-root-key"

// ParseRootKeySeed decodes a base64 seed (the form EnvRootKey takes).
func ParseRootKeySeed(s string) (ed25519.PrivateKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.SeedSize {
		return nil, errors.New("hq: root key: want the base64 of a 32-byte Ed25519 seed")
	}
	return ed25519.NewKeyFromSeed(b), nil
}

// LoadRootKey reads a root key file. It refuses a file that group or others may read.
func LoadRootKey(path string) (ed25519.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("hq: root key: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("hq: root key %s (mode %04o): %w", path, fi.Mode().Perm(), ErrRootKeyMode)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("hq: root key: %w", err)
	}
	var f rootKeyFile
	if err := json.Unmarshal(data, &f); err != nil || f.Kind != rootKeyKind || len(f.Seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("hq: root key %s: not a root key file", path)
	}
	k := ed25519.NewKeyFromSeed(f.Seed)
	if f.Public != nil && !k.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(f.Public)) {
		return nil, fmt.Errorf("hq: root key %s: public key does not match the seed", path)
	}
	return k, nil
}

// WriteRootKey writes k to path with mode 0600, refusing to replace an existing file.
func WriteRootKey(path string, k ed25519.PrivateKey) error {
	pub := k.Public().(ed25519.PublicKey)
	b, err := json.MarshalIndent(rootKeyFile{Kind: rootKeyKind, ID: checkpoint.RootID(pub), Public: pub, Seed: k.Seed()}, "", "  ")
	if err != nil {
		return fmt.Errorf("hq: write root key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("hq: write root key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("hq: write root key: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("hq: write root key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("hq: write root key: %w", err)
	}
	return nil
}

// LoadOrCreateRootKey loads the root key file at path, first creating it with a new key if
// there is none. created reports a new key.
func LoadOrCreateRootKey(path string) (k ed25519.PrivateKey, created bool, err error) {
	k, err = LoadRootKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	if k, err = checkpoint.GenerateRootKey(); err != nil {
		return nil, false, err
	}
	if err := WriteRootKey(path, k); err != nil {
		return nil, false, err
	}
	k, err = LoadRootKey(path)
	return k, err == nil, err
}
