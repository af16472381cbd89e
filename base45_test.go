package checkpoint

import (
	"bytes"
	"testing"
)

func TestBase45(t *testing.T) {
	// RFC 9285 §4.3 and §4.4 examples.
	tests := []struct{ raw, enc string }{
		{"AB", "BB8"},
		{"Hello!!", "%69 VD92EX0"},
		{"base-45", "UJCLQE7W581"},
		{"ietf!", "QED8WEX0"},
		{"", ""},
		{"\x00", "00"},
		{"\xff", "U5"},
		{"\xff\xff", "FGW"},
	}
	for _, tt := range tests {
		if got := base45Encode([]byte(tt.raw)); got != tt.enc {
			t.Errorf("base45Encode(%q) = %q; want %q", tt.raw, got, tt.enc)
		}
		got, err := base45Decode(tt.enc)
		if err != nil || !bytes.Equal(got, []byte(tt.raw)) {
			t.Errorf("base45Decode(%q) = %q, %v; want %q", tt.enc, got, err, tt.raw)
		}
	}
}

func TestBase45DecodeInvalid(t *testing.T) {
	for _, s := range []string{
		"GGW", // 65536: overflow (RFC 9285 §4.2)
		"V5",  // 256 in a final pair
		"0",   // dangling character
		"BB8A",
		"bb8", // lowercase is not in the alphabet
		"BB#",
		"BB8\x00\x00\x00",
	} {
		if got, err := base45Decode(s); err == nil {
			t.Errorf("base45Decode(%q) = %q, nil; want an error", s, got)
		}
	}
}

func FuzzBase45(f *testing.F) {
	f.Add([]byte("Hello!!"))
	f.Fuzz(func(t *testing.T, b []byte) {
		enc := base45Encode(b)
		got, err := base45Decode(enc)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("base45Decode(base45Encode(%q)) = %q, %v", b, got, err)
		}
		if _, err := base45Decode(string(b)); err != nil {
			return
		}
		// Any accepted text is canonical: it re-encodes to itself.
		dec, _ := base45Decode(string(b))
		if again := base45Encode(dec); again != string(b) {
			t.Fatalf("base45Encode(base45Decode(%q)) = %q", b, again)
		}
	})
}
