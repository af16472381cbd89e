package citizen

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"math/big"
	"strings"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sms"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// SMS code rules.
const (
	CodeTTL         = 5 * time.Minute
	CodeMaxAttempts = 5
	codeDigits      = 6
)

// A limit is at most N sends (or failures) within Window.
type limit struct {
	N      int
	Window time.Duration
}

// Send limits. Per phone, the issue's: one a minute, 5 an hour, 10 a day. Per client address
// (a carrier NAT or a school's network holds many people, so it is wider): a burst of 5 within
// a minute, 30 an hour, 100 a day. Every send counts, also one answered without an SMS (a
// registration code asked for a registered phone, a login code for an unknown one).
var (
	phoneSendLimits = []limit{{1, time.Minute}, {5, time.Hour}, {10, 24 * time.Hour}}
	addrSendLimits  = []limit{{5, time.Minute}, {30, time.Hour}, {100, 24 * time.Hour}}
)

// sendLogKeep is how long send rows are kept: the longest window.
const sendLogKeep = 24 * time.Hour

// wait returns how long from now until one more event fits every limit, given the events'
// times (oldest first); 0 when it fits now.
func wait(now time.Time, times []time.Time, limits []limit) time.Duration {
	var w time.Duration
	for _, l := range limits {
		var in []time.Time
		for _, t := range times {
			if t.After(now.Add(-l.Window)) {
				in = append(in, t)
			}
		}
		if len(in) >= l.N {
			if d := in[len(in)-l.N].Add(l.Window).Sub(now); d > w {
				w = d
			}
		}
	}
	return w
}

func validPurpose(p Purpose) bool {
	switch p {
	case sms.PurposeRegister, sms.PurposeLogin, sms.PurposeReset, sms.PurposeAssist:
		return true
	}
	return false
}

// addr normalises a client address for its hash (bounded: a header value can be long).
func addr(clientIP string) string {
	a := strings.TrimSpace(clientIP)
	if len(a) > 64 {
		a = a[:64]
	}
	return a
}

func (s *Service) addrHash(clientIP string) string { return s.keys.tagged("addr", addr(clientIP)) }

func (s *Service) codeHash(ph checkpoint.Phone, purpose Purpose, code string) string {
	return s.keys.tagged("sms", ph.Full(), string(purpose), code)
}

func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	c := n.String()
	return strings.Repeat("0", codeDigits-len(c)) + c, nil
}

func (s *Service) sendCode(ctx context.Context, phone string, purpose Purpose, clientIP string) (time.Duration, error) {
	ph, e := parsePhone(phone)
	if e != nil {
		return 0, e
	}
	if !validPurpose(purpose) {
		return 0, errPurpose()
	}
	now := s.cfg.Now()
	phash := s.keys.index(ph.Full())
	var retry time.Duration
	err := s.cfg.DB.LogSMSSend(ctx, sqldb.SMSSend{ID: randomHex(16), PhoneHash: phash, AddrHash: s.addrHash(clientIP), At: now},
		now.Add(-sendLogKeep), now.Add(-sendLogKeep-time.Hour),
		func(phoneTimes, addrTimes []time.Time) error {
			if w := max(wait(now, phoneTimes, phoneSendLimits), wait(now, addrTimes, addrSendLimits)); w > 0 {
				return errSMSLimited(w)
			}
			retry = max(wait(now, append(phoneTimes, now), phoneSendLimits), wait(now, append(addrTimes, now), addrSendLimits))
			return nil
		})
	if e, ok := AsError(err); ok {
		return e.RetryAfter, e
	}
	if err != nil {
		return 0, err
	}
	registered := true
	if _, err := s.cfg.DB.CitizenByPhoneHash(ctx, phash); errors.Is(err, sqldb.ErrNotFound) {
		registered = false
	} else if err != nil {
		return 0, err
	}
	deliver := purpose == sms.PurposeAssist || registered == (purpose != sms.PurposeRegister)
	start := time.Now()
	if !deliver {
		// Answer as a real send would, in about the time one takes.
		s.cfg.Logger.Info("citizen: SMS code answered without sending", "purpose", purpose)
		t := time.NewTimer(time.Duration(s.sendAvg.Load()))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return retry, nil
	}
	code, err := newCode()
	if err != nil {
		return 0, err
	}
	if err := s.cfg.DB.PutSMSCode(ctx, sqldb.SMSCode{PhoneHash: phash, Purpose: string(purpose), CodeHash: s.codeHash(ph, purpose, code),
		ExpiresAt: now.Add(CodeTTL), CreatedAt: now}); err != nil {
		return 0, err
	}
	err = s.cfg.Sender.Send(ctx, sms.Message{Phone: ph.Full(), Code: code, Purpose: purpose})
	took := time.Since(start)
	if avg := time.Duration(s.sendAvg.Load()); avg == 0 {
		s.sendAvg.Store(int64(took))
	} else {
		s.sendAvg.Store(int64(avg + (took-avg)/8))
	}
	if err != nil {
		s.cfg.Logger.Warn("citizen: SMS send failed", "provider", s.cfg.Sender.Name(), "purpose", purpose, "err", err)
		_ = s.cfg.DB.DeleteSMSCode(ctx, phash, string(purpose))
		return retry, errSMSUnavailable(retry)
	}
	s.cfg.Logger.Info("citizen: SMS code sent", "provider", s.cfg.Sender.Name(), "purpose", purpose, "phone", ph)
	return retry, nil
}

func (s *Service) checkCode(ctx context.Context, ph checkpoint.Phone, purpose Purpose, code string) error {
	if !validPurpose(purpose) {
		return errPurpose()
	}
	code = strings.TrimSpace(code)
	if len(code) != codeDigits || strings.Trim(code, "0123456789") != "" {
		return errCodeFormat()
	}
	want := s.codeHash(ph, purpose, code)
	ok, err := s.cfg.DB.UseSMSCode(ctx, s.keys.index(ph.Full()), string(purpose), s.cfg.Now(), CodeMaxAttempts, func(stored string) bool {
		return subtle.ConstantTimeCompare([]byte(stored), []byte(want)) == 1
	})
	switch {
	case errors.Is(err, sqldb.ErrCodeNone):
		return errCodeWrong()
	case errors.Is(err, sqldb.ErrCodeExhausted):
		return errCodeExhausted()
	case err != nil:
		return err
	case !ok:
		return errCodeWrong()
	}
	return nil
}
