package checkpoint

import (
	"unicode"
	"unicode/utf8"
)

// CleanText reports whether s is text a person could have typed into one field: valid UTF-8
// with no control characters (NUL, escape, C1 codes…), and, when multiline is set, line breaks
// and tabs allowed. Kiosk and HQ both refuse anything else at the edge, so a stray byte never
// reaches a database column that cannot hold it (PostgreSQL refuses NUL in text outright).
func CleanText(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError {
			return false
		}
	}
	return true
}
