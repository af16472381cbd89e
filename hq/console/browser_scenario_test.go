package console

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/station"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// TestBrowserKioskScenario is the console's whole story in a real headless Chromium, with a
// real kiosk (store, sync client, station) enrolled against the same HQ: an admin logs in with
// TOTP, adds 吉林市船营区 (220204) as a high-risk area by CSV import, and turns a person red on
// 人员状态; the kiosk pulls, and gives 劝返 (turn_back) for the code of a person whose household
// is in 220204 and refuses (invalid: revoked) the red person's older code; the audit log lists
// both changes. On the way it shows 站点与人员 (a site added from the form), 待处理记录 (a
// held record accepted with a note) and 设置 (retention changed), and screenshots them.
func TestBrowserKioskScenario(t *testing.T) {
	e := newTenv(t, false)
	bg := context.Background()
	e.seedKiosks(0) // site s1, two kiosks
	held := e.pushHeld(2)
	if err := e.core.DB().PutSite(bg, checkpoint.Site{ID: "root", Name: "永吉县疫情防控指挥部", Address: "永吉县口前镇", Contact: "县指挥部",
		Phone: "0432-64222222", Division: "220221", Active: true, UpdatedAt: e.clk.Now()}); err != nil {
		t.Fatal(err)
	}
	s1, _ := e.core.DB().Site(bg, "s1")
	s1.ParentID = "root"
	if _, _, err := e.core.SaveSite(bg, s1, false); err != nil {
		t.Fatal(err)
	}
	const scanPhone, scanPass = "13800000002", "Demo@2022scan"
	for _, st := range []hq.StaffRequest{{Phone: "13800000001", Name: "王建国", Role: checkpoint.RoleSupervisor, SiteID: "s1", Password: "Demo@2022sup"},
		{Phone: scanPhone, Name: "李晓明", Role: checkpoint.RoleScanner, SiteID: "s1", Password: scanPass}} {
		if _, err := e.core.PutStaff(bg, st); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.core.NewIssuingKey(bg, 0, false); err != nil {
		t.Fatal(err)
	}
	enroll, err := e.core.CreateEnrollCode(bg, "s1", 0)
	if err != nil {
		t.Fatal(err)
	}
	const (
		areaID = "220204198803030021" // household in 船营区
		redID  = "220221197011110035" // local
	)
	area, err := e.core.IssueCode(bg, hq.IssueRequest{Name: "周船营", IDNumber: fixID(areaID), Kind: string(checkpoint.KindPrinted)})
	if err != nil {
		t.Fatal(err)
	}
	older, err := e.core.IssueCode(bg, hq.IssueRequest{Name: "吴密接", IDNumber: fixID(redID), Kind: string(checkpoint.KindPrinted)})
	if err != nil || older.Status != "green" {
		t.Fatalf("red person's first code: %+v, %v", older, err)
	}

	ctx := newBrowser(t)
	dir := t.TempDir()
	u := e.ts.URL
	do := func(what string, a ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(c, a...); err != nil {
			screenshot(t, ctx, dir, "failed")
			t.Fatalf("%s: %v (page: %s)", what, err, dir+"/failed.png")
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}

	tok, err := AddOperator(bg, e.core.DB(), "admin.zhao", RoleAdmin, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	do("setup page", chromedp.Navigate(u+"/admin/setup?token="+tok), chromedp.WaitVisible(chromedp.CSS("#totp-qr")))
	secret := text("#totp-secret")
	code, _ := totp.GenerateCode(secret, e.clk.Now())
	do("setup", chromedp.SendKeys(chromedp.CSS("#password"), "a long admin password"), chromedp.SendKeys(chromedp.CSS("#password2"), "a long admin password"),
		chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS(`#setup-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	e.clk.Add(30 * time.Second)
	code, _ = totp.GenerateCode(secret, e.clk.Now())
	do("login", chromedp.SendKeys(chromedp.CSS("#name"), "admin.zhao"), chromedp.SendKeys(chromedp.CSS("#password"), "a long admin password"),
		chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#overview")))

	do("风险地区", chromedp.Click(chromedp.CSS(`.nav a[href="/admin/risk"]`)), chromedp.WaitVisible(chromedp.CSS("#import-form")))
	do("CSV", chromedp.SendKeys(chromedp.CSS("#csv"), "220204,高,2026-11-30\n"), chromedp.Click(chromedp.CSS(`#import-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#apply")))
	do("apply", chromedp.Click(chromedp.CSS("#apply")), chromedp.WaitVisible(chromedp.CSS(`#risk-list tr[data-code="220204"]`)))

	do("人员状态", chromedp.Click(chromedp.CSS(`.nav a[href="/admin/people"]`)), chromedp.WaitVisible(chromedp.CSS("#find-form")))
	do("find", chromedp.SendKeys(chromedp.CSS("#q"), fixID(redID)), chromedp.Click(chromedp.CSS(`#find-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#status-form")))
	do("red", chromedp.SetValue(chromedp.CSS("#status"), "red"), chromedp.SendKeys(chromedp.CSS("#reason"), "密接"),
		chromedp.Click(chromedp.CSS(`#status-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".status-red")))

	do("站点与人员", chromedp.Click(chromedp.CSS(`.nav a[href="/admin/sites"]`)), chromedp.WaitVisible(chromedp.CSS("#site-tree")))
	do("add site", chromedp.SendKeys(chromedp.CSS("#f-id"), "s1-bus"), chromedp.SetValue(chromedp.CSS("#f-parent"), "s1"),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "口前客运站卡点"), chromedp.SendKeys(chromedp.CSS("#f-address"), "永吉县口前镇客运站"),
		chromedp.SendKeys(chromedp.CSS("#f-contact"), "孙组长"), chromedp.SendKeys(chromedp.CSS("#f-phone"), "0432-64200004"),
		chromedp.SendKeys(chromedp.CSS("#f-division"), "220221"), chromedp.Click(chromedp.CSS(`#site-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#site-s1-bus")))
	if got := text("#site-" + "s1"); !strings.Contains(got, "王*") || !strings.Contains(got, "李*") {
		t.Errorf("口前镇检查站's row shows no supervisor and scanner: %q", got)
	}
	screenshot(t, ctx, dir, "sites")

	do("待处理记录", chromedp.Click(chromedp.CSS(`.nav a[href="/admin/held"]`)), chromedp.WaitVisible(chromedp.CSS("#held-list")))
	screenshot(t, ctx, dir, "held")
	row := `#held-list tr[data-id="` + held[0] + `"]`
	do("accept", chromedp.SendKeys(chromedp.CSS(row+` input[name="note"]`), "人员当日调岗，已电话核实"),
		chromedp.Click(chromedp.CSS(row+` button[formaction="/admin/held/accept"]`)), chromedp.WaitVisible(chromedp.CSS("#held-decisions")))
	if n, _ := e.core.DB().CountHeld(bg); n != 1 {
		t.Errorf("held after accepting one = %d; want 1", n)
	}

	do("设置", chromedp.Click(chromedp.CSS(`.nav a[href="/admin/settings"]`)), chromedp.WaitVisible(chromedp.CSS("#settings-form")))
	do("retention", chromedp.SetValue(chromedp.CSS("#retention_days"), "60"), chromedp.Click(chromedp.CSS(`#settings-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(".notice"); got != zh["notice_settings"] {
		t.Errorf("after saving settings: %q", got)
	}
	screenshot(t, ctx, dir, "settings")

	// The kiosk: enrolled at the demo checkpoint, it pulls what the admin just changed.
	kdb, err := store.OpenDir(bg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kdb.Close() })
	kc := sync.New(kdb, sync.Config{DeviceName: "口前一号机", Logger: slog.New(slog.DiscardHandler)})
	if _, err := kc.Enroll(bg, u, enroll.Code); err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if _, err := kc.Pull(bg); err != nil {
		t.Fatalf("pull: %v", err)
	}
	st := station.New(station.Config{DB: kdb, Now: e.clk.Now, Logger: slog.New(slog.DiscardHandler)})
	sess, err := st.Login(bg, scanPhone, scanPass)
	if err != nil {
		t.Fatalf("kiosk login: %v", err)
	}
	v := st.Scan(bg, sess, area.Code)
	if !v.Valid || !v.HighRisk || v.RiskArea != "220204" || v.Decision.Verdict != string(checkpoint.OutcomeTurnBack) {
		t.Errorf("code of a household in 220204: valid %v high-risk %v (%s) verdict %q; want turn_back", v.Valid, v.HighRisk, v.RiskArea, v.Decision.Verdict)
	}
	v = st.Scan(bg, sess, older.Code)
	if v.Valid || v.Decision.Verdict != string(checkpoint.OutcomeInvalid) || v.ErrorKind != "revoked" {
		t.Errorf("the red person's older code: valid %v kind %q verdict %q; want invalid, revoked", v.Valid, v.ErrorKind, v.Decision.Verdict)
	}

	do("审计日志", chromedp.Click(chromedp.CSS(`.nav a[href="/admin/audit"]`)), chromedp.WaitVisible(chromedp.CSS("#audit-list")))
	actions, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#audit-list tbody tr')).map(r => r.dataset.action + ' ' + r.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	var imported, red bool
	for _, a := range actions {
		imported = imported || (strings.HasPrefix(a, AuditRiskImport+" ") && strings.Contains(a, "220204") && strings.Contains(a, "admin.zhao"))
		red = red || (strings.HasPrefix(a, hq.AuditPersonStatus+" ") && strings.Contains(a, "red") && strings.Contains(a, "admin.zhao"))
	}
	if !imported || !red {
		t.Errorf("audit log: import listed %v, red listed %v; rows %q", imported, red, actions)
	}
	screenshot(t, ctx, dir, "audit-scenario")
}

// fixID replaces the check character of an 18-character ID number by the right one.
func fixID(id string) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(id[i]-'0') * w
	}
	return id[:17] + string("10X98765432"[sum%11])
}
