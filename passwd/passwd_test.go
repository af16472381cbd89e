package passwd

import (
	"errors"
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h, err := Hash("s3cret-密码")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("Hash = %q; want argon2id PHC prefix", h)
	}
	if err := Verify("s3cret-密码", h); err != nil {
		t.Fatalf("Verify(right) = %v; want nil", err)
	}
	if err := Verify("s3cret", h); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Verify(wrong) = %v; want ErrMismatch", err)
	}
	h2, _ := Hash("s3cret-密码")
	if h == h2 {
		t.Fatal("two hashes of one password are equal; salt not random")
	}
}

func TestVerifyMalformed(t *testing.T) {
	for _, phc := range []string{
		"", "plain", "$argon2i$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=18$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=999999999,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=3000,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=3,p=2$!!$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$",
	} {
		if err := Verify("x", phc); !errors.Is(err, ErrFormat) {
			t.Errorf("Verify(%q) = %v; want ErrFormat", phc, err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h, _ := Hash("password")
	for b.Loop() {
		if err := Verify("password", h); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPhoneLookup(t *testing.T) {
	salt := []byte("0123456789abcdef")
	a, err := PhoneLookup(salt, "13912345678")
	if err != nil {
		t.Fatal(err)
	}
	if !ValidLookup(a) {
		t.Fatalf("PhoneLookup = %q; not %d bytes of hex", a, LookupLen)
	}
	if b, _ := PhoneLookup(salt, " 13912345678 "); b != a {
		t.Errorf("PhoneLookup ignores surrounding space: %q != %q", b, a)
	}
	if b, _ := PhoneLookup(salt, "13912345679"); b == a {
		t.Error("two phones share a lookup value")
	}
	if b, _ := PhoneLookup([]byte("fedcba9876543210"), "13912345678"); b == a {
		t.Error("two salts give the same lookup value")
	}
	if _, err := PhoneLookup(salt[:15], "13912345678"); !errors.Is(err, ErrSalt) {
		t.Errorf("PhoneLookup(short salt) = %v; want ErrSalt", err)
	}
}

// BenchmarkPhoneLookup measures what one staff login (and one thief's guess) costs in the
// lookup: go test -run '^$' -bench PhoneLookup ./passwd/
func BenchmarkPhoneLookup(b *testing.B) {
	salt := NewStaffSalt()
	for b.Loop() {
		if _, err := PhoneLookup(salt, "13912345678"); err != nil {
			b.Fatal(err)
		}
	}
}
