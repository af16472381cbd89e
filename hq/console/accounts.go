package console

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/passwd"
	"golang.org/x/crypto/argon2"
)

// Role is what an operator may do.
type Role string

// The roles. Admin may do everything; Health manages risk areas, people's status and codes;
// Ops manages sites, staff, kiosks, enrollment codes and held records; Viewer reads only.
const (
	RoleAdmin  Role = "admin"
	RoleHealth Role = "health"
	RoleOps    Role = "ops"
	RoleViewer Role = "viewer"
)

// Roles lists the roles.
var Roles = []Role{RoleAdmin, RoleHealth, RoleOps, RoleViewer}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("console: role %q: want admin, health, ops or viewer", s)
}

// Perm is a kind of change.
type Perm string

// The permissions a change needs.
const (
	PermRisk     Perm = "risk"     // risk areas
	PermPeople   Perm = "people"   // people's status, revoking codes
	PermSites    Perm = "sites"    // sites and staff
	PermDevices  Perm = "devices"  // kiosks, enrollment codes
	PermHeld     Perm = "held"     // held records
	PermKeys     Perm = "keys"     // issuing keys
	PermSettings Perm = "settings" // rules, retention
)

var rolePerms = map[Role][]Perm{
	RoleAdmin:  {PermRisk, PermPeople, PermSites, PermDevices, PermHeld, PermKeys, PermSettings, PermOperators},
	RoleHealth: {PermRisk, PermPeople},
	RoleOps:    {PermSites, PermDevices, PermHeld},
}

// Can says whether role may make changes that need p.
func (r Role) Can(p Perm) bool {
	for _, q := range rolePerms[r] {
		if q == p {
			return true
		}
	}
	return false
}

