package sms

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func aliyunEnv() map[string]string {
	return map[string]string{
		EnvAliyunAccessKeyID:     aliyunKeyID,
		EnvAliyunAccessKeySecret: aliyunSecret,
		EnvAliyunSignName:        "吉事办",
		EnvAliyunTemplateCode:    "SMS_465890123",
	}
}

func tencentEnv() map[string]string {
	return map[string]string{
		EnvTencentSecretID:   tencentSecretID,
		EnvTencentSecretKey:  tencentSecret,
		EnvTencentAppID:      "1400787878",
		EnvTencentSignName:   "吉事办",
		EnvTencentTemplateID: "1938271",
	}
}

func TestFromEnvMissing(t *testing.T) {
	for kind, full := range map[string]map[string]string{"aliyun": aliyunEnv(), "tencent": tencentEnv()} {
		for name := range full {
			env := map[string]string{}
			for k, v := range full {
				if k != name {
					env[k] = v
				}
			}
			env[name] = "  " // blank counts as missing
			_, err := FromEnv(kind, envOf(env), nil, nil)
			var me *MissingEnvError
			if !errors.As(err, &me) {
				t.Fatalf("%s without %s: err = %v, want *MissingEnvError", kind, name, err)
			}
			if len(me.Names) != 1 || me.Names[0] != name || !strings.Contains(err.Error(), name) {
				t.Errorf("%s without %s: %v", kind, name, err)
			}
			if !strings.Contains(err.Error(), "缺少环境变量") || !strings.Contains(err.Error(), "needs environment variable") {
				t.Errorf("not bilingual: %v", err)
			}
			noLeak(t, "error", err.Error())
		}
		// Nothing set: every required variable named at once.
		_, err := FromEnv(kind, envOf(nil), nil, nil)
		for name := range full {
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s with no environment: %v does not name %s", kind, err, name)
			}
		}
	}
}

func TestFromEnvKinds(t *testing.T) {
	f := newFake(t, parseAliyun)
	f.set(fakeReply{status: 200, body: aliyunOK})
	env := aliyunEnv()
	env[EnvAliyunEndpoint] = f.srv.URL
	logger, logs := testLogger()
	s, err := FromEnv("aliyun", envOf(env), logger, nil)
	if err != nil || s.Name() != "aliyun" {
		t.Fatalf("aliyun: %v, %v", s, err)
	}
	if err := s.Send(context.Background(), Message{Phone: testPhone, Code: testCode, Purpose: PurposeLogin}); err != nil {
		t.Fatal(err)
	}
	if r := f.requests(); len(r) != 1 || r[0].params["PhoneNumbers"] != testPhone {
		t.Errorf("the endpoint variable was not used: %v", r)
	}

	ft := newFake(t, parseTencent)
	ft.set(fakeReply{status: 200, body: tencentOK})
	tenv := tencentEnv()
	tenv[EnvTencentEndpoint] = ft.srv.URL
	tenv[EnvTencentRegion] = "ap-beijing"
	s, err = FromEnv("tencent", envOf(tenv), logger, nil)
	if err != nil || s.Name() != "tencent" {
		t.Fatalf("tencent: %v, %v", s, err)
	}
	if err := s.Send(context.Background(), Message{Phone: testPhone, Code: testCode, Purpose: PurposeLogin}); err != nil {
		t.Fatal(err)
	}
	if r := ft.requests(); len(r) != 1 || r[0].params["_region"] != "ap-beijing" {
		t.Errorf("the region variable was not used: %v", r)
	}
	noLeak(t, "log", logs.String())

	ob := NewOutbox()
	for _, kind := range []string{"", "log", "LOG"} {
		s, err := FromEnv(kind, envOf(nil), nil, ob)
		if err != nil || s.Name() != "log" {
			t.Fatalf("%q: %v, %v", kind, s, err)
		}
	}
	s, _ = FromEnv("log", envOf(nil), nil, ob)
	_ = s.Send(context.Background(), Message{Phone: testPhone, Code: testCode, Purpose: PurposeLogin})
	if len(ob.Messages(testPhone)) != 1 {
		t.Error("the log sender from FromEnv does not fill the outbox")
	}

	if _, err := FromEnv("twilio", envOf(nil), nil, nil); err == nil || !strings.Contains(err.Error(), "twilio") {
		t.Errorf("unknown kind: %v", err)
	}
	env[EnvAliyunEndpoint] = "ftp://x"
	if _, err := FromEnv("aliyun", envOf(env), nil, nil); err == nil {
		t.Error("a bad endpoint was accepted")
	}
	env = aliyunEnv()
	env[EnvAliyunAccessKeySecret] = strings.Repeat("s", maxEnvValue+1)
	if _, err := FromEnv("aliyun", envOf(env), nil, nil); err == nil || !strings.Contains(err.Error(), EnvAliyunAccessKeySecret) ||
		strings.Contains(err.Error(), "sss") {
		t.Errorf("an oversized secret: %v", err)
	}
}
