package hq

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/passwd"
	"github.com/yongji-county/checkpoint/sealbox"
)

// This file holds what DESIGN §9 ("pseudonyms, not hashes") puts at HQ and nowhere else: the
// keyed hash of ID numbers and phones (HQ's own indexes), the staff accounts' lookup values, and
// linking kiosk records to people. See docs/SECURITY.md, "A stolen kiosk".

// keyedHash is HQ's index of an ID number or phone number: lowercase hex of HMAC-SHA256(key,
// value) over the value trimmed, ASCII letters upper-cased (an ID number's final "x" is "X").
// The key never leaves HQ.
func keyedHash(key []byte, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.ToUpper(strings.TrimSpace(value))))
	return hex.EncodeToString(m.Sum(nil))
}

// Messages for a phone number that already has an account, Chinese first.
const msgPhoneTaken = "该手机号已有工作人员账号，不能重复添加 / this phone number already has a staff account"

// staffSalt returns the salt of the roster's phone lookups.
func (s *Server) staffSalt(ctx context.Context) ([]byte, error) {
	v, err := s.setting(ctx, setStaffSalt)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(v)
}

// staffAccount completes st, a roster entry, into the account HQ stores for phone ph: HQ's own
// phone index (HMAC), the masked phone for operators, and the roster's slow lookup value. HQ
// makes every lookup value a kiosk's roster holds, so they all use HQ's salt and parameters.
func (s *Server) staffAccount(ctx context.Context, st checkpoint.Staff, ph checkpoint.Phone) (sqldb.StaffAccount, error) {
	hk, err := s.personHashKey(ctx)
	if err != nil {
		return sqldb.StaffAccount{}, err
	}
	salt, err := s.staffSalt(ctx)
	if err != nil {
		return sqldb.StaffAccount{}, err
	}
	if st.PhoneLookup, err = passwd.PhoneLookup(salt, ph.Full()); err != nil {
		return sqldb.StaffAccount{}, err
	}
	return sqldb.StaffAccount{Staff: st, PhoneHash: keyedHash(hk, ph.Full()), PhoneMasked: ph.Masked()}, nil
}

// staffAdds makes the accounts of one batch's staff_add records: it opens each new staff
// member's sealed phone (bound to the record id), makes HQ's account from it, and refuses a phone
// that another account has, at HQ or earlier in the batch.
type staffAdds struct {
	s        *Server
	priv     []byte
	privErr  error
	loaded   bool
	accounts map[string]sqldb.StaffAccount // by record id
	phones   map[string]string             // phone hash → staff id, this batch
}

func (s *Server) newStaffAdds() *staffAdds {
	return &staffAdds{s: s, accounts: map[string]sqldb.StaffAccount{}, phones: map[string]string{}}
}

func (b *staffAdds) add(ctx context.Context, rec checkpoint.Record, e checkpoint.StaffAdd) *rejection {
	if !b.loaded {
		b.priv, b.privErr = b.s.SealPrivateKey(ctx)
		b.loaded = true
	}
	if b.privErr != nil {
		b.s.log.Error("hq: staff_add: no seal key", slog.Any("error", b.privErr))
		return reject("staff_add_failed", "总部暂时无法处理添加扫码员，请稍后重试 / HQ cannot make the account now; the record is kept")
	}
	p, err := sealbox.Open(b.priv, rec.ID, e.Sealed)
	if err != nil {
		return reject("invalid_staff", "新扫码员的手机号无法解密（须由本设备为该记录加密）/ the new staff member's sealed phone does not open for this record")
	}
	ph, err := checkpoint.ParsePhone(p.Phone)
	if err != nil {
		return reject("invalid_staff", "新扫码员的手机号无效 / the new staff member's phone is not a mobile number")
	}
	a, err := b.s.staffAccount(ctx, e.Staff, ph)
	if err != nil {
		b.s.log.Error("hq: staff_add: make account", slog.Any("error", err))
		return reject("staff_add_failed", "总部暂时无法处理添加扫码员，请稍后重试 / HQ cannot make the account now; the record is kept")
	}
	if id, ok := b.phones[a.PhoneHash]; ok && id != a.ID {
		return reject("phone_taken", msgPhoneTaken)
	}
	old, err := b.s.db.StaffByPhoneHash(ctx, a.PhoneHash)
	if err == nil && old.ID != a.ID {
		return reject("phone_taken", msgPhoneTaken)
	}
	if err != nil && !errors.Is(err, sqldb.ErrNotFound) {
		b.s.log.Error("hq: staff_add: phone index", slog.Any("error", err))
		return reject("staff_add_failed", "总部暂时无法处理添加扫码员，请稍后重试 / HQ cannot make the account now; the record is kept")
	}
	b.phones[a.PhoneHash] = a.ID
	b.accounts[rec.ID] = a
	return nil
}

// LinkRecord returns the id of the person a check or registration from a kiosk is about: a
// check by the holder id its code carried, a registration by opening its sealed ID number and
// looking up HQ's keyed hash of it. Kiosks cannot link people themselves (they hold no key that
// could); HQ can. It fails with sqldb.ErrNotFound when HQ knows no such person.
func (s *Server) LinkRecord(ctx context.Context, rec checkpoint.Record) (string, error) {
	switch rec.Kind {
	case checkpoint.KindCheck:
		var c checkpoint.Check
		if err := json.Unmarshal(rec.Body, &c); err != nil {
			return "", fmt.Errorf("hq: link record: %w", err)
		}
		p, err := s.db.PersonByHolderID(ctx, c.HolderID)
		if err != nil {
			return "", fmt.Errorf("hq: link record: %w", err)
		}
		return p.ID, nil
	case checkpoint.KindRegistration:
		var r checkpoint.Registration
		if err := json.Unmarshal(rec.Body, &r); err != nil {
			return "", fmt.Errorf("hq: link record: %w", err)
		}
		priv, err := s.SealPrivateKey(ctx)
		if err != nil {
			return "", fmt.Errorf("hq: link record: %w", err)
		}
		pers, err := sealbox.Open(priv, rec.ID, r.Sealed)
		if err != nil {
			return "", fmt.Errorf("hq: link record: %w", err)
		}
		id, err := checkpoint.ParseResidentID(pers.ID)
		if err != nil {
			return "", fmt.Errorf("hq: link record: %w", err)
		}
		hk, err := s.personHashKey(ctx)
		if err != nil {
			return "", fmt.Errorf("hq: link record: %w", err)
		}
		p, err := s.db.PersonByIDHash(ctx, keyedHash(hk, id.Full()))
		if err != nil {
			return "", fmt.Errorf("hq: link record: %w", err)
		}
		return p.ID, nil
	}
	return "", fmt.Errorf("hq: link record: %s records are about no person: %w", rec.Kind, sqldb.ErrNotFound)
}
