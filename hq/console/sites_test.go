package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
)

func siteForm(id, parent, name string) url.Values {
	return url.Values{"id": {id}, "parent_id": {parent}, "name": {name}, "address": {"永吉县" + name}, "contact": {"王主任"},
		"phone": {"0432-64221234"}, "division": {"220221"}}
}

// TestSitesAndStaff: ops builds a tree (a root, a child), edits and deactivates a site, adds a
// supervisor and a scanner, transfers and deactivates one; the page shows the tree in order
// with the staff masked; every change is in the audit log; health and viewer may not change.
func TestSitesAndStaff(t *testing.T) {
	e := newTenv(t, false)
	ctx := context.Background()
	ops, health := e.as(RoleOps), e.as(RoleHealth)
	if r := e.post(health, "/admin/sites/save", siteForm("root", "", "永吉县疾控中心")); r.status != http.StatusForbidden {
		t.Fatalf("health adds a site: %d", r.status)
	}
	if p := e.get(health, "/admin/sites"); p.status != 200 || strings.Contains(p.body, `action="/admin/sites/save"`) {
		t.Fatalf("health's sites page: %d, with forms: %v", p.status, strings.Contains(p.body, "/admin/sites/save"))
	}
	for _, f := range []url.Values{siteForm("root", "", "永吉县疾控中心"), siteForm("gate-b", "root", "北门"), siteForm("gate-a", "root", "南门")} {
		if r := e.post(ops, "/admin/sites/save", f); r.status != http.StatusSeeOther {
			t.Fatalf("add site %s: %d %s", f.Get("id"), r.status, r.body)
		}
	}
	if r := e.post(ops, "/admin/sites/save", siteForm("root", "", "重复")); r.status != http.StatusBadRequest || !strings.Contains(r.body, zh["err_site_exists"]) {
		t.Fatalf("duplicate site: %d", r.status)
	}
	if r := e.post(ops, "/admin/sites/save", siteForm("x", "nowhere", "无上级")); r.status != http.StatusBadRequest || !strings.Contains(r.body, zh["err_site_parent"]) {
		t.Fatalf("unknown parent: %d", r.status)
	}
	cyc := siteForm("root", "gate-a", "永吉县疾控中心")
	cyc.Set("update", "1")
	if r := e.post(ops, "/admin/sites/save", cyc); r.status != http.StatusBadRequest || !strings.Contains(r.body, zh["err_site_cycle"]) {
		t.Fatalf("cycle: %d", r.status)
	}
	ed := siteForm("gate-b", "root", "北门（新）")
	ed.Set("update", "1")
	if r := e.post(ops, "/admin/sites/save", ed); r.status != http.StatusSeeOther {
		t.Fatalf("edit site: %d %s", r.status, r.body)
	}
	if s, _ := e.core.DB().Site(ctx, "gate-b"); s.Name != "北门（新）" || !s.Active || s.ParentID != "root" {
		t.Fatalf("edited site = %+v", s)
	}
	add := func(phone, name, role, site string) {
		t.Helper()
		r := e.post(ops, "/admin/staff/add", url.Values{"phone": {phone}, "name": {name}, "role": {role}, "site_id": {site}, "password": {"staff-pass-1"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("add staff %s: %d %s", role, r.status, r.body)
		}
	}
	add("13900001111", "李四", "supervisor", "gate-a")
	add("13900002222", "王五", "scanner", "gate-a")
	if r := e.post(ops, "/admin/staff/add", url.Values{"phone": {"13900002222"}, "name": {"赵六"}, "role": {"scanner"}, "site_id": {"gate-a"}, "password": {"staff-pass-1"}}); r.status != http.StatusConflict {
		t.Fatalf("second account for one phone: %d", r.status)
	}
	staff, _ := e.core.Staff(ctx)
	if len(staff) != 2 {
		t.Fatalf("staff = %d", len(staff))
	}
	var scanner string
	for _, s := range staff {
		if s.Role == checkpoint.RoleScanner {
			scanner = s.ID
		}
	}
	if r := e.post(ops, "/admin/staff/move", url.Values{"id": {scanner}, "site_id": {"gate-b"}, "active": {"1"}}); r.status != http.StatusSeeOther {
		t.Fatalf("transfer: %d %s", r.status, r.body)
	}
	if r := e.post(ops, "/admin/staff/move", url.Values{"id": {scanner}, "site_id": {"nowhere"}}); r.status != http.StatusBadRequest {
		t.Fatalf("transfer to no site: %d", r.status)
	}
	all, _ := e.core.DB().AllStaff(ctx)
	for _, a := range all {
		if a.ID == scanner && (a.SiteID != "gate-b" || !a.Active || a.PasswordHash == "" || a.PhoneHash == "") {
			t.Fatalf("transferred account = %+v", a)
		}
	}
	if r := e.post(ops, "/admin/staff/move", url.Values{"id": {scanner}, "site_id": {"gate-b"}, "active": {"0"}}); r.status != http.StatusSeeOther {
		t.Fatalf("deactivate staff: %d", r.status)
	}
	if r := e.post(ops, "/admin/sites/active", url.Values{"id": {"gate-b"}, "active": {"0"}}); r.status != http.StatusSeeOther {
		t.Fatalf("deactivate site: %d", r.status)
	}
	if s, _ := e.core.DB().Site(ctx, "gate-b"); s.Active {
		t.Fatal("site still active")
	}
	p := e.get(ops, "/admin/sites")
	iRoot, iA, iB := strings.Index(p.body, `id="site-root"`), strings.Index(p.body, `id="site-gate-a"`), strings.Index(p.body, `id="site-gate-b"`)
	if p.status != 200 || iRoot < 0 || iA < iRoot || iB < iA || !strings.Contains(p.body, `class="depth-1"`) {
		t.Fatalf("tree order: root %d, gate-a %d, gate-b %d", iRoot, iA, iB)
	}
	if !strings.Contains(p.body, "李*") || !strings.Contains(p.body, "139****1111") || strings.Contains(p.body, "13900001111") || strings.Contains(p.body, "李四") {
		t.Fatal("staff not shown masked")
	}
	page, _ := e.core.DB().Audit(ctx, 0, 50)
	count := map[string]int{}
	for _, a := range page {
		if a.Operator == "op-ops" {
			count[a.Action]++
		}
		if strings.Contains(a.After, "13900001111") || strings.Contains(a.After, "李四") {
			t.Fatalf("audit holds personal data: %s", a.After)
		}
	}
	if count["site.create"] != 3 || count["site.update"] != 2 || count["staff.create"] != 2 || count["staff.update"] != 2 {
		t.Fatalf("audit actions = %v", count)
	}
}
