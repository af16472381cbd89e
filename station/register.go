package station

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	gosync "sync"
	"time"
	"unicode/utf8"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/sync"
)

// smsLimiter allows one SMS code request per phone number per minute on this kiosk (HQ limits
// per phone and per address as well; this keeps a double tap from reaching it).
var smsLimiter = struct {
	gosync.Mutex
	last map[string]time.Time
}{last: map[string]time.Time{}}

// SendSMS asks HQ to send a verification code (获取验证码) to the person's phone. Offline, or
// when HQ cannot send, staff register without the code and the record carries
// sms_verified=false; the message says so.
func (st *Station) SendSMS(ctx context.Context, phone string) error {
	p, err := checkpoint.ParsePhone(phone)
	if err != nil {
		return problem("phone", "手机号格式不正确（11位手机号）", "not a valid mobile number (11 digits)", err)
	}
	now := st.now()
	smsLimiter.Lock()
	last, seen := smsLimiter.last[p.Full()]
	for ph, at := range smsLimiter.last {
		// Forget what no longer limits: the map holds phone numbers, and would only grow.
		if now.Sub(at) >= time.Minute {
			delete(smsLimiter.last, ph)
		}
	}
	smsLimiter.Unlock()
	if seen && now.Sub(last) < time.Minute {
		return problem("sms_rate", "验证码发送过于频繁，请1分钟后再试", "wait a minute before asking for another code", nil)
	}
	if st.sync == nil {
		return errSMSOffline(nil)
	}
	if _, err := st.sync.AssistSMS(ctx, p.Full()); err != nil {
		var he *sync.HTTPError
		switch {
		case errors.As(err, &he) && he.Status == http.StatusTooManyRequests:
			// HQ's limits per phone and per kiosk reach to hours: say the wait in words.
			wait := he.RetryAfter
			if wait <= 0 {
				wait = time.Minute
			}
			zh, en := waitWords(wait)
			return problem("sms_rate", "验证码发送过于频繁，请"+zh+"后再试（也可不填验证码直接登记，记录为未验证）",
				"too many codes asked for: try again in "+en+" (or register without a code, recorded as unverified)", err)
		case errors.As(err, &he) && he.Status == http.StatusBadRequest:
			zh, en := halves(he.Message)
			return problem("phone", "总部拒绝了这个手机号："+zh, "HQ refused this phone number: "+en, err)
		case errors.As(err, &he) && he.Status == http.StatusServiceUnavailable:
			// HQ answered, but has no SMS gateway or it failed.
			return problem("sms_unavailable", "总部暂时无法发送短信：可不填验证码直接登记，记录为未验证",
				"HQ cannot send text messages now: register without a code, recorded as unverified", err)
		}
		st.log.Info("assist sms not sent: registering unverified", "err", err)
		return errSMSOffline(err)
	}
	smsLimiter.Lock()
	smsLimiter.last[p.Full()] = now
	smsLimiter.Unlock()
	return nil
}

// waitWords says a wait as staff read it: seconds up to a minute, then minutes, then hours,
// rounded up.
func waitWords(d time.Duration) (zh, en string) {
	up := func(unit time.Duration) int64 { return max(1, int64((d+unit-1)/unit)) }
	switch {
	case d <= time.Minute:
		n := up(time.Second)
		return fmt.Sprintf("%d秒", n), fmt.Sprintf("%d s", n)
	case d <= time.Hour:
		n := up(time.Minute)
		return fmt.Sprintf("%d分钟", n), fmt.Sprintf("%d min", n)
	}
	n := up(time.Hour)
	return fmt.Sprintf("%d小时", n), fmt.Sprintf("%d h", n)
}

// halves splits HQ's "中文 / English" message; a message without the separator is both.
func halves(msg string) (zh, en string) {
	if zh, en, ok := strings.Cut(msg, " / "); ok {
		return zh, en
	}
	return msg, msg
}

func errSMSOffline(err error) *Problem {
	return problem("sms_unavailable", "暂时无法发送验证码（未连接总部）：可不填验证码直接登记，记录为未验证",
		"a code cannot be sent now (HQ not reachable): register without it, recorded as unverified", err)
}

// verifySMS asks HQ to check the code the person read out. It answers whether the phone is
// verified; a wrong, expired or used code is a Problem on the code field (staff retype it or
// clear it to register unverified). Offline the registration goes on unverified.
func (st *Station) verifySMS(ctx context.Context, phone checkpoint.Phone, code string) (bool, error) {
	if code == "" || st.sync == nil {
		return false, nil
	}
	err := st.sync.AssistVerify(ctx, phone.Full(), code)
	if err == nil {
		return true, nil
	}
	var he *sync.HTTPError
	if errors.As(err, &he) && (he.Status == http.StatusBadRequest || he.Status == http.StatusTooManyRequests) {
		return false, problem("sms_code", "验证码错误或已失效：请重新获取，或清空验证码后登记（记录为未验证）",
			"wrong or expired code: ask for a new one, or clear the field to register unverified", err)
	}
	st.log.Info("assist sms code not checked (HQ not reachable): registering unverified", "err", err)
	return false, nil
}

