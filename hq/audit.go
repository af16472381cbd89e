package hq

import (
	"encoding/json"
	"log/slog"
	"net/http"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// AuditAdminToken is the operator the audit log names for a change made through the admin API
// (which knows a token, not a person).
const AuditAdminToken = "admin-token"

// The audit log's actions for the admin API's changes (the console uses the same names for the
// same changes).
const (
	AuditRiskAreasPut   = "risk_areas.put"
	AuditPersonStatus   = "person.status"
	AuditCodeRevoke     = "code.revoke"
	AuditSiteCreate     = "site.create"
	AuditSiteUpdate     = "site.update"
	AuditStaffCreate    = "staff.create"
	AuditEnrollCode     = "enroll_code.create"
	AuditDeviceRevoke   = "device.revoke"
	AuditKeyCreate      = "key.create"
	AuditKeyRetire      = "key.retire"
	AuditKeyDistrust    = "key.distrust"
	AuditSettingsPut    = "settings.put"
	auditRiskAreasScope = "risk_areas"
)

// AuditJSON is v as the audit log keeps it: "" for nil, a json.RawMessage as it is (or "" when
// empty), anything else marshalled.
func AuditJSON(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case json.RawMessage:
		if len(x) == 0 {
			return ""
		}
		return string(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// auditAdmin writes an admin-API change to the audit log. The change is made already, so a
// failed write is logged (loudly) rather than answered.
func (s *Server) auditAdmin(r *http.Request, action, object string, before, after any) {
	e := sqldb.AuditEntry{At: s.now(), Operator: AuditAdminToken, Role: "admin", Action: action, Object: object,
		Before: AuditJSON(before), After: AuditJSON(after), ClientAddr: s.clientAddr.Of(r)}
	if _, err := s.db.AppendAudit(r.Context(), e); err != nil {
		s.log.Error("hq: audit log write failed", slog.String("action", action), slog.Any("err", err))
	}
}

// auditSite writes a site's creation or update.
func (s *Server) auditSite(r *http.Request, create, existed bool, prev, site checkpoint.Site) {
	action, before := AuditSiteUpdate, any(prev)
	if create {
		action = AuditSiteCreate
	}
	if !existed {
		before = nil
	}
	s.auditAdmin(r, action, site.ID, before, site)
}

// auditStaff is a staff account as the audit log shows it: no phone lookup value, no password hash.
func auditStaff(v StaffView) map[string]any {
	return map[string]any{"id": v.ID, "name_masked": v.NameMasked, "phone_masked": v.PhoneMasked, "role": v.Role,
		"site_id": v.SiteID, "active": v.Active}
}

// auditSettings writes a change of the settings an admin may set (rules, retention) from prev
// to what is in force now; no entry when nothing changed (a refused request).
func (s *Server) auditSettings(r *http.Request, prev checkpoint.Settings) {
	cur, err := s.settings(r.Context())
	if err != nil {
		s.log.Error("hq: audit settings", slog.Any("err", err))
		return
	}
	view := func(st checkpoint.Settings) map[string]any {
		return map[string]any{"rules": st.Rules, "retention_days": st.RetentionDays}
	}
	b, a := AuditJSON(view(prev)), AuditJSON(view(cur))
	if b == a {
		return
	}
	s.auditAdmin(r, AuditSettingsPut, "settings", json.RawMessage(b), json.RawMessage(a))
}
