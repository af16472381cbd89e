package checkpoint

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Errors returned by ParseResidentID, one per way an ID number can be wrong, so that the kiosk can
// tell staff exactly what to re-type.
var (
	ErrIDLength    = errors.New("resident id: must be 18 characters")
	ErrIDCharacter = errors.New("resident id: must be 17 digits and a digit or X")
	ErrIDDate      = errors.New("resident id: birth date is not a real past date")
	ErrIDRegion    = errors.New("resident id: unknown province code")
	ErrIDCheck     = errors.New("resident id: check character does not match")
)

// ChinaTime is China Standard Time (UTC+8, no daylight saving) as a fixed zone, so that dates
// such as risk-area periods and birth dates mean the county's calendar day without needing tzdata.
var ChinaTime = time.FixedZone("CST", 8*60*60)

// provinces holds the two-digit province-level codes of GB/T 2260, plus 71 (Taiwan), 81 (Hong
// Kong), 82 (Macao) and 83, which the residence permits of Taiwan residents use.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

// ValidDivisionCode reports whether s is a plausible 6-digit administrative division code
// (GB/T 2260): six digits starting with a known province code.
func ValidDivisionCode(s string) bool {
	return len(s) == 6 && allDigits(s) && provinces[s[:2]]
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ResidentID is a validated 18-character resident identity number (GB 11643-1999).
// It prints and logs only its masked form; Full returns the whole number.
type ResidentID struct {
	v string
}

// idWeights are the ISO 7064 MOD 11-2 weights 2^(17-i) mod 11.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChar computes the check character for the first 17 digits of s.
func idCheckChar(s string) byte {
	sum := 0
	for i, w := range idWeights {
		sum += int(s[i]-'0') * w
	}
	return "10X98765432"[sum%11]
}

// ParseResidentID validates s (surrounding spaces ignored, a lowercase x accepted) against the
// current date. See ParseResidentIDAt.
func ParseResidentID(s string) (ResidentID, error) {
	return ParseResidentIDAt(s, time.Now())
}

// ParseResidentIDAt validates s as of now: 18 characters, 17 digits then a digit or X, a known
// province, a real birth date between 1900-01-01 and today (China time), and the check character.
// The errors are checked in that order and wrap ErrIDLength, ErrIDCharacter, ErrIDRegion,
// ErrIDDate or ErrIDCheck.
func ParseResidentIDAt(s string, now time.Time) (ResidentID, error) {
	s = strings.TrimSpace(s)
	if len(s) != 18 {
		return ResidentID{}, ErrIDLength
	}
	if s[17] == 'x' {
		s = s[:17] + "X"
	}
	if !allDigits(s[:17]) || !(s[17] == 'X' || s[17] >= '0' && s[17] <= '9') {
		return ResidentID{}, ErrIDCharacter
	}
	if !provinces[s[:2]] {
		return ResidentID{}, ErrIDRegion
	}
	if _, ok := idBirth(s, now); !ok {
		return ResidentID{}, ErrIDDate
	}
	if idCheckChar(s) != s[17] {
		return ResidentID{}, ErrIDCheck
	}
	return ResidentID{v: s}, nil
}

// idBirth parses the birth date in positions 7-14 of s and checks its range.
func idBirth(s string, now time.Time) (time.Time, bool) {
	t, err := time.ParseInLocation("20060102", s[6:14], ChinaTime)
	if err != nil {
		return time.Time{}, false
	}
	y, m, d := now.In(ChinaTime).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, ChinaTime)
	if t.Year() < 1900 || t.After(today) {
		return time.Time{}, false
	}
	return t, true
}

// IsZero reports whether id is the zero value (no ID).
func (id ResidentID) IsZero() bool { return id.v == "" }

// Full returns the whole 18-character number. Use it only where the full number is needed
// (sealing to HQ, keyed hashing), never for display or logs.
func (id ResidentID) Full() string { return id.v }

// Birth returns the birth date at midnight China time.
func (id ResidentID) Birth() time.Time {
	if id.v == "" {
		return time.Time{}
	}
	t, _ := time.ParseInLocation("20060102", id.v[6:14], ChinaTime)
	return t
}

// Sex returns 'M' or 'F' from the parity of the 17th digit (odd is male), or 0 for the zero ID.
func (id ResidentID) Sex() byte {
	if id.v == "" {
		return 0
	}
	if (id.v[16]-'0')%2 == 1 {
		return 'M'
	}
	return 'F'
}

// Region returns the 6-digit division code of the place of first registration.
func (id ResidentID) Region() string {
	if id.v == "" {
		return ""
	}
	return id.v[:6]
}

// Masked returns the first 6 and last 4 characters with the 8 birth-date digits hidden,
// e.g. "220221********123X": the form printed on codes and shown to staff.
func (id ResidentID) Masked() string {
	if id.v == "" {
		return ""
	}
	return id.v[:6] + "********" + id.v[14:]
}

// String returns the masked form, so that formatting never leaks the full number.
func (id ResidentID) String() string { return id.Masked() }

// GoString returns the masked form for %#v.
func (id ResidentID) GoString() string { return fmt.Sprintf("ResidentID(%q)", id.Masked()) }

// LogValue implements slog.LogValuer: logs carry the masked form only.
func (id ResidentID) LogValue() slog.Value { return slog.StringValue(id.Masked()) }
