package citizen

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sms"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/internal/dbtest"
	"golang.org/x/crypto/argon2"
)

// recorder is a Sender that keeps what it was asked to send.
type recorder struct {
	mu    sync.Mutex
	msgs  []sms.Message
	fail  error
	delay time.Duration // a gateway's round trip
}

func (r *recorder) Name() string { return "test" }

func (r *recorder) Send(_ context.Context, m sms.Message) error {
	time.Sleep(r.delay)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.msgs = append(r.msgs, m)
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// last returns the last code sent to phone for purpose.
func (r *recorder) last(t *testing.T, phone string, p sms.Purpose) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.msgs) - 1; i >= 0; i-- {
		if r.msgs[i].Phone == phone && r.msgs[i].Purpose == p {
			return r.msgs[i].Code
		}
	}
	t.Fatalf("no %s code sent to the phone", p)
	return ""
}

// clock is a settable Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// issuer makes numbered codes valid for 5 minutes and keeps what it was given.
type issuer struct {
	mu    sync.Mutex
	clk   *clock
	n     int
	names []string
	ids   []string
	house []string
}

func (i *issuer) IssueLive(_ context.Context, name, idNumber, household string) (Issued, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.n++
	i.names, i.ids, i.house = append(i.names, name), append(i.ids, idNumber), append(i.house, household)
	return Issued{Code: fmt.Sprintf("CODE-%d", i.n), Status: "green", Household: household, ExpiresAt: i.clk.Now().Add(5 * time.Minute)}, nil
}

type env struct {
	svc *Service
	db  *sqldb.DB
	dsn string
	snd *recorder
	clk *clock
	iss *issuer
}

func forBackends(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, newEnv(t, b.DSN(t), 0)) })
	}
}

func newEnv(t *testing.T, dsn string, slots int) *env {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	e := &env{dsn: dsn, snd: &recorder{}, clk: clk, iss: &issuer{clk: clk}}
	e.svc, e.db = e.open(t, slots)
	return e
}

