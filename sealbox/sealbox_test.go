package sealbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
)

func TestSealOpen(t *testing.T) {
	pub, priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(pub) != 32 || len(priv) != 32 {
		t.Fatalf("key sizes = %d, %d; want 32, 32", len(pub), len(priv))
	}
	for _, p := range []checkpoint.Personal{
		{},
		{Name: "张三", ID: "22022119900101123X", Phone: "13800138000"},
		{ID: "220221199001011234"},
	} {
		s, err := Seal(pub, p)
		if err != nil {
			t.Fatalf("Seal(%+v): %v", p, err)
		}
		if bytes.Contains([]byte(s), []byte("1380013")) {
			t.Errorf("Seal(%+v) = %q leaks the phone", p, s)
		}
		got, err := Open(priv, s)
		if err != nil {
			t.Fatalf("Open(Seal(%+v)): %v", p, err)
		}
		if got != p {
			t.Errorf("Open(Seal(%+v)) = %+v", p, got)
		}
		s2, _ := Seal(pub, p)
		if s2 == s {
			t.Errorf("Seal is deterministic; want a fresh encapsulation each time")
		}
	}
}

func TestOpenFailures(t *testing.T) {
	pub, _, _ := GenerateKey()
	_, other, _ := GenerateKey()
	s, err := Seal(pub, checkpoint.Personal{ID: "220221199001011234"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		priv   []byte
		sealed string
	}{
		{"wrong key", other, s},
		{"not base64", other, "!!!"},
		{"truncated", other, s[:20]},
		{"short key", []byte{1, 2, 3}, s},
	}
	for _, tt := range tests {
		if _, err := Open(tt.priv, tt.sealed); err == nil {
			t.Errorf("%s: Open succeeded; want an error", tt.name)
		}
	}
	if _, err := Seal([]byte{1, 2}, checkpoint.Personal{}); !errors.Is(err, ErrKey) {
		t.Errorf("Seal(short key) error = %v; want ErrKey", err)
	}
}

func TestHash(t *testing.T) {
	key := []byte("k")
	if Hash(key, " 22022119900101123x ") != Hash(key, "22022119900101123X") {
		t.Error("Hash does not normalise case and space")
	}
	if Hash(key, "a") == Hash([]byte("other"), "a") {
		t.Error("Hash ignores the key")
	}
	if got := len(Hash(key, "13800138000")); got != 64 {
		t.Errorf("len(Hash) = %d; want 64 hex digits", got)
	}
}

func TestParseKey(t *testing.T) {
	pub, _, _ := GenerateKey()
	for _, s := range []string{
		"  " + b64std(pub) + "\n",
	} {
		got, err := ParseKey(s)
		if err != nil || !bytes.Equal(got, pub) {
			t.Errorf("ParseKey(%q) = %x, %v; want %x", s, got, err, pub)
		}
	}
	if _, err := ParseKey("***"); !errors.Is(err, ErrKey) {
		t.Errorf("ParseKey(***) error = %v; want ErrKey", err)
	}
}

func b64std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
