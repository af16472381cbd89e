package checkpoint

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// TrustList is the set of HQ keys whose codes a kiosk accepts. It is the file trust.json and what
// HQ serves to kiosks:
//
//	{"version": 3, "keys": [{"kid": "k1a2b3c", "public_key": "<base64 of 32 bytes>",
//	  "not_before": "2022-03-01T00:00:00+08:00", "not_after": "2023-03-01T00:00:00+08:00",
//	  "state": "retired", "retired_at": "2022-09-01T00:00:00+08:00"}]}
//
// Several keys may be valid at once, so that keys can rotate without a gap. A list without
// "state" (from an older HQ) holds active keys, or retired ones where "retired_at" is given.
type TrustList struct {
	Version int64        `json:"version"` // increases with every change; the sync cursor
	Keys    []TrustedKey `json:"keys"`
}

// KeyState is the life stage of an issuing key (DESIGN §9).
type KeyState string

// Key states.
const (
	// KeyActive keys issue codes.
	KeyActive KeyState = "active"
	// KeyRetired keys issue nothing new; the codes they issued before retirement verify until
	// their own expiry, and never later than the retirement plus the kind's cap.
	KeyRetired KeyState = "retired"
	// KeyDistrusted keys are compromised: no code they signed verifies. They stay in the trust
	// list so that staff see why.
	KeyDistrusted KeyState = "distrusted"
)

// TrustedKey is one HQ issuing key. A code verifies under it only if the code's issue time lies
// within [NotBefore, NotAfter] and not after RetiredAt, and the key is not distrusted.
type TrustedKey struct {
	KID       string            `json:"kid"`
	PublicKey ed25519.PublicKey `json:"public_key"` // standard base64 of the 32-byte key
	NotBefore time.Time         `json:"not_before"`
	NotAfter  time.Time         `json:"not_after,omitzero"`  // zero: no end yet
	State     KeyState          `json:"state,omitempty"`     // empty in old lists: see ParseTrustList
	RetiredAt time.Time         `json:"retired_at,omitzero"` // when it stopped issuing; zero while active
}

// ValidAt reports whether the key may have issued a code at t: within its window and not after
// its retirement. It says nothing of distrust.
func (k TrustedKey) ValidAt(t time.Time) bool {
	return !t.Before(k.NotBefore) && (k.NotAfter.IsZero() || !t.After(k.NotAfter)) &&
		(k.RetiredAt.IsZero() || !t.After(k.RetiredAt))
}

// ParseTrustList decodes and validates a trust list. A key without a state is active, or
// retired when it has a retired_at.
func ParseTrustList(data []byte) (TrustList, error) {
	var t TrustList
	if err := json.Unmarshal(data, &t); err != nil {
		return TrustList{}, fmt.Errorf("trust list: %w", err)
	}
	for i, k := range t.Keys {
		if k.State == "" {
			t.Keys[i].State = KeyActive
			if !k.RetiredAt.IsZero() {
				t.Keys[i].State = KeyRetired
			}
		}
	}
	return t, t.Validate()
}

// Validate checks every key: a valid, unique kid, a 32-byte key, an ordered window, a known
// state, and a retirement time for a retired key that is not before its window opens.
func (t TrustList) Validate() error {
	seen := make(map[string]bool, len(t.Keys))
	for _, k := range t.Keys {
		switch {
		case !validKID(k.KID):
			return fmt.Errorf("trust list: invalid kid %q", k.KID)
		case seen[k.KID]:
			return fmt.Errorf("trust list: duplicate kid %q", k.KID)
		case len(k.PublicKey) != ed25519.PublicKeySize:
			return fmt.Errorf("trust list: key %q: public key must be %d bytes", k.KID, ed25519.PublicKeySize)
		case !k.NotAfter.IsZero() && k.NotAfter.Before(k.NotBefore):
			return fmt.Errorf("trust list: key %q: not_after before not_before", k.KID)
		case k.State != "" && k.State != KeyActive && k.State != KeyRetired && k.State != KeyDistrusted:
			return fmt.Errorf("trust list: key %q: state %q: want active, retired or distrusted", k.KID, k.State)
		case k.State == KeyRetired && k.RetiredAt.IsZero():
			return fmt.Errorf("trust list: key %q: retired without retired_at", k.KID)
		case k.State == KeyActive && !k.RetiredAt.IsZero():
			return fmt.Errorf("trust list: key %q: active with a retired_at", k.KID)
		case !k.RetiredAt.IsZero() && k.RetiredAt.Before(k.NotBefore):
			return fmt.Errorf("trust list: key %q: retired_at before not_before", k.KID)
		}
		seen[k.KID] = true
	}
	return nil
}

