package sms

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testPhone = "13800138000"
	testCode  = "493817"

	aliyunKeyID     = "LTAI5tTestKeyId"
	aliyunSecret    = "aliyun-SECRET-do-not-leak-7f3a"
	tencentSecretID = "AKIDtestSecretId"
	tencentSecret   = "tencent-SECRET-do-not-leak-9c2e"
)

// syncBuffer is a log sink safe for the SDK goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// noLeak fails if s carries the full phone, the code or a secret.
func noLeak(t *testing.T, what, s string) {
	t.Helper()
	for _, bad := range []string{testPhone, testCode, aliyunSecret, tencentSecret} {
		if strings.Contains(s, bad) {
			t.Errorf("%s carries %q: %s", what, bad, s)
		}
	}
}

type providerCase struct {
	name    string
	reply   fakeReply
	timeout time.Duration // context timeout; zero: 5s
	check   func(t *testing.T, err error)
}

func wantOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
}

func wantLimited(code string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, ErrProviderLimited) {
			t.Fatalf("err = %v, want ErrProviderLimited", err)
		}
		if !strings.Contains(err.Error(), code) {
			t.Errorf("err %q does not name the provider code %s", err, code)
		}
	}
}

func wantFailed(contains string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if err == nil {
			t.Fatal("Send succeeded, want an error")
		}
		if errors.Is(err, ErrProviderLimited) {
			t.Errorf("err = %v is ErrProviderLimited, want a plain failure", err)
		}
		if !strings.Contains(err.Error(), contains) {
			t.Errorf("err %q does not contain %q", err, contains)
		}
	}
}

func wantDeadline(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if errors.Is(err, ErrProviderLimited) {
		t.Errorf("a timeout is not a rate limit: %v", err)
	}
}

func runProvider(t *testing.T, f *fakeProvider, s Sender, logs *syncBuffer, c providerCase, checkReq func(*testing.T, fakeRequest)) {
	t.Helper()
	f.set(c.reply)
	before := len(f.requests())
	timeout := c.timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	err := s.Send(ctx, Message{Phone: testPhone, Code: testCode, Purpose: PurposeRegister})
	took := time.Since(start)
	t.Logf("err: %v", err)
	c.check(t, err)
	if c.reply.hang && took > timeout+time.Second {
		t.Errorf("Send took %v after a %v context", took, timeout)
	}
	if err != nil {
		noLeak(t, "error", err.Error())
	}
	noLeak(t, "log", logs.String())
	reqs := f.requests()
	if len(reqs) != before+1 {
		t.Fatalf("fake got %d requests, want exactly 1 (no retry)", len(reqs)-before)
	}
	checkReq(t, reqs[len(reqs)-1])
}

func TestAliyunSend(t *testing.T) {
	f := newFake(t, parseAliyun)
	logger, logs := testLogger()
	s, err := NewAliyun(AliyunConfig{
		AccessKeyID: aliyunKeyID, AccessKeySecret: aliyunSecret,
		SignName: "吉事办", TemplateCode: "SMS_465890123",
		Endpoint: f.srv.URL, Timeout: 3 * time.Second, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "aliyun" {
		t.Errorf("Name = %q", s.Name())
	}
	checkReq := func(t *testing.T, r fakeRequest) {
		t.Helper()
		want := map[string]string{
			"Action": "SendSms", "Version": "2017-05-25", "PhoneNumbers": testPhone,
			"SignName": "吉事办", "TemplateCode": "SMS_465890123",
			"TemplateParam": `{"code":"` + testCode + `"}`, "AccessKeyId": aliyunKeyID,
		}
		for k, v := range want {
			if got, _ := r.params[k].(string); got != v {
				t.Errorf("request %s = %q, want %q", k, got, v)
			}
		}
		if sig, _ := r.params["Signature"].(string); sig == "" {
			t.Error("request is not signed")
		}
		if strings.Contains(r.raw, aliyunSecret) {
			t.Error("the AccessKey secret went over the wire")
		}
	}
	cases := []providerCase{
		{name: "ok", reply: fakeReply{status: 200, body: aliyunOK}, check: wantOK},
		{name: "business limit", reply: fakeReply{status: 200, body: aliyunBizLimit}, check: wantLimited("isv.BUSINESS_LIMIT_CONTROL")},
		{name: "day limit", reply: fakeReply{status: 200, body: aliyunDayLim}, check: wantLimited("isv.DAY_LIMIT_CONTROL")},
		{name: "api throttling", reply: fakeReply{status: 400, body: aliyunThrottl}, check: wantLimited("Throttling.User")},
		{name: "bad signature", reply: fakeReply{status: 200, body: aliyunBadSign}, check: wantFailed("isv.SMS_SIGNATURE_ILLEGAL")},
		{name: "bad key", reply: fakeReply{status: 404, body: aliyunBadKey}, check: wantFailed("InvalidAccessKeyId.NotFound")},
		{name: "http 500", reply: fakeReply{status: 500, body: "internal error " + testPhone}, check: wantFailed("请求失败 / request failed")},
		{name: "timeout", reply: fakeReply{hang: true}, timeout: 200 * time.Millisecond, check: wantDeadline},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runProvider(t, f, s, logs, c, checkReq) })
	}
	if !strings.Contains(logs.String(), "138****8000") {
		t.Errorf("log has no masked phone: %s", logs)
	}
}

