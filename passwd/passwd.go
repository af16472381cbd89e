// Package passwd hashes and verifies staff passwords with argon2id, in the PHC string format
// ($argon2id$v=19$m=65536,t=3,p=2$salt$hash). HQ hashes; kiosks verify offline against the roster.
package passwd

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Parameters used by Hash. Verification on a kiosk-class CPU stays around 100 ms.
const (
	Memory  = 64 * 1024 // KiB
	Time    = 3
	Threads = 2
	SaltLen = 16
	KeyLen  = 32
)

// Limits on what Verify accepts from a PHC string, so a hostile roster entry cannot make a kiosk
// spend gigabytes or minutes on one login.
const (
	maxMemory  = 256 * 1024
	maxTime    = 10
	maxThreads = 16
	maxKeyLen  = 128
	maxPwLen   = 1024
)

// ErrMismatch is returned by Verify when the password does not match.
var ErrMismatch = errors.New("passwd: password does not match")

// ErrFormat is wrapped by Verify when the hash is not an argon2id PHC string it accepts.
var ErrFormat = errors.New("passwd: malformed hash")

var b64 = base64.RawStdEncoding

// Hash returns the argon2id PHC string of pw with a fresh random salt.
func Hash(pw string) (string, error) {
	if len(pw) > maxPwLen {
		return "", fmt.Errorf("passwd: hash: password longer than %d bytes", maxPwLen)
	}
	salt := make([]byte, SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("passwd: hash: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, Time, Memory, Threads, KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, Memory, Time, Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches the PHC string phc: nil on a match, ErrMismatch on a wrong
// password, an error wrapping ErrFormat when phc cannot be used.
func Verify(pw, phc string) error {
	parts := strings.Split(phc, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return fmt.Errorf("%w: not an argon2id PHC string", ErrFormat)
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return fmt.Errorf("%w: version %q", ErrFormat, parts[2])
	}
	var m, t uint32
	var p uint8
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || n != 3 {
		return fmt.Errorf("%w: parameters %q", ErrFormat, parts[3])
	}
	if m < 8 || m > maxMemory || t < 1 || t > maxTime || p < 1 || p > maxThreads {
		return fmt.Errorf("%w: parameters out of range", ErrFormat)
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return fmt.Errorf("%w: salt", ErrFormat)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > maxKeyLen {
		return fmt.Errorf("%w: hash", ErrFormat)
	}
	if len(pw) > maxPwLen {
		return ErrMismatch
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}