// open opens another Service over e's database (as a restarted or second HQ would).
func (e *env) open(t *testing.T, slots int) (*Service, *sqldb.DB) {
	t.Helper()
	db, err := sqldb.Open(context.Background(), e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc, err := New(Config{DB: db, Sender: e.snd, Issuer: e.iss, Now: e.clk.Now, HashSlots: slots, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return svc, db
}

// idNumber makes a valid ID number from 17 digits.
func idNumber(first17 string) string {
	w := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * w[i]
	}
	return first17 + string("10X98765432"[sum%11])
}

var (
	ctx    = context.Background()
	phone1 = "13800138001"
	phone2 = "13900139002"
	id1    = idNumber("22022119900101123")
	id2    = idNumber("22022119851231456")
)

const pw = "secret123abc"

func (e *env) register(t *testing.T, phone, id, name string) Session {
	t.Helper()
	if _, err := e.svc.SendCode(ctx, phone, sms.PurposeRegister, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	se, err := e.svc.Register(ctx, RegisterInput{Phone: phone, SMSCode: e.snd.last(t, phone, sms.PurposeRegister), Password: pw, Name: name, IDNumber: id}, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return se
}

func wantErr(t *testing.T, err error, kind Kind, code, field string) *Error {
	t.Helper()
	e, ok := AsError(err)
	if !ok {
		t.Fatalf("err = %v; want *Error %s", err, code)
	}
	if e.Kind != kind || e.Code != code || e.Field != field {
		t.Fatalf("err = kind %d code %s field %q; want kind %d code %s field %q", e.Kind, e.Code, e.Field, kind, code, field)
	}
	if e.Zh == "" || e.En == "" {
		t.Fatalf("err %s lacks a message: %+v", code, e)
	}
	return e
}

func TestRegisterDuplicates(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		se := e.register(t, phone1, id1, "张三丰")
		if len(se.Token) < 43 || se.Account.PhoneMasked != "138****8001" || se.Account.NameMasked != "张*丰" || !strings.Contains(se.Account.IDMasked, "*") {
			t.Fatalf("session = %+v", se)
		}
		// The phone is taken: said before any code is needed (none is sent for it).
		_, err := e.svc.Register(ctx, RegisterInput{Phone: phone1, SMSCode: "000000", Password: pw, Name: "李四", IDNumber: id2}, "")
		er := wantErr(t, err, KindConflict, CodePhoneTaken, FieldPhone)
		if er.Zh != "该手机号已注册，请直接登录" {
			t.Errorf("zh = %q", er.Zh)
		}
		// The ID number is taken, under another phone.
		_, err = e.svc.Register(ctx, RegisterInput{Phone: phone2, SMSCode: "000000", Password: pw, Name: "张三丰", IDNumber: strings.ToLower(id1)}, "")
		wantErr(t, err, KindConflict, CodeIDTaken, FieldIDNumber)
	})
}

func TestRegisterInvalidFields(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		badCheck := id1[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", id1[17])+1)%11])
		for _, tt := range []struct {
			name string
			in   RegisterInput
			code string
			fld  string
			zh   string
		}{
			{"phone", RegisterInput{Phone: "12345", Password: pw, Name: "张三", IDNumber: id1, SMSCode: "123456"}, CodePhoneInvalid, FieldPhone, checkpoint.MessageFor("phone").ZH},
			{"short password", RegisterInput{Phone: phone1, Password: "ab1", Name: "张三", IDNumber: id1, SMSCode: "123456"}, CodePasswordLength, FieldPassword, ""},
			{"long password", RegisterInput{Phone: phone1, Password: strings.Repeat("a1", 33), Name: "张三", IDNumber: id1, SMSCode: "123456"}, CodePasswordLength, FieldPassword, ""},
			{"letters only", RegisterInput{Phone: phone1, Password: "abcdefghij", Name: "张三", IDNumber: id1, SMSCode: "123456"}, CodePasswordWeak, FieldPassword, ""},
			{"digits only", RegisterInput{Phone: phone1, Password: "1234567890", Name: "张三", IDNumber: id1, SMSCode: "123456"}, CodePasswordWeak, FieldPassword, ""},
			{"name", RegisterInput{Phone: phone1, Password: pw, Name: "张三3", IDNumber: id1, SMSCode: "123456"}, "name_character", FieldName, checkpoint.MessageFor("name_character").ZH},
			{"empty name", RegisterInput{Phone: phone1, Password: pw, Name: " ", IDNumber: id1, SMSCode: "123456"}, "name_length", FieldName, checkpoint.MessageFor("name_length").ZH},
			{"id check", RegisterInput{Phone: phone1, Password: pw, Name: "张三", IDNumber: badCheck, SMSCode: "123456"}, "id_check", FieldIDNumber, checkpoint.MessageFor("check").ZH},
			{"id length", RegisterInput{Phone: phone1, Password: pw, Name: "张三", IDNumber: "2202211990", SMSCode: "123456"}, "id_length", FieldIDNumber, checkpoint.MessageFor("length").ZH},
			{"code format", RegisterInput{Phone: phone1, Password: pw, Name: "张三", IDNumber: id1, SMSCode: "12a456"}, CodeSMSCodeFormat, FieldSMSCode, ""},
			{"code wrong", RegisterInput{Phone: phone1, Password: pw, Name: "张三", IDNumber: id1, SMSCode: "123456"}, CodeSMSCodeWrong, FieldSMSCode, ""},
		} {
			_, err := e.svc.Register(ctx, tt.in, "")
			er := wantErr(t, err, KindInvalid, tt.code, tt.fld)
			if tt.zh != "" && er.Zh != tt.zh {
				t.Errorf("%s: zh = %q; want the domain core's %q", tt.name, er.Zh, tt.zh)
			}
		}
		var n int
		if err := e.db.SQL().QueryRow(`SELECT COUNT(*) FROM citizens`).Scan(&n); err != nil || n != 0 {
			t.Errorf("citizens = %d, %v; want none", n, err)
		}
	})
}

func TestCodeRules(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		send := func() string {
			t.Helper()
			e.clk.add(15 * time.Minute) // within the hourly limit
			if _, err := e.svc.SendCode(ctx, phone1, sms.PurposeAssist, "10.0.0.2"); err != nil {
				t.Fatal(err)
			}
			return e.snd.last(t, phone1, sms.PurposeAssist)
		}
		check := func(code string) error { return e.svc.CheckCode(ctx, phone1, sms.PurposeAssist, code) }
		wrong := func(c string) string {
			return fmt.Sprintf("%06d", (int(c[5]-'0')+1)%10+10*int(c[4]-'0'))
		}

		// Expiry: 5 minutes.
		c := send()
		if len(c) != 6 || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("code %q is not 6 digits", c)
		}
		// The stored hash is not the code.
		var h string
		e.db.SQL().QueryRow(`SELECT code_hash FROM sms_codes`).Scan(&h)
		if len(h) != 64 || strings.Contains(h, c) {
			t.Errorf("code_hash = %q", h)
		}
		e.clk.add(CodeTTL + time.Second)
		wantErr(t, check(c), KindInvalid, CodeSMSCodeWrong, FieldSMSCode)

		// Single use.
		c = send()
		e.clk.add(CodeTTL - time.Second)
		if err := check(c); err != nil {
			t.Fatalf("fresh code refused: %v", err)
		}
		wantErr(t, check(c), KindInvalid, CodeSMSCodeWrong, FieldSMSCode)

		// 5 attempts, then refused even with the right code.
		e.clk.add(2 * time.Minute)
		c = send()
		for i := 0; i < CodeMaxAttempts; i++ {
			wantErr(t, check(wrong(c)), KindInvalid, CodeSMSCodeWrong, FieldSMSCode)
		}
		wantErr(t, check(c), KindInvalid, CodeSMSCodeExhausted, FieldSMSCode)

		// A new code replaces the previous one.
		e.clk.add(2 * time.Minute)
		old := send()
		e.clk.add(time.Minute)
		c = send()
		if old != c {
			wantErr(t, check(old), KindInvalid, CodeSMSCodeWrong, FieldSMSCode)
		}
		if err := check(c); err != nil {
			t.Fatalf("new code refused: %v", err)
		}
		// A code is for its purpose only.
		e.clk.add(time.Minute)
		c = send()
		wantErr(t, e.svc.CheckCode(ctx, phone1, sms.PurposeRegister, c), KindInvalid, CodeSMSCodeWrong, FieldSMSCode)
		if err := check(c); err != nil {
			t.Fatalf("code refused after a wrong-purpose try: %v", err)
		}
	})
}

