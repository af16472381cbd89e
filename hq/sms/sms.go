// Package sms sends the verification codes of 吉事办 and the kiosk's 辅助登记 through an SMS
// gateway: Aliyun (dysmsapi), Tencent Cloud (sms) or log (the default; a masked line, and in
// demo mode an outbox the demo pages read).
package sms

import (
	"context"
	"errors"
)

// Purpose says what a code is for; it picks the provider's template.
type Purpose string

const (
	PurposeRegister Purpose = "register"
	PurposeLogin    Purpose = "login"
	PurposeReset    Purpose = "reset"
	// PurposeAssist is the code a kiosk's 辅助登记 asks HQ to send.
	PurposeAssist Purpose = "assist"
)

// Message is one verification code to one phone (11 digits, mainland China).
type Message struct {
	Phone   string
	Code    string
	Purpose Purpose
}

// Sender delivers a Message. Implementations are safe for concurrent use.
type Sender interface {
	// Name is the provider's name for logs and metrics: "aliyun", "tencent" or "log".
	Name() string
	// Send delivers m, or returns an error; a provider's own flow control is ErrProviderLimited
	// (wrapped), anything else a failure the caller may report as "try again later".
	Send(ctx context.Context, m Message) error
}

// ErrProviderLimited marks a provider refusing a message by its own rate limit.
var ErrProviderLimited = errors.New("sms: provider rate limit")
