package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"张三", "张三", nil},
		{"  张三 ", "张三", nil},
		{"\u3000张三\u3000", "张三", nil},
		{"阿卜杜·买买提", "阿卜杜·买买提", nil},
		{"阿卜杜•买买提", "阿卜杜·买买提", nil}, // bullet normalised to middle dot
		{"阿卜杜・买买提", "阿卜杜·买买提", nil}, // katakana middle dot too
		{"𠀀𪚥", "𠀀𪚥", nil},           // CJK extension B
		{"龘", "龘", nil},
		{"John  Smith", "John Smith", nil},
		{"José Núñez", "José Núñez", nil},
		{strings.Repeat("张", 30), strings.Repeat("张", 30), nil},
		{strings.Repeat("张", 31), "", ErrNameLength},
		{"", "", ErrNameLength},
		{"   ", "", ErrNameLength},
		{"张三1", "", ErrNameCharacter},
		{"张三\x00", "", ErrNameCharacter},
		{"张\u200b三", "", ErrNameCharacter},
		{"·张三", "", ErrNameCharacter},
		{"张三·", "", ErrNameCharacter},
		{"张··三", "", ErrNameCharacter},
		{"张三!", "", ErrNameCharacter},
		{"Иван", "", ErrNameCharacter},
		{"张三\xff", "", ErrNameCharacter},
	}
	for _, tt := range tests {
		n, err := ParseName(tt.in)
		if !errors.Is(err, tt.err) || n.Full() != tt.want {
			t.Errorf("ParseName(%q) = %q, %v; want %q, %v", tt.in, n.Full(), err, tt.want, tt.err)
		}
	}
}

func TestMaskName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"张", "*"},
		{"张三", "张*"},
		{"张小三", "张*三"},
		{"欧阳小明", "欧**明"},
		{"阿卜杜·买买提", "阿**·**提"},
		{"John Smith", "J*** ****h"},
		{"𠀀𪚥𠀀", "𠀀*𠀀"},
	}
	for _, tt := range tests {
		if got := MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	n, _ := ParseName("张小三")
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "name", n)
	for _, s := range []string{buf.String(), fmt.Sprintf("%v %s %#v", n, n, n)} {
		if strings.Contains(s, "张小三") || !strings.Contains(s, "张*三") {
			t.Errorf("formatted name not masked: %s", s)
		}
	}
}