func TestSendLimits(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		send := func(phone, ip string) (time.Duration, error) {
			return e.svc.SendCode(ctx, phone, sms.PurposeAssist, ip)
		}
		ra, err := send(phone1, "10.1.0.1")
		if err != nil || ra != time.Minute {
			t.Fatalf("first send: %v, %v; want retry after 1m", ra, err)
		}
		// Cooldown: 60 s.
		e.clk.add(20 * time.Second)
		_, err = send(phone1, "10.1.0.2")
		if er := wantErr(t, err, KindLimited, CodeSMSLimited, FieldPhone); er.RetryAfter != 40*time.Second {
			t.Errorf("cooldown RetryAfter = %v; want 40s", er.RetryAfter)
		}
		// Hourly: 5.
		for i := 2; i <= 5; i++ {
			e.clk.add(61 * time.Second)
			if _, err := send(phone1, fmt.Sprintf("10.1.0.%d", i)); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		e.clk.add(61 * time.Second)
		_, err = send(phone1, "10.1.0.9")
		er := wantErr(t, err, KindLimited, CodeSMSLimited, FieldPhone)
		if er.RetryAfter <= time.Minute || er.RetryAfter > time.Hour {
			t.Errorf("hourly RetryAfter = %v", er.RetryAfter)
		}
		// Daily: 10.
		e.clk.add(er.RetryAfter)
		for i := 6; i <= 10; i++ {
			e.clk.add(61 * time.Second)
			if _, err := send(phone1, fmt.Sprintf("10.2.0.%d", i)); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		e.clk.add(2 * time.Hour)
		_, err = send(phone1, "10.3.0.1")
		er = wantErr(t, err, KindLimited, CodeSMSLimited, FieldPhone)
		if er.RetryAfter <= time.Hour || er.RetryAfter > 24*time.Hour {
			t.Errorf("daily RetryAfter = %v", er.RetryAfter)
		}
		if n := e.snd.count(); n != 10 {
			t.Errorf("sent %d; want 10", n)
		}
		e.clk.add(er.RetryAfter)
		if _, err := send(phone1, "10.3.0.1"); err != nil {
			t.Errorf("after the day: %v", err)
		}

		// Per address: a burst of 5 a minute, whatever the phones.
		e.clk.add(24 * time.Hour)
		for i := 0; i < 5; i++ {
			if _, err := send(fmt.Sprintf("1370000000%d", i), "192.0.2.7"); err != nil {
				t.Fatalf("address send %d: %v", i, err)
			}
		}
		_, err = send("13700000009", "192.0.2.7")
		if er := wantErr(t, err, KindLimited, CodeSMSLimited, FieldPhone); er.RetryAfter != time.Minute {
			t.Errorf("address RetryAfter = %v; want 1m", er.RetryAfter)
		}
		if _, err := send("13700000009", "192.0.2.8"); err != nil {
			t.Errorf("another address: %v", err)
		}
	})
}

