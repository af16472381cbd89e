package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
)

// TestDevicesAndKeys: ops makes an enrollment code (shown once, not in the audit log) and
// revokes a kiosk; admin makes, retires and distrusts keys (distrust only when confirmed); each
// change is audited with its state before and after.
func TestDevicesAndKeys(t *testing.T) {
	e := newTenv(t, false)
	ids := e.seedKiosks(1)
	ops := e.as(RoleOps)
	r := e.post(ops, "/admin/enroll-codes", url.Values{"site_id": {"s1"}, "ttl_hours": {"48"}})
	m := regexp.MustCompile(`<code class="big">([^<]+)</code>`).FindStringSubmatch(r.body)
	if r.status != http.StatusCreated || m == nil {
		t.Fatalf("enroll code: %d", r.status)
	}
	var resp checkpoint.EnrollResponse
	if st := e.api("POST", "/api/v1/enroll", "", checkpoint.EnrollRequest{Code: m[1], DeviceName: "三号入口"}, &resp); st != 200 {
		t.Fatalf("the code does not enroll: %d", st)
	}
	if r := e.post(ops, "/admin/enroll-codes", url.Values{"site_id": {"nowhere"}, "ttl_hours": {"48"}}); r.status != http.StatusNotFound {
		t.Fatalf("code for an unknown site: %d", r.status)
	}
	if r := e.post(ops, "/admin/enroll-codes", url.Values{"site_id": {"s1"}, "ttl_hours": {"0"}}); r.status != http.StatusBadRequest {
		t.Fatalf("code for 0 hours: %d", r.status)
	}
	if r := e.post(ops, "/admin/devices/revoke", url.Values{"id": {ids[0]}}); r.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.status)
	}
	if p := e.get(ops, "/admin/devices"); p.status != 200 || !strings.Contains(p.body, "三号入口") || strings.Contains(p.body, m[1]) {
		t.Fatalf("devices page: %d (shows the used code again: %v)", p.status, strings.Contains(p.body, m[1]))
	}
	admin := e.as(RoleAdmin)
	for range 2 {
		if r := e.post(admin, "/admin/keys/new", url.Values{"valid_days": {"30"}}); r.status != http.StatusSeeOther {
			t.Fatalf("new key: %d %s", r.status, r.body)
		}
	}
	ks, _ := e.core.DB().Keys(context.Background())
	if len(ks) != 2 {
		t.Fatalf("%d keys", len(ks))
	}
	if r := e.post(admin, "/admin/keys/retire", url.Values{"kid": {ks[0].ID}}); r.status != http.StatusSeeOther {
		t.Fatalf("retire: %d", r.status)
	}
	if r := e.post(admin, "/admin/keys/distrust", url.Values{"kid": {ks[1].ID}}); r.status != http.StatusBadRequest {
		t.Fatalf("distrust without confirming: %d", r.status)
	}
	if r := e.post(admin, "/admin/keys/distrust", url.Values{"kid": {ks[1].ID}, "confirm": {"1"}}); r.status != http.StatusSeeOther {
		t.Fatalf("distrust: %d", r.status)
	}
	ks, _ = e.core.DB().Keys(context.Background())
	if ks[0].State != checkpoint.KeyRetired || ks[1].State != checkpoint.KeyDistrusted {
		t.Fatalf("states %s %s", ks[0].State, ks[1].State)
	}
	if p := e.get(admin, "/admin/keys"); p.status != 200 || !strings.Contains(p.body, ks[1].ID) || strings.Contains(p.body, "PRIVATE") {
		t.Fatalf("keys page: %d", p.status)
	}
	es, _ := e.core.DB().Audit(context.Background(), 0, 20)
	var got []string
	for _, a := range es {
		got = append(got, a.Action)
		if strings.Contains(a.After+a.Before, m[1]) {
			t.Errorf("the enrollment code is in the audit log: %+v", a)
		}
	}
	want := []string{hq.AuditKeyDistrust, hq.AuditKeyRetire, hq.AuditKeyCreate, hq.AuditKeyCreate, "operator.login", "operator.setup",
		hq.AuditDeviceRevoke, hq.AuditEnrollCode}
	if !strings.HasPrefix(strings.Join(got, ","), strings.Join(want, ",")) {
		t.Fatalf("audit = %v; want it to begin %v", got, want)
	}
	if !strings.Contains(es[0].Before, `"active"`) || !strings.Contains(es[0].After, `"distrusted"`) || es[6].Object != ids[0] {
		t.Fatalf("entries: %+v / %+v", es[0], es[6])
	}
}
