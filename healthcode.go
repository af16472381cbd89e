package checkpoint

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The code text is CodePrefix followed by base45(payload || signature), where signature is the
// Ed25519 signature of CodePrefix || payload. The payload (format version 2) is:
//
//	version   byte = 2
//	flags     byte: bits 0-1 status (1 green, 2 yellow, 3 red), bit 2 kind (0 live, 1 printed)
//	kid       uvarint length + ASCII
//	code id   uvarint length + 8-16 random bytes
//	holder id 8 bytes: the holder's pseudonym (HolderID)
//	name      text
//	id head   uvarint: the first 6 digits of the resident ID
//	id tail   uvarint: its last 4 characters, sequence*11 + check (0-9, X = 10)
//	household uvarint: 6-digit division code
//	reason    text
//	issued    uvarint: Unix seconds
//	notbefore uvarint: seconds after issued (0: valid from issue)
//	validity  uvarint: seconds from issued to expiry (> 0)
//
// A text is a uvarint header n<<1|u followed by n bytes: UTF-8 when u is 0, UTF-16BE when u is 1.
// The encoder picks the shorter (UTF-16 stores a common Chinese character in 2 bytes, not 3),
// which is what lets a 30-character Chinese name fit a version 10 QR symbol. Decoding rejects any
// payload that does not re-encode to the same bytes, so each claim set has exactly one encoding.
//
// Version 2 added the holder id (DESIGN §9: kiosks link and dedupe by a pseudonym, never by a
// hash of the ID number). To keep the largest code (30-character name, longest reason, red,
// printed) inside version 10-M it also packs the ID tail into a uvarint (2 bytes, not 4) and
// HQ issues 8-byte code ids (64 random bits; HQ's codes table refuses a duplicate id). That code
// is 309 of the 311 characters (TestCodeFitsQRVersion10). Version 1 payloads are not ours any
// more: they fail as malformed, and HQ reissues codes as they refresh (printed codes within
// their 7 days).
const (
	// CodePrefix starts every code text (吉祥码 JiXiangMa); a text without it is not ours.
	CodePrefix = "JXM:"
	// MaxCodeLen is the longest code text: the alphanumeric capacity of a version 10 QR symbol
	// at error-correction level M.
	MaxCodeLen = 311
	// MaxReasonLen is the longest status reason, in characters.
	MaxReasonLen = 16

	payloadVersion = 2
	codeIDBytes    = 8 // 64 random bits: unguessable; HQ's codes table catches the rare duplicate
	// HolderIDBytes is the size of a holder id: 64 random bits, assigned once per person by HQ.
	HolderIDBytes = 8
)

// Errors returned by Verify, one per way a code can be bad. Each has a staff message (Message).
var (
	ErrNotOurs      = errors.New("code: not a checkpoint health code")
	ErrMalformed    = errors.New("code: malformed")
	ErrUnknownKey   = errors.New("code: signed by a key not in the trust list")
	ErrBadSignature = errors.New("code: bad signature")
	ErrExpired      = errors.New("code: expired")
	ErrNotYetValid  = errors.New("code: not yet valid")
	ErrRevoked      = errors.New("code: revoked")
	ErrClockSkew    = errors.New("code: issued in the future, the local clock looks wrong")
	// ErrKeyDistrusted: the signing key is in the trust list but HQ distrusted it (compromised).
	ErrKeyDistrusted = errors.New("code: signed by a distrusted (compromised) key")
)

// Errors a kiosk adds after Verify, with their own staff messages.
var (
	// ErrUnknownCode: HQ was reached and has no record of the code (known:false): a signature
	// alone does not make it real.
	ErrUnknownCode = errors.New("code: HQ does not know this code")
	// ErrRevocationsUnavailable: the kiosk could not read its revocation list, so it cannot tell
	// that the code is not revoked; the code does not pass.
	ErrRevocationsUnavailable = errors.New("code: revocation list unavailable on this kiosk")
)

// Errors returned when issuing a code.
var (
	ErrInvalidClaims = errors.New("issue code: invalid claims")
	ErrCodeTooLarge  = errors.New("issue code: code does not fit a version 10 QR symbol")
	ErrKeyNotValid   = errors.New("issue code: issuing key not valid at this time")
)

// Status is the colour of a health code.
type Status string

// Code colours.
const (
	StatusGreen  Status = "green"
	StatusYellow Status = "yellow"
	StatusRed    Status = "red"
)