func TestSendSameAnswer(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		e.register(t, phone1, id1, "张三")
		sent := e.snd.count()
		e.clk.add(time.Hour)
		// register for a registered phone, and for an unknown one.
		ra1, err1 := e.svc.SendCode(ctx, phone1, sms.PurposeRegister, "10.0.0.1")
		ra2, err2 := e.svc.SendCode(ctx, phone2, sms.PurposeRegister, "10.0.0.2")
		if err1 != nil || err2 != nil || ra1 != ra2 {
			t.Fatalf("answers differ: (%v, %v) and (%v, %v)", ra1, err1, ra2, err2)
		}
		if n := e.snd.count(); n != sent+1 {
			t.Fatalf("sent %d more; want 1 (the unknown phone's)", n-sent)
		}
		// login and reset for an unknown phone: answered, not sent.
		e.clk.add(time.Hour)
		for _, p := range []sms.Purpose{sms.PurposeLogin, sms.PurposeReset} {
			e.clk.add(time.Minute)
			ra3, err3 := e.svc.SendCode(ctx, "13600000000", p, "10.0.0.3")
			ra4, err4 := e.svc.SendCode(ctx, phone1, p, "10.0.0.4")
			if err3 != nil || err4 != nil || ra3 != ra4 {
				t.Fatalf("%s answers differ: (%v, %v) and (%v, %v)", p, ra3, err3, ra4, err4)
			}
		}
		if n := e.snd.count(); n != sent+3 {
			t.Fatalf("sent %d more; want 3", n-sent)
		}
		// The unsent one still counts against the limits.
		_, err := e.svc.SendCode(ctx, "13600000000", sms.PurposeLogin, "10.0.0.5")
		wantErr(t, err, KindLimited, CodeSMSLimited, FieldPhone)
	})
}

func TestLimitsSurviveRestart(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		if _, err := e.svc.SendCode(ctx, phone1, sms.PurposeAssist, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		svc2, _ := e.open(t, 0)
		e.clk.add(10 * time.Second)
		_, err := svc2.SendCode(ctx, phone1, sms.PurposeAssist, "10.0.0.1")
		wantErr(t, err, KindLimited, CodeSMSLimited, FieldPhone)
		// and the code the first one sent checks on the second.
		if err := svc2.CheckCode(ctx, phone1, sms.PurposeAssist, e.snd.last(t, phone1, sms.PurposeAssist)); err != nil {
			t.Fatalf("code across services: %v", err)
		}
	})
}