// Account limits.
const (
	SetupValidity = 24 * time.Hour
	SessionIdle   = 15 * time.Minute
	SessionMax    = 8 * time.Hour
	// LoginLimit failures of one name within LoginWindow lock the name until the oldest of
	// them leaves the window.
	LoginLimit  = 5
	LoginWindow = 15 * time.Minute
	// AddrLoginLimit failures from one client address within LoginWindow stop that address
	// (whatever names it tries).
	AddrLoginLimit = 20

	minPassword = 10
	maxPassword = 128
	maxName     = 32
	tokenBytes  = 32
	maxTokenLen = 128
	totpPeriod  = 30
	totpIssuer  = "Checkpoint HQ"
)

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9._-]{1,31}$`)

// ValidName: 2 to 32 of a-z 0-9 . _ -, starting with a letter.
func ValidName(s string) bool { return len(s) <= maxName && nameRE.MatchString(s) }

// Errors of the account flows; the pages show their messages.
var (
	ErrLoginFailed  = errors.New("console: wrong name, password or code")
	ErrLocked       = errors.New("console: too many failed logins for this name")
	ErrSetupInvalid = errors.New("console: setup link invalid, used or expired")
	ErrCodeWrong    = errors.New("console: wrong authenticator code")
	ErrPassword     = errors.New("console: password must be 10 to 128 characters")
	ErrSession      = errors.New("console: not logged in or session ended")
)

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// AddOperator creates an operator awaiting setup and returns the one-time setup token (valid
// SetupValidity) for the link /admin/setup?token=….
func AddOperator(ctx context.Context, db *sqldb.DB, name string, role Role, now time.Time) (string, error) {
	if !ValidName(name) {
		return "", fmt.Errorf("console: name %q: 2 to 32 of a-z 0-9 . _ -, starting with a letter", name)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return "", err
	}
	tok, err := newToken()
	if err != nil {
		return "", err
	}
	o := sqldb.Operator{Name: name, Role: string(role), SetupHash: tokenHash(tok), SetupUntil: now.Add(SetupValidity), Active: true,
		CreatedAt: now, UpdatedAt: now}
	if err := db.CreateOperator(ctx, o); err != nil {
		return "", err
	}
	return tok, nil
}

// ResetOperator ends an operator's sessions, clears password and authenticator, and returns a
// new setup token.
func ResetOperator(ctx context.Context, db *sqldb.DB, name string, now time.Time) (string, error) {
	tok, err := newToken()
	if err != nil {
		return "", err
	}
	if err := db.ResetOperator(ctx, name, tokenHash(tok), now.Add(SetupValidity), now); err != nil {
		return "", err
	}
	return tok, nil
}

// Operator is a logged-in operator.
type Operator struct {
	Name string
	Role Role
}

// accounts is the operator core: setup, login with lockout, sessions. At most len(slots)
// argon2id hashes run at once.
type accounts struct {
	db    *sqldb.DB
	now   func() time.Time
	slots chan struct{}
	dummy string

	keyMu sync.Mutex
	gcm   cipher.AEAD // of operator_totp_key, once read
}

func newAccounts(db *sqldb.DB, now func() time.Time, hashSlots int) *accounts {
	if hashSlots <= 0 {
		hashSlots = 2
	}
	return &accounts{db: db, now: now, slots: make(chan struct{}, hashSlots), dummy: dummyHash()}
}

// withSlot runs fn (one argon2id hash) in a hash slot, waiting as long as ctx allows.
func (a *accounts) withSlot(ctx context.Context, fn func()) error {
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-a.slots }()
	fn()
	return nil
}

// dummyHash is a PHC string with passwd.Hash's cost that matches no password: unknown names
// cost what known ones do.
func dummyHash() string {
	salt, key := make([]byte, passwd.SaltLen), make([]byte, passwd.KeyLen)
	rand.Read(salt)
	rand.Read(key)
	b := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, passwd.Memory, passwd.Time, passwd.Threads,
		b.EncodeToString(salt), b.EncodeToString(key))
}

// Setup is an operator's pending setup: the TOTP secret to enrol and its otpauth URL.
type Setup struct {
	Name       string
	Role       Role
	Secret     string
	URL        string
	ValidUntil time.Time
	stored     string // operators.totp_secret: the sealed Secret
}

// setupFor returns the pending setup of token, making its TOTP secret on first use (the same
// secret is shown again on reload until confirmed).
func (a *accounts) setupFor(ctx context.Context, token string) (Setup, error) {
	if token == "" || len(token) > maxTokenLen {
		return Setup{}, ErrSetupInvalid
	}
	h := tokenHash(token)
	o, err := a.db.OperatorBySetup(ctx, h)
	if errors.Is(err, sqldb.ErrNotFound) {
		return Setup{}, ErrSetupInvalid
	}
	if err != nil {
		return Setup{}, err
	}
	now := a.now()
	if !now.Before(o.SetupUntil) || !o.Active {
		return Setup{}, ErrSetupInvalid
	}
	secret, plain, err := a.openTOTP(ctx, o.Name, o.TOTPSecret)
	if err != nil {
		return Setup{}, err
	}
	if plain {
		if err := a.migrateTOTP(ctx, o.Name, o.TOTPSecret, secret); err != nil {
			return Setup{}, err
		}
		if o, err = a.db.OperatorBySetup(ctx, h); err != nil {
			return Setup{}, err
		}
	}
	if secret == "" {
		k, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: o.Name, Period: totpPeriod, Digits: otp.DigitsSix,
			Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return Setup{}, err
		}
		sealed, err := a.sealTOTP(ctx, o.Name, k.Secret())
		if err != nil {
			return Setup{}, err
		}
		if err := a.db.SetOperatorTOTPSecret(ctx, o.Name, h, sealed, now); err != nil {
			return Setup{}, err
		}
		secret, o.TOTPSecret = k.Secret(), sealed
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return Setup{}, fmt.Errorf("console: stored TOTP secret: %w", err)
	}
	k, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: o.Name, Period: totpPeriod, Digits: otp.DigitsSix,
		Algorithm: otp.AlgorithmSHA1, Secret: raw})
	if err != nil {
		return Setup{}, err
	}
	return Setup{Name: o.Name, Role: Role(o.Role), Secret: secret, URL: k.URL(), ValidUntil: o.SetupUntil, stored: o.TOTPSecret}, nil
}

// finishSetup sets the password once the operator has entered a first code from the
// authenticator; the setup token is used up.
func (a *accounts) finishSetup(ctx context.Context, token, password, code string) (Operator, error) {
	s, err := a.setupFor(ctx, token)
	if err != nil {
		return Operator{}, err
	}
	if n := len([]rune(password)); n < minPassword || n > maxPassword {
		return Operator{}, ErrPassword
	}
	step, ok := matchTOTP(s.Secret, code, a.now())
	if !ok {
		return Operator{}, ErrCodeWrong
	}
	var phc string
	var herr error
	if err := a.withSlot(ctx, func() { phc, herr = passwd.Hash(password) }); err != nil {
		return Operator{}, err
	}
	if herr != nil {
		return Operator{}, herr
	}
	err = a.db.FinishOperatorSetup(ctx, s.Name, tokenHash(token), s.stored, phc, step, a.now())
	if errors.Is(err, sqldb.ErrNotFound) {
		return Operator{}, ErrSetupInvalid
	}
	if err != nil {
		return Operator{}, err
	}
	return Operator{Name: s.Name, Role: s.Role}, nil
}

// matchTOTP returns the 30 s step whose 6-digit code is code, trying now's step and one either
// side.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	if _, err := strconv.Atoi(code); err != nil {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	found, step := false, int64(0)
	for _, s := range []int64{cur - 1, cur, cur + 1} {
		c, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), opts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(c), []byte(code)) == 1 && !found {
			found, step = true, s
		}
	}
	return step, found
}

// Session is a login: Token goes into the cookie.
type Session struct {
	Token    string
	Operator Operator
}

// LoginError is a refused login: Err is ErrLoginFailed or ErrLocked; RetryAfter says when a
// locked name may try again.
type LoginError struct {
	Err        error
	RetryAfter time.Duration
}

func (e *LoginError) Error() string { return e.Err.Error() }
func (e *LoginError) Unwrap() error { return e.Err }

// locked says how long key stays locked after limit failures within LoginWindow (0: not).
func (a *accounts) locked(ctx context.Context, key string, limit int, now time.Time) (time.Duration, error) {
	fails, err := a.db.LoginFailures(ctx, key, now.Add(-LoginWindow))
	if err != nil || len(fails) < limit {
		return 0, err
	}
	wait := fails[len(fails)-limit].Add(LoginWindow).Sub(now)
	if wait < time.Second {
		wait = time.Second
	}
	return wait, nil
}

// login checks name, password and TOTP code (±1 step, no code twice). LoginLimit failures of
// a name within LoginWindow lock it, known or not; AddrLoginLimit failures from clientIP stop
// that address.
func (a *accounts) login(ctx context.Context, name, password, code, clientIP string) (Session, error) {
	if len(name) > maxName {
		name = name[:maxName]
	}
	now := a.now()
	key, addrKey := "operator:"+name, "operator-addr:"+clientIP
	for _, k := range []struct {
		key   string
		limit int
	}{{key, LoginLimit}, {addrKey, AddrLoginLimit}} {
		wait, err := a.locked(ctx, k.key, k.limit, now)
		if err != nil {
			return Session{}, err
		}
		if wait > 0 {
			return Session{}, &LoginError{Err: ErrLocked, RetryAfter: wait}
		}
	}
	o, err := a.db.Operator(ctx, name)
	known := err == nil && o.Active && o.TOTPConfirmed && o.PasswordHash != ""
	if err != nil && !errors.Is(err, sqldb.ErrNotFound) {
		return Session{}, err
	}
	phc := a.dummy
	if known {
		phc = o.PasswordHash
	}
	var verr error
	if len(password) <= 4*maxPassword {
		if err := a.withSlot(ctx, func() { verr = passwd.Verify(password, phc) }); err != nil {
			return Session{}, err
		}
	} else {
		verr = passwd.ErrMismatch
	}
	if verr != nil && !errors.Is(verr, passwd.ErrMismatch) {
		return Session{}, verr
	}
	ok := known && verr == nil
	if ok {
		secret, plain, err := a.openTOTP(ctx, o.Name, o.TOTPSecret)
		if err != nil {
			return Session{}, err
		}
		if plain {
			if err := a.migrateTOTP(ctx, o.Name, o.TOTPSecret, secret); err != nil {
				return Session{}, err
			}
		}
		step, match := matchTOTP(secret, code, now)
		ok = match
		if ok {
			// A code is accepted once: a reused (or older) one fails like a wrong one.
			if ok, err = a.db.UseOperatorTOTPStep(ctx, name, step); err != nil {
				return Session{}, err
			}
		}
	}
	if !ok {
		id, _ := newToken()
		if err := a.db.AddLoginFailures(ctx, now.Add(-time.Hour), sqldb.LoginFailure{Key: key, ID: id[:22], At: now},
			sqldb.LoginFailure{Key: addrKey, ID: id[22:], At: now}); err != nil {
			return Session{}, err
		}
		return Session{}, &LoginError{Err: ErrLoginFailed}
	}
	if err := a.db.ClearLoginFailures(ctx, key); err != nil {
		return Session{}, err
	}
	tok, err := newToken()
	if err != nil {
		return Session{}, err
	}
	idle, maxU := now.Add(SessionIdle), now.Add(SessionMax)
	if err := a.db.CreateOperatorSession(ctx, sqldb.OperatorSession{TokenHash: tokenHash(tok), Operator: name, CreatedAt: now, SeenAt: now,
		IdleUntil: idle, MaxUntil: maxU}); err != nil {
		return Session{}, err
	}
	return Session{Token: tok, Operator: Operator{Name: name, Role: Role(o.Role)}}, nil
}

// session returns the operator of a live session (and extends its idle end). The role is read
// afresh, so a change of role or a deactivation counts at once.
// With passive, the session is checked but not extended: the request is not the operator's
// doing (a page refreshing itself), so an unattended page does not keep a session alive.
func (a *accounts) session(ctx context.Context, token string, passive bool) (Operator, error) {
	if len(token) < 43 || len(token) > maxTokenLen {
		return Operator{}, ErrSession
	}
	now := a.now()
	var se sqldb.OperatorSession
	var err error
	if passive {
		se, err = a.db.PeekOperatorSession(ctx, tokenHash(token), now)
	} else {
		se, err = a.db.TouchOperatorSession(ctx, tokenHash(token), now, now.Add(SessionIdle))
	}
	if errors.Is(err, sqldb.ErrNotFound) {
		return Operator{}, ErrSession
	}
	if err != nil {
		return Operator{}, err
	}
	o, err := a.db.Operator(ctx, se.Operator)
	if errors.Is(err, sqldb.ErrNotFound) || err == nil && !o.Active {
		return Operator{}, ErrSession
	}
	if err != nil {
		return Operator{}, err
	}
	role, err := ParseRole(o.Role)
	if err != nil {
		return Operator{}, ErrSession
	}
	return Operator{Name: o.Name, Role: role}, nil
}

func (a *accounts) logout(ctx context.Context, token string) error {
	if token == "" || len(token) > maxTokenLen {
		return nil
	}
	return a.db.DeleteOperatorSession(ctx, tokenHash(token))
}
