package qrcorpus

import (
	"testing"

	"golang.org/x/text/encoding/japanese"
)

func TestCompare(t *testing.T) {
	sjis, _ := japanese.ShiftJIS.NewEncoder().Bytes([]byte("ﾃﾞｻﾞｲﾝQR"))
	for _, tc := range []struct {
		want string
		got  []string
		v    Verdict
	}{
		{"abc", []string{"abc"}, Exact},
		{"abc", []string{"x", "abc"}, Exact},
		{"abc", nil, Missed},
		{"abc", []string{"abd"}, Misread},
		{"Grüße", []string{"GrÃ¼Ã\u009fe"}, Charset},  // UTF-8 bytes read as ISO-8859-1
		{"ﾃﾞｻﾞｲﾝQR", []string{string(sjis)}, Charset}, // raw Shift_JIS bytes, not converted
		{"\\", []string{"¥"}, Charset},                // Shift_JIS 0x5C
	} {
		if v := Compare([]byte(tc.want), tc.got); v != tc.v {
			t.Errorf("Compare(%q, %q) = %v; want %v", tc.want, tc.got, v, tc.v)
		}
	}
}

func TestParseLabel(t *testing.T) {
	polys, err := ParseLabel([]byte("# list\n1 1\n5 1\n5 5\n1 5\n# next\n10 10\n20 10\n20 20\n10 20\n"))
	if err != nil || len(polys) != 2 {
		t.Fatalf("ParseLabel = %v, %v", polys, err)
	}
	sets, err := ParseLabel([]byte("# list\nSETS\n0 0 4 0 4 4 0 4\n"))
	if err != nil || len(sets) != 1 || len(sets[0]) != 4 {
		t.Fatalf("ParseLabel(SETS) = %v, %v", sets, err)
	}
	if !Inside(Point{2, 2}, sets[0]) || Inside(Point{5, 2}, sets[0]) {
		t.Error("Inside wrong")
	}
	if _, err := ParseLabel([]byte("1 2 3\n")); err == nil {
		t.Error("ParseLabel of a 3-number line: nil error")
	}
}