func TestSendFailure(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		e.snd.fail = errors.New("gateway down")
		_, err := e.svc.SendCode(ctx, phone1, sms.PurposeAssist, "10.0.0.1")
		wantErr(t, err, KindUnavailable, CodeSMSUnavailable, FieldPhone)
		var n int
		e.db.SQL().QueryRow(`SELECT COUNT(*) FROM sms_codes`).Scan(&n)
		if n != 0 {
			t.Errorf("%d codes kept after a failed send", n)
		}
	})
}

func TestLogin(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		e.register(t, phone1, id1, "张三")
		se, err := e.svc.Login(ctx, phone1, pw, "10.0.0.1")
		if err != nil || len(se.Token) < 43 {
			t.Fatalf("login: %+v, %v", se, err)
		}
		a := wantErr(t, func() error { _, err := e.svc.Login(ctx, phone1, "wrong1234", "10.0.0.1"); return err }(), KindUnauthorized, CodeLoginFailed, "")
		b := wantErr(t, func() error { _, err := e.svc.Login(ctx, phone2, pw, "10.0.0.1"); return err }(), KindUnauthorized, CodeLoginFailed, "")
		if *a != *b || a.Zh != "手机号或密码错误" {
			t.Errorf("wrong password %+v and unknown phone %+v differ", a, b)
		}
	})
}

func TestLoginLockout(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		e.register(t, phone1, id1, "张三")
		for i := 0; i < 5; i++ {
			e.clk.add(time.Minute)
			_, err := e.svc.Login(ctx, phone1, "wrong1234", fmt.Sprintf("10.0.1.%d", i))
			wantErr(t, err, KindUnauthorized, CodeLoginFailed, "")
		}
		e.clk.add(time.Minute)
		_, err := e.svc.Login(ctx, phone1, pw, "10.0.2.1")
		er := wantErr(t, err, KindLimited, CodeLoginLocked, FieldPhone)
		// first failure at +1m (after 9:00), locked until it is 15 minutes old: 09:16, 17:16 CST.
		if er.RetryAfter != 10*time.Minute || !strings.Contains(er.Zh, "17:16") || !strings.Contains(er.En, "17:16") {
			t.Errorf("locked: %+v", er)
		}
		// A new Service over the same database still refuses.
		svc2, _ := e.open(t, 0)
		_, err = svc2.Login(ctx, phone1, pw, "10.0.2.1")
		wantErr(t, err, KindLimited, CodeLoginLocked, FieldPhone)
		e.clk.add(er.RetryAfter)
		if _, err := e.svc.Login(ctx, phone1, pw, "10.0.2.1"); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		// Per address: 20 failures in 15 minutes, whatever the phones. Unknown phones verify
		// against the dummy hash: a cheap one here keeps the test short.
		e.svc.dummy = cheapHash(t)
		for i := 0; i < 20; i++ {
			_, err := e.svc.Login(ctx, fmt.Sprintf("135000000%02d", i), "wrong1234", "192.0.2.9")
			wantErr(t, err, KindUnauthorized, CodeLoginFailed, "")
		}
		_, err = e.svc.Login(ctx, phone1, pw, "192.0.2.9")
		wantErr(t, err, KindLimited, CodeLoginLimited, "")
		if _, err := e.svc.Login(ctx, phone1, pw, "192.0.2.10"); err != nil {
			t.Fatalf("other address: %v", err)
		}
	})
}

func TestUnknownPhoneSpendsHash(t *testing.T) {
	e := newEnv(t, dbtest.SQLiteDSN(t), 0)
	e.register(t, phone1, id1, "张三")
	n0 := e.svc.hashCount.Load()
	t0 := time.Now()
	e.svc.Login(ctx, phone1, "wrong1234", "10.0.0.1")
	known := time.Since(t0)
	n1 := e.svc.hashCount.Load()
	t0 = time.Now()
	e.svc.Login(ctx, phone2, "wrong1234", "10.0.0.1")
	unknown := time.Since(t0)
	n2 := e.svc.hashCount.Load()
	if n1-n0 != 1 || n2-n1 != 1 {
		t.Fatalf("hashes: known phone %d, unknown phone %d; want 1 each", n1-n0, n2-n1)
	}
	t.Logf("wrong password %v, unknown phone %v", known, unknown)
	if unknown < known/3 {
		t.Errorf("unknown phone answered in %v, a known one in %v", unknown, known)
	}
}

