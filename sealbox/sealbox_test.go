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
		s, err := Seal(pub, "rec-1", p)
		if err != nil {
			t.Fatalf("Seal(%+v): %v", p, err)
		}
		if bytes.Contains([]byte(s), []byte("1380013")) {
			t.Errorf("Seal(%+v) = %q leaks the phone", p, s)
		}
		got, err := Open(priv, "rec-1", s)
		if err != nil {
			t.Fatalf("Open(Seal(%+v)): %v", p, err)
		}
		if got != p {
			t.Errorf("Open(Seal(%+v)) = %+v", p, got)
		}
		s2, _ := Seal(pub, "rec-1", p)
		if s2 == s {
			t.Errorf("Seal is deterministic; want a fresh encapsulation each time")
		}
	}
}

func TestOpenFailures(t *testing.T) {
	pub, _, _ := GenerateKey()
	_, other, _ := GenerateKey()
	s, err := Seal(pub, "rec-1", checkpoint.Personal{ID: "220221199001011234"})
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
		if _, err := Open(tt.priv, "rec-1", tt.sealed); err == nil {
			t.Errorf("%s: Open succeeded; want an error", tt.name)
		}
	}
	if _, err := Seal([]byte{1, 2}, "rec-1", checkpoint.Personal{}); !errors.Is(err, ErrKey) {
		t.Errorf("Seal(short key) error = %v; want ErrKey", err)
	}
	for _, id := range []string{"", string(make([]byte, 65))} {
		if _, err := Seal(pub, id, checkpoint.Personal{}); !errors.Is(err, ErrRecordID) {
			t.Errorf("Seal(record id of %d bytes) error = %v; want ErrRecordID", len(id), err)
		}
	}
}

// TestBoxBoundToRecord: a box moved to another record does not open there, whichever way the
// ids differ.
func TestBoxBoundToRecord(t *testing.T) {
	pub, priv, _ := GenerateKey()
	p := checkpoint.Personal{Name: "张三", ID: "220221199003074473", Phone: "13943217658"}
	s, err := Seal(pub, "0190a0b1-0000-7000-8000-000000000001", p)
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{"0190a0b1-0000-7000-8000-000000000002", "0190a0b1-0000-7000-8000-00000000000", "0190a0b1-0000-7000-8000-0000000000010"} {
		if got, err := Open(priv, other, s); err == nil {
			t.Errorf("Open(box of record 1, as record %s) = %+v; want an error", other, got)
		}
	}
	if got, err := Open(priv, "0190a0b1-0000-7000-8000-000000000001", s); err != nil || got != p {
		t.Errorf("Open(own record) = %+v, %v", got, err)
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
