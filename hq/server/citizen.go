package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/citizen"
	"github.com/yongji-county/checkpoint/hq/internal/httpx"
	"github.com/yongji-county/checkpoint/hq/sms"
	"github.com/yongji-county/checkpoint/hq/web"
)

// Citizen turns on 吉事办: the citizen pages at "/", their JSON API under /api/v1/citizen/, and
// the SMS codes of the kiosks' 辅助登记 (POST /api/v1/assist/…).
type Citizen struct {
	// SMS sends the codes. Nil: the log sender (a masked line per message; into Outbox too).
	SMS sms.Sender
	// Outbox is set in demo mode only: it keeps the messages sent, which the pages show behind
	// a "demo SMS" link and GET /api/v1/dev/sms returns. Nil: that endpoint answers 404.
	Outbox *sms.Outbox
	// Secure says the pages are served over TLS (by HQ or a proxy in front): cookies get Secure.
	Secure bool
}

// citizenMounts builds the citizen core over core and the pages' handler, and gives the kiosk
// API the core for 辅助登记.
func citizenMounts(core *hq.Server, c Citizen, trusted httpx.ClientAddr, log *slog.Logger) ([]Mount, error) {
	sender := c.SMS
	if sender == nil {
		sender = sms.NewLog(log, c.Outbox)
	}
	svc, err := citizen.New(citizen.Config{DB: core.DB(), Sender: sender, Issuer: issuer{core}, Now: core.Now, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("citizen: %w", err)
	}
	core.SetCitizens(svc)
	cfg := web.Config{Citizens: svc, ClientIP: trusted.Of, Secure: c.Secure, Logger: log, Now: core.Now}
	if c.Outbox != nil {
		out := c.Outbox
		cfg.Demo = true
		cfg.DemoSMS = func(phone string) []web.DemoMessage {
			var ms []web.DemoMessage
			for _, m := range out.Messages(phone) {
				ms = append(ms, web.DemoMessage{Text: m.Text, Code: m.Code, Purpose: string(m.Purpose), SentAt: m.SentAt})
			}
			return ms
		}
	}
	h, err := web.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("citizen pages: %w", err)
	}
	mounts := []Mount{{Pattern: "/", Handler: httpx.Logged(log, "web", "pages", h)}}
	for _, p := range web.APIRoutes(cfg.Demo) {
		mounts = append(mounts, Mount{Pattern: p, Handler: httpx.Logged(log, "web", p, h)})
	}
	return mounts, nil
}

// issuer issues a citizen's live code through the core. The household stays the one HQ holds
// for the person (for a new person, the region of the ID number).
type issuer struct{ core *hq.Server }

func (i issuer) IssueLive(ctx context.Context, name, idNumber, _ string) (citizen.Issued, error) {
	r, err := i.core.IssueCode(ctx, hq.IssueRequest{Name: name, IDNumber: idNumber, Kind: "live"})
	if err != nil {
		return citizen.Issued{}, err
	}
	return citizen.Issued{Code: r.Code, Status: r.Status, Reason: r.Reason, Household: r.Household, ExpiresAt: r.ExpiresAt}, nil
}
