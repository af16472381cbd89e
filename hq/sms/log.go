package sms

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Outbox bounds, the defaults of NewOutbox.
const (
	OutboxTotal    = 200 // messages kept in all
	OutboxPerPhone = 20  // messages kept per phone
)

// Sent is one message the log sender delivered to the outbox (demo mode only: it holds the
// code in clear).
type Sent struct {
	Phone   string
	Code    string
	Purpose Purpose
	Text    string // the full SMS, e.g. 【吉事办】您的验证码为123456，5分钟内有效。请勿泄露。
	SentAt  time.Time
}

// Outbox keeps the last messages of the log sender for the demo pages and GET /api/v1/dev/sms:
// at most total in all and perPhone per phone, the oldest dropped first. Safe for concurrent use.
type Outbox struct {
	mu       sync.Mutex
	total    int
	perPhone int
	msgs     []Sent // oldest first
	count    map[string]int
	now      func() time.Time
}

// NewOutbox is an Outbox of OutboxTotal messages, OutboxPerPhone per phone.
func NewOutbox() *Outbox { return NewOutboxSize(OutboxTotal, OutboxPerPhone) }

// NewOutboxSize is an Outbox of the given bounds (each at least 1).
func NewOutboxSize(total, perPhone int) *Outbox {
	total, perPhone = max(total, 1), max(perPhone, 1)
	return &Outbox{total: total, perPhone: perPhone, count: map[string]int{}, now: time.Now}
}

// Add appends m as sent now, dropping the phone's oldest message beyond the per-phone bound
// and the oldest of all beyond the total.
func (o *Outbox) Add(m Message) {
	s := Sent{Phone: m.Phone, Code: m.Code, Purpose: m.Purpose, Text: Text(m)}
	o.mu.Lock()
	defer o.mu.Unlock()
	s.SentAt = o.now()
	if o.count[m.Phone] >= o.perPhone {
		for i := range o.msgs {
			if o.msgs[i].Phone == m.Phone {
				o.drop(i)
				break
			}
		}
	}
	if len(o.msgs) >= o.total {
		o.drop(0)
	}
	o.msgs = append(o.msgs, s)
	o.count[m.Phone]++
}

func (o *Outbox) drop(i int) {
	p := o.msgs[i].Phone
	o.msgs = append(o.msgs[:i], o.msgs[i+1:]...)
	if o.count[p]--; o.count[p] <= 0 {
		delete(o.count, p)
	}
}

// Messages is what was sent to phone, oldest first (a copy).
func (o *Outbox) Messages(phone string) []Sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []Sent
	for _, s := range o.msgs {
		if s.Phone == phone {
			out = append(out, s)
		}
	}
	return out
}

// Recent is the last n messages to any phone, newest first (a copy); n <= 0 means all kept.
func (o *Outbox) Recent(n int) []Sent {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n <= 0 || n > len(o.msgs) {
		n = len(o.msgs)
	}
	out := make([]Sent, 0, n)
	for i := len(o.msgs) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, o.msgs[i])
	}
	return out
}

// Len is the number of messages kept.
func (o *Outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.msgs)
}

type logSender struct {
	logger *slog.Logger
	outbox *Outbox
}

// NewLog is the default Sender: it sends nothing, writes one line per message with the phone
// masked and never the code, and in demo mode (outbox non-nil) appends the message to outbox.
// A nil logger is slog.Default().
func NewLog(logger *slog.Logger, outbox *Outbox) Sender {
	if logger == nil {
		logger = slog.Default()
	}
	return &logSender{logger: logger, outbox: outbox}
}

func (s *logSender) Name() string { return "log" }

func (s *logSender) Send(ctx context.Context, m Message) error {
	if err := Validate(m); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.outbox != nil {
		s.outbox.Add(m)
	}
	s.logger.LogAttrs(ctx, slog.LevelInfo, "sms: 验证码短信（仅记录，未发送） / code SMS logged, not sent",
		slog.String("provider", "log"), slog.String("phone", MaskPhone(m.Phone)),
		slog.String("purpose", string(m.Purpose)), slog.Bool("outbox", s.outbox != nil))
	return nil
}
