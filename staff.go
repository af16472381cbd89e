package checkpoint

import (
	"errors"
	"fmt"
	"time"
)

// Role is what a staff member may do at a kiosk.
type Role string

// Roles.
const (
	RoleScanner    Role = "scanner"    // 扫码员: scans, registers
	RoleSupervisor Role = "supervisor" // 站点管理员: also manages sites below their own, adds staff
)

// Staff is one account in the roster HQ sends to kiosks so staff can log in offline.
// PasswordHash is an argon2id PHC string. PhoneLookup finds the account by the phone number
// typed at login: a slow salted hash of the phone (passwd.PhoneLookup with Settings.StaffSalt),
// with no masked phone beside it, so a kiosk's roster gives a thief nothing cheaper than
// guessing whole phone numbers one slow hash at a time (docs/SECURITY.md).
type Staff struct {
	ID           string    `json:"id"`
	PhoneLookup  string    `json:"phone_lookup"`
	NameMasked   string    `json:"name_masked"`
	Role         Role      `json:"role"`
	SiteID       string    `json:"site_id"`
	PasswordHash string    `json:"password_hash"`
	Active       bool      `json:"active"`
	UpdatedAt    time.Time `json:"updated_at"`
	// Revision is HQ's count of changes to this account (1 when created); a staff_add names the
	// revision it was made from (StaffAdd.BaseRevision), 0 for a new account.
	Revision int64 `json:"revision,omitempty"`
}

// ErrInvalidStaff is wrapped by Staff.Validate.
var ErrInvalidStaff = errors.New("invalid staff")

// Validate checks a roster entry.
func (s Staff) Validate() error {
	switch {
	case s.ID == "" || len(s.ID) > MaxIDLen:
		return fmt.Errorf("%w: id", ErrInvalidStaff)
	case s.Role != RoleScanner && s.Role != RoleSupervisor:
		return fmt.Errorf("%w: role %q", ErrInvalidStaff, s.Role)
	case s.SiteID == "" || len(s.SiteID) > MaxIDLen:
		return fmt.Errorf("%w: site_id", ErrInvalidStaff)
	case s.PhoneLookup == "" || len(s.PhoneLookup) > 128:
		return fmt.Errorf("%w: phone_lookup", ErrInvalidStaff)
	case s.PasswordHash == "" || len(s.PasswordHash) > 256:
		return fmt.Errorf("%w: password_hash", ErrInvalidStaff)
	case s.Revision < 0:
		return fmt.Errorf("%w: revision", ErrInvalidStaff)
	}
	for _, v := range []string{s.ID, s.SiteID, s.PhoneLookup, s.PasswordHash, s.NameMasked} {
		if !CleanText(v, false) {
			return fmt.Errorf("%w: control characters or invalid text", ErrInvalidStaff)
		}
	}
	return nil
}
