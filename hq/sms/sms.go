package sms

import (
	"context"
	"errors"
	"strconv"
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

// CodeMinutes is how long a code is valid, as the SMS text says (and Tencent's second
// template parameter).
const CodeMinutes = 5

// Size limits of a Message: a mainland mobile number and a numeric code.
const (
	PhoneLen   = 11
	MinCodeLen = 4
	MaxCodeLen = 8
)

// Validate checks m before it goes to a provider: an 11-digit mobile number starting with 1,
// a numeric code of 4 to 8 digits and a known purpose.
func Validate(m Message) error {
	if len(m.Phone) != PhoneLen || m.Phone[0] != '1' || !digits(m.Phone) {
		return errors.New("sms: 手机号须为11位数字 / the phone must be 11 digits")
	}
	if len(m.Code) < MinCodeLen || len(m.Code) > MaxCodeLen || !digits(m.Code) {
		return errors.New("sms: 验证码须为4至8位数字 / the code must be 4 to 8 digits")
	}
	switch m.Purpose {
	case PurposeRegister, PurposeLogin, PurposeReset, PurposeAssist:
	default:
		return errors.New("sms: 未知的验证码用途 / unknown purpose")
	}
	return nil
}

// Text is the full SMS a citizen receives for m, as the providers' templates render it.
func Text(m Message) string {
	return "【吉事办】您的验证码为" + m.Code + "，" + strconv.Itoa(CodeMinutes) + "分钟内有效。请勿泄露。"
}

// MaskPhone keeps a phone's first three and last four digits: 138****5678. Anything that is
// not an 11-character number comes back as "***".
func MaskPhone(phone string) string {
	if len(phone) != PhoneLen || !digits(phone) {
		return "***"
	}
	return phone[:3] + "****" + phone[7:]
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