func TestHashSlots(t *testing.T) {
	e := newEnv(t, dbtest.SQLiteDSN(t), 2)
	e.register(t, phone1, id1, "张三")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p, ph := pw, phone1
			if i%2 == 1 {
				p, ph = "wrong1234", fmt.Sprintf("133000000%02d", i)
			}
			_, err := e.svc.Login(ctx, ph, p, fmt.Sprintf("10.9.0.%d", i))
			if i%2 == 0 && err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("login: %v", err)
	}
	if peak := e.svc.hashPeak.Load(); peak > 2 || peak < 1 {
		t.Errorf("peak concurrent hashes = %d; want ≤ 2 (HashSlots)", peak)
	}
	// With the slots taken, a login waits only as long as its context.
	e.svc.slots <- struct{}{}
	e.svc.slots <- struct{}{}
	c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := e.svc.Login(c, phone1, pw, "10.9.1.1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("login with slots full = %v; want the context's deadline", err)
	}
	<-e.svc.slots
	<-e.svc.slots
}

func TestSessions(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		se := e.register(t, phone1, id1, "张三")
		if want := e.clk.Now().Add(30 * time.Minute); !se.ExpiresAt.Equal(want) {
			t.Errorf("ExpiresAt = %v; want %v", se.ExpiresAt, want)
		}
		var stored string
		e.db.SQL().QueryRow(`SELECT token_hash FROM citizen_sessions`).Scan(&stored)
		if stored == se.Token || stored != tokenHash(se.Token) {
			t.Errorf("stored %q for the token", stored)
		}
		// Idle: each use extends by 30 minutes.
		for i := 0; i < 3; i++ {
			e.clk.add(29 * time.Minute)
			a, err := e.svc.Session(ctx, se.Token)
			if err != nil || a.ID != se.Account.ID {
				t.Fatalf("session after %d×29m: %+v, %v", i+1, a, err)
			}
		}
		e.clk.add(31 * time.Minute)
		_, err := e.svc.Session(ctx, se.Token)
		wantErr(t, err, KindUnauthorized, CodeSessionInvalid, "")

		// Absolute: 12 hours even when used.
		se, err = e.svc.Login(ctx, phone1, pw, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		for used := time.Duration(0); used < 12*time.Hour-20*time.Minute; used += 20 * time.Minute {
			e.clk.add(20 * time.Minute)
			if _, err := e.svc.Session(ctx, se.Token); err != nil {
				t.Fatalf("session at %v: %v", used+20*time.Minute, err)
			}
		}
		e.clk.add(20 * time.Minute)
		_, err = e.svc.Session(ctx, se.Token)
		wantErr(t, err, KindUnauthorized, CodeSessionInvalid, "")

		// Logout.
		se, _ = e.svc.Login(ctx, phone1, pw, "10.0.0.1")
		if err := e.svc.Logout(ctx, se.Token); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Session(ctx, se.Token)
		wantErr(t, err, KindUnauthorized, CodeSessionInvalid, "")
		if err := e.svc.Logout(ctx, se.Token); err != nil {
			t.Errorf("second logout: %v", err)
		}
		_, err = e.svc.Session(ctx, "short")
		wantErr(t, err, KindUnauthorized, CodeSessionInvalid, "")
	})
}

