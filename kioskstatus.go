package checkpoint

import (
	"strconv"
	"strings"
	"time"
)

// KioskStatusHeader is the request header a kiosk puts on its config pull to tell HQ how it
// stands (docs/SYNC.md "Kiosk status"): semicolon-separated key=value pairs, e.g.
//
//	X-Checkpoint-Kiosk-Status: pending=12; quarantined=0; oldest=2026-12-02T01:02:03Z; refused=1; refusal=bad_signature; version=1.4.0; epoch=K7Q2…
//
// Every key is optional; a key HQ does not know is ignored, and so is a value it cannot read
// (that one is unknown), so that neither side needs the other's version. An older kiosk sends
// no header: everything is unknown.
const KioskStatusHeader = "X-Checkpoint-Kiosk-Status"

// MaxKioskStatusLen bounds the header HQ reads; a longer one is ignored whole.
const MaxKioskStatusLen = 512

// KioskStatus is what the header carries. A count is -1 when unknown.
type KioskStatus struct {
	Pending     int64
	Quarantined int64
	Oldest      time.Time // the oldest pending record's time; zero when none or unknown
	Refused     int64     // datasets refused so far
	Refusal     string    // the last refusal's reason code
	Version     string    // the kiosk software's version
	Epoch       string    // HQ's epoch the kiosk last saw (a restored HQ has a new one)
}

// UnknownKioskStatus is the status of a kiosk that sent none.
func UnknownKioskStatus() KioskStatus {
	return KioskStatus{Pending: -1, Quarantined: -1, Refused: -1}
}

// Header formats s for KioskStatusHeader.
func (s KioskStatus) Header() string {
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k + "=" + v)
	}
	if s.Pending >= 0 {
		add("pending", strconv.FormatInt(s.Pending, 10))
	}
	if s.Quarantined >= 0 {
		add("quarantined", strconv.FormatInt(s.Quarantined, 10))
	}
	if !s.Oldest.IsZero() {
		add("oldest", s.Oldest.UTC().Format(time.RFC3339))
	}
	if s.Refused >= 0 {
		add("refused", strconv.FormatInt(s.Refused, 10))
	}
	if token(s.Refusal, 40) {
		add("refusal", s.Refusal)
	}
	if token(s.Version, 40) {
		add("version", s.Version)
	}
	if token(s.Epoch, 64) {
		add("epoch", s.Epoch)
	}
	return b.String()
}

// token reports whether v is a non-empty header token of at most n bytes: letters, digits and
// ._-+ only.
func token(v string, n int) bool {
	if v == "" || len(v) > n {
		return false
	}
	for _, c := range v {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-+", c)
		if !ok {
			return false
		}
	}
	return true
}

// ParseKioskStatus reads a KioskStatusHeader value; what it cannot read stays unknown.
func ParseKioskStatus(v string) KioskStatus {
	s := UnknownKioskStatus()
	if v == "" || len(v) > MaxKioskStatusLen {
		return s
	}
	count := func(x string) int64 {
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil || n < 0 || n > 1<<40 {
			return -1
		}
		return n
	}
	for _, kv := range strings.Split(v, ";") {
		k, x, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			continue
		}
		x = strings.TrimSpace(x)
		switch strings.TrimSpace(k) {
		case "pending":
			s.Pending = count(x)
		case "quarantined":
			s.Quarantined = count(x)
		case "refused":
			s.Refused = count(x)
		case "oldest":
			if t, err := time.Parse(time.RFC3339, x); err == nil {
				s.Oldest = t.UTC()
			}
		case "refusal":
			if token(x, 40) {
				s.Refusal = x
			}
		case "version":
			if token(x, 40) {
				s.Version = x
			}
		case "epoch":
			if token(x, 64) {
				s.Epoch = x
			}
		}
	}
	return s
}
