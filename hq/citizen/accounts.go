package citizen

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sms"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/passwd"
	"golang.org/x/crypto/argon2"
)

// Login limits: 5 failures of one phone within 15 minutes lock it (known or not, so a lock
// says nothing about an account), 20 failures from one client address within 15 minutes stop
// that address.
var (
	phoneLoginLimit = limit{5, 15 * time.Minute}
	addrLoginLimit  = limit{20, 15 * time.Minute}
)

// withSlot runs fn (one argon2id hash) in one of the HashSlots, waiting for one as long as ctx
// allows.
func (s *Service) withSlot(ctx context.Context, fn func()) error {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.slots }()
	n := s.hashing.Add(1)
	defer s.hashing.Add(-1)
	for {
		p := s.hashPeak.Load()
		if n <= p || s.hashPeak.CompareAndSwap(p, n) {
			break
		}
	}
	s.hashCount.Add(1)
	fn()
	return nil
}

func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	var h string
	var err error
	if serr := s.withSlot(ctx, func() { h, err = passwd.Hash(pw) }); serr != nil {
		return "", serr
	}
	return h, err
}

func (s *Service) verify(ctx context.Context, pw, phc string) (bool, error) {
	var err error
	if serr := s.withSlot(ctx, func() { err = passwd.Verify(pw, phc) }); serr != nil {
		return false, serr
	}
	if err != nil && !errors.Is(err, passwd.ErrMismatch) {
		return false, err
	}
	return err == nil, nil
}

// dummyHash is a PHC string with passwd.Hash's parameters and a random salt and key: verifying
// any password against it costs what verifying a real one does, and never matches.
func dummyHash() string {
	salt, key := make([]byte, passwd.SaltLen), make([]byte, passwd.KeyLen)
	rand.Read(salt)
	rand.Read(key)
	b := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, passwd.Memory, passwd.Time, passwd.Threads,
		b.EncodeToString(salt), b.EncodeToString(key))
}

func account(c sqldb.Citizen) Account {
	return Account{ID: c.ID, PhoneMasked: c.PhoneMasked, NameMasked: c.NameMasked, IDMasked: c.IDMasked}
}

func (s *Service) register(ctx context.Context, in RegisterInput) (Session, error) {
	now := s.cfg.Now()
	ph, e := parsePhone(in.Phone)
	if e != nil {
		return Session{}, e
	}
	if e := checkPassword(in.Password); e != nil {
		return Session{}, e
	}
	name, e := parseName(in.Name)
	if e != nil {
		return Session{}, e
	}
	id, e := parseID(in.IDNumber, now)
	if e != nil {
		return Session{}, e
	}
	c := sqldb.Citizen{
		ID: randomHex(16), PhoneHash: s.keys.index(ph.Full()), IDHash: s.keys.index(id.Full()),
		PhoneMasked: ph.Masked(), NameMasked: name.Masked(), IDMasked: id.Masked(), Household: id.Region(),
		CreatedAt: now, UpdatedAt: now,
	}
	if err := taken(s.cfg.DB.CitizenTaken(ctx, c)); err != nil {
		return Session{}, err
	}
	if err := s.checkCode(ctx, ph, sms.PurposeRegister, in.SMSCode); err != nil {
		return Session{}, err
	}
	var err error
	if c.Sealed, err = s.keys.seal(c.ID, sealedPerson{Name: name.Full(), IDNumber: id.Full()}); err != nil {
		return Session{}, err
	}
	if c.PasswordHash, err = s.hash(ctx, in.Password); err != nil {
		return Session{}, err
	}
	if err := taken(s.cfg.DB.CreateCitizen(ctx, c)); err != nil {
		return Session{}, err
	}
	s.cfg.Logger.Info("citizen: account registered", "account", c.ID, "household", c.Household)
	return s.newSession(ctx, c, now)
}

// taken maps sqldb's taken errors to the Service's.
func taken(err error) error {
	switch {
	case errors.Is(err, sqldb.ErrCitizenPhoneTaken):
		return errPhoneTaken()
	case errors.Is(err, sqldb.ErrCitizenIDTaken):
		return errIDTaken()
	}
	return err
}

func (s *Service) login(ctx context.Context, phone, password, clientIP string) (Session, error) {
	ph, e := parsePhone(phone)
	if e != nil {
		return Session{}, e
	}
	now := s.cfg.Now()
	phash := s.keys.index(ph.Full())
	phoneKey, addrKey := "phone:"+phash, "addr:"+s.addrHash(clientIP)
	pf, err := s.cfg.DB.LoginFailures(ctx, phoneKey, now.Add(-phoneLoginLimit.Window))
	if err != nil {
		return Session{}, err
	}
	if w := wait(now, pf, []limit{phoneLoginLimit}); w > 0 {
		return Session{}, errLoginLocked(now.Add(w), w)
	}
	af, err := s.cfg.DB.LoginFailures(ctx, addrKey, now.Add(-addrLoginLimit.Window))
	if err != nil {
		return Session{}, err
	}
	if w := wait(now, af, []limit{addrLoginLimit}); w > 0 {
		return Session{}, errLoginLimited(w)
	}
	c, err := s.cfg.DB.CitizenByPhoneHash(ctx, phash)
	known := err == nil
	if err != nil && !errors.Is(err, sqldb.ErrNotFound) {
		return Session{}, err
	}
	phc := s.dummy
	if known {
		phc = c.PasswordHash
	}
	var ok bool
	if len(password) <= 4*MaxPasswordLen {
		if ok, err = s.verify(ctx, password, phc); err != nil {
			return Session{}, err
		}
	}
	if !known || !ok {
		if err := s.cfg.DB.AddLoginFailures(ctx, now.Add(-time.Hour),
			sqldb.LoginFailure{Key: phoneKey, ID: randomHex(16), At: now},
			sqldb.LoginFailure{Key: addrKey, ID: randomHex(16), At: now}); err != nil {
			return Session{}, err
		}
		return Session{}, errLoginFailed()
	}
	if err := s.cfg.DB.ClearLoginFailures(ctx, phoneKey); err != nil {
		return Session{}, err
	}
	return s.newSession(ctx, c, now)
}

