package sms

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLogSenderMasks(t *testing.T) {
	logger, logs := testLogger()
	for _, outbox := range []*Outbox{nil, NewOutbox()} {
		s := NewLog(logger, outbox)
		if s.Name() != "log" {
			t.Errorf("Name = %q", s.Name())
		}
		if err := s.Send(context.Background(), Message{Phone: testPhone, Code: testCode, Purpose: PurposeAssist}); err != nil {
			t.Fatal(err)
		}
	}
	out := logs.String()
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("%d log lines for 2 messages:\n%s", n, out)
	}
	if !strings.Contains(out, "phone=138****8000") || !strings.Contains(out, "purpose=assist") {
		t.Errorf("log lacks the masked phone or purpose:\n%s", out)
	}
	noLeak(t, "log", out)
}

func TestLogSenderOutbox(t *testing.T) {
	ob := NewOutbox()
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	ob.now = func() time.Time { return at }
	s := NewLog(nil, ob)
	if err := s.Send(context.Background(), Message{Phone: testPhone, Code: "123456", Purpose: PurposeRegister}); err != nil {
		t.Fatal(err)
	}
	got := ob.Messages(testPhone)
	want := Sent{Phone: testPhone, Code: "123456", Purpose: PurposeRegister,
		Text: "【吉事办】您的验证码为123456，5分钟内有效。请勿泄露。", SentAt: at}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("Messages = %+v, want [%+v]", got, want)
	}
	if other := ob.Messages("13900139000"); len(other) != 0 {
		t.Errorf("another phone sees %v", other)
	}
	// A cancelled context sends nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Send(ctx, Message{Phone: testPhone, Code: "654321", Purpose: PurposeLogin}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send on a cancelled context = %v", err)
	}
	if n := len(ob.Messages(testPhone)); n != 1 {
		t.Errorf("%d messages after a cancelled send, want 1", n)
	}
}

func phoneN(i int) string { return fmt.Sprintf("139%08d", i) }

func TestOutboxBounds(t *testing.T) {
	ob := NewOutbox()
	// One phone: only its last OutboxPerPhone remain, oldest first.
	for i := range 30 {
		ob.Add(Message{Phone: testPhone, Code: fmt.Sprintf("%06d", i), Purpose: PurposeLogin})
	}
	got := ob.Messages(testPhone)
	if len(got) != OutboxPerPhone {
		t.Fatalf("%d messages kept for one phone, want %d", len(got), OutboxPerPhone)
	}
	if got[0].Code != "000010" || got[len(got)-1].Code != "000029" {
		t.Errorf("kept %s..%s, want 000010..000029", got[0].Code, got[len(got)-1].Code)
	}
	// Many phones: the total stays at OutboxTotal and the oldest go first.
	for i := range 300 {
		ob.Add(Message{Phone: phoneN(i), Code: "111111", Purpose: PurposeRegister})
	}
	if n := ob.Len(); n != OutboxTotal {
		t.Errorf("Len = %d, want %d", n, OutboxTotal)
	}
	if n := len(ob.Messages(testPhone)); n != 0 {
		t.Errorf("the oldest phone still has %d messages", n)
	}
	if n := len(ob.Messages(phoneN(99))); n != 0 {
		t.Errorf("phone 99 still has %d messages", n)
	}
	if n := len(ob.Messages(phoneN(100))); n != 1 {
		t.Errorf("phone 100 has %d messages, want 1", n)
	}
	rec := ob.Recent(3)
	if len(rec) != 3 || rec[0].Phone != phoneN(299) || rec[2].Phone != phoneN(297) {
		t.Errorf("Recent(3) = %v", rec)
	}
	if n := len(ob.Recent(0)); n != OutboxTotal {
		t.Errorf("Recent(0) has %d", n)
	}
	// Per-phone counting survives the total's evictions: phone 299 fills to its bound.
	for range 25 {
		ob.Add(Message{Phone: phoneN(299), Code: "222222", Purpose: PurposeLogin})
	}
	if n := len(ob.Messages(phoneN(299))); n != OutboxPerPhone {
		t.Errorf("phone 299 has %d, want %d", n, OutboxPerPhone)
	}
	if n := ob.Len(); n != OutboxTotal {
		t.Errorf("Len = %d, want %d", n, OutboxTotal)
	}
	ob.mu.Lock()
	sum := 0
	for _, c := range ob.count {
		sum += c
	}
	ob.mu.Unlock()
	if sum != OutboxTotal {
		t.Errorf("per-phone counts add up to %d, want %d", sum, OutboxTotal)
	}
}

func TestOutboxConcurrent(t *testing.T) {
	ob := NewOutboxSize(50, 5)
	s := NewLog(nil, ob)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				_ = s.Send(context.Background(), Message{Phone: phoneN(g*10 + i%10), Code: "333333", Purpose: PurposeLogin})
				_ = ob.Messages(phoneN(g * 10))
			}
		})
	}
	wg.Wait()
	if n := ob.Len(); n != 50 {
		t.Errorf("Len = %d, want 50", n)
	}
	for i := range 80 {
		if n := len(ob.Messages(phoneN(i))); n > 5 {
			t.Errorf("phone %d has %d > 5", i, n)
		}
	}
}

func TestMaskPhoneAndText(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678": "138****5678", "": "***", "1381234567": "***", "1381234567a": "***",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Text(Message{Code: "123456"}); got != "【吉事办】您的验证码为123456，5分钟内有效。请勿泄露。" {
		t.Errorf("Text = %q", got)
	}
}