type regInput struct {
	phone checkpoint.Phone
	name  checkpoint.Name
	id    checkpoint.ResidentID
}

// CheckRegistration validates step one of the form (手机号, 姓名, 身份证号) with a message per field.
func (st *Station) CheckRegistration(r Registration) error {
	_, err := st.parseRegistration(r)
	return err
}

func (st *Station) parseRegistration(r Registration) (regInput, error) {
	var in regInput
	var err error
	if in.phone, err = checkpoint.ParsePhone(r.Phone); err != nil {
		return in, problem("phone", "手机号格式不正确（11位手机号）", "not a valid mobile number (11 digits)", err)
	}
	if in.name, err = checkpoint.ParseName(r.Name); err != nil {
		return in, problem("name", "姓名应为1–30个字（汉字、字母或间隔号·）", "name must be 1–30 letters (Chinese, Latin or the middle dot ·)", err)
	}
	if in.id, err = checkpoint.ParseResidentIDAt(r.ID, st.now()); err != nil {
		m := checkpoint.MessageFor(checkpoint.ErrorKind(err))
		if m.ZH == "" {
			m = checkpoint.Message{ZH: "身份证号不正确", EN: "invalid ID number"}
		}
		return in, problem("id", m.ZH, m.EN, err)
	}
	if utf8.RuneCountInString(r.Remarks) > 200 {
		return in, problem("remarks", "备注最多200字", "remarks: at most 200 characters", nil)
	}
	if c := trimmed(r.SMSCode); c != "" && !sixDigits(c) {
		return in, problem("sms_code", "验证码应为6位数字", "the SMS code has 6 digits", nil)
	}
	return in, nil
}

// personStatus asks HQ the colour of a person without a code. HQ is asked even when the last
// sync failed (the network may be back; the sync client bounds the wait), because the
// alternative is to refer the person. nil means unknown — offline, slow, refused — and the
// verdict then refers them (no code is not a pass).
func (st *Station) personStatus(ctx context.Context, id checkpoint.ResidentID) *checkpoint.PersonStatus {
	if st.sync == nil {
		return nil
	}
	ps, err := st.sync.PersonStatus(ctx, id.Full())
	if err != nil {
		st.log.Info("person status not available from HQ: registering as status unknown", "err", err)
		return nil
	}
	return &ps
}

// Register records an assisted registration (辅助登记 → 提交) with its verdict: the household of
// a person without a code is the region of their ID number, and their colour is what HQ
// answers for the ID number (unknown offline: 复核).
func (st *Station) Register(ctx context.Context, s Session, r Registration) (Decision, error) {
	in, err := st.parseRegistration(r)
	if err != nil {
		return Decision{}, err
	}
	if trimmed(r.Temp) == "" {
		return Decision{}, problem("temp_missing", "请填写体温测量结果", "enter the measured temperature", nil)
	}
	cfg := st.rules(ctx)
	t, err := checkpoint.ParseCelsius(trimmed(r.Temp))
	if err != nil {
		return Decision{}, tempProblem(err)
	}
	// A reading outside the plausible range is recorded with its refer (temp_implausible)
	// verdict: the person does not pass, and the registration is not lost.
	risk, _ := st.db.RiskAreas(ctx)
	d := st.decide(checkpoint.VerdictInput{Household: in.id.Region(), Person: st.personStatus(ctx, in.id), Risk: risk,
		Temperature: t, TempMeasured: true, Config: cfg, Now: st.now()})
	verified, err := st.verifySMS(ctx, in.phone, trimmed(r.SMSCode))
	if err != nil {
		return Decision{}, err
	}
	if !verified {
		d.MessageZH += "（手机号未经短信验证）"
		d.MessageEN += " (phone not verified by SMS)"
	}
	m := st.meta(s)
	reg := checkpoint.Registration{NameMasked: in.name.Masked(), IDMasked: in.id.Masked(), PhoneMasked: in.phone.Masked(),
		Household: in.id.Region(), SMSVerified: verified, TempTenths: int(t*10 + 0.5), Verdict: d.Verdict, Reasons: d.Reasons,
		Remarks: trimmed(r.Remarks), RegisteredAt: m.At}
	if reg.Reasons == nil {
		reg.Reasons = []string{}
	}
	// Only sealed and masked values: no hash of the ID number, HQ links the person (DESIGN §9).
	p := checkpoint.Personal{Name: in.name.Full(), ID: in.id.Full(), Phone: in.phone.Full()}
	if _, err := st.db.SaveRegistration(ctx, m, reg, p); err != nil {
		if errors.Is(err, context.Canceled) {
			return d, err
		}
		return d, errStore(err)
	}
	st.afterRecord()
	return d, nil
}

func sixDigits(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
