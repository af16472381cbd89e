package checkpoint

import (
	"errors"
	"strings"
)

// base45Alphabet is the RFC 9285 alphabet: exactly the QR alphanumeric character set, so a
// base45 text is encoded by a QR symbol at 5.5 bits per character.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var errBase45 = errors.New("base45: invalid input")

// base45Value maps a byte to its base45 digit, or -1.
var base45Value = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		v[base45Alphabet[i]] = int8(i)
	}
	return v
}()

// base45Encode encodes b as in RFC 9285: each two bytes become three characters, a final odd
// byte becomes two, least significant digit first.
func base45Encode(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b)/2*3 + 2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[n/45%45])
		sb.WriteByte(base45Alphabet[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[n/45])
	}
	return sb.String()
}

// base45Decode is the inverse of base45Encode. It rejects characters outside the alphabet, a
// dangling single character and groups whose value overflows (RFC 9285 §4.2), so every byte
// string has exactly one accepted encoding.
func base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, errBase45
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		n, mul := 0, 1
		end := min(i+3, len(s))
		for j := i; j < end; j++ {
			d := base45Value[s[j]]
			if d < 0 {
				return nil, errBase45
			}
			n += int(d) * mul
			mul *= 45
		}
		if end-i == 3 {
			if n > 0xFFFF {
				return nil, errBase45
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xFF {
				return nil, errBase45
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}
