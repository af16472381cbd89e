package citizen

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// Names in the settings table. person_hash_key is HQ's own (hq/api.go creates it the same way,
// first writer wins), so an account's id_hash is the people.id_hash of the same person.
const (
	setPersonHashKey = "person_hash_key"  // base64 HMAC key of HQ's indexes
	setDataKey       = "citizen_data_key" // base64 AES-256 key of citizens.sealed
)

// keys are the Service's secrets, read (or created) once by New.
type keys struct {
	hash []byte
	aead cipher.AEAD
}

func loadKeys(ctx context.Context, db *sqldb.DB) (keys, error) {
	get := func(name string) ([]byte, error) {
		fresh := make([]byte, 32)
		if _, err := rand.Read(fresh); err != nil {
			return nil, err
		}
		v, err := db.InitSetting(ctx, name, base64.StdEncoding.EncodeToString(fresh))
		if err != nil {
			return nil, err
		}
		k, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(k) < 16 {
			return nil, fmt.Errorf("setting %s is not a base64 key", name)
		}
		return k, nil
	}
	var k keys
	var err error
	if k.hash, err = get(setPersonHashKey); err != nil {
		return k, fmt.Errorf("citizen: keys: %w", err)
	}
	dk, err := get(setDataKey)
	if err != nil {
		return k, fmt.Errorf("citizen: keys: %w", err)
	}
	if len(dk) != 32 {
		return k, fmt.Errorf("citizen: keys: %s must be 32 bytes", setDataKey)
	}
	block, err := aes.NewCipher(dk)
	if err != nil {
		return k, fmt.Errorf("citizen: keys: %w", err)
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return k, fmt.Errorf("citizen: keys: %w", err)
	}
	return k, nil
}

// index is HQ's keyed hash of an ID number or phone (hq.keyedHash): lowercase hex of
// HMAC-SHA256 over the value trimmed, ASCII letters upper-cased.
func (k keys) index(value string) string {
	m := hmac.New(sha256.New, k.hash)
	m.Write([]byte(strings.ToUpper(strings.TrimSpace(value))))
	return hex.EncodeToString(m.Sum(nil))
}

// tagged is a keyed hash of parts joined by zero bytes under a tag that keeps it apart from
// index values.
func (k keys) tagged(tag string, parts ...string) string {
	m := hmac.New(sha256.New, k.hash)
	m.Write([]byte("checkpoint/citizen/" + tag))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// sealedPerson is what citizens.sealed holds.
type sealedPerson struct {
	Name     string `json:"n"`
	IDNumber string `json:"i"`
}

func sealAD(accountID string) []byte { return []byte("checkpoint/citizen/sealed/v1\x00" + accountID) }

// seal encrypts p for the account id (AES-256-GCM, the id as associated data, so a box copied
// to another account does not open).
func (k keys) seal(accountID string, p sealedPerson) (string, error) {
	plain, _ := json.Marshal(p)
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := k.aead.Seal(nonce, nonce, plain, sealAD(accountID))
	return base64.StdEncoding.EncodeToString(out), nil
}

func (k keys) open(accountID, sealed string) (sealedPerson, error) {
	var p sealedPerson
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < k.aead.NonceSize() {
		return p, errors.New("citizen: sealed data malformed")
	}
	ns := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, b[:ns], b[ns:], sealAD(accountID))
	if err != nil {
		return p, errors.New("citizen: sealed data does not open")
	}
	if err := json.Unmarshal(plain, &p); err != nil {
		return p, errors.New("citizen: sealed data malformed")
	}
	return p, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