var (
	statusBits   = map[Status]byte{StatusGreen: 1, StatusYellow: 2, StatusRed: 3}
	statusByBits = [4]Status{1: StatusGreen, 2: StatusYellow, 3: StatusRed}
)

// ParseStatus accepts "green", "yellow" or "red".
func ParseStatus(s string) (Status, error) {
	if _, ok := statusBits[Status(s)]; !ok {
		return "", fmt.Errorf("status %q: want green, yellow or red", s)
	}
	return Status(s), nil
}

// CodeKind tells a live phone code (valid for minutes, refreshed on the phone) from a printed
// code for people without a phone (valid for days).
type CodeKind string

// Code kinds.
const (
	KindLive    CodeKind = "live"
	KindPrinted CodeKind = "printed"
)

// ParseCodeKind accepts "live" or "printed".
func ParseCodeKind(s string) (CodeKind, error) {
	if s != string(KindLive) && s != string(KindPrinted) {
		return "", fmt.Errorf("kind %q: want live or printed", s)
	}
	return CodeKind(s), nil
}

// DefaultTTL is the validity given to a code of kind k when the issuer does not say.
func (k CodeKind) DefaultTTL() time.Duration {
	if k == KindPrinted {
		return 7 * 24 * time.Hour
	}
	return 10 * time.Minute
}

// Claims is what a health code says about its holder. Times are whole seconds.
type Claims struct {
	CodeID    string    `json:"code_id"`   // lowercase hex of 8-16 random bytes; revocation key
	HolderID  string    `json:"holder_id"` // lowercase hex of HolderIDBytes: the person's pseudonym, random, from HQ
	Name      string    `json:"name"`      // full name as ParseName normalises it
	IDMasked  string    `json:"id_masked"` // ResidentID.Masked(): "220221********123X"
	Household string    `json:"household"` // household registration division code, 6 digits
	Status    Status    `json:"status"`
	Reason    string    `json:"reason"` // why the colour, up to MaxReasonLen characters; may be empty
	IssuedAt  time.Time `json:"issued_at"`
	NotBefore time.Time `json:"not_before,omitzero"` // zero: valid from IssuedAt
	ExpiresAt time.Time `json:"expires_at"`
	Kind      CodeKind  `json:"kind"`
	KID       string    `json:"kid"` // id of the signing key
}

// LogValue implements slog.LogValuer: the name is masked, the rest is not personal.
func (c Claims) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("code_id", c.CodeID),
		slog.String("holder_id", c.HolderID),
		slog.String("name", MaskName(c.Name)),
		slog.String("id_masked", c.IDMasked),
		slog.String("household", c.Household),
		slog.String("status", string(c.Status)),
		slog.Time("expires_at", c.ExpiresAt),
		slog.String("kid", c.KID),
	)
}

// validate checks everything the encoding and the rules require of c.
func (c Claims) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidClaims}, a...)...)
	}
	if id, err := hex.DecodeString(c.CodeID); err != nil || len(id) < 8 || len(id) > 16 || hex.EncodeToString(id) != c.CodeID {
		return bad("code id must be 8-16 bytes of lowercase hex")
	}
	if !ValidHolderID(c.HolderID) {
		return bad("holder id must be %d bytes of lowercase hex", HolderIDBytes)
	}
	if n, err := ParseName(c.Name); err != nil || n.Full() != c.Name {
		return bad("name: not a valid normalised name")
	}
	if !validMaskedID(c.IDMasked) {
		return bad("masked id %q", c.IDMasked)
	}
	if !ValidDivisionCode(c.Household) {
		return bad("household %q is not a 6-digit division code", c.Household)
	}
	if _, ok := statusBits[c.Status]; !ok {
		return bad("status %q", c.Status)
	}
	if !validReason(c.Reason) {
		return bad("reason must be at most %d printable characters", MaxReasonLen)
	}
	if c.Kind != KindLive && c.Kind != KindPrinted {
		return bad("kind %q", c.Kind)
	}
	if !validKID(c.KID) {
		return bad("key id %q", c.KID)
	}
	if c.IssuedAt.Unix() <= 0 || !c.ExpiresAt.After(c.IssuedAt) {
		return bad("issued-at must be after 1970 and before expires-at")
	}
	if !c.NotBefore.IsZero() && (c.NotBefore.Before(c.IssuedAt) || !c.NotBefore.Before(c.ExpiresAt)) {
		return bad("not-before must lie between issued-at and expires-at")
	}
	return nil
}