func TestReset(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		s1 := e.register(t, phone1, id1, "张三")
		s2, err := e.svc.Login(ctx, phone1, pw, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		e.clk.add(time.Minute)
		if _, err := e.svc.SendCode(ctx, phone1, sms.PurposeReset, "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		code := e.snd.last(t, phone1, sms.PurposeReset)
		wantErr(t, e.svc.Reset(ctx, phone1, code, "short", ""), KindInvalid, CodePasswordLength, FieldPassword)
		if err := e.svc.Reset(ctx, phone1, code, "newpass456", ""); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{s1.Token, s2.Token} {
			_, err := e.svc.Session(ctx, tok)
			wantErr(t, err, KindUnauthorized, CodeSessionInvalid, "")
		}
		if _, err := e.svc.Login(ctx, phone1, pw, "10.0.0.1"); err == nil {
			t.Error("old password still logs in")
		}
		if _, err := e.svc.Login(ctx, phone1, "newpass456", "10.0.0.1"); err != nil {
			t.Errorf("new password: %v", err)
		}
		// An unknown phone gets what a wrong code gets.
		a := e.svc.Reset(ctx, phone2, "123456", "newpass456", "")
		b := e.svc.Reset(ctx, phone1, "123456", "newpass456", "")
		ea, eb := wantErr(t, a, KindInvalid, CodeSMSCodeWrong, FieldSMSCode), wantErr(t, b, KindInvalid, CodeSMSCodeWrong, FieldSMSCode)
		if *ea != *eb {
			t.Errorf("unknown phone %+v, wrong code %+v", ea, eb)
		}
	})
}

func TestCode(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		se := e.register(t, phone1, id1, "张三丰")
		v, err := e.svc.Code(ctx, se.Account)
		if err != nil {
			t.Fatal(err)
		}
		if v.Code != "CODE-1" || v.Household != "220221" || v.HouseholdName != "吉林省吉林市永吉县" || v.NameMasked != "张*丰" || v.Status != "green" {
			t.Errorf("view = %+v", v)
		}
		if e.iss.names[0] != "张三丰" || e.iss.ids[0] != id1 || e.iss.house[0] != "220221" {
			t.Errorf("issuer got %q %q %q", e.iss.names[0], e.iss.ids[0], e.iss.house[0])
		}
		e.clk.add(30 * time.Second)
		v, _ = e.svc.Code(ctx, se.Account)
		if v.Code != "CODE-1" || e.iss.n != 1 {
			t.Errorf("refresh within 30 s: %s, %d issued; want CODE-1 reused", v.Code, e.iss.n)
		}
		e.clk.add(31 * time.Second)
		v, _ = e.svc.Code(ctx, se.Account)
		if v.Code != "CODE-2" || e.iss.n != 2 {
			t.Errorf("after a minute: %s, %d issued; want a new code", v.Code, e.iss.n)
		}
		_, err = e.svc.Code(ctx, Account{ID: "nobody"})
		wantErr(t, err, KindUnauthorized, CodeSessionInvalid, "")
	})
}

func TestAssistWithoutAccount(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		if _, err := e.svc.SendCode(ctx, phone2, sms.PurposeAssist, "kiosk-7"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.CheckCode(ctx, phone2, sms.PurposeAssist, e.snd.last(t, phone2, sms.PurposeAssist)); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.SendCode(ctx, phone2, "other", "kiosk-7")
		wantErr(t, err, KindInvalid, CodePurposeInvalid, FieldPurpose)
	})
}

// TestNoPlainPersonalData reads the SQLite file after registrations, logins and codes: no phone
// number, ID number or name is in it.
func TestNoPlainPersonalData(t *testing.T) {
	dsn := dbtest.SQLiteDSN(t)
	e := newEnv(t, dsn, 0)
	names := []string{"张三丰", "阿卜杜·买买提"}
	e.register(t, phone1, id1, names[0])
	e.register(t, phone2, id2, names[1])
	e.svc.Login(ctx, phone1, pw, "10.0.0.1")
	e.svc.Login(ctx, phone2, "wrong1234", "10.0.0.1")
	e.clk.add(2 * time.Minute)
	e.svc.SendCode(ctx, phone1, sms.PurposeReset, "10.0.0.1")
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(dsn, "sqlite:")
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) < 4096 {
		t.Fatalf("database is %d bytes", len(all))
	}
	for _, s := range []string{phone1, phone2, id1, id2, id1[:17], names[0], names[1], "买买提"} {
		if bytes.Contains(all, []byte(s)) {
			t.Errorf("the database file holds %q in the clear", s)
		}
	}
	// The masked forms are there, for display.
	if !bytes.Contains(all, []byte("138****8001")) {
		t.Error("masked phone not found: is the test reading the right file?")
	}
}

