package console

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/internal/dbtest"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// TestKioskReportAndRiskRollout drives a real kiosk sync client against HQ: what its outbox and
// refusals are is shown on 总览 after its pull; after a risk-area change 风险地区 lists it as
// not holding the new list, as sent after its next pull, and as holding it after the one
// after; on both backends.
func TestKioskReportAndRiskRollout(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newTenvAt(t, b.DSN(t))
			e.seedKiosks(0) // the site, a scanner and two kiosks made through the API that never pull
			ctx := context.Background()
			code, err := e.core.CreateEnrollCode(ctx, "s1", 0)
			if err != nil {
				t.Fatal(err)
			}
			kdb, err := store.OpenDir(ctx, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { kdb.Close() })
			kc := sync.New(kdb, sync.Config{DeviceName: "三号入口", AppVersion: "1.4.0", Now: e.clk.Now, Logger: slog.New(slog.DiscardHandler)})
			dev, err := kc.Enroll(ctx, e.ts.URL, code.Code)
			if err != nil {
				t.Fatalf("enroll: %v", err)
			}
			if _, err := kc.Pull(ctx); err != nil {
				t.Fatalf("pull: %v", err)
			}
			// One check waiting in the outbox and one dataset refused, then a pull.
			now := e.clk.Now()
			if _, err := kdb.SaveCheck(ctx, store.Meta{StaffID: "scan-1", At: now}, checkpoint.Check{Verdict: "pass", Reasons: []string{},
				ScannedAt: now, ConfirmedAt: now}, checkpoint.Personal{}); err != nil {
				t.Fatal(err)
			}
			if err := kdb.RecordRefusal(ctx, "old_version", now); err != nil {
				t.Fatal(err)
			}
			if _, err := kc.Pull(ctx); err != nil {
				t.Fatalf("pull: %v", err)
			}
			c := e.as(RoleHealth)
			o := e.overviewJSON(c)
			var got *OverviewDevice
			for i := range o.Devices {
				if o.Devices[i].ID == dev.ID {
					got = &o.Devices[i]
				}
			}
			if got == nil || got.Pending == nil || *got.Pending != 1 || *got.Refused != 1 || got.Refusal != "old_version" || got.Version != "1.4.0" ||
				got.Oldest.IsZero() || !got.Online {
				t.Fatalf("the kiosk on 总览: %+v", got)
			}
			if o.KiosksOnline != 1 || o.KiosksActive != 3 || o.Pending != 1 || o.RefusedKiosks != 1 {
				t.Fatalf("总览 = %+v", o)
			}
			if p := e.get(c, "/admin/"); !strings.Contains(p.body, "配置版本比终端已有的旧（重放）") || !strings.Contains(p.body, "三号入口") {
				t.Errorf("总览 does not show the kiosk's refusal")
			}
			// 终端 shows the version it reported and the HQ epoch it holds: current, then old once
			// HQ is restored from a backup.
			epoch, err := e.core.Epoch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if p := e.get(c, "/admin/devices"); !strings.Contains(p.body, "1.4.0") || !strings.Contains(p.body, "<code>"+epoch+"</code> <span class=\"hint\">（当前）") {
				t.Errorf("终端 does not show the kiosk's version and current epoch %s", epoch)
			}
			if _, err := hq.Restored(ctx, e.core.DB()); err != nil {
				t.Fatal(err)
			}
			if p := e.get(c, "/admin/devices"); !strings.Contains(p.body, "<code>"+epoch+"</code> <span class=\"warn\">旧纪元") {
				t.Errorf("终端 does not mark the kiosk's epoch old after a restore")
			}

			// It holds the risk list in force; the two kiosks that never pulled do not.
			rollout := func() riskRollout {
				t.Helper()
				ro, err := e.h.riskRollout(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return ro
			}
			missing := func(ro riskRollout) map[string]string {
				m := map[string]string{}
				for _, k := range ro.Missing {
					m[k.ID] = k.State()
				}
				return m
			}
			ro := rollout()
			if ro.Active != 3 || ro.Have != 1 || len(ro.Missing) != 2 || missing(ro)[dev.ID] != "" || ro.Missing[0].State() != "risk_never" {
				t.Fatalf("before the change: %+v", ro)
			}
			if r := e.post(c, "/admin/risk/save", url.Values{"code": {"220100"}, "level": {"high"}, "from": {"2026-12-01"},
				"version": {listVersion(checkpoint.RiskList{})}}); r.status != 303 {
				t.Fatalf("add a risk area: %d %s", r.status, r.body)
			}
			p := e.get(c, "/admin/risk")
			if ro = rollout(); ro.Have != 0 || missing(ro)[dev.ID] != "risk_behind" ||
				!strings.Contains(p.body, `data-have="0" data-active="3"`) || !strings.Contains(p.body, "尚未取得") {
				t.Fatalf("after the change: %+v", ro)
			}
			e.clk.Add(time.Minute)
			if _, err := kc.Pull(ctx); err != nil {
				t.Fatalf("pull: %v", err)
			}
			p = e.get(c, "/admin/risk")
			if ro = rollout(); ro.Have != 0 || missing(ro)[dev.ID] != "risk_sent" || !strings.Contains(p.body, "已下发，待终端确认") {
				t.Fatalf("after the pull that brought it: %+v", ro)
			}
			if l, err := kdb.RiskAreas(ctx); err != nil || len(l) != 1 {
				t.Fatalf("the kiosk's risk list: %v, %v", l, err)
			}
			if _, err := kc.Pull(ctx); err != nil {
				t.Fatalf("pull: %v", err)
			}
			p = e.get(c, "/admin/risk")
			if ro = rollout(); ro.Have != 1 || missing(ro)[dev.ID] != "" || !strings.Contains(p.body, `data-have="1" data-active="3"`) ||
				strings.Contains(p.body, `data-device="`+dev.ID+`"`) {
				t.Fatalf("after the next pull: %+v", ro)
			}
		})
	}
}
