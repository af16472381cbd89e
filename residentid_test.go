package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

var idNow = time.Date(2022, 3, 15, 10, 0, 0, 0, ChinaTime)

func TestParseResidentID(t *testing.T) {
	tests := []struct {
		in   string
		want string // Full() on success
		err  error
	}{
		{"220221199001011233", "220221199001011233", nil},
		{"11010519491231002X", "11010519491231002X", nil},
		{"11010519491231002x", "11010519491231002X", nil}, // lowercase x normalised
		{" 220221199001011233\n", "220221199001011233", nil},
		{"220221200002290049", "220221200002290049", nil}, // leap day
		{"810000198001010014", "810000198001010014", nil}, // Hong Kong
		{"110101190001010014", "110101190001010014", nil}, // 1900-01-01, the earliest accepted
		{"220221202203150017", "220221202203150017", nil}, // born today
		{"", "", ErrIDLength},
		{"22022119900101123", "", ErrIDLength},
		{"2202211990010112333", "", ErrIDLength},
		{"２２０２２１１９９００１０１１２３", "", ErrIDLength}, // full-width digits are 3 bytes each
		{"22022119900101123A", "", ErrIDCharacter},
		{"2202211990010X1233", "", ErrIDCharacter},
		{"22022119900101123\x00", "", ErrIDCharacter},
		{"X20221199001011233", "", ErrIDCharacter},
		{"990221199001011233", "", ErrIDRegion},
		{"000000199001011233", "", ErrIDRegion},
		{"720221199001011233", "", ErrIDRegion},
		{"220221199002301233", "", ErrIDDate}, // 30 February
		{"220221199013011233", "", ErrIDDate},
		{"220221189912311233", "", ErrIDDate},       // before 1900
		{"220221202203160017", "", ErrIDDate},       // tomorrow
		{"220221199001011234", "", ErrIDCheck},      // wrong check digit
		{"220221199001011243", "", ErrIDCheck},      // transposition
		{"11010519491231002" + "1", "", ErrIDCheck}, // X expected
		{"110105194912310021", "", ErrIDCheck},
	}
	for _, tt := range tests {
		id, err := ParseResidentIDAt(tt.in, idNow)
		if !errors.Is(err, tt.err) || id.Full() != tt.want {
			t.Errorf("ParseResidentID(%q) = %q, %v; want %q, %v", tt.in, id.Full(), err, tt.want, tt.err)
		}
	}
}

func TestResidentIDAccessors(t *testing.T) {
	tests := []struct {
		in                  string
		birth, region, mask string
		sex                 byte
	}{
		{"220221199001011233", "1990-01-01", "220221", "220221********1233", 'M'},
		{"11010519491231002X", "1949-12-31", "110105", "110105********002X", 'F'},
		{"220221200002290049", "2000-02-29", "220221", "220221********0049", 'F'},
	}
	for _, tt := range tests {
		id, err := ParseResidentIDAt(tt.in, idNow)
		if err != nil {
			t.Fatalf("ParseResidentID(%q) = %v", tt.in, err)
		}
		if got := id.Birth().Format("2006-01-02"); got != tt.birth {
			t.Errorf("ParseResidentID(%q).Birth() = %s; want %s", tt.in, got, tt.birth)
		}
		if got := id.Sex(); got != tt.sex {
			t.Errorf("ParseResidentID(%q).Sex() = %c; want %c", tt.in, got, tt.sex)
		}
		if got := id.Region(); got != tt.region {
			t.Errorf("ParseResidentID(%q).Region() = %s; want %s", tt.in, got, tt.region)
		}
		if got := id.Masked(); got != tt.mask {
			t.Errorf("ParseResidentID(%q).Masked() = %s; want %s", tt.in, got, tt.mask)
		}
	}
	var zero ResidentID
	if !zero.IsZero() || zero.Masked() != "" || zero.Sex() != 0 || !zero.Birth().IsZero() || zero.Region() != "" {
		t.Errorf("zero ResidentID accessors not empty")
	}
}

// TestResidentIDNeverPrintsFull checks every way an ID could reach a log or a formatted string.
func TestResidentIDNeverPrintsFull(t *testing.T) {
	id, _ := ParseResidentIDAt("220221199001011233", idNow)
	const full, birth = "220221199001011233", "19900101"
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("check", "id", id, slog.Any("any", id), slog.Group("g", "id", id))
	slog.New(slog.NewTextHandler(&buf, nil)).Info("check", "id", id)
	for _, s := range []string{buf.String(), fmt.Sprint(id), fmt.Sprintf("%v %+v %#v %s %q", id, id, id, id, id), fmt.Sprintf("%v", []ResidentID{id})} {
		if strings.Contains(s, full) || strings.Contains(s, birth) {
			t.Errorf("formatted resident ID leaks the full number: %s", s)
		}
		if !strings.Contains(s, "220221********1233") {
			t.Errorf("formatted resident ID lacks the masked form: %s", s)
		}
	}
}

func FuzzParseResidentID(f *testing.F) {
	for _, s := range []string{"220221199001011233", "11010519491231002x", "", "220221199002301233", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseResidentIDAt(s, idNow)
		if err != nil {
			if ErrorKind(err) == kindUnknown {
				t.Fatalf("ParseResidentID(%q) = %v; not a sentinel error", s, err)
			}
			return
		}
		again, err := ParseResidentIDAt(id.Full(), idNow)
		if err != nil || again != id {
			t.Fatalf("ParseResidentID(%q) round trip = %v, %v", id.Full(), again, err)
		}
		if len(id.Full()) != 18 || len(id.Masked()) != 18 || id.Sex() == 0 || id.Birth().IsZero() {
			t.Fatalf("ParseResidentID(%q) accepted an inconsistent ID", s)
		}
	})
}

func TestValidDivisionCode(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"220221", true}, {"110000", true}, {"830000", true}, {"990000", false}, {"22022", false},
		{"2202210", false}, {"22022a", false}, {"", false},
	}
	for _, tt := range tests {
		if got := ValidDivisionCode(tt.in); got != tt.want {
			t.Errorf("ValidDivisionCode(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}
