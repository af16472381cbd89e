// Package citizen is HQ's core for 吉事办, the citizen side: accounts (one per phone and per ID
// number), SMS verification codes with their limits, password login with lockout, sessions, and
// the live 吉祥码 of a logged-in citizen. It has no net/http: hq/web serves it as pages and
// JSON, and the kiosk API uses its codes for 辅助登记.
//
// What the database holds (hq/sqldb migration 11). An account's phone and ID number are HQ's
// keyed hashes (HMAC-SHA256 under the settings' person_hash_key, as hq.keyedHash: the id_hash of
// an account is the people.id_hash of the same person) with masked forms for display; nothing
// holds a phone, an ID number or a name in the clear. Code needs the name and full ID number for
// the Issuer, and the people table keeps no full ID number, so the account keeps both sealed:
// AES-256-GCM under the settings' citizen_data_key (created by New, first writer wins, kept
// beside HQ's seal key), with the account id as associated data. Passwords are argon2id
// (package passwd); SMS codes are stored as an HMAC of phone, purpose and code; session tokens
// as their SHA-256.
//
// Limits live in the database, so they hold across restarts and HQ instances. SMS codes: 6
// digits, 5 minutes, 5 attempts, single use, a new one replaces the old. Sends per phone: 1 a
// minute, 5 an hour, 10 a day; per client address: 5 a minute, 30 an hour, 100 a day (a
// carrier NAT holds many people); a send answered without an SMS counts too. Logins: 5
// failures of a phone within 15 minutes lock it (known or not), 20 from an address stop that
// address; unknown phones verify against a dummy hash of the same cost. At most
// Config.HashSlots argon2id hashes run at once.
//
// Code reuses the last code issued to the account (kept in memory, per process) while more
// than half its lifetime is left and for at most a minute, so a page refreshing every few
// seconds does not mint a code each time, yet a change of colour at HQ shows within a minute.
// The household is the ID number's division code.
package citizen

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yongji-county/checkpoint/hq/sms"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// Config holds what a Service depends on.
type Config struct {
	DB     *sqldb.DB
	Sender sms.Sender // nil: log-only sender is the caller's choice; New refuses nil
	Issuer Issuer     // issues a citizen's live code
	Now    func() time.Time
	Logger *slog.Logger // never given personal data
	// HashSlots bounds the argon2id hashes running at once (each takes 64 MiB); further logins
	// queue until their context ends. Zero: 2.
	HashSlots int
	// SessionIdle and SessionMax bound a session: idle timeout and absolute lifetime. Zero: 30
	// minutes and 12 hours.
	SessionIdle time.Duration
	SessionMax  time.Duration
}

// Issuer issues a live health code for a person (created green on first issue) — HQ's
// IssueCode, adapted by hq/server.
type Issuer interface {
	IssueLive(ctx context.Context, name, idNumber, household string) (Issued, error)
}

// Issued is a code an Issuer made.
type Issued struct {
	Code      string // the QR text
	Status    string // green | yellow | red
	Reason    string
	Household string // 6-digit division code
	ExpiresAt time.Time
}

// Kind classifies an Error for the transport (hq/web maps it to an HTTP status).
type Kind int

const (
	KindInvalid      Kind = iota + 1 // 400: a field is wrong; Field names it
	KindConflict                     // 409: phone or ID number already has an account
	KindLimited                      // 429: SMS or login limit; RetryAfter says when
	KindUnauthorized                 // 401: wrong phone/password, no or expired session
	KindUnavailable                  // 503: SMS provider failed, try later
)

// Error is every refusal of the Service: a stable code, the field it concerns ("phone",
// "sms_code", "password", "name", "id_number" or ""), and its message in Chinese then English.
type Error struct {
	Kind       Kind
	Code       string
	Field      string
	Zh, En     string
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Code + ": " + e.En }

// Purpose of an SMS code.
type Purpose = sms.Purpose

// RegisterInput is a registration (the guide's three steps at once).
type RegisterInput struct {
	Phone, SMSCode, Password, Name, IDNumber string
}

