package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds one provider request when the config gives none.
const DefaultTimeout = 10 * time.Second

// maxProviderText bounds the provider's message quoted in an error.
const maxProviderText = 160

// limitedError is a provider's refusal by its own flow control; it wraps ErrProviderLimited.
func limitedError(provider, code, msg string) error {
	return fmt.Errorf("sms: %s 短信服务商限流 / provider rate limit (%s: %s): %w",
		provider, code, clean(msg), ErrProviderLimited)
}

// refusedError is any other non-OK answer of a provider.
func refusedError(provider, code, msg string) error {
	return fmt.Errorf("sms: %s 拒绝发送 / provider refused (%s: %s)", provider, code, clean(msg))
}

// requestError is a request that got no usable answer. The context's error, when it ended,
// is wrapped so that errors.Is(err, context.DeadlineExceeded) holds. A *url.Error is reduced to
// its operation and cause: its URL may carry the phone and the code (Aliyun sends them in the
// query string).
func requestError(ctx context.Context, provider string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("sms: %s 请求超时或已取消 / request timed out or cancelled: %w", provider, cerr)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return fmt.Errorf("sms: %s 请求失败 / request failed: %s: %s", provider, uerr.Op, clean(uerr.Err.Error()))
	}
	return fmt.Errorf("sms: %s 请求失败 / request failed: %s", provider, clean(err.Error()))
}

// clean makes a provider's text fit for logs: one line, bounded, and every run of 6 or more
// digits (a phone, a code) replaced by ***.
func clean(s string) string {
	var b strings.Builder
	run := 0
	flush := func(d string) {
		if run >= 6 {
			b.WriteString("***")
		} else {
			b.WriteString(d)
		}
		run = 0
	}
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			if run == 0 {
				start = i
			}
			run++
			continue
		}
		if run > 0 {
			flush(s[start:i])
		}
		if c == '\n' || c == '\r' || c == '\t' {
			c = ' '
		}
		b.WriteByte(c)
	}
	if run > 0 {
		flush(s[start:])
	}
	out := strings.TrimSpace(b.String())
	if len(out) > maxProviderText {
		cut := maxProviderText
		for cut > 0 && out[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		out = out[:cut] + "…"
	}
	return out
}

// splitEndpoint takes "host[:port]" or "http(s)://host[:port]" and returns the host and
// whether to speak plain HTTP.
func splitEndpoint(endpoint string) (host string, plain bool, err error) {
	endpoint = strings.TrimSpace(endpoint)
	if !strings.Contains(endpoint, "://") {
		if endpoint == "" || strings.ContainsAny(endpoint, "/?#@ ") {
			return "", false, fmt.Errorf("sms: 端点无效 / invalid endpoint %q", endpoint)
		}
		return endpoint, false, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", false, fmt.Errorf("sms: 端点无效 / invalid endpoint %q", endpoint)
	}
	switch u.Scheme {
	case "http":
		return u.Host, true, nil
	case "https":
		return u.Host, false, nil
	}
	return "", false, fmt.Errorf("sms: 端点须为 http 或 https / the endpoint must be http or https: %q", endpoint)
}

// logResult writes one masked line about a provider's attempt.
func logResult(ctx context.Context, logger *slog.Logger, provider string, m Message, took time.Duration, err error) {
	if logger == nil {
		return
	}
	attrs := []slog.Attr{slog.String("provider", provider), slog.String("phone", MaskPhone(m.Phone)),
		slog.String("purpose", string(m.Purpose)), slog.Duration("took", took)}
	if err != nil {
		attrs = append(attrs, slog.Bool("limited", errors.Is(err, ErrProviderLimited)), slog.String("err", err.Error()))
		logger.LogAttrs(ctx, slog.LevelWarn, "sms: 验证码短信发送失败 / code SMS failed", attrs...)
		return
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "sms: 验证码短信已发送 / code SMS sent", attrs...)
}
