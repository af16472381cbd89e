package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/yongji-county/checkpoint/hq/sqldb"
)

var setupLinkRE = regexp.MustCompile(`<code class="big">(http://[^<]+/admin/setup\?token=([^<"]+))</code>`)

// lastAudit returns the newest audit entry.
func (e *tenv) lastAudit() sqldb.AuditEntry {
	e.t.Helper()
	l, err := e.core.DB().Audit(context.Background(), 0, 1)
	if err != nil || len(l) == 0 {
		e.t.Fatalf("audit: %v, %d entries", err, len(l))
	}
	return l[0]
}

// TestOperatorsPage: an admin lists operators, adds one (the setup link shown once, working,
// valid 24 h), changes its role, disables, enables and resets it, each audited under the
// command line's action names; bad input gets its message; the last usable admin cannot
// disable, demote or reset themself, and may once another admin is ready.
func TestOperatorsPage(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *tenv) {
		ctx := context.Background()
		db := e.core.DB()
		admin := e.as(RoleAdmin)
		p := e.get(admin, "/admin/operators")
		if p.status != 200 || !strings.Contains(p.body, `data-name="op-admin"`) || !strings.Contains(p.body, `id="nav-operators"`) || !strings.Contains(p.body, "（您）") {
			t.Fatalf("operators page: %d\n%s", p.status, p.body)
		}
		r := e.post(admin, "/admin/operators/add", url.Values{"name": {"li.ming"}, "role": {"ops"}})
		m := setupLinkRE.FindStringSubmatch(r.body)
		if r.status != http.StatusCreated || m == nil || !strings.Contains(r.body, "2026-12-02 10:0") {
			t.Fatalf("add: %d, link %v\n%s", r.status, m, r.body)
		}
		tok, _ := url.QueryUnescape(m[2])
		if s := e.get(e.client(), "/admin/setup?token="+url.QueryEscape(tok)); s.status != 200 || !secretRE.MatchString(s.body) {
			t.Fatalf("the setup link does not open the setup: %d", s.status)
		}
		if a := e.lastAudit(); a.Action != "operator.add" || a.Object != "li.ming" || a.After != `{"role":"ops"}` || a.Operator != "op-admin" || strings.Contains(a.After+a.Before, tok) {
			t.Errorf("add audited as %+v", a)
		}
		if p := e.get(admin, "/admin/operators"); strings.Contains(p.body, tok) || !strings.Contains(p.body, "待设置") {
			t.Errorf("the list shows the link again (%v) or not the pending setup", strings.Contains(p.body, tok))
		}
		for _, c := range []struct {
			form   url.Values
			status int
			key    string
		}{
			{url.Values{"name": {"li.ming"}, "role": {"ops"}}, http.StatusConflict, "err_op_exists"},
			{url.Values{"name": {"Li Ming"}, "role": {"ops"}}, http.StatusBadRequest, "err_op_name"},
			{url.Values{"name": {"zhao"}, "role": {"root"}}, http.StatusBadRequest, "err_op_role"},
		} {
			if r := e.post(admin, "/admin/operators/add", c.form); r.status != c.status || !strings.Contains(r.body, zh[c.key]) {
				t.Errorf("add %v: %d; want %d with %s", c.form, r.status, c.status, c.key)
			}
		}
		if r := e.post(admin, "/admin/operators/role", url.Values{"name": {"nobody"}, "role": {"ops"}}); r.status != http.StatusNotFound || !strings.Contains(r.body, zh["err_op_gone"]) {
			t.Errorf("role of an unknown operator: %d", r.status)
		}
		if r := e.post(admin, "/admin/operators/role", url.Values{"name": {"li.ming"}, "role": {"sudo"}}); r.status != http.StatusBadRequest {
			t.Errorf("an unknown role: %d", r.status)
		}
		if r := e.post(admin, "/admin/operators/role", url.Values{"name": {"li.ming"}, "role": {"health"}}); r.status != http.StatusSeeOther {
			t.Fatalf("role: %d %s", r.status, r.body)
		}
		if o, _ := db.Operator(ctx, "li.ming"); o.Role != "health" {
			t.Errorf("role after the change = %s", o.Role)
		}
		if a := e.lastAudit(); a.Action != "operator.role" || a.Before != `{"role":"ops"}` || a.After != `{"role":"health"}` {
			t.Errorf("role audited as %+v", a)
		}
		if r := e.post(admin, "/admin/operators/disable", url.Values{"name": {"li.ming"}}); r.status != http.StatusSeeOther {
			t.Fatalf("disable: %d", r.status)
		}
		if o, _ := db.Operator(ctx, "li.ming"); o.Active {
			t.Error("still active after disable")
		}
		if a := e.lastAudit(); a.Action != "operator.disable" || a.Before != `{"active":"true"}` || a.After != `{"active":"false"}` {
			t.Errorf("disable audited as %+v", a)
		}
		if p := e.get(admin, "/admin/operators?done=op_saved"); !strings.Contains(p.body, "已停用") || !strings.Contains(p.body, `action="/admin/operators/enable"`) {
			t.Error("the list does not show the operator disabled")
		}
		if r := e.post(admin, "/admin/operators/enable", url.Values{"name": {"li.ming"}}); r.status != http.StatusSeeOther {
			t.Fatalf("enable: %d", r.status)
		}
		if o, _ := db.Operator(ctx, "li.ming"); !o.Active {
			t.Error("inactive after enable")
		}
		if a := e.lastAudit(); a.Action != "operator.enable" {
			t.Errorf("enable audited as %+v", a)
		}
		r = e.post(admin, "/admin/operators/reset", url.Values{"name": {"li.ming"}})
		m2 := setupLinkRE.FindStringSubmatch(r.body)
		if r.status != 200 || m2 == nil || m2[2] == m[2] {
			t.Fatalf("reset: %d, link %v", r.status, m2)
		}
		if a := e.lastAudit(); a.Action != "operator.reset" || a.After != `{"password":"cleared","totp":"cleared"}` {
			t.Errorf("reset audited as %+v", a)
		}
		if s := e.get(e.client(), "/admin/setup?token="+url.QueryEscape(tok)); s.status == 200 && secretRE.MatchString(s.body) {
			t.Error("the old setup link still works after a reset")
		}

		// The last usable admin (li.ming's setup is not finished) cannot lock everyone out.
		n, _ := db.AuditCount(ctx)
		for _, c := range []struct {
			path string
			form url.Values
		}{
			{"/admin/operators/disable", url.Values{"name": {"op-admin"}}},
			{"/admin/operators/role", url.Values{"name": {"op-admin"}, "role": {"ops"}}},
			{"/admin/operators/reset", url.Values{"name": {"op-admin"}}},
		} {
			if r := e.post(admin, c.path, c.form); r.status != http.StatusConflict || !strings.Contains(r.body, zh["err_op_last_admin"]) {
				t.Errorf("last admin %s: %d; want 409", c.path, r.status)
			}
		}
		if o, _ := db.Operator(ctx, "op-admin"); !o.Active || o.Role != "admin" || o.PasswordHash == "" {
			t.Fatalf("the last admin changed: %+v", o)
		}
		if m, _ := db.AuditCount(ctx); m != n {
			t.Errorf("refused changes audited: %d entries, was %d", m, n)
		}
		if p := e.get(admin, "/admin/operators?lang=en"); !strings.Contains(p.body, "Add an operator") || !strings.Contains(p.body, ">Operators</a>") {
			t.Error("English operators page")
		}
		e.get(admin, "/admin/operators?lang=zh")
		// With a second admin ready, the first may step down; the change counts at once.
		e.setup("wang", RoleAdmin, "another long password")
		if r := e.post(admin, "/admin/operators/role", url.Values{"name": {"op-admin"}, "role": {"viewer"}}); r.status != http.StatusSeeOther {
			t.Fatalf("demote oneself with another admin ready: %d %s", r.status, r.body)
		}
		if p := e.get(admin, "/admin/operators"); p.status != http.StatusForbidden {
			t.Errorf("the demoted admin still opens the page: %d", p.status)
		}
		if p := e.get(admin, "/admin/"); strings.Contains(p.body, `id="nav-operators"`) {
			t.Error("the demoted admin still sees the nav entry")
		}
	})
}
