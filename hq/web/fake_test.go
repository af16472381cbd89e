package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/yongji-county/checkpoint/hq/citizen"
)

// fakeCitizens is a small in-memory stand-in for hq/citizen: enough rules to drive every page
// and every error path of the handler.
type fakeCitizens struct {
	mu       sync.Mutex
	now      func() time.Time
	accounts map[string]*fakeAccount // by phone
	sessions map[string]string       // token → phone
	codes    map[string]string       // phone|purpose → SMS code
	sent     map[string]time.Time    // phone → last SMS
	outbox   map[string][]DemoMessage
	status   map[string]string // phone → code colour (default green)
	fail     error             // when set, every call returns it
	seq      int
	issued   string        // the QR text of the last code issued
	life     time.Duration // of a code; zero: 3 minutes
}

type fakeAccount struct {
	phone, password, name, id string
}

func newFake() *fakeCitizens {
	return &fakeCitizens{now: time.Now, accounts: map[string]*fakeAccount{}, sessions: map[string]string{},
		codes: map[string]string{}, sent: map[string]time.Time{}, outbox: map[string][]DemoMessage{}, status: map[string]string{}}
}

var phoneRE = regexp.MustCompile(`^1[0-9]{10}$`)

func invalid(field, code, zh, en string) error {
	return &citizen.Error{Kind: citizen.KindInvalid, Code: code, Field: field, Zh: zh, En: en}
}

func (f *fakeCitizens) SendCode(ctx context.Context, phone string, purpose citizen.Purpose, ip string) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return 0, f.fail
	}
	if !phoneRE.MatchString(phone) {
		return 0, invalid("phone", "bad_phone", "手机号格式不正确", "malformed phone number")
	}
	if last, ok := f.sent[phone]; ok && f.now().Sub(last) < time.Minute {
		return 0, &citizen.Error{Kind: citizen.KindLimited, Code: "sms_limited", Field: "phone", Zh: "验证码发送太频繁",
			En: "codes are sent too often", RetryAfter: time.Minute - f.now().Sub(last)}
	}
	f.seq++
	code := fmt.Sprintf("%06d", 246800+f.seq)
	f.codes[phone+"|"+string(purpose)] = code
	f.sent[phone] = f.now()
	f.outbox[phone] = append(f.outbox[phone], DemoMessage{Text: "【吉事办】您的验证码是" + code + "，5分钟内有效。",
		Code: code, Purpose: string(purpose), SentAt: f.now()})
	return time.Minute, nil
}

func (f *fakeCitizens) demoSMS(phone string) []DemoMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]DemoMessage(nil), f.outbox[phone]...)
}

// lastCode is the newest SMS code sent to phone.
func (f *fakeCitizens) lastCode(phone string) string {
	m := f.demoSMS(phone)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1].Code
}

func (f *fakeCitizens) checkCode(phone string, purpose citizen.Purpose, code string) error {
	k := phone + "|" + string(purpose)
	if c, ok := f.codes[k]; !ok || c != code {
		return invalid("sms_code", "bad_sms_code", "验证码错误或已过期", "wrong or expired verification code")
	}
	delete(f.codes, k)
	return nil
}

func (f *fakeCitizens) newSession(a *fakeAccount) citizen.Session {
	var b [32]byte
	rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	f.sessions[tok] = a.phone
	return citizen.Session{Token: tok, ExpiresAt: f.now().Add(30 * time.Minute), Account: a.view()}
}

func (a *fakeAccount) view() citizen.Account {
	_, size := utf8.DecodeRuneInString(a.name)
	return citizen.Account{ID: "acct-" + a.phone[7:], PhoneMasked: a.phone[:3] + "****" + a.phone[7:],
		NameMasked: a.name[:size] + strings.Repeat("*", utf8.RuneCountInString(a.name)-1), IDMasked: a.id[:6] + "********" + a.id[14:]}
}