func TestTencentSend(t *testing.T) {
	f := newFake(t, parseTencent)
	logger, logs := testLogger()
	s, err := NewTencent(TencentConfig{
		SecretID: tencentSecretID, SecretKey: tencentSecret, AppID: "1400787878",
		SignName: "吉事办", TemplateID: "1938271", Endpoint: f.srv.URL,
		Timeout: 3 * time.Second, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "tencent" {
		t.Errorf("Name = %q", s.Name())
	}
	checkReq := func(t *testing.T, r fakeRequest) {
		t.Helper()
		want := map[string]string{
			"_method": "POST", "_action": "SendSms", "_version": "2021-01-11", "_region": TencentRegion,
			"SmsSdkAppId": "1400787878", "SignName": "吉事办", "TemplateId": "1938271",
		}
		for k, v := range want {
			if got, _ := r.params[k].(string); got != v {
				t.Errorf("request %s = %q, want %q", k, got, v)
			}
		}
		if got := strSlice(r.params["PhoneNumberSet"]); len(got) != 1 || got[0] != "+86"+testPhone {
			t.Errorf("PhoneNumberSet = %v", got)
		}
		if got := strSlice(r.params["TemplateParamSet"]); len(got) != 2 || got[0] != testCode || got[1] != "5" {
			t.Errorf("TemplateParamSet = %v", got)
		}
		if a := r.header.Get("Authorization"); !strings.HasPrefix(a, "TC3-HMAC-SHA256 Credential="+tencentSecretID+"/") {
			t.Errorf("Authorization = %q", a)
		}
		if strings.Contains(r.raw, tencentSecret) || strings.Contains(r.header.Get("Authorization"), tencentSecret) {
			t.Error("the secret key went over the wire")
		}
	}
	cases := []providerCase{
		{name: "ok", reply: fakeReply{status: 200, body: tencentOK}, check: wantOK},
		{name: "number limit", reply: fakeReply{status: 200, body: tencentNumLimited}, check: wantLimited("LimitExceeded.PhoneNumberThirtySecondLimit")},
		{name: "daily limit error", reply: fakeReply{status: 200, body: tencentLimitedErr}, check: wantLimited("LimitExceeded.PhoneNumberDailyLimit")},
		{name: "bad signature", reply: fakeReply{status: 200, body: tencentBadSign}, check: wantFailed("FailedOperation.SignatureIncorrectOrUnapproved")},
		{name: "bad number", reply: fakeReply{status: 200, body: tencentNumBad}, check: wantFailed("InvalidParameterValue.IncorrectPhoneNumber")},
		{name: "http 500", reply: fakeReply{status: 500, body: "internal error " + testPhone}, check: wantFailed("HTTP 500")},
		{name: "http 502 json", reply: fakeReply{status: 502, body: `{"error":"bad gateway"}`}, check: wantFailed("请求失败 / request failed")},
		{name: "timeout", reply: fakeReply{hang: true}, timeout: 200 * time.Millisecond, check: wantDeadline},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runProvider(t, f, s, logs, c, checkReq) })
	}
	if !strings.Contains(logs.String(), "138****8000") {
		t.Errorf("log has no masked phone: %s", logs)
	}
}

