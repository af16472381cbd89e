package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParsePhone(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"13812341234", "13812341234", nil},
		{"+8613812341234", "13812341234", nil},
		{"+86 138 1234 1234", "13812341234", nil},
		{"8613812341234", "13812341234", nil},
		{"008613812341234", "13812341234", nil},
		{"138-1234-1234", "13812341234", nil},
		{"19912341234", "19912341234", nil},
		{"12812341234", "", ErrPhone}, // 12x is not a mobile prefix
		{"23812341234", "", ErrPhone},
		{"1381234123", "", ErrPhone},
		{"138123412345", "", ErrPhone},
		{"1381234123a", "", ErrPhone},
		{"+85213812341234", "", ErrPhone},
		{"", "", ErrPhone},
		{"８６13812341234", "", ErrPhone},
	}
	for _, tt := range tests {
		p, err := ParsePhone(tt.in)
		if !errors.Is(err, tt.err) || p.Full() != tt.want {
			t.Errorf("ParsePhone(%q) = %q, %v; want %q, %v", tt.in, p.Full(), err, tt.want, tt.err)
		}
	}
}

func TestPhoneMasked(t *testing.T) {
	p, _ := ParsePhone("13812341234")
	if got := p.Masked(); got != "138****1234" {
		t.Errorf("Masked() = %q; want 138****1234", got)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "phone", p)
	for _, s := range []string{buf.String(), fmt.Sprintf("%v %s %#v", p, p, p)} {
		if strings.Contains(s, "13812341234") || !strings.Contains(s, "138****1234") {
			t.Errorf("formatted phone not masked: %s", s)
		}
	}
}