// cheapHash is an argon2id PHC string with the smallest parameters Verify accepts.
func cheapHash(t *testing.T) string {
	t.Helper()
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("x1x1x1x1"), salt, 1, 8, 1, 32)
	b := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=8,t=1,p=1$%s$%s", argon2.Version, b.EncodeToString(salt), b.EncodeToString(key))
}

// TestConcurrentCodes: sends to one phone at once are counted one at a time (one passes the
// cooldown), and a code checked at once by many is accepted once.
func TestConcurrentCodes(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		svc2, _ := e.open(t, 0) // a second HQ instance
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, limited := 0, 0
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				svc := e.svc
				if i%2 == 1 {
					svc = svc2
				}
				_, err := svc.SendCode(ctx, phone1, sms.PurposeAssist, fmt.Sprintf("10.5.0.%d", i))
				mu.Lock()
				defer mu.Unlock()
				if er, isErr := AsError(err); isErr && er.Code == CodeSMSLimited {
					limited++
				} else if err == nil {
					ok++
				} else {
					t.Errorf("send: %v", err)
				}
			}(i)
		}
		wg.Wait()
		if ok != 1 || limited != 7 {
			t.Fatalf("concurrent sends: %d sent, %d limited; want 1 and 7", ok, limited)
		}
		code := e.snd.last(t, phone1, sms.PurposeAssist)
		accepted := 0
		for i := 0; i < 5; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				svc := e.svc
				if i%2 == 1 {
					svc = svc2
				}
				if err := svc.CheckCode(ctx, phone1, sms.PurposeAssist, code); err == nil {
					mu.Lock()
					accepted++
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		if accepted != 1 {
			t.Fatalf("code accepted %d times; want once", accepted)
		}
	})
}

// TestConcurrentRegister: accounts created at once for one phone (or one ID number), from two
// HQ instances, make one account; the others are told which value is taken.
func TestConcurrentRegister(t *testing.T) {
	forBackends(t, func(t *testing.T, e *env) {
		_, db2 := e.open(t, 0)
		for _, same := range []string{"phone", "id"} {
			var wg sync.WaitGroup
			errs := make([]error, 6)
			for i := range errs {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					c := sqldb.Citizen{ID: same + randomHex(8), PhoneHash: same + "-phone", IDHash: same + "-id", Sealed: "x", PasswordHash: "x"}
					if same == "phone" {
						c.IDHash += fmt.Sprint(i)
					} else {
						c.PhoneHash += fmt.Sprint(i)
					}
					db := e.db
					if i%2 == 1 {
						db = db2
					}
					errs[i] = taken(db.CreateCitizen(ctx, c))
				}(i)
			}
			wg.Wait()
			okN := 0
			want := map[string]string{"phone": CodePhoneTaken, "id": CodeIDTaken}[same]
			for _, err := range errs {
				if err == nil {
					okN++
				} else if er, isErr := AsError(err); !isErr || er.Code != want {
					t.Errorf("%s: create: %v; want %s", same, err, want)
				}
			}
			if okN != 1 {
				t.Errorf("%s: %d accounts created; want 1", same, okN)
			}
		}
	})
}

// TestSendSameTiming: a code answered without an SMS takes about as long as a real send (the
// gateway's round trip included).
func TestSendSameTiming(t *testing.T) {
	e := newEnv(t, dbtest.SQLiteDSN(t), 0)
	e.snd.delay = 200 * time.Millisecond
	t0 := time.Now()
	if _, err := e.svc.SendCode(ctx, phone1, sms.PurposeAssist, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	sent := time.Since(t0)
	t0 = time.Now()
	if _, err := e.svc.SendCode(ctx, phone2, sms.PurposeLogin, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	unsent := time.Since(t0)
	t.Logf("sent in %v, answered without sending in %v", sent, unsent)
	if e.snd.count() != 1 || unsent < e.snd.delay*3/4 {
		t.Errorf("%d sent; the unsent answer took %v, a send %v", e.snd.count(), unsent, sent)
	}
}