// Key returns the key with id kid.
func (t TrustList) Key(kid string) (TrustedKey, bool) {
	for _, k := range t.Keys {
		if k.KID == kid {
			return k, true
		}
	}
	return TrustedKey{}, false
}

// KeyID derives a short key id from a public key: "k" and 6 hex digits of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "k" + hex.EncodeToString(sum[:3])
}

// IssuerKey is HQ's private issuing key, the file issuer.key (keep it mode 0600):
//
//	{"kid": "k1a2b3c", "private_key": "<base64 of the 32-byte Ed25519 seed (RFC 8032)>",
//	 "not_before": "2022-03-01T00:00:00+08:00", "not_after": "2023-03-01T00:00:00+08:00"}
type IssuerKey struct {
	KID        string    `json:"kid"`
	PrivateKey []byte    `json:"private_key"` // the 32-byte seed
	NotBefore  time.Time `json:"not_before"`
	NotAfter   time.Time `json:"not_after,omitzero"` // zero: no end yet
}

// GenerateIssuerKey creates a new random key valid from notBefore until notAfter (zero: no
// end). An empty kid is derived from the public key (KeyID).
func GenerateIssuerKey(kid string, notBefore, notAfter time.Time) (IssuerKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return IssuerKey{}, fmt.Errorf("generate issuer key: %w", err)
	}
	if kid == "" {
		kid = KeyID(pub)
	}
	k := IssuerKey{KID: kid, PrivateKey: priv.Seed(), NotBefore: notBefore, NotAfter: notAfter}
	return k, k.validate()
}

// ParseIssuerKey decodes and validates an issuer.key file.
func ParseIssuerKey(data []byte) (IssuerKey, error) {
	var k IssuerKey
	if err := json.Unmarshal(data, &k); err != nil {
		return IssuerKey{}, fmt.Errorf("issuer key: %w", err)
	}
	return k, k.validate()
}

func (k IssuerKey) validate() error {
	switch {
	case !validKID(k.KID):
		return fmt.Errorf("issuer key: invalid kid %q", k.KID)
	case len(k.PrivateKey) != ed25519.SeedSize:
		return fmt.Errorf("issuer key: private_key must be a %d-byte seed", ed25519.SeedSize)
	case !k.NotAfter.IsZero() && k.NotAfter.Before(k.NotBefore):
		return errors.New("issuer key: not_after before not_before")
	}
	return nil
}

// Issuer returns an issuer that signs with k and refuses to issue outside k's window.
func (k IssuerKey) Issuer() (*Issuer, error) {
	if err := k.validate(); err != nil {
		return nil, err
	}
	is, err := NewIssuer(k.KID, ed25519.NewKeyFromSeed(k.PrivateKey))
	if err != nil {
		return nil, err
	}
	is.notBefore, is.notAfter = k.NotBefore, k.NotAfter
	return is, nil
}

// TrustedKey returns the public entry for k, to publish in a trust list.
func (k IssuerKey) TrustedKey() TrustedKey {
	priv := ed25519.NewKeyFromSeed(k.PrivateKey)
	return TrustedKey{KID: k.KID, PublicKey: priv.Public().(ed25519.PublicKey), NotBefore: k.NotBefore, NotAfter: k.NotAfter, State: KeyActive}
}

// RevocationList is the set of revoked code ids that HQ sends to kiosks:
//
//	{"version": 7, "code_ids": ["3f9a...", ...]}
//
// Build it with ParseRevocationList or NewRevocationList so that lookups are constant time.
type RevocationList struct {
	Version int64    `json:"version"`
	CodeIDs []string `json:"code_ids"`

	set map[string]bool
}

// NewRevocationList returns a list holding ids.
func NewRevocationList(version int64, ids []string) *RevocationList {
	r := &RevocationList{Version: version, CodeIDs: ids, set: make(map[string]bool, len(ids))}
	for _, id := range ids {
		r.set[id] = true
	}
	return r
}

// ParseRevocationList decodes a revocation list.
func ParseRevocationList(data []byte) (*RevocationList, error) {
	var r RevocationList
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("revocation list: %w", err)
	}
	return NewRevocationList(r.Version, r.CodeIDs), nil
}

// Revoked reports whether the code with id codeID is revoked. A nil list revokes nothing.
func (r *RevocationList) Revoked(codeID string) bool {
	if r == nil {
		return false
	}
	if r.set == nil {
		for _, id := range r.CodeIDs {
			if id == codeID {
				return true
			}
		}
		return false
	}
	return r.set[codeID]
}
