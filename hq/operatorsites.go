package hq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// The core of the console's 站点与人员 and 设置 pages: the same checks as the admin API's
// saveSite, PutStaff and PUT /api/v1/admin/settings, for callers other than that API.

// Errors of SaveSite.
var (
	ErrSiteExists   = errors.New("hq: a site with this id exists")
	ErrSiteNotFound = errors.New("hq: no such site")
	ErrSiteParent   = errors.New("hq: parent site does not exist")
	ErrSiteCycle    = errors.New("hq: a site cannot move below itself")
	ErrStaffMissing = errors.New("hq: no such staff account")
	ErrPhoneTaken   = errPhoneTaken
)

// SaveSite creates (create) or replaces a site, checked as the admin API checks it: valid, its
// parent exists and is not below it. It returns the site as it was (zero when new) and as saved.
// Invalid input wraps ErrBadInput.
func (s *Server) SaveSite(ctx context.Context, site checkpoint.Site, create bool) (prev, saved checkpoint.Site, err error) {
	if err := site.Validate(); err != nil {
		return prev, site, fmt.Errorf("%w: %w", errInput, err)
	}
	prev, err = s.db.Site(ctx, site.ID)
	exists := err == nil
	if err != nil && !errors.Is(err, sqldb.ErrNotFound) {
		return prev, site, fmt.Errorf("hq: save site: %w", err)
	}
	switch {
	case create && exists:
		return prev, site, ErrSiteExists
	case !create && !exists:
		return prev, site, ErrSiteNotFound
	}
	if site.ParentID != "" {
		_, sn, err := s.current(ctx)
		if err != nil {
			return prev, site, fmt.Errorf("hq: save site: %w", err)
		}
		if _, ok := sn.parent[site.ParentID]; !ok {
			return prev, site, ErrSiteParent
		}
		if under(sn.parentOf, site.ParentID, site.ID) {
			return prev, site, ErrSiteCycle
		}
	}
	site.UpdatedAt = s.now().UTC()
	if err := s.db.PutSite(ctx, site); err != nil {
		return prev, site, fmt.Errorf("hq: save site: %w", err)
	}
	saved, err = s.db.Site(ctx, site.ID)
	if err != nil {
		return prev, site, fmt.Errorf("hq: save site: %w", err)
	}
	return prev, saved, nil
}

// Staff lists the roster as the admin API shows it (no password hashes).
func (s *Server) Staff(ctx context.Context) ([]StaffView, error) {
	list, err := s.db.AllStaff(ctx)
	if err != nil {
		return nil, fmt.Errorf("hq: staff: %w", err)
	}
	out := make([]StaffView, 0, len(list))
	for _, a := range list {
		a.PasswordHash = ""
		out = append(out, StaffView{Staff: a.Staff, PhoneMasked: a.PhoneMasked})
	}
	return out, nil
}

// MoveStaff transfers a staff account to siteID (an existing site) and sets whether it is
// active; phone, name, role and password stay. It returns the account before and after.
func (s *Server) MoveStaff(ctx context.Context, id, siteID string, active bool) (before, after StaffView, err error) {
	list, err := s.db.AllStaff(ctx)
	if err != nil {
		return before, after, fmt.Errorf("hq: move staff: %w", err)
	}
	var a *sqldb.StaffAccount
	for i := range list {
		if list[i].ID == id {
			a = &list[i]
			break
		}
	}
	if a == nil {
		return before, after, ErrStaffMissing
	}
	if _, err := s.db.Site(ctx, siteID); errors.Is(err, sqldb.ErrNotFound) {
		return before, after, fmt.Errorf("%w: site_id: %w", errInput, err)
	} else if err != nil {
		return before, after, fmt.Errorf("hq: move staff: %w", err)
	}
	before = StaffView{Staff: a.Staff, PhoneMasked: a.PhoneMasked}
	before.PasswordHash = ""
	a.SiteID, a.Active, a.UpdatedAt = siteID, active, s.now().UTC()
	if err := s.db.PutStaff(ctx, *a); err != nil {
		return before, after, fmt.Errorf("hq: move staff: %w", err)
	}
	after = StaffView{Staff: a.Staff, PhoneMasked: a.PhoneMasked}
	after.PasswordHash = ""
	return before, after, nil
}

// AuditStaffView is a staff account as the audit log shows it (no phone lookup value, no
// password hash).
func AuditStaffView(v StaffView) map[string]any { return auditStaff(v) }

// AuditStaffUpdate is the audit action of a staff account moved or (de)activated.
const AuditStaffUpdate = "staff.update"

// Settings returns the settings dataset in force (rules with their stored values, retention).
func (s *Server) Settings(ctx context.Context) (checkpoint.Settings, error) {
	st, err := s.settings(ctx)
	if err != nil {
		return st, fmt.Errorf("hq: settings: %w", err)
	}
	return st, nil
}

// PutSettings changes the rules and/or the retention (nil: unchanged), checked as PUT
// /api/v1/admin/settings checks them; kiosks get the change on their next pull. Invalid input
// wraps ErrBadInput and changes nothing.
func (s *Server) PutSettings(ctx context.Context, req SettingsRequest) (before, after checkpoint.Settings, err error) {
	if before, err = s.Settings(ctx); err != nil {
		return before, after, err
	}
	var rulesJSON string
	if req.Rules != nil {
		rules := req.Rules.WithDefaults()
		if err := rules.Validate(); err != nil {
			return before, after, fmt.Errorf("%w: rules: %w", errInput, err)
		}
		b, _ := json.Marshal(rules)
		rulesJSON = string(b)
	}
	if req.RetentionDays != nil && (*req.RetentionDays < 1 || *req.RetentionDays > 3650) {
		return before, after, fmt.Errorf("%w: retention_days must be 1 to 3650", errInput)
	}
	if rulesJSON != "" {
		if err := s.db.SetSetting(ctx, setRules, rulesJSON, checkpoint.DatasetSettings); err != nil {
			return before, after, fmt.Errorf("hq: put settings: %w", err)
		}
	}
	if req.RetentionDays != nil {
		if err := s.db.SetSetting(ctx, setRetentionDays, strconv.Itoa(*req.RetentionDays), checkpoint.DatasetSettings); err != nil {
			return before, after, fmt.Errorf("hq: put settings: %w", err)
		}
	}
	after, err = s.Settings(ctx)
	return before, after, err
}