func strSlice(v any) []string {
	a, _ := v.([]any)
	out := make([]string, 0, len(a))
	for _, x := range a {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// A message that fails Validate never reaches the provider.
func TestProvidersRefuseBadMessages(t *testing.T) {
	fa := newFake(t, parseAliyun)
	ft := newFake(t, parseTencent)
	a, err := NewAliyun(AliyunConfig{AccessKeyID: "a", AccessKeySecret: "b", SignName: "c", TemplateCode: "d", Endpoint: fa.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	tc, err := NewTencent(TencentConfig{SecretID: "a", SecretKey: "b", AppID: "c", SignName: "d", TemplateID: "e", Endpoint: ft.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	bad := []Message{
		{Phone: "1380013800", Code: testCode, Purpose: PurposeLogin},               // 10 digits
		{Phone: "23800138000", Code: testCode, Purpose: PurposeLogin},              // not a mobile
		{Phone: "138001380001", Code: testCode, Purpose: PurposeLogin},             // 12 digits
		{Phone: testPhone + ",13900139000", Code: testCode, Purpose: PurposeLogin}, // a list
		{Phone: testPhone, Code: "12a456", Purpose: PurposeLogin},
		{Phone: testPhone, Code: "123", Purpose: PurposeLogin},
		{Phone: testPhone, Code: "123456789", Purpose: PurposeLogin},
		{Phone: testPhone, Code: testCode, Purpose: "spam"},
	}
	for _, s := range []Sender{a, tc, NewLog(nil, NewOutbox())} {
		for _, m := range bad {
			if err := s.Send(context.Background(), m); err == nil {
				t.Errorf("%s sent %+v", s.Name(), m)
			}
		}
	}
	if n := len(fa.requests()) + len(ft.requests()); n != 0 {
		t.Errorf("%d requests reached the providers", n)
	}
}

func TestEndpoints(t *testing.T) {
	for _, c := range []struct {
		in    string
		host  string
		plain bool
		bad   bool
	}{
		{in: "dysmsapi.aliyuncs.com", host: "dysmsapi.aliyuncs.com"},
		{in: "https://sms.tencentcloudapi.com", host: "sms.tencentcloudapi.com"},
		{in: "http://127.0.0.1:8080/", host: "127.0.0.1:8080", plain: true},
		{in: "ftp://x", bad: true},
		{in: "http://x/path", bad: true},
		{in: "http://u:p@x", bad: true},
		{in: "x/y", bad: true},
		{in: " ", bad: true},
	} {
		host, plain, err := splitEndpoint(c.in)
		if (err != nil) != c.bad || host != c.host || plain != c.plain {
			t.Errorf("splitEndpoint(%q) = %q, %v, %v", c.in, host, plain, err)
		}
	}
}

func TestClean(t *testing.T) {
	got := clean("invalid mobile number 13800138000, code 493817, permits:5\nnext line")
	if strings.Contains(got, "13800138000") || strings.Contains(got, "493817") || strings.Contains(got, "\n") {
		t.Errorf("clean = %q", got)
	}
	if !strings.Contains(got, "permits:5") {
		t.Errorf("clean dropped short numbers: %q", got)
	}
	long := clean(strings.Repeat("流控", 200))
	if len(long) > maxProviderText+len("…") || !strings.HasSuffix(long, "…") {
		t.Errorf("clean did not bound: %d bytes", len(long))
	}
	if !strings.HasPrefix(long, "流控") || strings.ContainsRune(long, '\uFFFD') {
		t.Errorf("clean split a character: %q", long[len(long)-8:])
	}
}
