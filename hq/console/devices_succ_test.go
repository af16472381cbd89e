package console

import (
	"context"
	"regexp"
	"strings"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
)

// TestDeviceSuccession: a kiosk re-enrolled to replace another is shown as its successor — "替换自"
// the old one on the new row and "已由 … 接替" on the old row, each linking to the other's row —
// and every row names its site, not just its id.
func TestDeviceSuccession(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *tenv) {
		ids := e.seedKiosks(1)
		ctx := context.Background()
		code, err := e.core.CreateReplacementCode(ctx, "", ids[0], 0)
		if err != nil {
			t.Fatal(err)
		}
		var resp checkpoint.EnrollResponse
		if st := e.api("POST", "/api/v1/enroll", "", checkpoint.EnrollRequest{Code: code.Code, DeviceName: "一号入口（新）"}, &resp); st != 200 || resp.Replaces != ids[0] {
			t.Fatalf("re-enroll: %d, replaces %q", st, resp.Replaces)
		}
		viewer := e.as(RoleViewer)
		p := e.get(viewer, "/admin/devices")
		if p.status != 200 {
			t.Fatalf("devices page: %d", p.status)
		}
		row := func(id string) string {
			m := regexp.MustCompile(`(?s)<tr data-id="` + regexp.QuoteMeta(id) + `" id="dev-` + regexp.QuoteMeta(id) + `">.*?</tr>`).FindString(p.body)
			if m == "" {
				t.Fatalf("no row for %s in\n%s", id, p.body)
			}
			return m
		}
		nw, old := row(resp.DeviceID), row(ids[0])
		if !strings.Contains(nw, `替换自 <a href="#dev-`+ids[0]+`">一号入口 <code>`+ids[0]+`</code></a>`) || strings.Contains(nw, "已由") {
			t.Errorf("new kiosk's row does not say whom it replaces:\n%s", nw)
		}
		if !strings.Contains(old, `已由 <a href="#dev-`+resp.DeviceID+`">一号入口（新） <code>`+resp.DeviceID+`</code></a> 接替`) || strings.Contains(old, "替换自") {
			t.Errorf("old kiosk's row does not name its successor:\n%s", old)
		}
		for _, r := range []string{nw, old} {
			if !strings.Contains(r, "永吉县人民医院") {
				t.Errorf("row without its site's name:\n%s", r)
			}
		}
		if p := e.get(viewer, "/admin/devices?lang=en"); !strings.Contains(p.body, "Succeeded by <a href=\"#dev-"+resp.DeviceID) {
			t.Errorf("English page without the successor")
		}
	})
}
