package checkpoint

import (
	"strings"
	"testing"
	"time"
)

// TestKioskStatusHeader: a status survives the header; what cannot be read stays unknown (-1,
// zero, ""), unknown keys are ignored, an over-long header is ignored whole.
func TestKioskStatusHeader(t *testing.T) {
	s := KioskStatus{Pending: 12, Quarantined: 0, Oldest: time.Date(2026, 12, 2, 1, 2, 3, 0, time.UTC), Refused: 1, Refusal: "bad_signature", Version: "1.4.0", Epoch: "K7Q2ZJ5MXW3T"}
	h := s.Header()
	if h != "pending=12; quarantined=0; oldest=2026-12-02T01:02:03Z; refused=1; refusal=bad_signature; version=1.4.0; epoch=K7Q2ZJ5MXW3T" {
		t.Fatalf("header = %q", h)
	}
	if got := ParseKioskStatus(h); got != s {
		t.Fatalf("parsed = %+v; want %+v", got, s)
	}
	if got := UnknownKioskStatus().Header(); got != "" {
		t.Fatalf("unknown status header = %q", got)
	}
	for v, want := range map[string]KioskStatus{
		"":                                UnknownKioskStatus(),
		"pending=-3; refused=x; future=1": UnknownKioskStatus(),
		"pending=5;oldest=yesterday":      {Pending: 5, Quarantined: -1, Refused: -1},
		"version=1.0 (beta); refusal=a b; quarantined=2":       {Pending: -1, Quarantined: 2, Refused: -1},
		"pending=1; " + strings.Repeat("x", MaxKioskStatusLen): UnknownKioskStatus(),
	} {
		if got := ParseKioskStatus(v); got != want {
			t.Errorf("ParseKioskStatus(%q) = %+v; want %+v", v, got, want)
		}
	}
	// A version or reason HQ could not read back is not sent.
	if h := (KioskStatus{Pending: -1, Quarantined: -1, Refused: -1, Version: "v 1", Refusal: "x;y"}).Header(); h != "" {
		t.Errorf("header with unreadable values = %q", h)
	}
}
