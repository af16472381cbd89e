package passwd

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The staff-login lookup (DESIGN §9, docs/SECURITY.md "A stolen kiosk"). A kiosk finds the roster
// row of the phone number typed at login by PhoneLookup(salt, phone): argon2id over the 11-digit
// number with one random salt per HQ (Settings.StaffSalt). The roster holds no masked phone
// beside it, so a thief who has a kiosk's disk must guess whole phone numbers, and each guess
// costs what a login costs.
//
// Measured on the build machine (2 shared AMD EPYC cores, Go 1.26, under load from other
// builds): 120-260 ms per lookup (BenchmarkPhoneLookup). A login is this plus one password
// Verify. A thief pays the same per guess and per core, with 64 MiB each: the 10^8 numbers
// behind one known 3-digit prefix take about 230 core-days, and even the 10^4 numbers behind a
// masked phone (which the kiosk no longer holds) over half an hour.
//
// Changing any parameter, or the salt, changes every lookup value: HQ recomputes them only
// where it knows the phone (new accounts, re-entered ones), so the parameters are fixed here.
const (
	LookupMemory  = 64 * 1024 // KiB
	LookupTime    = 2
	LookupThreads = 1 // one lane: a kiosk's login and a thief's guess cost the same core time
	LookupLen     = 32
	// StaffSaltLen is the size of the salt HQ makes once (Settings.StaffSalt).
	StaffSaltLen = 16
)

// ErrSalt is returned for a missing or short staff salt.
var ErrSalt = errors.New("passwd: staff salt missing or shorter than 16 bytes")

// NewStaffSalt returns a fresh random staff salt.
func NewStaffSalt() []byte {
	b := make([]byte, StaffSaltLen)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it crashes the program instead)
	return b
}

// PhoneLookup returns the roster lookup value of a phone number: lowercase hex of
// argon2id(phone, salt) with the Lookup parameters. phone is normalised as typed at login
// (surrounding space removed); callers pass the 11 digits checkpoint.ParsePhone returns.
func PhoneLookup(salt []byte, phone string) (string, error) {
	if len(salt) < StaffSaltLen {
		return "", ErrSalt
	}
	k := argon2.IDKey([]byte(strings.TrimSpace(phone)), salt, LookupTime, LookupMemory, LookupThreads, LookupLen)
	return hex.EncodeToString(k), nil
}

// ValidLookup reports whether s has the shape of a PhoneLookup value.
func ValidLookup(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == LookupLen && hex.EncodeToString(b) == s
}
