package console

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/internal/browsertest"
)

// newBrowser starts a headless Chromium for one test at desktop size (1280×860). No browser:
// the test skips, or fails under CI=true. CHROMIUM names the binary.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	ctx := browsertest.Start(t, 1280, 860, 8*time.Minute)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 860)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshot saves the whole page as name.png in dir, and as console-name.png in
// $CHECKPOINT_SCREENSHOTS when that is set.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("CHECKPOINT_SCREENSHOTS"); out != "" {
		if err := os.WriteFile(filepath.Join(out, "console-"+name+".png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowserConsole drives the console in a real headless Chromium: an admin sets up the
// account from the setup link (QR and a first TOTP code), logs in with a fresh code, sees 总览
// refresh itself, imports risk areas by CSV (a bad file first: the preview names the bad rows
// and nothing changes), and finds the import at the top of 审计日志.
func TestBrowserConsole(t *testing.T) {
	e := newTenv(t, false)
	ids := e.seedKiosks(4)
	// 二号入口 was re-enrolled: 终端 shows the new kiosk as its successor.
	rc, err := e.core.CreateReplacementCode(context.Background(), "", ids[1], 0)
	if err != nil {
		t.Fatal(err)
	}
	if st := e.api("POST", "/api/v1/enroll", "", checkpoint.EnrollRequest{Code: rc.Code, DeviceName: "二号入口（更换）"}, nil); st != 200 {
		t.Fatalf("re-enroll: %d", st)
	}
	e.pushBodies(`{"verdict":"turn_back","reasons":["household_high_risk"],"online":true,"scanned_at":"2026-12-01T02:00:00Z","confirmed_at":"2026-12-01T02:00:05Z"}`,
		`{"verdict":"refer","reasons":["fever"],"temp_tenths":386,"online":true,"scanned_at":"2026-12-01T02:00:00Z","confirmed_at":"2026-12-01T02:00:05Z"}`)
	epoch, err := e.core.Epoch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.pull("pending=3; quarantined=1; oldest=2026-12-01T01:40:00Z; refused=1; refusal=bad_signature; version=1.4.0; epoch=" + epoch)
	ctx := newBrowser(t)
	dir := t.TempDir()
	u := e.ts.URL
	do := func(what string, a ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
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
	poll := func(what, js string, d time.Duration) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(d))); err != nil {
			screenshot(t, ctx, dir, "failed")
			t.Fatalf("wait for %s: %v", what, err)
		}
	}

	tok, err := AddOperator(context.Background(), e.core.DB(), "admin.li", RoleAdmin, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	do("setup page", chromedp.Navigate(u+"/admin/setup?token="+tok), chromedp.WaitVisible(chromedp.CSS("#totp-qr")))
	poll("QR image", `document.querySelector('#totp-qr').naturalWidth > 200`, 5*time.Second)
	screenshot(t, ctx, dir, "setup")
	secret := text("#totp-secret")
	code, _ := totp.GenerateCode(secret, e.clk.Now())
	do("setup form",
		chromedp.SendKeys(chromedp.CSS("#password"), "a long admin password"),
		chromedp.SendKeys(chromedp.CSS("#password2"), "a long admin password"),
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(chromedp.CSS(`#setup-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#login-form")))
	if got := text(".notice"); got != zh["notice_setup"] {
		t.Errorf("after setup: %q", got)
	}
	e.clk.Add(30 * time.Second)
	code, _ = totp.GenerateCode(secret, e.clk.Now())
	do("login form",
		chromedp.SendKeys(chromedp.CSS("#name"), "admin.li"),
		chromedp.SendKeys(chromedp.CSS("#password"), "a long admin password"),
		chromedp.SendKeys(chromedp.CSS("#code"), code))
	screenshot(t, ctx, dir, "login")
	do("login", chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#overview")))
	if got := text(`[data-k="checks_today"]`); got != "6" {
		t.Errorf("checks today = %q; want 6", got)
	}
	// 总览 polls by itself: a check pushed now shows up without a reload.
	e.pushChecks(1)
	poll("总览 refresh", `document.querySelector('[data-k="checks_today"]').textContent === "7" && document.querySelector('#overview').dataset.polled >= "1"`, 15*time.Second)
	if got := text("#sites tbody tr"); !strings.Contains(got, "永吉县人民医院") || !strings.Contains(got, "1 / 2") || !strings.Contains(got, "3") {
		t.Errorf("the site's row after the refresh: %q", got)
	}
	if got := text("#devices tbody tr"); !strings.Contains(got, zh["ov_online_yes"]) || strings.Contains(got, `"`) {
		t.Errorf("the first kiosk's row after the refresh: %q", got)
	}
	if got := text("#refused tbody tr"); !strings.Contains(got, "一号入口") || !strings.Contains(got, "签名无效") {
		t.Errorf("the refusing kiosk after the refresh: %q", got)
	}
	screenshot(t, ctx, dir, "overview")

	do("风险地区", chromedp.Click(chromedp.CSS(`.nav a[href="/admin/risk"]`)), chromedp.WaitVisible(chromedp.CSS("#import-form")))
	do("bad CSV",
		chromedp.SendKeys(chromedp.CSS("#csv"), "220100,high,2026-12-01\n991234,high,2026-12-01\n220200,severe,2026-12-01\n"),
		chromedp.Click(chromedp.CSS(`#import-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#import-rows")))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#import-rows tr.bad').length`)); n != 2 {
		t.Errorf("bad rows marked: %d; want 2", n)
	}
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#apply') === null`)); !ok {
		t.Error("a bad import offers to apply")
	}
	screenshot(t, ctx, dir, "import-bad")
	do("back", chromedp.Click(chromedp.CSS(`main a[href="/admin/risk"]`)), chromedp.WaitVisible(chromedp.CSS("#import-form")))
	do("good CSV",
		chromedp.SendKeys(chromedp.CSS("#csv"), "220100,高,2026-12-01,2026-12-14\n220202,medium,2026-11-25\n"),
		chromedp.Click(chromedp.CSS(`#import-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#apply")))
	screenshot(t, ctx, dir, "import")
	do("apply", chromedp.Click(chromedp.CSS("#apply")), chromedp.WaitVisible(chromedp.CSS("#risk-list")))
	if got := text(".notice"); got != zh["notice_applied"] {
		t.Errorf("after apply: %q", got)
	}
	if got := text(`#risk-list tr[data-code="220100"]`); !strings.Contains(got, "高风险") || !strings.Contains(got, "2026-12-14") {
		t.Errorf("220100's row: %q", got)
	}
	screenshot(t, ctx, dir, "risk")
	do("审计日志", chromedp.Click(chromedp.CSS(`.nav a[href="/admin/audit"]`)), chromedp.WaitVisible(chromedp.CSS("#audit-list")))
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#audit-list tbody tr').dataset.action`))
	if err != nil || first != AuditRiskImport {
		t.Errorf("newest audit entry = %q (%v)", first, err)
	}
	if got := text("#audit-list tbody tr"); !strings.Contains(got, "admin.li") || !strings.Contains(got, "220202") {
		t.Errorf("audit row: %q", got)
	}
	screenshot(t, ctx, dir, "audit")
	if st := e.api("POST", "/api/v1/admin/keys", "Bearer "+testAdminToken, hq.NewKeyRequest{}, nil); st != 201 {
		t.Fatalf("key: %d", st)
	}
	if st := e.api("POST", "/api/v1/codes", "Bearer "+testAdminToken, hq.IssueRequest{Name: "张三丰", IDNumber: testID}, nil); st != 200 {
		t.Fatalf("issue: %d", st)
	}
	do("人员状态", chromedp.Click(chromedp.CSS(`.nav a[href="/admin/people"]`)), chromedp.WaitVisible(chromedp.CSS("#find-form")))
	do("find", chromedp.SendKeys(chromedp.CSS("#q"), testID), chromedp.Click(chromedp.CSS(`#find-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#status-form")))
	do("red", chromedp.SetValue(chromedp.CSS("#status"), "red"), chromedp.SendKeys(chromedp.CSS("#reason"), "密接"),
		chromedp.Click(chromedp.CSS(`#status-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".status-red")))
	screenshot(t, ctx, dir, "people")
	do("终端", chromedp.Click(chromedp.CSS(`.nav a[href="/admin/devices"]`)), chromedp.WaitVisible(chromedp.CSS("#enroll-form")))
	do("登记码", chromedp.SetValue(chromedp.CSS("#site_id"), "s1"), chromedp.Click(chromedp.CSS(`#enroll-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#enroll-code")))
	screenshot(t, ctx, dir, "devices")
	do("签发密钥", chromedp.Click(chromedp.CSS(`.nav a[href="/admin/keys"]`)), chromedp.WaitVisible(chromedp.CSS("#key-form")))
	do("新密钥", chromedp.Click(chromedp.CSS(`#key-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#key-list tbody tr[data-kid]")))
	screenshot(t, ctx, dir, "keys")
	do("操作员", chromedp.Click(chromedp.CSS(`.nav a[href="/admin/operators"]`)), chromedp.WaitVisible(chromedp.CSS("#operator-add")))
	do("新增操作员", chromedp.SendKeys(chromedp.CSS("#operator-name"), "li.ming"), chromedp.SetValue(chromedp.CSS("#operator-role"), "ops"),
		chromedp.Click(chromedp.CSS(`#operator-add button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#setup-link")))
	if got := text(`#operator-list tr[data-name="li.ming"] td:nth-child(3)`); !strings.HasPrefix(got, "待设置") {
		t.Errorf("the new operator's state = %q; want 待设置", got)
	}
	screenshot(t, ctx, dir, "operators")
	do("审计日志 again", chromedp.Click(chromedp.CSS(`.nav a[href="/admin/audit"]`)), chromedp.WaitVisible(chromedp.CSS("#audit-list")))
	do("English", chromedp.Click(chromedp.CSS(".lang")), chromedp.WaitVisible(chromedp.CSS("#audit-list")))
	if got := text("h1"); got != en["audit_title"] {
		t.Errorf("English heading = %q", got)
	}
	do("logout", chromedp.Click(chromedp.CSS(`.who button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#login-form")))
}
