package checkpoint

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Errors returned by ParseName.
var (
	ErrNameLength    = errors.New("name: must be 1 to 30 characters")
	ErrNameCharacter = errors.New("name: only Chinese characters, Latin letters, spaces and · allowed")
)

// MaxNameLen is the longest name accepted, in characters (runes).
const MaxNameLen = 30

// nameDot is the middle dot that separates the parts of minority and transliterated names
// (e.g. 阿卜杜·买买提). Look-alike dots typed by staff or IMEs are normalised to it.
const nameDot = '·'

var nameDotLookalikes = strings.NewReplacer("•", "·", "・", "·", "･", "·", "‧", "·", "∙", "·")

// Name is a person's validated name. It prints and logs only its masked form; Full returns it all.
type Name struct {
	v string
}

// ParseName trims s, collapses runs of spaces, normalises look-alike dots to "·" and accepts
// 1 to 30 characters of Han ideographs (all CJK extensions included), Latin letters, spaces and
// "·". A dot may not start or end the name nor follow another dot.
func ParseName(s string) (Name, error) {
	s = nameDotLookalikes.Replace(strings.Join(strings.Fields(s), " "))
	n := utf8.RuneCountInString(s)
	if n == 0 || n > MaxNameLen {
		return Name{}, ErrNameLength
	}
	prev := rune(0)
	for _, r := range s {
		switch {
		case r == nameDot:
			if prev == 0 || prev == nameDot {
				return Name{}, ErrNameCharacter
			}
		case r == ' ', unicode.Is(unicode.Han, r), unicode.Is(unicode.Latin, r) && unicode.IsLetter(r):
		default:
			return Name{}, ErrNameCharacter
		}
		prev = r
	}
	if prev == nameDot {
		return Name{}, ErrNameCharacter
	}
	return Name{v: s}, nil
}

// IsZero reports whether n is the zero value (no name).
func (n Name) IsZero() bool { return n.v == "" }

// Full returns the whole name, for the code itself and the staff screen of a verified person.
func (n Name) Full() string { return n.v }

// Masked returns the name with all but the first and last characters hidden (张*三; 张* for a
// two-character name, * for one); spaces and dots are kept so the shape of the name shows.
func (n Name) Masked() string { return MaskName(n.v) }

// String returns the masked form.
func (n Name) String() string { return n.Masked() }

// GoString returns the masked form for %#v.
func (n Name) GoString() string { return fmt.Sprintf("Name(%q)", n.Masked()) }

// LogValue implements slog.LogValuer: logs carry the masked form only.
func (n Name) LogValue() slog.Value { return slog.StringValue(n.Masked()) }

// MaskName masks a name string as Name.Masked does; it is for names taken from verified codes.
func MaskName(s string) string {
	rs := []rune(s)
	switch len(rs) {
	case 0:
		return ""
	case 1:
		return "*"
	case 2:
		return string(rs[0]) + "*"
	}
	for i := 1; i < len(rs)-1; i++ {
		if rs[i] != ' ' && rs[i] != nameDot {
			rs[i] = '*'
		}
	}
	return string(rs)
}
