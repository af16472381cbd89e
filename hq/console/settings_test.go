package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func settingsValues(fever, live, days string) url.Values {
	return url.Values{"fever_c": {fever}, "min_c": {"34"}, "max_c": {"43"}, "local_county": {"220221"}, "skew_min": {"10"},
		"code_age_h": {"168"}, "live_min": {live}, "retention_days": {days}}
}

// TestSettingsPage: an admin changes the fever threshold, the live code lifetime and the
// retention; the page says kiosks get it on their next pull; a bad value changes nothing and
// says why; ops and health may read but not change; the change is in the audit log.
func TestSettingsPage(t *testing.T) {
	e := newTenv(t, false)
	ctx := context.Background()
	admin, ops := e.as(RoleAdmin), e.as(RoleOps)
	p := e.get(ops, "/admin/settings")
	if p.status != 200 || !strings.Contains(p.body, zh["set_pull"]) || strings.Contains(p.body, zh["set_save"]) || !strings.Contains(p.body, zh["set_readonly"]) {
		t.Fatalf("ops' settings page: %d", p.status)
	}
	if r := e.post(ops, "/admin/settings", settingsValues("37.5", "5", "30")); r.status != http.StatusForbidden {
		t.Fatalf("ops changes settings: %d", r.status)
	}
	before, _ := e.core.Settings(ctx)
	if r := e.post(admin, "/admin/settings", settingsValues("37.5", "90", "30")); r.status != http.StatusBadRequest || !strings.Contains(r.body, "live ttl") {
		t.Fatalf("live code of 90 minutes: %d", r.status)
	}
	if r := e.post(admin, "/admin/settings", settingsValues("abc", "5", "30")); r.status != http.StatusBadRequest {
		t.Fatalf("fever abc: %d", r.status)
	}
	if after, _ := e.core.Settings(ctx); after.Rules != before.Rules || after.RetentionDays != before.RetentionDays {
		t.Fatalf("a refused change changed the settings: %+v", after)
	}
	r := e.post(admin, "/admin/settings", settingsValues("37.5", "5", "30"))
	if r.status != 200 || !strings.Contains(r.body, zh["notice_settings"]) || !strings.Contains(r.body, `value="37.5"`) {
		t.Fatalf("save: %d %s", r.status, r.body)
	}
	st, _ := e.core.Settings(ctx)
	if st.Rules.FeverC != 37.5 || st.Rules.LiveTTL != 5*time.Minute || st.RetentionDays != 30 || st.Rules.MaxCodeAge != 168*time.Hour {
		t.Fatalf("settings = %+v", st)
	}
	page, _ := e.core.DB().Audit(ctx, 0, 5)
	if len(page) == 0 || page[0].Action != "settings.put" || page[0].Operator != "op-admin" || !strings.Contains(page[0].After, `"retention_days":30`) {
		t.Fatalf("audit = %+v", page)
	}
	// The same values again: no change, no entry.
	e.post(admin, "/admin/settings", settingsValues("37.5", "5", "30"))
	if again, _ := e.core.DB().Audit(ctx, 0, 5); again[0].ID != page[0].ID {
		t.Fatal("an unchanged save wrote an audit entry")
	}
}
