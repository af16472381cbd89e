package checkpoint

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Site is one node of the site tree (站点管理): a checkpoint, or an area that holds checkpoints.
type Site struct {
	ID        string    `json:"id"`
	ParentID  string    `json:"parent_id,omitempty"` // empty for the root
	Name      string    `json:"name"`                // 站点名称 *
	Address   string    `json:"address"`             // 站点地址 *
	Contact   string    `json:"contact"`             // 负责人 *
	Phone     string    `json:"phone"`               // 联系电话 * (a site phone, not personal data)
	Division  string    `json:"division,omitempty"`  // 6-digit division code of the site
	Remarks   string    `json:"remarks,omitempty"`
	Active    bool      `json:"active"`
	UpdatedAt time.Time `json:"updated_at"` // HQ's time of the last change (in an edit: the kiosk's clock, recorded only)
	// Revision is HQ's count of changes to this site (1 when created): a kiosk's edit names the
	// revision it was made from (SiteEdit.BaseRevision) and HQ applies it only on top of that one.
	Revision int64 `json:"revision,omitempty"`
}

// ErrInvalidSite is wrapped by Site.Validate; the wrapped text names the field.
var ErrInvalidSite = errors.New("invalid site")

// Validate checks the required fields (marked * in the form) and their sizes.
func (s Site) Validate() error {
	req := []struct{ name, v string }{
		{"id", s.ID}, {"name", s.Name}, {"address", s.Address}, {"contact", s.Contact}, {"phone", s.Phone},
	}
	for _, f := range req {
		if strings.TrimSpace(f.v) == "" {
			return fmt.Errorf("%w: %s is required", ErrInvalidSite, f.name)
		}
	}
	if len(s.ID) > MaxIDLen || len(s.ParentID) > MaxIDLen {
		return fmt.Errorf("%w: id too long", ErrInvalidSite)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"name", s.Name, 60}, {"address", s.Address, 200}, {"contact", s.Contact, 30}, {"phone", s.Phone, 20}, {"remarks", s.Remarks, 500}} {
		if utf8.RuneCountInString(f.v) > f.max {
			return fmt.Errorf("%w: %s longer than %d characters", ErrInvalidSite, f.name, f.max)
		}
	}
	for _, f := range []struct {
		name, v   string
		multiline bool
	}{{"id", s.ID, false}, {"parent_id", s.ParentID, false}, {"name", s.Name, false}, {"address", s.Address, false},
		{"contact", s.Contact, false}, {"phone", s.Phone, false}, {"division", s.Division, false}, {"remarks", s.Remarks, true}} {
		if !CleanText(f.v, f.multiline) {
			return fmt.Errorf("%w: %s contains control characters or invalid text", ErrInvalidSite, f.name)
		}
	}
	if s.Revision < 0 {
		return fmt.Errorf("%w: negative revision", ErrInvalidSite)
	}
	if s.ID == s.ParentID {
		return fmt.Errorf("%w: a site cannot be its own parent", ErrInvalidSite)
	}
	return nil
}
