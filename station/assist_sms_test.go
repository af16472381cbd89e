package station

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	hqdemo "github.com/yongji-county/checkpoint/hq/demo"
	"github.com/yongji-county/checkpoint/hq/server"
	"github.com/yongji-county/checkpoint/hq/sms"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// assistKiosk is a kiosk enrolled with a real demo HQ, its scanner logged in.
type assistKiosk struct {
	demo   *hqdemo.Demo
	db     *store.DB
	client *sync.Client
	st     *Station
	sess   Session
}

func newAssistKiosk(t *testing.T) *assistKiosk {
	t.Helper()
	demo, err := hqdemo.Start(context.Background(), hqdemo.Config{Dir: t.TempDir(), AdminToken: testAdminToken})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { demo.Close() })
	k := enrollAt(t, demo.URL, demo.Info)
	k.demo = demo
	return k
}

// enrollAt enrolls a fresh kiosk with the HQ at url, pulls, and logs the demo scanner in.
func enrollAt(t *testing.T, url string, info hqdemo.Info) *assistKiosk {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenDir(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	client := sync.New(db, sync.Config{})
	if _, err := client.Enroll(ctx, url, info.EnrollmentCode); err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if _, err := client.Sync(ctx); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	st := New(Config{DB: db, Sync: client})
	login := info.Logins[len(info.Logins)-1]
	sess, err := st.Login(ctx, login.Phone, login.Password)
	if err != nil {
		t.Fatal(err)
	}
	return &assistKiosk{db: db, client: client, st: st, sess: sess}
}

// sent is the one code the demo outbox holds for phone, for 辅助登记.
func (k *assistKiosk) sent(t *testing.T, phone string) string {
	t.Helper()
	msgs := k.demo.Outbox.Messages(phone)
	if len(msgs) != 1 || msgs[0].Purpose != sms.PurposeAssist || len(msgs[0].Code) != 6 || !strings.Contains(msgs[0].Text, msgs[0].Code) {
		t.Fatalf("demo outbox for the phone: %+v; want one assist code", msgs)
	}
	return msgs[0].Code
}

// registrations are the registrations this kiosk saved and has not yet sent, oldest first.
func (k *assistKiosk) registrations(t *testing.T) (ids []string, regs []checkpoint.Registration) {
	t.Helper()
	recs, err := k.db.PendingBatch(context.Background(), 100, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Kind != checkpoint.KindRegistration {
			continue
		}
		var reg checkpoint.Registration
		if err := json.Unmarshal(r.Body, &reg); err != nil {
			t.Fatal(err)
		}
		ids, regs = append(ids, r.ID), append(regs, reg)
	}
	return ids, regs
}

func wantProblem(t *testing.T, err error, code string) *Problem {
	t.Helper()
	p, ok := AsProblem(err)
	if !ok || p.Code != code {
		t.Fatalf("error %v; want a Problem %q", err, code)
	}
	if p.ZH == "" || p.EN == "" {
		t.Errorf("Problem %q without words: %+v", code, p)
	}
	return p
}

// TestAssistSMSVerified: 获取验证码 sends a code through HQ (the demo outbox holds it); 提交 with
// that code records the registration as SMS-verified, on the kiosk and at HQ after sync. The
// code is single use.
func TestAssistSMSVerified(t *testing.T) {
	ctx := context.Background()
	k := newAssistKiosk(t)
	const phone = "13911110001"
	if err := k.st.SendSMS(ctx, phone); err != nil {
		t.Fatalf("SendSMS: %v", err)
	}
	code := k.sent(t, phone)
	reg := Registration{Phone: phone, SMSCode: code, Name: "赵小燕", ID: "110101199003072711", Temp: "36.6"}
	d, err := k.st.Register(ctx, k.sess, reg)
	if err != nil || d.Verdict != "pass" {
		t.Fatalf("Register with the code = %+v, %v; want pass", d, err)
	}
	if strings.Contains(d.MessageZH, "未经短信验证") || strings.Contains(d.MessageEN, "not verified") {
		t.Errorf("a verified registration's message says unverified: %q / %q", d.MessageZH, d.MessageEN)
	}
	ids, regs := k.registrations(t)
	if len(regs) != 1 || !regs[0].SMSVerified || regs[0].PhoneMasked != "139****0001" {
		t.Fatalf("saved registrations %+v; want one, sms_verified, the phone masked", regs)
	}
	// Used: the same code again is refused, and that registration is not saved.
	_, err = k.st.Register(ctx, k.sess, reg)
	wantProblem(t, err, "sms_code")
	if _, again := k.registrations(t); len(again) != 1 {
		t.Errorf("a registration with a used code was saved: %d registrations", len(again))
	}

	if sum, err := k.client.Sync(ctx); err != nil || sum.Pushed < 1 {
		t.Fatalf("sync: %+v, %v", sum, err)
	}
	rec, err := k.demo.Core.DB().Record(ctx, ids[0])
	if err != nil {
		t.Fatalf("the registration at HQ: %v", err)
	}
	var atHQ checkpoint.Registration
	if err := json.Unmarshal(rec.Body, &atHQ); err != nil || !atHQ.SMSVerified {
		t.Errorf("HQ holds %s, %v; want sms_verified", rec.Body, err)
	}
}

// TestAssistSMSWrongCode: a code other than the one sent is a Problem on the code field, and
// nothing is saved; so is a code that is not six digits.
func TestAssistSMSWrongCode(t *testing.T) {
	ctx := context.Background()
	k := newAssistKiosk(t)
	const phone = "13911110002"
	if err := k.st.SendSMS(ctx, phone); err != nil {
		t.Fatalf("SendSMS: %v", err)
	}
	wrong := "111111"
	if k.sent(t, phone) == wrong {
		wrong = "222222"
	}
	reg := Registration{Phone: phone, SMSCode: wrong, Name: "钱小军", ID: "110101199003072711", Temp: "36.6"}
	_, err := k.st.Register(ctx, k.sess, reg)
	p := wantProblem(t, err, "sms_code")
	if !strings.Contains(p.ZH, "验证码错误") {
		t.Errorf("wrong code: %q", p.ZH)
	}
	reg.SMSCode = "12345"
	_, err = k.st.Register(ctx, k.sess, reg)
	wantProblem(t, err, "sms_code")
	if _, regs := k.registrations(t); len(regs) != 0 {
		t.Errorf("registrations with a wrong code were saved: %+v", regs)
	}
	if rows, n, err := k.st.QueryLog(ctx, k.sess, LogFilter{}); err != nil || n != 0 {
		t.Errorf("the log after wrong codes: %d rows %+v, %v; want none", n, rows, err)
	}
}

// TestAssistSMSRate: a second 获取验证码 for the same phone within a minute is refused at the
// kiosk; one from a kiosk whose clock says a minute has passed is refused by HQ, with its wait.
// Neither sends a second message.
func TestAssistSMSRate(t *testing.T) {
	ctx := context.Background()
	k := newAssistKiosk(t)
	const phone = "13911110003"
	if err := k.st.SendSMS(ctx, phone); err != nil {
		t.Fatalf("SendSMS: %v", err)
	}
	err := k.st.SendSMS(ctx, phone)
	wantProblem(t, err, "sms_rate")

	later := New(Config{DB: k.db, Sync: k.client, Now: func() time.Time { return time.Now().Add(61 * time.Second) }})
	err = later.SendSMS(ctx, phone)
	p := wantProblem(t, err, "sms_rate")
	if !strings.Contains(p.ZH, "秒后再试") {
		t.Errorf("HQ's refusal says %q; want the seconds to wait", p.ZH)
	}
	k.sent(t, phone) // still exactly one message
}

// TestAssistSMSHQUnreachable: with HQ out of reach 获取验证码 says a code cannot be sent, and
// 提交 with a code typed anyway records the registration unverified, saying so.
func TestAssistSMSHQUnreachable(t *testing.T) {
	ctx := context.Background()
	k := newAssistKiosk(t)
	offline := New(Config{DB: k.db, Sync: sync.New(k.db, sync.Config{BaseURL: "http://127.0.0.1:1"})})
	const phone = "13911110004"
	err := offline.SendSMS(ctx, phone)
	p := wantProblem(t, err, "sms_unavailable")
	if !strings.Contains(p.ZH, "未验证") {
		t.Errorf("sms_unavailable says %q; want it to say the registration is recorded unverified", p.ZH)
	}
	d, err := offline.Register(ctx, k.sess, Registration{Phone: phone, SMSCode: "123456", Name: "孙小梅", ID: "110101199003072711", Temp: "36.6"})
	if err != nil {
		t.Fatalf("Register offline with a code: %v", err)
	}
	if !strings.Contains(d.MessageZH, "未经短信验证") || !strings.Contains(d.MessageEN, "not verified by SMS") {
		t.Errorf("offline registration's message %q / %q; want it to say unverified", d.MessageZH, d.MessageEN)
	}
	if _, regs := k.registrations(t); len(regs) != 1 || regs[0].SMSVerified {
		t.Fatalf("saved registrations %+v; want one, not sms_verified", regs)
	}
	if n := len(k.demo.Outbox.Messages(phone)); n != 0 {
		t.Errorf("HQ sent %d messages while out of reach", n)
	}
}

// TestAssistSMSHQWithoutSMS: an HQ that serves no citizen pages has no SMS to send: it answers,
// and the kiosk says HQ cannot send (not that it is unreachable); a code typed anyway is not
// checked and the registration is recorded unverified.
func TestAssistSMSHQWithoutSMS(t *testing.T) {
	ctx := context.Background()
	root, err := checkpoint.GenerateRootKey()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Config: hq.Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "hq.db"), RootKey: root}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	info, err := hqdemo.Seed(ctx, srv.Core())
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	k := enrollAt(t, hs.URL, info)
	const phone = "13911110005"
	err = k.st.SendSMS(ctx, phone)
	p := wantProblem(t, err, "sms_unavailable")
	if !strings.Contains(p.ZH, "总部暂时无法发送短信") || strings.Contains(p.ZH, "未连接总部") {
		t.Errorf("sms_unavailable from an HQ that answered says %q", p.ZH)
	}
	d, err := k.st.Register(ctx, k.sess, Registration{Phone: phone, SMSCode: "123456", Name: "周小兰", ID: "110101199003072711", Temp: "36.6"})
	if err != nil || !strings.Contains(d.MessageZH, "未经短信验证") {
		t.Fatalf("Register with a code HQ cannot check = %+v, %v; want saved, unverified", d, err)
	}
	if _, regs := k.registrations(t); len(regs) != 1 || regs[0].SMSVerified {
		t.Fatalf("saved registrations %+v; want one, not sms_verified", regs)
	}
}

// TestWaitWords: HQ's waits reach hours; staff read them in the largest fitting unit, rounded up.
func TestWaitWords(t *testing.T) {
	for _, c := range []struct {
		d      time.Duration
		zh, en string
	}{
		{0, "1秒", "1 s"},
		{1500 * time.Millisecond, "2秒", "2 s"},
		{time.Minute, "60秒", "60 s"},
		{61 * time.Second, "2分钟", "2 min"},
		{time.Hour, "60分钟", "60 min"},
		{23*time.Hour + time.Second, "24小时", "24 h"},
	} {
		if zh, en := waitWords(c.d); zh != c.zh || en != c.en {
			t.Errorf("waitWords(%v) = %q, %q; want %q, %q", c.d, zh, en, c.zh, c.en)
		}
	}
}
