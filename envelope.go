package checkpoint

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// This file holds the signed dataset envelope and HQ's root key chain (docs/SYNC.md,
// "Envelopes"). HQ's root key signs every dataset a kiosk pulls; a kiosk pins the root at
// enrollment (the enrollment code carries the root's fingerprint) and verifies every envelope
// with it, so a man in the middle cannot hand a kiosk his own issuing key.
//
// The signature covers the payload bytes exactly as carried (a JSON document inside the
// envelope, base64 on the wire), prefixed by a domain-separation string: there is nothing to
// canonicalise, and a signature over a dataset can never pass for one over a root link.

// Domain-separation prefixes of the two kinds of root signature.
const (
	datasetContext  = "checkpoint dataset v1\x00"
	rootLinkContext = "checkpoint root link v1\x00"
)

// Envelope errors; a refused envelope's error wraps exactly one of them.
var (
	ErrEnvelopeMalformed = errors.New("envelope malformed")
	ErrEnvelopeRoot      = errors.New("envelope signed by an unknown root key")
	ErrEnvelopeSignature = errors.New("envelope signature invalid")
	ErrEnvelopeName      = errors.New("envelope is for another dataset")
	ErrEnvelopeDevice    = errors.New("envelope is for another device")
	ErrEnvelopeVersion   = errors.New("envelope older than the dataset held (replay)")
	ErrRootLink          = errors.New("root key chain link not signed by the trusted root")
)

// RootIDLen is the length of a root fingerprint: 20 base32 characters, 100 bits of SHA-256.
const RootIDLen = 20

// fingerprintEnc is the enrollment code alphabet: base32 without look-alikes (no I, O, 0, 1),
// so a fingerprint can be typed by hand.
var fingerprintEnc = base32.NewEncoding(enrollAlphabet).WithPadding(base32.NoPadding)

const enrollAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// RootID is the fingerprint of a root public key: the first 100 bits of its SHA-256 in the
// enrollment code alphabet. Finding another key with the same fingerprint takes about 2^100
// tries.
func RootID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return fingerprintEnc.EncodeToString(h[:13])[:RootIDLen]
}

// GenerateRootKey makes a new Ed25519 root key.
func GenerateRootKey() (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: root key: %w", err)
	}
	return priv, nil
}

// DatasetPayload is what the root signs for one dataset: which dataset, which version, for
// which device, from which HQ epoch and when, and the dataset itself.
type DatasetPayload struct {
	Name     string          `json:"name"`
	Version  int64           `json:"version"`
	Epoch    string          `json:"epoch"`     // HQ's epoch: changes when HQ is restored from a backup
	DeviceID string          `json:"device_id"` // the kiosk it was made for
	IssuedAt time.Time       `json:"issued_at"`
	Data     json.RawMessage `json:"data"`
	// Tag is the content tag (DatasetTag) of a per-device dataset; empty for global ones.
	Tag string `json:"tag,omitempty"`
}

// Dataset returns the dataset the payload carries.
func (p DatasetPayload) Dataset() Dataset {
	return Dataset{Name: p.Name, Version: p.Version, Data: p.Data, Tag: p.Tag, Epoch: p.Epoch, IssuedAt: p.IssuedAt}
}

// Envelope is a signed dataset as it travels in a config pull. Name is an unsigned copy of the
// payload's name (for logs); Root is the fingerprint of the key that signed.
type Envelope struct {
	Name      string `json:"name"`
	Root      string `json:"root"`
	Payload   []byte `json:"payload"`   // JSON DatasetPayload, exactly as signed
	Signature []byte `json:"signature"` // Ed25519 over datasetContext + Payload
}

// SignDataset signs p with the root key.
func SignDataset(root ed25519.PrivateKey, p DatasetPayload) (Envelope, error) {
	if p.Name == "" || !json.Valid(p.Data) {
		return Envelope{}, fmt.Errorf("checkpoint: sign dataset: %w", ErrEnvelopeMalformed)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return Envelope{}, fmt.Errorf("checkpoint: sign dataset: %w", err)
	}
	pub := root.Public().(ed25519.PublicKey)
	return Envelope{Name: p.Name, Root: RootID(pub), Payload: b,
		Signature: ed25519.Sign(root, append([]byte(datasetContext), b...))}, nil
}

