package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/yongji-county/checkpoint/hq"
)

const testID = "220221199001011233"

// TestPeople: health finds a person by ID number (a POST: the number stays out of URLs), turns
// them red, which revokes their green code, and revokes a code by id; the audit log names the
// person id, masked, never the ID number; ops may not look people up.
func TestPeople(t *testing.T) {
	e := newTenv(t, false)
	admin := "Bearer " + testAdminToken
	if st := e.api("POST", "/api/v1/admin/keys", admin, hq.NewKeyRequest{}, nil); st != http.StatusCreated {
		t.Fatalf("key: %d", st)
	}
	var c1, c2 hq.IssueResponse
	if st := e.api("POST", "/api/v1/codes", admin, hq.IssueRequest{Name: "张三丰", IDNumber: testID}, &c1); st != 200 {
		t.Fatalf("issue: %d", st)
	}
	if st := e.api("POST", "/api/v1/codes", admin, hq.IssueRequest{Name: "张三丰", IDNumber: testID}, &c2); st != 200 {
		t.Fatalf("issue: %d", st)
	}
	health := e.as(RoleHealth)
	r := e.post(health, "/admin/people/find", url.Values{"q": {testID}})
	if r.status != 200 || !strings.Contains(r.body, "220221********1233") || !strings.Contains(r.body, `value="`+c1.PersonID+`"`) ||
		strings.Contains(r.body, "张三丰") || strings.Contains(r.body, testID) {
		t.Fatalf("find: %d %s", r.status, r.body)
	}
	if r := e.post(health, "/admin/people/find", url.Values{"q": {"220221199001011234"}}); r.status != http.StatusBadRequest {
		t.Fatalf("find with a wrong check digit: %d", r.status)
	}
	if r := e.post(health, "/admin/people/find", url.Values{"q": {c1.CodeID}}); r.status != 200 || !strings.Contains(r.body, c1.PersonID) {
		t.Fatalf("find by code id: %d", r.status)
	}
	if r := e.post(health, "/admin/people/find", url.Values{"q": {"no-such-code"}}); r.status != http.StatusNotFound {
		t.Fatalf("find nobody: %d", r.status)
	}
	r = e.post(health, "/admin/people/status", url.Values{"person_id": {c1.PersonID}, "status": {"red"}, "reason": {"密接"}})
	if r.status != 200 || !strings.Contains(r.body, `id="person-status">`+zh["status_red"]) {
		t.Fatalf("set red: %d %s", r.status, r.body)
	}
	if r := e.post(health, "/admin/people/status", url.Values{"person_id": {c1.PersonID}, "status": {"purple"}}); r.status != http.StatusBadRequest {
		t.Fatalf("set purple: %d", r.status)
	}
	if r := e.post(health, "/admin/codes/revoke", url.Values{"code_id": {c2.CodeID}}); r.status != 200 {
		t.Fatalf("revoke: %d", r.status)
	}
	if r := e.post(health, "/admin/codes/revoke", url.Values{"code_id": {"nope"}}); r.status != http.StatusNotFound {
		t.Fatalf("revoke nothing: %d", r.status)
	}
	ops := e.as(RoleOps)
	if r := e.post(ops, "/admin/people/find", url.Values{"q": {testID}}); r.status != http.StatusForbidden {
		t.Fatalf("ops finds people: %d", r.status)
	}
	if p := e.get(ops, "/admin/people"); p.status != 200 || strings.Contains(p.body, `id="find-form"`) {
		t.Fatalf("ops' people page: %d", p.status)
	}
	es, _ := e.core.DB().Audit(context.Background(), 0, 10)
	var status, revoke bool
	for _, a := range es {
		if strings.Contains(a.Object+a.Before+a.After, "19900101") || strings.Contains(a.Before+a.After, "张三丰") {
			t.Errorf("personal data in %+v", a)
		}
		switch a.Action {
		case hq.AuditPersonStatus:
			status = a.Object == c1.PersonID && strings.Contains(a.Before, `"green"`) && strings.Contains(a.After, `"red"`) && strings.Contains(a.After, `"revoked_codes":2`)
		case hq.AuditCodeRevoke:
			revoke = a.Object == c2.CodeID && a.Operator == "op-health"
		}
	}
	if !status || !revoke {
		t.Fatalf("audit = %+v", es)
	}
}
