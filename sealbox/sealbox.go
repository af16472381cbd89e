// Package sealbox seals personal data on a kiosk so that only HQ can read it, and computes the
// keyed hashes that let a kiosk find a person or a staff account without holding the number in
// the clear (DESIGN §5).
//
// Sealing is HPKE (RFC 9180) base mode from the standard library's crypto/hpke:
// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM. A sealed value is the standard base64 of
// the encapsulated key followed by the ciphertext. HQ holds the private key; kiosks get the
// public key (raw 32-byte X25519, base64) in the settings dataset.
//
// The package imports only the standard library and the module root, so both the kiosk and HQ
// (built with CGO_ENABLED=0) use it.
package sealbox

import (
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	checkpoint "github.com/yongji-county/checkpoint"
)

// info binds every ciphertext to this use, so a sealed Personal cannot be replayed as anything
// else sealed to the same key. Changing it makes old ciphertexts unreadable.
var info = []byte("checkpoint/personal/v1")

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

// Seal encrypts p to HQ's raw X25519 public key and returns base64 text.
func Seal(pub []byte, p checkpoint.Personal) (string, error) {
	kem, kdf, aead := suite()
	pk, err := kem.NewPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: public key: %v", ErrKey, err)
	}
	plain, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("sealbox: seal: %w", err)
	}
	ct, err := hpke.Seal(pk, kdf, aead, info, plain)
	if err != nil {
		return "", fmt.Errorf("sealbox: seal: %w", err)
	}
	return base64.StdEncoding.EncodeToString(ct), nil
}

// Open decrypts a value made by Seal with HQ's raw X25519 private key.
func Open(priv []byte, sealed string) (checkpoint.Personal, error) {
	var p checkpoint.Personal
	if len(sealed) > MaxSealedLen {
		return p, errors.New("sealbox: open: sealed value too long")
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
	plain, err := hpke.Open(sk, kdf, aead, info, ct)
	if err != nil {
		return p, fmt.Errorf("sealbox: open: %w", err)
	}
	if err := json.Unmarshal(plain, &p); err != nil {
		return p, fmt.Errorf("sealbox: open: %w", err)
	}
	return p, nil
}

// Hash is the keyed hash of a resident ID number or phone number: lowercase hex of
// HMAC-SHA256(key, value) over the normalised value (spaces trimmed, the ID's check letter in
// upper case). Kiosk and HQ must both use it, so a staff member's roster PhoneHash matches the
// number typed at login and a person's hash matches across records.
func Hash(key []byte, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(Normalize(value)))
	return hex.EncodeToString(m.Sum(nil))
}

// Normalize is the form Hash hashes: surrounding space removed, ASCII letters upper-cased
// (the ID number's final "x" is the same as "X").
func Normalize(value string) string {
	return strings.ToUpper(strings.TrimSpace(value))
}