// ValidHolderID reports whether s is a holder id: HolderIDBytes bytes as lowercase hex.
func ValidHolderID(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == HolderIDBytes && hex.EncodeToString(b) == s
}

// NewHolderID returns a fresh random holder id. HQ calls it once per person, when the person is
// first created; it is not derived from anything about them.
func NewHolderID() string {
	b := make([]byte, HolderIDBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it crashes the program instead)
	return hex.EncodeToString(b)
}

func validMaskedID(s string) bool {
	return len(s) == 18 && provinces[s[:2]] && allDigits(s[:6]) && s[6:14] == "********" &&
		allDigits(s[14:17]) && (s[17] == 'X' || s[17] >= '0' && s[17] <= '9')
}

// ValidReason reports whether s may be a code's status reason: at most MaxReasonLen printable
// characters, no leading or trailing space.
func ValidReason(s string) bool { return validReason(s) }

func validReason(s string) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxReasonLen || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// validKID accepts 1-16 characters of [A-Za-z0-9._-].
func validKID(s string) bool {
	if len(s) == 0 || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// encodePayload returns the binary payload of valid claims c.
func encodePayload(c Claims) []byte {
	b := make([]byte, 0, 160)
	flags := statusBits[c.Status]
	if c.Kind == KindPrinted {
		flags |= 1 << 2
	}
	b = append(b, payloadVersion, flags)
	b = appendBytes(b, []byte(c.KID))
	id, _ := hex.DecodeString(c.CodeID)
	b = appendBytes(b, id)
	holder, _ := hex.DecodeString(c.HolderID)
	b = append(b, holder...)
	b = appendText(b, c.Name)
	var head uint64
	for i := 0; i < 6; i++ {
		head = head*10 + uint64(c.IDMasked[i]-'0')
	}
	b = binary.AppendUvarint(b, head)
	seq := uint64(c.IDMasked[14]-'0')*100 + uint64(c.IDMasked[15]-'0')*10 + uint64(c.IDMasked[16]-'0')
	check := uint64(10)
	if c.IDMasked[17] != 'X' {
		check = uint64(c.IDMasked[17] - '0')
	}
	b = binary.AppendUvarint(b, seq*11+check)
	var household uint64
	for i := 0; i < 6; i++ {
		household = household*10 + uint64(c.Household[i]-'0')
	}
	b = binary.AppendUvarint(b, household)
	b = appendText(b, c.Reason)
	b = binary.AppendUvarint(b, uint64(c.IssuedAt.Unix()))
	var nb uint64
	if !c.NotBefore.IsZero() {
		nb = uint64(c.NotBefore.Unix() - c.IssuedAt.Unix())
	}
	b = binary.AppendUvarint(b, nb)
	return binary.AppendUvarint(b, uint64(c.ExpiresAt.Unix()-c.IssuedAt.Unix()))
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

func appendText(b []byte, s string) []byte {
	u := utf16.Encode([]rune(s))
	if 2*len(u) < len(s) {
		b = binary.AppendUvarint(b, uint64(2*len(u))<<1|1)
		for _, x := range u {
			b = binary.BigEndian.AppendUint16(b, x)
		}
		return b
	}
	b = binary.AppendUvarint(b, uint64(len(s))<<1)
	return append(b, s...)
}

// payloadReader reads payload fields; the first failure sticks in ok.
type payloadReader struct {
	b  []byte
	ok bool
}

func (r *payloadReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.ok, r.b = false, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *payloadReader) next(n uint64) []byte {
	if !r.ok || n > uint64(len(r.b)) {
		r.ok, r.b = false, nil
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *payloadReader) text() string {
	h := r.uvarint()
	p := r.next(h >> 1)
	if h&1 == 0 {
		return string(p)
	}
	if len(p)%2 != 0 {
		r.ok = false
		return ""
	}
	u := make([]uint16, len(p)/2)
	for i := range u {
		u[i] = binary.BigEndian.Uint16(p[2*i:])
	}
	return string(utf16.Decode(u))
}

// decodePayload parses and validates a payload; it accepts only canonical encodings.
func decodePayload(b []byte) (Claims, error) {
	bad := fmt.Errorf("%w: invalid payload", ErrMalformed)
	if len(b) < 2 || b[0] != payloadVersion || b[1]>>3 != 0 || b[1]&3 == 0 {
		return Claims{}, bad
	}
	c := Claims{Status: statusByBits[b[1]&3]}
	c.Kind = KindLive
	if b[1]&(1<<2) != 0 {
		c.Kind = KindPrinted
	}
	r := &payloadReader{b: b[2:], ok: true}
	c.KID = string(r.next(r.uvarint()))
	c.CodeID = hex.EncodeToString(r.next(r.uvarint()))
	c.HolderID = hex.EncodeToString(r.next(HolderIDBytes))
	c.Name = r.text()
	head := r.uvarint()
	tail := r.uvarint()
	household := r.uvarint()
	c.Reason = r.text()
	issued := r.uvarint()
	nb := r.uvarint()
	validity := r.uvarint()
	const maxSeconds = 1 << 40 // keeps the int64 arithmetic below far from overflow
	if !r.ok || len(r.b) != 0 || head > 999999 || tail >= 1000*11 || household > 999999 || issued > maxSeconds || nb > maxSeconds || validity > maxSeconds {
		return Claims{}, bad
	}
	c.IDMasked = fmt.Sprintf("%06d********%03d%c", head, tail/11, "0123456789X"[tail%11])
	c.Household = fmt.Sprintf("%06d", household)
	c.IssuedAt = time.Unix(int64(issued), 0).In(ChinaTime)
	if nb > 0 {
		c.NotBefore = c.IssuedAt.Add(time.Duration(nb) * time.Second)
	}
	c.ExpiresAt = c.IssuedAt.Add(time.Duration(validity) * time.Second)
	if err := c.validate(); err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if !bytes.Equal(encodePayload(c), b) {
		return Claims{}, fmt.Errorf("%w: non-canonical encoding", ErrMalformed)
	}
	return c, nil
}

// NewCodeID returns a fresh random code id.
func NewCodeID() string {
	b := make([]byte, codeIDBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it crashes the program instead)
	return hex.EncodeToString(b)
}

// Issuer signs health codes with one HQ key.
type Issuer struct {
	kid       string
	key       ed25519.PrivateKey
	notBefore time.Time
	notAfter  time.Time
}

// NewIssuer returns an issuer signing with key under key id kid (1-16 of [A-Za-z0-9._-]).
func NewIssuer(kid string, key ed25519.PrivateKey) (*Issuer, error) {
	if !validKID(kid) {
		return nil, fmt.Errorf("new issuer: invalid key id %q", kid)
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("new issuer: invalid ed25519 private key")
	}
	return &Issuer{kid: kid, key: key}, nil
}

// KID returns the issuer's key id.
func (is *Issuer) KID() string { return is.kid }

// PublicKey returns the public half of the issuing key.
func (is *Issuer) PublicKey() ed25519.PublicKey { return is.key.Public().(ed25519.PublicKey) }

// Issue signs c and returns the code text and the claims as signed. c.HolderID is required (HQ
// assigns it per person). Issue fills in what c leaves empty: KID (always the issuer's), CodeID (random), Kind (live), IssuedAt (now) and ExpiresAt
// (IssuedAt + Kind.DefaultTTL()); times are truncated to whole seconds. It fails with
// ErrInvalidClaims, ErrKeyNotValid (IssuedAt outside the key's window) or ErrCodeTooLarge.
func (is *Issuer) Issue(c Claims, now time.Time) (string, Claims, error) {
	c.KID = is.kid
	if c.CodeID == "" {
		c.CodeID = NewCodeID()
	}
	if c.Kind == "" {
		c.Kind = KindLive
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = now
	}
	if c.ExpiresAt.IsZero() {
		c.ExpiresAt = c.IssuedAt.Add(c.Kind.DefaultTTL())
	}
	sec := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return time.Unix(t.Unix(), 0).In(ChinaTime)
	}
	c.IssuedAt, c.NotBefore, c.ExpiresAt = sec(c.IssuedAt), sec(c.NotBefore), sec(c.ExpiresAt)
	if c.NotBefore.Equal(c.IssuedAt) {
		c.NotBefore = time.Time{}
	}
	if err := c.validate(); err != nil {
		return "", Claims{}, err
	}
	if c.IssuedAt.Before(is.notBefore) || !is.notAfter.IsZero() && c.IssuedAt.After(is.notAfter) {
		return "", Claims{}, fmt.Errorf("%w: key %s, issued-at %s", ErrKeyNotValid, is.kid, c.IssuedAt.Format(time.RFC3339))
	}
	payload := encodePayload(c)
	sig := ed25519.Sign(is.key, append([]byte(CodePrefix), payload...))
	text := CodePrefix + base45Encode(append(payload, sig...))
	if len(text) > MaxCodeLen {
		return "", Claims{}, fmt.Errorf("%w: %d characters, at most %d", ErrCodeTooLarge, len(text), MaxCodeLen)
	}
	return text, c, nil
}

// Revocations tells whether a code has been revoked. *RevocationList implements it; so may a
// kiosk store holding the synced list.
type Revocations interface {
	Revoked(codeID string) bool
}

// Verify checks a scanned code text offline, as of now: its prefix and encoding, that a key in
// trust signed it, is not distrusted and was valid (not yet retired) when the code was issued,
// that it is not in revoked (nil: none), that its issue time is not beyond cfg.MaxClockSkew in
// the future, and that it is within its validity. The validity verified is never longer than
// cfg.MaxValidity(kind) from the issue time, nor than cfg.MaxCodeAge, whatever the code claims;
// for a retired key it also ends cfg.MaxValidity(kind) after the retirement, so that codes its
// holder backdates after retiring it stop verifying soon. Each failure wraps one of ErrNotOurs,
// ErrMalformed, ErrUnknownKey, ErrBadSignature, ErrKeyDistrusted, ErrRevoked, ErrClockSkew,
// ErrNotYetValid or ErrExpired.
func Verify(text string, trust TrustList, revoked Revocations, now time.Time, cfg Config) (Claims, error) {
	cfg = cfg.WithDefaults()
	text = strings.TrimSpace(text)
	rest, ok := strings.CutPrefix(text, CodePrefix)
	if !ok {
		return Claims{}, ErrNotOurs
	}
	raw, err := base45Decode(rest)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(raw) <= ed25519.SignatureSize {
		return Claims{}, fmt.Errorf("%w: too short", ErrMalformed)
	}
	payload, sig := raw[:len(raw)-ed25519.SignatureSize], raw[len(raw)-ed25519.SignatureSize:]
	c, err := decodePayload(payload)
	if err != nil {
		return Claims{}, err
	}
	key, ok := trust.Key(c.KID)
	if !ok {
		return Claims{}, fmt.Errorf("%w: kid %q", ErrUnknownKey, c.KID)
	}
	if !ed25519.Verify(key.PublicKey, append([]byte(CodePrefix), payload...), sig) {
		return Claims{}, ErrBadSignature
	}
	if key.State == KeyDistrusted {
		return Claims{}, fmt.Errorf("%w: kid %q", ErrKeyDistrusted, c.KID)
	}
	if !key.ValidAt(c.IssuedAt) {
		return Claims{}, fmt.Errorf("%w: key %q not valid at issue time %s", ErrUnknownKey, c.KID, c.IssuedAt.Format(time.RFC3339))
	}
	if revoked != nil && revoked.Revoked(c.CodeID) {
		return Claims{}, fmt.Errorf("%w: %s", ErrRevoked, c.CodeID)
	}
	if c.IssuedAt.After(now.Add(cfg.MaxClockSkew)) {
		return Claims{}, fmt.Errorf("%w: issued %s, local time %s", ErrClockSkew, c.IssuedAt.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	if !c.NotBefore.IsZero() && now.Before(c.NotBefore) {
		return Claims{}, fmt.Errorf("%w: valid from %s", ErrNotYetValid, c.NotBefore.Format(time.RFC3339))
	}
	limit := cfg.MaxValidity(c.Kind)
	end := c.ExpiresAt
	if e := c.IssuedAt.Add(limit); e.Before(end) {
		end = e
	}
	if e := c.IssuedAt.Add(cfg.MaxCodeAge); e.Before(end) {
		end = e
	}
	if !key.RetiredAt.IsZero() {
		if e := key.RetiredAt.Add(limit); e.Before(end) {
			end = e
		}
	}
	if !now.Before(end) {
		if end.Equal(c.ExpiresAt) {
			return Claims{}, fmt.Errorf("%w: expired at %s", ErrExpired, c.ExpiresAt.Format(time.RFC3339))
		}
		return Claims{}, fmt.Errorf("%w: claims expiry %s, but a %s code verifies only until %s", ErrExpired,
			c.ExpiresAt.Format(time.RFC3339), c.Kind, end.Format(time.RFC3339))
	}
	return c, nil
}