func (s *Service) reset(ctx context.Context, phone, smsCode, password string) error {
	ph, e := parsePhone(phone)
	if e != nil {
		return e
	}
	if e := checkPassword(password); e != nil {
		return e
	}
	if err := s.checkCode(ctx, ph, sms.PurposeReset, smsCode); err != nil {
		return err
	}
	phash := s.keys.index(ph.Full())
	c, err := s.cfg.DB.CitizenByPhoneHash(ctx, phash)
	if errors.Is(err, sqldb.ErrNotFound) {
		return errCodeWrong()
	}
	if err != nil {
		return err
	}
	h, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	if err := s.cfg.DB.SetCitizenPassword(ctx, c.ID, h, s.cfg.Now()); err != nil {
		return err
	}
	s.cfg.Logger.Info("citizen: password reset, sessions ended", "account", c.ID)
	return s.cfg.DB.ClearLoginFailures(ctx, "phone:"+phash)
}

// Tokens: 32 random bytes, unpadded base64url (43 characters).
const (
	tokenBytes  = 32
	maxTokenLen = 128
)

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func (s *Service) newSession(ctx context.Context, c sqldb.Citizen, now time.Time) (Session, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return Session{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	idle, maxU := now.Add(s.cfg.SessionIdle), now.Add(s.cfg.SessionMax)
	if idle.After(maxU) {
		idle = maxU
	}
	if err := s.cfg.DB.CreateCitizenSession(ctx, sqldb.CitizenSession{TokenHash: tokenHash(token), CitizenID: c.ID,
		CreatedAt: now, SeenAt: now, IdleUntil: idle, MaxUntil: maxU}); err != nil {
		return Session{}, err
	}
	return Session{Token: token, ExpiresAt: idle, Account: account(c)}, nil
}

func (s *Service) session(ctx context.Context, token string) (Account, error) {
	if len(token) < 43 || len(token) > maxTokenLen {
		return Account{}, errSession()
	}
	now := s.cfg.Now()
	se, err := s.cfg.DB.TouchCitizenSession(ctx, tokenHash(token), now, now.Add(s.cfg.SessionIdle))
	if errors.Is(err, sqldb.ErrNotFound) {
		return Account{}, errSession()
	}
	if err != nil {
		return Account{}, err
	}
	c, err := s.cfg.DB.Citizen(ctx, se.CitizenID)
	if errors.Is(err, sqldb.ErrNotFound) {
		return Account{}, errSession()
	}
	if err != nil {
		return Account{}, err
	}
	return account(c), nil
}

func (s *Service) logout(ctx context.Context, token string) error {
	if token == "" || len(token) > maxTokenLen {
		return nil
	}
	return s.cfg.DB.DeleteCitizenSession(ctx, tokenHash(token))
}

// Code reuse: the last code issued to an account is shown again while more than half its
// lifetime is left, and for at most codeReuseMax, so a page refreshing every few seconds does
// not mint a code each time, yet a change of colour at HQ shows within a minute.
const (
	codeReuseMax   = time.Minute
	codeCacheLimit = 100_000
)

type cachedCode struct {
	issued Issued
	at     time.Time
}

func (c cachedCode) fresh(now time.Time) bool {
	keep := c.issued.ExpiresAt.Sub(c.at) / 2
	if keep > codeReuseMax {
		keep = codeReuseMax
	}
	return now.Before(c.at.Add(keep))
}

func (s *Service) code(ctx context.Context, acct Account) (CodeView, error) {
	c, err := s.cfg.DB.Citizen(ctx, acct.ID)
	if errors.Is(err, sqldb.ErrNotFound) {
		return CodeView{}, errSession()
	}
	if err != nil {
		return CodeView{}, err
	}
	now := s.cfg.Now()
	s.mu.Lock()
	cc, ok := s.codes[c.ID]
	s.mu.Unlock()
	if !ok || !cc.fresh(now) {
		if s.cfg.Issuer == nil {
			return CodeView{}, errCodeUnavailable()
		}
		p, err := s.keys.open(c.ID, c.Sealed)
		if err != nil {
			s.cfg.Logger.Error("citizen: account's sealed data does not open", "account", c.ID)
			return CodeView{}, errCodeUnavailable()
		}
		is, err := s.cfg.Issuer.IssueLive(ctx, p.Name, p.IDNumber, c.Household)
		if err != nil {
			s.cfg.Logger.Warn("citizen: issue failed", "account", c.ID, "err", err)
			return CodeView{}, errCodeUnavailable()
		}
		cc = cachedCode{issued: is, at: now}
		s.mu.Lock()
		if len(s.codes) >= codeCacheLimit {
			for k, v := range s.codes {
				if !v.fresh(now) {
					delete(s.codes, k)
				}
			}
			if len(s.codes) >= codeCacheLimit {
				s.codes = map[string]cachedCode{}
			}
		}
		s.codes[c.ID] = cc
		s.mu.Unlock()
	}
	is := cc.issued
	household := is.Household
	if household == "" {
		household = c.Household
	}
	hn, _ := checkpoint.RegionName(household)
	return CodeView{Code: is.Code, Status: is.Status, Reason: is.Reason, ExpiresAt: is.ExpiresAt,
		NameMasked: c.NameMasked, IDMasked: c.IDMasked, Household: household, HouseholdName: hn}, nil
}
