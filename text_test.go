package checkpoint

import (
	"errors"
	"testing"
	"time"
)

func TestCleanText(t *testing.T) {
	for _, tt := range []struct {
		s         string
		multiline bool
		want      bool
	}{
		{"永吉县一号卡口", false, true},
		{"", false, true},
		{"a\x00b", false, false},
		{"a\x00b", true, false},
		{"line\nbreak", false, false},
		{"line\nbreak\ttab", true, true},
		{"esc\x1b[31m", true, false},
		{"c1\u0085", true, false},
		{"sep\u2028", true, false},
		{"bad\xffutf8", false, false},
	} {
		if got := CleanText(tt.s, tt.multiline); got != tt.want {
			t.Errorf("CleanText(%q, %v) = %v; want %v", tt.s, tt.multiline, got, tt.want)
		}
	}
}

// A NUL byte in a site edit is what made PostgreSQL refuse a whole batch: the domain's checks,
// which kiosk and HQ both run, refuse it first.
func TestControlCharactersRefused(t *testing.T) {
	s := Site{ID: "s1", Name: "卡口\x00", Address: "永吉", Contact: "王", Phone: "1", Active: true}
	if err := s.Validate(); !errors.Is(err, ErrInvalidSite) {
		t.Errorf("Site with NUL in name: Validate = %v; want ErrInvalidSite", err)
	}
	s.Name, s.Remarks = "卡口", "第一行\n第二行"
	if err := s.Validate(); err != nil {
		t.Errorf("Site with a two-line remark: Validate = %v; want nil", err)
	}
	r := Record{ID: "r\x00", Kind: KindCheck, DeviceID: "d", SiteID: "s", CreatedAt: time.Now(), Body: []byte(`{}`)}
	if err := r.Validate(); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("Record with NUL in id: Validate = %v; want ErrInvalidRecord", err)
	}
	st := Staff{ID: "st", Role: RoleScanner, SiteID: "s\x1b", PhoneLookup: "h", PasswordHash: "p"}
	if err := st.Validate(); !errors.Is(err, ErrInvalidStaff) {
		t.Errorf("Staff with ESC in site id: Validate = %v; want ErrInvalidStaff", err)
	}
}
