package citizen

import (
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	checkpoint "github.com/yongji-county/checkpoint"
)

// Stable error codes (Error.Code). The parsers' codes are checkpoint.ErrorKind's names with
// the field in front: id_length, id_character, id_date, id_region, id_check, name_length,
// name_character.
const (
	CodePhoneInvalid     = "phone_invalid"
	CodePurposeInvalid   = "purpose_invalid"
	CodePasswordLength   = "password_length"
	CodePasswordWeak     = "password_weak"
	CodeSMSCodeFormat    = "sms_code_format"
	CodeSMSCodeWrong     = "sms_code_wrong"
	CodeSMSCodeExhausted = "sms_code_exhausted"
	CodePhoneTaken       = "phone_taken"
	CodeIDTaken          = "id_number_taken"
	CodeSMSLimited       = "sms_limited"
	CodeSMSUnavailable   = "sms_unavailable"
	CodeLoginFailed      = "login_failed"
	CodeLoginLocked      = "login_locked"
	CodeLoginLimited     = "login_limited"
	CodeSessionInvalid   = "session_invalid"
	CodeCodeUnavailable  = "code_unavailable"
)

// Field names (Error.Field).
const (
	FieldPhone    = "phone"
	FieldSMSCode  = "sms_code"
	FieldPassword = "password"
	FieldName     = "name"
	FieldIDNumber = "id_number"
	FieldPurpose  = "purpose"
)

// Password rules.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 64
)

func newError(kind Kind, code, field, zh, en string) *Error {
	return &Error{Kind: kind, Code: code, Field: field, Zh: zh, En: en}
}

// AsError returns err as an *Error, if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// fromParser turns a checkpoint parser's error into a KindInvalid Error with the domain core's
// own message.
func fromParser(field, prefix string, err error) *Error {
	kind := checkpoint.ErrorKind(err)
	m := checkpoint.MessageFor(kind)
	code := kind
	if prefix != "" {
		code = prefix + "_" + kind
	}
	if field == FieldPhone {
		code = CodePhoneInvalid
	}
	return newError(KindInvalid, code, field, m.ZH, m.EN)
}

func parsePhone(s string) (checkpoint.Phone, *Error) {
	if len(s) > 32 {
		return checkpoint.Phone{}, fromParser(FieldPhone, "", checkpoint.ErrPhone)
	}
	p, err := checkpoint.ParsePhone(s)
	if err != nil {
		return p, fromParser(FieldPhone, "", err)
	}
	return p, nil
}

func parseName(s string) (checkpoint.Name, *Error) {
	if len(s) > 4*checkpoint.MaxNameLen+64 {
		return checkpoint.Name{}, fromParser(FieldName, "", checkpoint.ErrNameLength)
	}
	n, err := checkpoint.ParseName(s)
	if err != nil {
		return n, fromParser(FieldName, "", err)
	}
	return n, nil
}

func parseID(s string, now time.Time) (checkpoint.ResidentID, *Error) {
	if len(s) > 64 {
		return checkpoint.ResidentID{}, fromParser(FieldIDNumber, "id", checkpoint.ErrIDLength)
	}
	id, err := checkpoint.ParseResidentIDAt(s, now)
	if err != nil {
		return id, fromParser(FieldIDNumber, "id", err)
	}
	return id, nil
}

// checkPassword applies the password rules: 8 to 64 characters, at least one letter and one
// digit, no control characters.
func checkPassword(pw string) *Error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen || n > MaxPasswordLen || !utf8.ValidString(pw) {
		return newError(KindInvalid, CodePasswordLength, FieldPassword,
			"密码应为8至64位，且同时包含字母和数字", "a password has 8 to 64 characters, with both letters and digits")
	}
	var letter, digit bool
	for _, r := range pw {
		switch {
		case unicode.IsControl(r):
			return newError(KindInvalid, CodePasswordWeak, FieldPassword,
				"密码不能包含控制字符，应为8至64位且同时包含字母和数字", "a password may not hold control characters; it has 8 to 64 characters, with both letters and digits")
		case r < utf8.RuneSelf && unicode.IsDigit(r):
			digit = true
		case unicode.IsLetter(r):
			letter = true
		}
	}
	if !letter || !digit {
		return newError(KindInvalid, CodePasswordWeak, FieldPassword,
			"密码须同时包含字母和数字（8至64位）", "a password must hold both letters and digits (8 to 64 characters)")
	}
	return nil
}

