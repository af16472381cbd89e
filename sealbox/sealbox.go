// Package sealbox seals personal data on a kiosk so that only HQ can read it (DESIGN §5).
//
// Sealing is HPKE (RFC 9180) base mode from the standard library's crypto/hpke:
// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM. A sealed value is the standard base64 of
// the encapsulated key followed by the ciphertext. HQ holds the private key; kiosks get the
// public key (raw 32-byte X25519, base64) in the settings dataset.
//
// Every box is bound to the id of the record it belongs to: the HPKE info is
// "checkpoint/personal/v2" followed by a zero byte and the record id. A box copied into another
// record (to pin one person's ID number on another's check) does not open there.
//
// There is no keyed hash here any more: a kiosk holds no key that turns a masked value back into
// an ID number or phone (DESIGN §9). HQ keeps its own HMAC key for its indexes.
//
// The package imports only the standard library and the module root, so both the kiosk and HQ
// (built with CGO_ENABLED=0) use it.
package sealbox

import (
	"crypto/ecdh"
	"crypto/hpke"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	checkpoint "github.com/yongji-county/checkpoint"
)

// infoPrefix binds every ciphertext to this use, so a sealed Personal cannot be replayed as
// anything else sealed to the same key; info appends the record id. Changing it makes old
// ciphertexts unreadable.
const infoPrefix = "checkpoint/personal/v2\x00"

// ErrRecordID is returned for an empty or overlong record id.
var ErrRecordID = errors.New("sealbox: record id missing or longer than 64 bytes")

func info(recordID string) ([]byte, error) {
	if recordID == "" || len(recordID) > checkpoint.MaxIDLen {
		return nil, ErrRecordID
	}
	return []byte(infoPrefix + recordID), nil
}

// MaxSealedLen bounds the base64 text Open accepts; a sealed Personal is a few hundred bytes.
const MaxSealedLen = 4096

// ErrKey is wrapped when a key is missing or malformed.
var ErrKey = errors.New("sealbox: bad key")

func suite() (hpke.KEM, hpke.KDF, hpke.AEAD) {
	return hpke.DHKEM(ecdh.X25519()), hpke.HKDFSHA256(), hpke.AES128GCM()
}

// GenerateKey makes an HQ key pair. Both keys are raw 32-byte X25519 keys; the public one goes
// (base64) into Settings.HQSealKey, the private one stays at HQ.
func GenerateKey() (pub, priv []byte, err error) {
	k, err := ecdh.X25519().GenerateKey(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("sealbox: generate key: %w", err)
	}
	return k.PublicKey().Bytes(), k.Bytes(), nil
}

// ParseKey decodes a base64 (standard or URL, padded or not) key as found in Settings.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w: not base64", ErrKey)
}

// Seal encrypts p to HQ's raw X25519 public key for the record recordID and returns base64
// text. Only Open with the same record id opens it.
func Seal(pub []byte, recordID string, p checkpoint.Personal) (string, error) {
	in, err := info(recordID)
	if err != nil {
		return "", err
	}
	kem, kdf, aead := suite()
	pk, err := kem.NewPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: public key: %v", ErrKey, err)
	}
	plain, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("sealbox: seal: %w", err)
	}
	ct, err := hpke.Seal(pk, kdf, aead, in, plain)
	if err != nil {
		return "", fmt.Errorf("sealbox: seal: %w", err)
	}
	return base64.StdEncoding.EncodeToString(ct), nil
}

// Open decrypts a value made by Seal for the record recordID with HQ's raw X25519 private key.
// A box sealed for another record fails to open.
func Open(priv []byte, recordID, sealed string) (checkpoint.Personal, error) {
	var p checkpoint.Personal
	if len(sealed) > MaxSealedLen {
		return p, errors.New("sealbox: open: sealed value too long")
	}
	in, err := info(recordID)
	if err != nil {
		return p, err
	}
	kem, kdf, aead := suite()
	sk, err := kem.NewPrivateKey(priv)
	if err != nil {
		return p, fmt.Errorf("%w: private key: %v", ErrKey, err)
	}
	ct, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return p, fmt.Errorf("sealbox: open: %w", err)
	}
	plain, err := hpke.Open(sk, kdf, aead, in, ct)
	if err != nil {
		return p, fmt.Errorf("sealbox: open: %w", err)
	}
	if err := json.Unmarshal(plain, &p); err != nil {
		return p, fmt.Errorf("sealbox: open: %w", err)
	}
	return p, nil
}