// DatasetCheck says what a kiosk expects of an envelope.
type DatasetCheck struct {
	Root     ed25519.PublicKey // the pinned root
	DeviceID string            // this kiosk
	// Held is the version of the dataset the kiosk holds (0: none); an older one is a replay.
	Held int64
	// HeldTag, HeldEpoch and HeldIssuedAt describe the dataset held, from its signed payload
	// (empty/zero when unknown). Within one epoch a dataset never goes back in version, and one
	// of the same version with another tag (a per-device dataset whose content changed) must not
	// be older than the one held. Across epochs (HQ restored from a backup, its versions lower)
	// only the signed issue time orders them: a dataset from another epoch must be newer than the
	// one held, so an old epoch's datasets cannot be replayed.
	HeldTag      string
	HeldEpoch    string
	HeldIssuedAt time.Time
}

// Stale reports why a verified payload is older than what c says the kiosk holds, or nil.
func (c DatasetCheck) Stale(p DatasetPayload) error {
	switch {
	case c.HeldEpoch != "" && p.Epoch != c.HeldEpoch:
		if p.IssuedAt.Before(c.HeldIssuedAt) {
			return fmt.Errorf("%w: issued %s in epoch %s, holding one issued %s", ErrEnvelopeVersion,
				p.IssuedAt.UTC().Format(time.RFC3339), p.Epoch, c.HeldIssuedAt.UTC().Format(time.RFC3339))
		}
	case p.Version < c.Held:
		return fmt.Errorf("%w: version %d, holding %d", ErrEnvelopeVersion, p.Version, c.Held)
	case p.Version == c.Held && p.Tag != c.HeldTag && p.IssuedAt.Before(c.HeldIssuedAt):
		return fmt.Errorf("%w: version %d tag %s issued before the one held", ErrEnvelopeVersion, p.Version, p.Tag)
	}
	return nil
}

// Verify checks the envelope against the pinned root and what the kiosk holds, and returns
// the signed payload. The signature is checked before anything in the payload is believed.
func (e Envelope) Verify(c DatasetCheck) (DatasetPayload, error) {
	var p DatasetPayload
	if len(c.Root) != ed25519.PublicKeySize {
		return p, fmt.Errorf("checkpoint: verify dataset %q: %w: no root pinned", e.Name, ErrEnvelopeRoot)
	}
	if e.Root != RootID(c.Root) {
		return p, fmt.Errorf("checkpoint: verify dataset %q: %w", e.Name, ErrEnvelopeRoot)
	}
	if len(e.Signature) != ed25519.SignatureSize || !ed25519.Verify(c.Root, append([]byte(datasetContext), e.Payload...), e.Signature) {
		return p, fmt.Errorf("checkpoint: verify dataset %q: %w", e.Name, ErrEnvelopeSignature)
	}
	if err := json.Unmarshal(e.Payload, &p); err != nil || p.Name == "" || !json.Valid(p.Data) {
		return DatasetPayload{}, fmt.Errorf("checkpoint: verify dataset %q: %w", e.Name, ErrEnvelopeMalformed)
	}
	switch {
	case p.Name != e.Name:
		return p, fmt.Errorf("checkpoint: verify dataset %q: %w (signed for %q)", e.Name, ErrEnvelopeName, p.Name)
	case p.DeviceID != c.DeviceID:
		return p, fmt.Errorf("checkpoint: verify dataset %q: %w", e.Name, ErrEnvelopeDevice)
	}
	if err := c.Stale(p); err != nil {
		return p, fmt.Errorf("checkpoint: verify dataset %q: %w", e.Name, err)
	}
	return p, nil
}

// RootLinkBody is what a root signs to hand over to its successor.
type RootLinkBody struct {
	Key       ed25519.PublicKey `json:"key"`  // the new root
	Prev      ed25519.PublicKey `json:"prev"` // the root that signs this link
	CreatedAt time.Time         `json:"created_at"`
}

// RootLink is one step of HQ's root key chain: a new root key signed by its predecessor.
type RootLink struct {
	Payload   []byte `json:"payload"`   // JSON RootLinkBody, exactly as signed
	Signature []byte `json:"signature"` // Ed25519 by the previous root over rootLinkContext + Payload
}

// SignRootLink makes the link from prev to next.
func SignRootLink(prev ed25519.PrivateKey, next ed25519.PublicKey, at time.Time) (RootLink, error) {
	if len(next) != ed25519.PublicKeySize {
		return RootLink{}, errors.New("checkpoint: sign root link: bad key")
	}
	b, err := json.Marshal(RootLinkBody{Key: next, Prev: prev.Public().(ed25519.PublicKey), CreatedAt: at.UTC()})
	if err != nil {
		return RootLink{}, fmt.Errorf("checkpoint: sign root link: %w", err)
	}
	return RootLink{Payload: b, Signature: ed25519.Sign(prev, append([]byte(rootLinkContext), b...))}, nil
}