func errCodeFormat() *Error {
	return newError(KindInvalid, CodeSMSCodeFormat, FieldSMSCode, "验证码应为6位数字", "a verification code has 6 digits")
}

func errCodeWrong() *Error {
	return newError(KindInvalid, CodeSMSCodeWrong, FieldSMSCode,
		"验证码错误或已过期，请核对或重新获取", "wrong or expired verification code: check it or ask for a new one")
}

func errCodeExhausted() *Error {
	return newError(KindInvalid, CodeSMSCodeExhausted, FieldSMSCode,
		"验证码错误次数过多，已失效，请重新获取", "too many wrong tries: the code no longer works, ask for a new one")
}

func errPurpose() *Error {
	return newError(KindInvalid, CodePurposeInvalid, FieldPurpose, "验证码用途无效", "unknown purpose of the verification code")
}

func errPhoneTaken() *Error {
	return newError(KindConflict, CodePhoneTaken, FieldPhone,
		"该手机号已注册，请直接登录", "this phone already has an account: log in instead")
}

func errIDTaken() *Error {
	return newError(KindConflict, CodeIDTaken, FieldIDNumber,
		"该身份证号码已注册账号，请用注册时的手机号登录", "this ID number already has an account: log in with the phone it was registered with")
}

func errSMSLimited(wait time.Duration) *Error {
	e := newError(KindLimited, CodeSMSLimited, FieldPhone,
		fmt.Sprintf("获取验证码过于频繁，请%s后再试", zhWait(wait)), fmt.Sprintf("too many codes asked for: try again in %s", enWait(wait)))
	e.RetryAfter = wait
	return e
}

func errSMSUnavailable(wait time.Duration) *Error {
	e := newError(KindUnavailable, CodeSMSUnavailable, FieldPhone,
		"短信发送失败，请稍后再试", "the text message could not be sent, try again later")
	e.RetryAfter = wait
	return e
}

func errLoginFailed() *Error {
	return newError(KindUnauthorized, CodeLoginFailed, "", "手机号或密码错误", "wrong phone or password")
}

func errLoginLocked(until time.Time, wait time.Duration) *Error {
	t := until.In(checkpoint.ChinaTime).Format("15:04")
	e := newError(KindLimited, CodeLoginLocked, FieldPhone,
		fmt.Sprintf("登录失败次数过多，账号已锁定至%s（北京时间），请稍后再试或找回密码", t),
		fmt.Sprintf("too many failed logins: the account is locked until %s China time; try later or reset the password", t))
	e.RetryAfter = wait
	return e
}

func errLoginLimited(wait time.Duration) *Error {
	e := newError(KindLimited, CodeLoginLimited, "",
		fmt.Sprintf("本网络登录失败次数过多，请%s后再试", zhWait(wait)),
		fmt.Sprintf("too many failed logins from this network: try again in %s", enWait(wait)))
	e.RetryAfter = wait
	return e
}

func errSession() *Error {
	return newError(KindUnauthorized, CodeSessionInvalid, "", "登录已失效，请重新登录", "not logged in or the session has ended: log in again")
}

func errCodeUnavailable() *Error {
	return newError(KindUnavailable, CodeCodeUnavailable, "", "暂时无法生成吉祥码，请稍后再试", "the code cannot be made right now, try again later")
}

// zhWait and enWait say a wait in whole seconds, minutes or hours (rounded up).
func zhWait(d time.Duration) string {
	switch {
	case d <= time.Minute:
		return fmt.Sprintf("%d秒", ceil(d, time.Second))
	case d <= time.Hour:
		return fmt.Sprintf("%d分钟", ceil(d, time.Minute))
	default:
		return fmt.Sprintf("%d小时", ceil(d, time.Hour))
	}
}

func enWait(d time.Duration) string {
	switch {
	case d <= time.Minute:
		return fmt.Sprintf("%d s", ceil(d, time.Second))
	case d <= time.Hour:
		return fmt.Sprintf("%d min", ceil(d, time.Minute))
	default:
		return fmt.Sprintf("%d h", ceil(d, time.Hour))
	}
}

func ceil(d, unit time.Duration) int64 {
	n := int64((d + unit - 1) / unit)
	if n < 1 {
		n = 1
	}
	return n
}