func (f *fakeCitizens) Register(ctx context.Context, in citizen.RegisterInput, ip string) (citizen.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return citizen.Session{}, f.fail
	}
	switch {
	case !phoneRE.MatchString(in.Phone):
		return citizen.Session{}, invalid("phone", "bad_phone", "手机号格式不正确", "malformed phone number")
	case f.accounts[in.Phone] != nil:
		return citizen.Session{}, &citizen.Error{Kind: citizen.KindConflict, Code: "phone_taken", Field: "phone", Zh: "该手机号已注册", En: "this phone already has an account"}
	case len(in.Password) < 8:
		return citizen.Session{}, invalid("password", "weak_password", "密码至少8位", "the password needs at least 8 characters")
	case in.Name == "":
		return citizen.Session{}, invalid("name", "bad_name", "请输入真实姓名", "enter your real name")
	case len(in.IDNumber) != 18:
		return citizen.Session{}, invalid("id_number", "bad_id_number", "身份证号码不正确", "malformed resident ID number")
	}
	if err := f.checkCode(in.Phone, "register", in.SMSCode); err != nil {
		return citizen.Session{}, err
	}
	a := &fakeAccount{phone: in.Phone, password: in.Password, name: in.Name, id: in.IDNumber}
	f.accounts[in.Phone] = a
	return f.newSession(a), nil
}

func (f *fakeCitizens) Login(ctx context.Context, phone, password, ip string) (citizen.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return citizen.Session{}, f.fail
	}
	a := f.accounts[phone]
	if a == nil || a.password != password {
		return citizen.Session{}, &citizen.Error{Kind: citizen.KindUnauthorized, Code: "bad_login", Zh: "手机号或密码错误", En: "wrong phone number or password"}
	}
	return f.newSession(a), nil
}

func (f *fakeCitizens) Reset(ctx context.Context, phone, smsCode, password, ip string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if len(password) < 8 {
		return invalid("password", "weak_password", "密码至少8位", "the password needs at least 8 characters")
	}
	if err := f.checkCode(phone, "reset", smsCode); err != nil {
		return err
	}
	if a := f.accounts[phone]; a != nil {
		a.password = password
		for tok, p := range f.sessions {
			if p == phone {
				delete(f.sessions, tok)
			}
		}
	}
	return nil
}

func (f *fakeCitizens) Logout(ctx context.Context, token string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sessions, token)
	return nil
}

// endSessions ends every session, as an idle timeout would.
func (f *fakeCitizens) endSessions() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.sessions)
}

func (f *fakeCitizens) Session(ctx context.Context, token string) (citizen.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return citizen.Account{}, f.fail
	}
	p, ok := f.sessions[token]
	if !ok {
		return citizen.Account{}, &citizen.Error{Kind: citizen.KindUnauthorized, Code: "no_session", Zh: "登录已过期", En: "session expired"}
	}
	return f.accounts[p].view(), nil
}

func (f *fakeCitizens) setStatus(phone, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status[phone] = status
}

// fakeQRText is what a live code's QR says: as long as a real signed code.
func fakeQRText(acctID string, seq int) string {
	return fmt.Sprintf("JXM1:%s:%04d:", strings.ToUpper(acctID), seq) + strings.Repeat("6BFOXN*TS0BI$ZD-PHQ7I9AD66V5B22CH9M9ESI9XBHXK-%69LQOGI.*V76GCV4*XUA2P-FHT-HNTI4L6N$Q%UG/YL", 2)
}

func (f *fakeCitizens) Code(ctx context.Context, acct citizen.Account) (citizen.CodeView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return citizen.CodeView{}, f.fail
	}
	phone := ""
	for p, a := range f.accounts {
		if a.view().ID == acct.ID {
			phone = p
		}
	}
	st := f.status[phone]
	if st == "" {
		st = "green"
	}
	reason := ""
	if st == "red" {
		reason = "户籍地为高风险地区"
	}
	f.seq++
	f.issued = fakeQRText(acct.ID, f.seq)
	life := f.life
	if life == 0 {
		life = 3 * time.Minute
	}
	return citizen.CodeView{Code: f.issued, Status: st, Reason: reason, ExpiresAt: f.now().Add(life),
		NameMasked: acct.NameMasked, IDMasked: acct.IDMasked, Household: "220221", HouseholdName: "吉林省吉林市永吉县"}, nil
}