// Body decodes the link without verifying it.
func (l RootLink) Body() (RootLinkBody, error) {
	var b RootLinkBody
	if err := json.Unmarshal(l.Payload, &b); err != nil || len(b.Key) != ed25519.PublicKeySize || len(b.Prev) != ed25519.PublicKeySize {
		return RootLinkBody{}, fmt.Errorf("checkpoint: root link: %w", ErrEnvelopeMalformed)
	}
	return b, nil
}

// FollowRootChain walks the chain forward from the trusted root: each link whose Prev is the
// current root must be signed by it, and its key becomes the current root. It returns the
// newest root reached (trusted itself when the chain holds nothing newer). A link that claims
// to follow the current root but is not signed by it stops the walk with ErrRootLink; the
// root reached so far is still returned.
func FollowRootChain(trusted ed25519.PublicKey, chain []RootLink) (ed25519.PublicKey, error) {
	cur := trusted
	seen := map[string]bool{}
	for range len(chain) + 1 {
		id := RootID(cur)
		seen[id] = true
		var next ed25519.PublicKey
		var bad error
		for _, l := range chain {
			b, err := l.Body()
			if err != nil || !b.Prev.Equal(cur) || seen[RootID(b.Key)] {
				continue
			}
			if len(l.Signature) != ed25519.SignatureSize || !ed25519.Verify(cur, append([]byte(rootLinkContext), l.Payload...), l.Signature) {
				bad = fmt.Errorf("checkpoint: root chain: %w (link after %s)", ErrRootLink, id)
				continue
			}
			next = b.Key
			break
		}
		if next == nil {
			return cur, bad
		}
		cur = next
	}
	return cur, nil
}

// EnrollCodeSecretLen is the length of the secret part of an enrollment code (80 bits).
const EnrollCodeSecretLen = 16

// FormatEnrollCode joins an enrollment code's secret and HQ's root fingerprint in groups of
// four for typing: SSSS-SSSS-SSSS-SSSS-FFFF-FFFF-FFFF-FFFF-FFFF.
func FormatEnrollCode(secret, rootID string) string {
	s := NormEnrollCode(secret + rootID)
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// NormEnrollCode canonicalises a code as typed: case, spaces and dashes do not matter.
func NormEnrollCode(c string) string {
	c = strings.ToUpper(c)
	return strings.NewReplacer("-", "", " ", "", "\t", "").Replace(c)
}

// ErrEnrollCodeFormat means an enrollment code is not secret + root fingerprint.
var ErrEnrollCodeFormat = errors.New("enrollment code must be 36 characters: secret and HQ fingerprint")

// SplitEnrollCode splits a typed enrollment code into its secret and HQ root fingerprint. A
// code without a fingerprint (made by an older HQ) is refused: the kiosk could not pin HQ.
func SplitEnrollCode(code string) (secret, rootID string, err error) {
	c := NormEnrollCode(code)
	if len(c) != EnrollCodeSecretLen+RootIDLen {
		return "", "", ErrEnrollCodeFormat
	}
	for _, r := range c {
		if !strings.ContainsRune(enrollAlphabet, r) {
			return "", "", ErrEnrollCodeFormat
		}
	}
	return c[:EnrollCodeSecretLen], c[EnrollCodeSecretLen:], nil
}

// MatchRoot finds the root key the enrollment fingerprint names among the current root and
// its chain, then walks the chain forward from it: the key a kiosk pins. A fingerprint that
// names none of them (a man in the middle answering with his own root) is ErrEnvelopeRoot.
func MatchRoot(rootID string, current ed25519.PublicKey, chain []RootLink) (ed25519.PublicKey, error) {
	keys := []ed25519.PublicKey{current}
	for _, l := range chain {
		if b, err := l.Body(); err == nil {
			keys = append(keys, b.Prev, b.Key)
		}
	}
	for _, k := range keys {
		if len(k) == ed25519.PublicKeySize && RootID(k) == rootID {
			pinned, err := FollowRootChain(k, chain)
			if err != nil {
				return nil, err
			}
			if !bytes.Equal(pinned, current) {
				return nil, fmt.Errorf("checkpoint: match root: %w: chain does not lead to HQ's current root", ErrRootLink)
			}
			return pinned, nil
		}
	}
	return nil, fmt.Errorf("checkpoint: match root: %w: HQ's key does not match the enrollment code", ErrEnvelopeRoot)
}