// Account is a logged-in citizen.
type Account struct {
	ID          string
	PhoneMasked string
	NameMasked  string
	IDMasked    string
}

// Session is a login: Token goes into the cookie (≥ 32 random bytes, stored hashed).
type Session struct {
	Token     string
	ExpiresAt time.Time
	Account   Account
}

// CodeView is what 查看吉祥码 shows.
type CodeView struct {
	Code          string    `json:"code"`
	Status        string    `json:"status"`
	Reason        string    `json:"reason"`
	ExpiresAt     time.Time `json:"expires_at"`
	NameMasked    string    `json:"name_masked"`
	IDMasked      string    `json:"id_masked"`
	Household     string    `json:"household"`
	HouseholdName string    `json:"household_name"`
}

// Service is the citizen core. It is safe for concurrent use, and several HQ processes may run
// one over the same database: every limit and session lives there.
type Service struct {
	cfg   Config
	keys  keys
	slots chan struct{}
	dummy string // a hash verified for unknown phones, so they cost what known ones do

	hashing   atomic.Int64 // hashes running now
	hashPeak  atomic.Int64 // most hashes ever running at once
	hashCount atomic.Int64 // hashes run

	sendAvg atomic.Int64 // moving average of a real send (store + SMS), ns: the no-send path waits it

	mu    sync.Mutex
	codes map[string]cachedCode // by account id
}

// New returns a Service over cfg.DB (whose migrations hold the citizen tables). It reads HQ's
// person-hash key and the citizens' data key from the settings table, creating them on first
// start (first writer wins, as hq.Server's ensureSecrets).
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, errors.New("citizen: Config.DB is nil")
	}
	if cfg.Sender == nil {
		return nil, errors.New("citizen: Config.Sender is nil")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HashSlots <= 0 {
		cfg.HashSlots = 2
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = 30 * time.Minute
	}
	if cfg.SessionMax <= 0 {
		cfg.SessionMax = 12 * time.Hour
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k, err := loadKeys(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, keys: k, slots: make(chan struct{}, cfg.HashSlots), dummy: dummyHash(), codes: map[string]cachedCode{}}, nil
}

// SendCode sends a fresh 6-digit code for purpose to phone, within the limits (per phone: one
// per 60 s, 5 an hour, 10 a day; per client address too). It answers the same whether or not
// the phone has an account. retryAfter is when the next one may be asked for.
func (s *Service) SendCode(ctx context.Context, phone string, purpose Purpose, clientIP string) (retryAfter time.Duration, err error) {
	return s.sendCode(ctx, phone, purpose, clientIP)
}

// CheckCode consumes the code for (phone, purpose): single use, 5 minutes, at most 5 attempts.
func (s *Service) CheckCode(ctx context.Context, phone string, purpose Purpose, code string) error {
	ph, e := parsePhone(phone)
	if e != nil {
		return e
	}
	return s.checkCode(ctx, ph, purpose, code)
}

// Register creates an account and logs it in.
func (s *Service) Register(ctx context.Context, in RegisterInput, clientIP string) (Session, error) {
	return s.register(ctx, in)
}

// Login checks phone and password (lockout after repeated failures) and starts a session.
func (s *Service) Login(ctx context.Context, phone, password, clientIP string) (Session, error) {
	return s.login(ctx, phone, password, clientIP)
}

// Reset sets a new password after an SMS code (purpose reset) and ends the account's sessions.
func (s *Service) Reset(ctx context.Context, phone, smsCode, password, clientIP string) error {
	return s.reset(ctx, phone, smsCode, password)
}

// Logout ends the session of token (no error when there is none).
func (s *Service) Logout(ctx context.Context, token string) error { return s.logout(ctx, token) }

// Session returns the account of a live session and extends its idle timeout.
func (s *Service) Session(ctx context.Context, token string) (Account, error) {
	return s.session(ctx, token)
}

// Code issues (or reuses while fresh) the account's live code.
func (s *Service) Code(ctx context.Context, acct Account) (CodeView, error) {
	return s.code(ctx, acct)
}
