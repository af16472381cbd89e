package checkpoint

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// ErrPhone is returned by ParsePhone for anything that is not a mainland mobile number.
var ErrPhone = errors.New("phone: not a mainland mobile number (11 digits starting 13-19)")

// Phone is a validated mainland China mobile number in its 11-digit form. It prints and logs only
// its masked form; Full returns the whole number.
type Phone struct {
	v string
}

// ParsePhone accepts an 11-digit mobile number matching 1[3-9]\d{9}, optionally written with
// spaces or dashes and a +86, 86 or 0086 country prefix, and normalises it to the 11 digits.
func ParsePhone(s string) (Phone, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\u3000', '\t':
			return -1
		}
		return r
	}, s)
	switch {
	case strings.HasPrefix(s, "+86"):
		s = s[3:]
	case strings.HasPrefix(s, "0086") && len(s) == 15:
		s = s[4:]
	case strings.HasPrefix(s, "86") && len(s) == 13:
		s = s[2:]
	}
	if len(s) != 11 || !allDigits(s) || s[0] != '1' || s[1] < '3' {
		return Phone{}, ErrPhone
	}
	return Phone{v: s}, nil
}

// IsZero reports whether p is the zero value (no phone).
func (p Phone) IsZero() bool { return p.v == "" }

// Full returns the 11 digits. Use it only where the number itself is needed (SMS, sealing to HQ).
func (p Phone) Full() string { return p.v }

// Masked returns the number with the middle four digits hidden, e.g. "138****1234".
func (p Phone) Masked() string {
	if p.v == "" {
		return ""
	}
	return p.v[:3] + "****" + p.v[7:]
}

// String returns the masked form.
func (p Phone) String() string { return p.Masked() }

// GoString returns the masked form for %#v.
func (p Phone) GoString() string { return fmt.Sprintf("Phone(%q)", p.Masked()) }

// LogValue implements slog.LogValuer: logs carry the masked form only.
func (p Phone) LogValue() slog.Value { return slog.StringValue(p.Masked()) }
